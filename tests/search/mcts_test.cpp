#include <gtest/gtest.h>

#include <set>

#include "hwnas/search/strategies.h"
#include "search/nb201_problem.h"

using namespace hwnas;
using namespace hwnas::testing;


TEST(MctsStrategy, BeatsRandomSearchOnAverage) {
  const int n = 60, seeds = 5;
  const double m = mean_hypervolume(problem(), [](const StrategyContext& c) { return make_mcts_strategy({}, c); }, n, seeds);
  const double rnd = mean_hypervolume(problem(), [](const StrategyContext& c) { return make_random_strategy({}, c); }, n, seeds);
  EXPECT_GT(m, rnd + 0.01) << "mcts " << m << " random " << rnd;
}

TEST(MctsStrategy, WithoutWideningOrExplorationStillProposes) {
  MctsOptions o;
  o.widening_alpha = 0.0;  // one child per node: the tree is a single path
  o.exploration = 0.0;
  o.simulations = 20;
  auto s = make_mcts_strategy(o, problem().context(2));
  EXPECT_EQ(run_strategy(*s, problem(), 40, 2).proposals.size(), 40u);
}

TEST(MctsStrategy, RespectsATightConstraint) {
  auto s = make_mcts_strategy({}, problem().context(4, 150000));
  auto t = run_strategy(*s, problem(), 50, 5);
  ASSERT_EQ(t.proposals.size(), 50u);
  for (const auto& a : t.proposals) EXPECT_LE(problem().params(a), 150000);
}

// As BoStrategy's: one tree search serves proposals_per_refresh proposals, one ask at a time.
TEST(MctsStrategy, OneRefreshServesItsProposalsOneAskAtATime) {
  MctsOptions o;
  o.proposals_per_refresh = 8;
  // Modelled from the 5th result on, 20 results told in fours leave 4 of the last refresh's 8 in
  // the queue: the ask of 8 takes them and refreshes, believing them in flight as 4 asks of one do.
  o.initial_random = 5;
  expect_one_refresh_serves_eight_asks(problem(), [&](const StrategyContext& c) { return make_mcts_strategy(o, c); });
}

TEST(MctsStrategy, WithManyProposalsInFlightPerRefreshItStillBeatsRandom) {
  MctsOptions o;
  o.proposals_per_refresh = 16;
  const VersusRandom v =
      versus_random_pipelined(problem(), [&](const StrategyContext& c) { return make_mcts_strategy(o, c); }, 150, 6, 16);
  EXPECT_GT(v.mean_gain, 0.01) << v.describe();
  EXPECT_GE(v.wins, 5) << v.describe();
}
