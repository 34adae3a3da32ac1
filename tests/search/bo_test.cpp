#include <gtest/gtest.h>

#include "hwnas/search/strategies.h"
#include "search/nb201_problem.h"

using namespace hwnas;
using namespace hwnas::testing;


TEST(BoStrategy, BeatsRandomSearchOnAverage) {
  const int n = 60, seeds = 5;
  const double bo = mean_hypervolume(problem(), [](const StrategyContext& c) { return make_bo_strategy({}, c); }, n, seeds);
  const double rnd = mean_hypervolume(problem(), [](const StrategyContext& c) { return make_random_strategy({}, c); }, n, seeds);
  EXPECT_GT(bo, rnd + 0.01) << "bo " << bo << " random " << rnd;
}

TEST(BoStrategy, ParEgoAcquisitionAlsoBeatsRandom) {
  BoOptions o;
  o.acquisition = "parego";
  const int n = 60, seeds = 5;
  const double bo = mean_hypervolume(problem(), [&](const StrategyContext& c) { return make_bo_strategy(o, c); }, n, seeds);
  const double rnd = mean_hypervolume(problem(), [](const StrategyContext& c) { return make_random_strategy({}, c); }, n, seeds);
  EXPECT_GT(bo, rnd) << "parego " << bo << " random " << rnd;
}

TEST(BoStrategy, BatchProposalsAreDistinctAndDeterministic) {
  auto a = make_bo_strategy({}, problem().context(5));
  auto b = make_bo_strategy({}, problem().context(5));
  const auto ta = run_strategy(*a, problem(), 40, 8);
  const auto tb = run_strategy(*b, problem(), 40, 8);
  EXPECT_EQ(ta.proposals, tb.proposals);
  std::set<std::uint64_t> h;
  for (const auto& x : ta.proposals) EXPECT_TRUE(h.insert(problem().space().canonical_hash(x)).second);
}

TEST(BoStrategy, AllObjectivesCheapNeedsNoGp) {
  // Both objectives exact: the strategy ranks candidates by exact hypervolume improvement.
  const auto& p = problem();
  StrategyContext c = p.context(3);
  c.is_cheap = {true, true};
  c.cheap = [&p](const Architecture& a) -> std::optional<std::vector<double>> { return p.objectives(a); };
  auto s = make_bo_strategy({}, c);
  auto t = run_strategy(*s, p, 40);
  EXPECT_EQ(t.proposals.size(), 40u);
  EXPECT_GT(t.hypervolume.back(), 0.9 * p.true_hypervolume());
}

TEST(BoStrategy, FourObjectivesUseParEgo) {
  // Duplicate the two objectives into four (all expensive): must run and improve on its start.
  const auto& p = problem();
  StrategyContext c;
  c.space = &p.space();
  c.num_objectives = 4;
  c.seed = 1;
  BoOptions o;
  o.mc_samples = 8;
  auto s = make_bo_strategy(o, c);
  for (int i = 0; i < 30; ++i) {
    auto b = s->ask(2);
    ASSERT_EQ(b.size(), 2u);
    std::vector<Observation> obs;
    for (auto& a : b) {
      auto v = p.objectives(a);
      obs.push_back({a, {v[0], v[1], v[0] * 2, v[1] + v[0]}, true});
    }
    s->tell(obs);
  }
}
