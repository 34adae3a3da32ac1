#include <gtest/gtest.h>

#include "hwnas/search/strategies.h"
#include "search/nb201_problem.h"

using namespace hwnas;
using namespace hwnas::testing;

namespace {
int distance(const Architecture& a, const Architecture& b) {
  int d = 0;
  for (std::size_t k = 0; k < a.choices.size(); ++k) d += a.choices[k] != b.choices[k];
  return d;
}
}  // namespace

TEST(LocalStrategy, StepsAreNeighboursOfEarlierCells) {
  LocalOptions o;
  o.initial_random = 3;
  auto s = make_local_strategy(o, problem().context(9));
  auto t = run_strategy(*s, problem(), 60);
  int neighbour_steps = 0;
  for (std::size_t i = 3; i < t.proposals.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j)
      if (distance(t.proposals[i], t.proposals[j]) == 1) {
        ++neighbour_steps;
        break;
      }
  }
  EXPECT_GE(neighbour_steps, 50);  // all but the rare random restarts
}

TEST(LocalStrategy, RestartsWhenTheNeighbourhoodIsExhausted) {
  // A constant objective: the first cell is the whole front, its 24 neighbours get used up, and
  // the strategy must restart instead of stopping.
  const auto& p = problem();
  LocalOptions o;
  o.initial_random = 1;
  auto s = make_local_strategy(o, p.context(2));
  int proposed = 0;
  for (int i = 0; i < 80; ++i) {
    auto b = s->ask(1);
    ASSERT_EQ(b.size(), 1u);
    ++proposed;
    s->tell({{b[0], {1.0, 1.0}, true}});
  }
  EXPECT_EQ(proposed, 80);
}

TEST(LocalStrategy, BeatsRandomSearchOnAverage) {
  const int n = 100, seeds = 6;
  const double loc = mean_hypervolume(problem(), [](const StrategyContext& c) { return make_local_strategy({}, c); }, n, seeds);
  const double rnd = mean_hypervolume(problem(), [](const StrategyContext& c) { return make_random_strategy({}, c); }, n, seeds);
  EXPECT_GT(loc, rnd) << "local " << loc << " random " << rnd;
}
