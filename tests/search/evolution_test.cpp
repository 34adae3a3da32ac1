#include <gtest/gtest.h>

#include "hwnas/search/strategies.h"
#include "search/nb201_problem.h"

using namespace hwnas;
using namespace hwnas::testing;


TEST(EvolutionStrategy, FirstPopulationIsRandomThenChildrenAreMutations) {
  EvolutionOptions o;
  o.population = 10;
  o.sample_size = 3;
  auto s = make_evolution_strategy(o, problem().context(4));
  auto t = run_strategy(*s, problem(), 40);
  // After the random start, every child differs from some earlier proposal in few decisions.
  for (std::size_t i = 10; i < t.proposals.size(); ++i) {
    int best = 99;
    for (std::size_t j = 0; j < i; ++j) {
      int diff = 0;
      for (int k = 0; k < 6; ++k) diff += t.proposals[i].choices[k] != t.proposals[j].choices[k];
      best = std::min(best, diff);
    }
    EXPECT_LE(best, 3) << i;
  }
}

TEST(EvolutionStrategy, BeatsRandomSearchOnAverage) {
  // As for LocalStrategy.BeatsRandomSearchOnAverage: a margin a random-like strategy would miss.
  const int n = 120, seeds = 20;
  EvolutionOptions o;
  o.population = 20;
  o.sample_size = 5;
  const VersusRandom v = versus_random(problem(), [&](const StrategyContext& c) { return make_evolution_strategy(o, c); }, n, seeds);
  EXPECT_GT(v.mean_gain, 0.01) << v.describe();
  EXPECT_GE(v.wins, 16) << v.describe();
}

TEST(EvolutionStrategy, SingleObjectiveUsesRankOrder) {
  // One objective: the error alone. Evolution should find a cell within the best 1% quickly.
  const auto& p = problem();
  StrategyContext c;
  c.space = &p.space();
  c.num_objectives = 1;
  c.seed = 3;
  EvolutionOptions o;
  o.population = 20;
  o.sample_size = 5;
  auto s = make_evolution_strategy(o, c);
  double best = 1e9;
  for (int i = 0; i < 200; ++i) {
    auto b = s->ask(1);
    ASSERT_EQ(b.size(), 1u);
    const double e = p.error(b[0]);
    best = std::min(best, e);
    s->tell({{b[0], {e}, true}});
  }
  std::vector<double> all;
  for (const auto& a : p.all()) all.push_back(p.error(a));
  std::sort(all.begin(), all.end());
  EXPECT_LE(best, all[all.size() / 100]);
}
