#include "hwnas/core/rng.h"

#include <gtest/gtest.h>

#include "hwnas/core/error.h"

#include <cmath>
#include <vector>

using namespace hwnas;

TEST(Rng, SameSeedSameStream) {
  Rng a(42), b(42), c(43);
  std::vector<std::uint64_t> xa, xb, xc;
  for (int i = 0; i < 100; ++i) {
    xa.push_back(a.uniform_index(1000));
    xb.push_back(b.uniform_index(1000));
    xc.push_back(c.uniform_index(1000));
  }
  EXPECT_EQ(xa, xb);
  EXPECT_NE(xa, xc);
}

TEST(Rng, UniformIndexCoversTheRangeEvenly) {
  Rng r(1);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) ++counts[r.uniform_index(7)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);  // ~4 standard deviations
}

TEST(Rng, DistinctIndicesAreDistinctAndUniform) {
  Rng r(5);
  std::vector<int> counts(10, 0);
  for (int t = 0; t < 20000; ++t) {
    const auto v = r.distinct_indices(10, 4);
    ASSERT_EQ(v.size(), 4u);
    std::vector<bool> seen(10, false);
    for (auto i : v) {
      ASSERT_LT(i, 10u);
      EXPECT_FALSE(seen[i]) << "index " << i << " drawn twice";
      seen[i] = true;
      ++counts[i];
    }
  }
  for (int c : counts) EXPECT_NEAR(c, 8000, 360);  // each index in 4/10 of the draws; ~5 sd
  EXPECT_EQ(r.distinct_indices(3, 3).size(), 3u);
  EXPECT_TRUE(r.distinct_indices(3, 0).empty());
  Rng a(9), b(9);
  EXPECT_EQ(a.distinct_indices(1000, 64), b.distinct_indices(1000, 64));
}

TEST(Rng, UniformAndNormalMoments) {
  Rng r(3);
  double sum = 0, sum2 = 0, umin = 1, umax = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    umin = std::min(umin, u);
    umax = std::max(umax, u);
    const double z = r.normal();
    sum += z;
    sum2 += z * z;
  }
  EXPECT_GE(umin, 0.0);
  EXPECT_LT(umax, 1.0);
  EXPECT_NEAR(sum / n, 0.0, 0.02);
  EXPECT_NEAR(sum2 / n, 1.0, 0.02);
}

TEST(Rng, SplitGivesIndependentDeterministicStreams) {
  Rng a(5), b(5);
  Rng sa = a.split(), sb = b.split();
  EXPECT_EQ(sa.next(), sb.next());
  EXPECT_NE(a.next(), sa.next());
}

TEST(Rng, AStateRestoredContinuesTheSameStream) {
  Rng a(7);
  for (int i = 0; i < 1000; ++i) a.next();
  Rng b(99);
  b.restore(a.state(), "test");
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.next(), b.next());
  Rng c(1);
  EXPECT_THROW(c.restore("not a state", "checkpoint.rng"), hwnas::UserError);
  EXPECT_EQ(c.next(), Rng(1).next());  // a failed restore leaves the generator as it was
}
