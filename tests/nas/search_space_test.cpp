#include "hwnas/nas/search_space.h"

#include <gtest/gtest.h>

#include "support/errors.h"

#include <set>

#include "hwnas/core/error.h"
#include "hwnas/nas/spaces/nb201.h"

using namespace hwnas;
using hwnas::test::error_of;


TEST(SearchSpace, RegistryByName) {
  EXPECT_EQ(make_space("nb201")->name(), "nb201");
  EXPECT_EQ(make_space("mbv")->name(), "mbv");
  EXPECT_EQ(error_of([] { make_space("darts"); }), "unknown search space 'darts' (known: graph, mbv, nb201, or a space file ending in .json)");
  EXPECT_EQ(error_of([] { make_space("nb210"); }), "unknown search space 'nb210'; did you mean 'nb201'? (known: graph, mbv, nb201, or a space file ending in .json)");
  EXPECT_EQ(make_space("nb201", {{"channels", 8}})->options()["channels"], 8);
}

TEST(SearchSpace, ValidateNamesTheDecision) {
  auto s = make_space("nb201");
  EXPECT_EQ(error_of([&] { s->validate(Architecture{{0, 0, 0}}); }), "nb201: architecture has 3 decisions, expected 6");
  EXPECT_EQ(error_of([&] { s->validate(Architecture{{0, 0, 5, 0, 0, 0}}); }),
            "nb201: decision 2 (edge(2,1)) has choice 5, expected 0..4");
}

TEST(SearchSpace, SampleIsDeterministicAndValid) {
  auto s = make_space("mbv");
  Rng a(9), b(9);
  for (int i = 0; i < 50; ++i) {
    const Architecture x = s->sample(a);
    EXPECT_EQ(x, s->sample(b));
    EXPECT_NO_THROW(s->validate(x));
  }
}

TEST(SearchSpace, MutateChangesExactlyOneDecisionAndTheNetwork) {
  auto s = make_space("nb201");
  Rng rng(11);
  for (int i = 0; i < 300; ++i) {
    const Architecture a = s->sample(rng);
    const Architecture m = s->mutate(a, rng);
    int diff = 0;
    for (std::size_t k = 0; k < a.choices.size(); ++k) diff += a.choices[k] != m.choices[k];
    EXPECT_EQ(diff, 1);
    // A change of canonical form exists from every nb201 architecture; mutate finds one
    // with overwhelming probability in 32 tries.
    EXPECT_NE(s->canonical_hash(a), s->canonical_hash(m)) << s->to_string(a) << " -> " << s->to_string(m);
  }
}

TEST(SearchSpace, NeighboursDifferInOneDecision) {
  auto s = make_space("nb201");
  const Architecture a{{0, 1, 2, 3, 4, 0}};
  const auto n = s->neighbours(a);
  EXPECT_EQ(n.size(), 6u * 4);
  std::set<Architecture> unique(n.begin(), n.end());
  EXPECT_EQ(unique.size(), n.size());
  for (const auto& b : n) {
    int diff = 0;
    for (std::size_t k = 0; k < a.choices.size(); ++k) diff += a.choices[k] != b.choices[k];
    EXPECT_EQ(diff, 1);
  }
}

TEST(SearchSpace, EnumerateVisitsEveryVectorOnceInOrder) {
  auto s = make_space("nb201", {{"ops", {"none", "skip_connect"}}});
  std::vector<Architecture> seen;
  s->enumerate([&](const Architecture& a) { seen.push_back(a); });
  ASSERT_EQ(seen.size(), 64u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::set<Architecture>(seen.begin(), seen.end()).size(), 64u);
  EXPECT_EQ(error_of([&] { s->enumerate([](const Architecture&) {}, 10); }).substr(0, 30), "nb201: the space has 64 archit");
}

TEST(SearchSpace, CanonicalHashDependsOnSpaceOptions) {
  auto a = make_space("nb201");
  auto b = make_space("nb201", {{"channels", 8}});
  const Architecture x{{3, 3, 3, 3, 3, 3}};
  EXPECT_NE(a->canonical_hash(x), b->canonical_hash(x));
  EXPECT_EQ(a->canonical_hash(x), make_space("nb201")->canonical_hash(x));
}
