#include "hwnas/core/rng.h"

#include <gtest/gtest.h>

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
