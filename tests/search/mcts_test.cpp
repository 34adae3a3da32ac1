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
  auto a = make_mcts_strategy(o, problem().context(7));
  auto b = make_mcts_strategy(o, problem().context(7));
  run_strategy(*a, problem(), 20, 4);
  run_strategy(*b, problem(), 20, 4);
  std::vector<Architecture> one_by_one, at_once = b->ask(8);
  for (int i = 0; i < 8; ++i)
    for (auto& x : a->ask(1)) one_by_one.push_back(x);
  ASSERT_EQ(at_once.size(), 8u);
  EXPECT_EQ(one_by_one, at_once);
  std::set<std::uint64_t> h;
  for (const auto& x : at_once) EXPECT_TRUE(h.insert(problem().space().canonical_hash(x)).second);
}

TEST(MctsStrategy, WithManyProposalsInFlightPerRefreshItStillBeatsRandom) {
  MctsOptions o;
  o.proposals_per_refresh = 16;
  const int n = 150, seeds = 6;
  double gain = 0;
  int wins = 0;
  std::string per_seed;
  for (int seed = 0; seed < seeds; ++seed) {
    auto s = make_mcts_strategy(o, problem().context(static_cast<std::uint64_t>(seed) + 1000));
    auto r = make_random_strategy({}, problem().context(static_cast<std::uint64_t>(seed) + 1000));
    const double m = run_pipelined(*s, problem(), n, 16).hypervolume.back();
    const double rnd = run_pipelined(*r, problem(), n, 16).hypervolume.back();
    gain += (m - rnd) / seeds;
    wins += m > rnd;
    per_seed += " " + std::to_string(m) + "/" + std::to_string(rnd);
  }
  EXPECT_GT(gain, 0.01) << per_seed;
  EXPECT_GE(wins, 5) << per_seed;
}
