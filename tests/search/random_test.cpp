#include <gtest/gtest.h>

#include <set>

#include "hwnas/search/strategies.h"
#include "search/nb201_problem.h"

using namespace hwnas;
using namespace hwnas::testing;


TEST(RandomStrategy, DrawsDistinctAdmissibleCellsAcrossTheSpace) {
  auto s = make_random_strategy({}, problem().context(1, 300000));
  auto t = run_strategy(*s, problem(), 300, 7);
  std::set<int> first_edge_ops;
  for (const auto& a : t.proposals) {
    EXPECT_LE(problem().params(a), 300000);
    first_edge_ops.insert(a.choices[0]);
  }
  EXPECT_EQ(first_edge_ops.size(), 5u);  // uniform draws reach every op of an edge
}

TEST(RandomStrategy, ImpossibleConstraintGivesAnEmptyAskInsteadOfLooping) {
  RandomOptions o;
  o.max_retries = 20;
  auto s = make_random_strategy(o, problem().context(1, 0.0));  // no cell has <= 0 params
  EXPECT_TRUE(s->ask(4).empty());
}

TEST(RandomStrategy, HypervolumeGrowsWithEvaluations) {
  auto s = make_random_strategy({}, problem().context(2));
  auto t = run_strategy(*s, problem(), 200);
  EXPECT_GT(t.hypervolume.back(), t.hypervolume[19]);
  EXPECT_LE(t.hypervolume.back(), problem().true_hypervolume() + 1e-12);
}
