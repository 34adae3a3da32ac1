#include "hwnas/search/strategy.h"

#include <gtest/gtest.h>

#include <set>

#include "hwnas/core/error.h"
#include "hwnas/search/strategies.h"
#include "search/nb201_problem.h"
#include "support/errors.h"

using namespace hwnas;
using hwnas::testing::Nb201Problem;
using hwnas::testing::run_strategy;
using hwnas::testing::problem;
using hwnas::test::error_of;

namespace {


// Small option sets so that the property tests stay fast.
nlohmann::json fast_options(const std::string& name) {
  if (name == "bo") return {{"initial_random", 8}, {"random_candidates", 40}, {"mutation_candidates", 40}, {"mc_samples", 16}};
  if (name == "mcts") return {{"initial_random", 8}, {"simulations", 60}};
  if (name == "evolution") return {{"population", 12}, {"sample_size", 4}};
  return nlohmann::json::object();
}

class EveryStrategy : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST(Strategy, NamesListTheBuiltIns) {
  EXPECT_EQ(strategy_names(), (std::vector<std::string>{"random", "evolution", "local", "bo", "mcts"}));
}

TEST(Strategy, UnknownNameListsTheKnownOnes) {
  const auto ctx = problem().context(1);
  EXPECT_EQ(error_of([&] { make_strategy("annealing", nullptr, ctx); }),
            "strategy.name: unknown strategy \"annealing\" (known: random, evolution, local, bo, mcts)");
}

TEST(Strategy, UnknownOptionKeyIsAnError) {
  const auto ctx = problem().context(1);
  EXPECT_EQ(error_of([&] { make_strategy("evolution", {{"populaton", 10}}, ctx); }),
            "strategy.options.populaton: unknown key; did you mean 'population'? (expected one of: enumerate_limit, max_retries, population, "
            "sample_size)");
  EXPECT_EQ(error_of([&] { make_strategy("bo", {{"gp", {{"kernal", "rbf"}}}}, ctx); }),
            "strategy.options.gp.kernal: unknown key; did you mean 'kernel'? (expected one of: kernel, length_scales, linear_weights, max_points, noise_ratios, onehot_shares)");
}

TEST(Strategy, BadOptionValuesNameTheField) {
  const auto ctx = problem().context(1);
  EXPECT_EQ(error_of([&] { make_strategy("evolution", {{"population", 10}, {"sample_size", 20}}, ctx); }),
            "strategy.options.sample_size: expected an integer in 1..10 (the population), got 20");
  EXPECT_EQ(error_of([&] { make_strategy("bo", {{"acquisition", "ei"}}, ctx); }),
            "strategy.options.acquisition: expected \"auto\", \"ehvi\" or \"parego\", got \"ei\"");
  EXPECT_EQ(error_of([&] { make_strategy("mcts", {{"gp", {{"kernel", "linear"}}}}, ctx); }),
            "strategy.options.gp.kernel: expected \"matern52\" or \"rbf\", got \"linear\"");
  EXPECT_EQ(error_of([&] { make_strategy("random", {{"max_retries", "many"}}, ctx); }),
            "strategy.options.max_retries: expected an integer, got string \"many\"");
}

TEST(Strategy, DefaultsValidateAndRoundTrip) {
  EXPECT_NO_THROW(RandomOptions{}.validate());
  EXPECT_NO_THROW(EvolutionOptions{}.validate());
  EXPECT_NO_THROW(LocalOptions{}.validate());
  EXPECT_NO_THROW(BoOptions{}.validate());
  EXPECT_NO_THROW(MctsOptions{}.validate());
  EXPECT_NO_THROW(GpOptions{}.validate());
  EXPECT_EQ(BoOptions::from_json(BoOptions{}.to_json(), "x").to_json(), BoOptions{}.to_json());
  EXPECT_EQ(MctsOptions::from_json(MctsOptions{}.to_json(), "x").to_json(), MctsOptions{}.to_json());
  EXPECT_EQ(EvolutionOptions::from_json(EvolutionOptions{}.to_json(), "x").to_json(), EvolutionOptions{}.to_json());
}

TEST(Strategy, MissingSpaceIsAUserError) {
  StrategyContext ctx;
  ctx.num_objectives = 2;
  EXPECT_EQ(error_of([&] { make_strategy("random", nullptr, ctx); }), "strategy random: no search space given");
}

TEST_P(EveryStrategy, SameSeedSameProposals) {
  const auto& p = problem();
  const auto ctx = p.context(7);
  auto a = make_strategy(GetParam(), fast_options(GetParam()), ctx);
  auto b = make_strategy(GetParam(), fast_options(GetParam()), ctx);
  const auto ta = run_strategy(*a, p, 40, 3);
  const auto tb = run_strategy(*b, p, 40, 3);
  EXPECT_EQ(ta.proposals, tb.proposals);
  auto c = make_strategy(GetParam(), fast_options(GetParam()), p.context(8));
  EXPECT_NE(run_strategy(*c, p, 40, 3).proposals, ta.proposals);
}

TEST_P(EveryStrategy, NeverProposesTwiceOrBreaksAConstraint) {
  const auto& p = problem();
  const double max_params = 400000;  // about half of the cells are larger
  const auto ctx = p.context(3, max_params);
  auto s = make_strategy(GetParam(), fast_options(GetParam()), ctx);
  const auto t = run_strategy(*s, p, 60, 4);
  ASSERT_EQ(t.proposals.size(), 60u);
  std::set<std::uint64_t> seen;
  for (const auto& a : t.proposals) {
    EXPECT_LE(p.params(a), max_params);
    EXPECT_TRUE(seen.insert(p.space().canonical_hash(a)).second) << a.vector_string();
  }
}

TEST_P(EveryStrategy, SurvivesFailedObservations) {
  const auto& p = problem();
  auto s = make_strategy(GetParam(), fast_options(GetParam()), p.context(5));
  // Two thirds of the evaluations fail (including the whole start), the rest succeed.
  int k = 0;
  const auto t = run_strategy(*s, p, 45, 2, [&](const Architecture&) { return (k++ % 3) != 2; });
  EXPECT_EQ(t.proposals.size(), 45u);
  auto all_fail = make_strategy(GetParam(), fast_options(GetParam()), p.context(5));
  EXPECT_EQ(run_strategy(*all_fail, p, 30, 3, [](const Architecture&) { return true; }).proposals.size(), 30u);
}

TEST_P(EveryStrategy, ExhaustsASmallSpaceExactlyOnce) {
  Nb201Options o;
  o.ops = {"none", "skip_connect"};
  Nb201Space space(o);
  std::set<std::uint64_t> distinct;
  space.enumerate([&](const Architecture& a) { distinct.insert(space.canonical_hash(a)); });
  StrategyContext ctx;
  ctx.space = &space;
  ctx.num_objectives = 2;
  ctx.is_cheap = {false, true};
  ctx.seed = 11;
  ctx.cheap = [&](const Architecture& a) -> std::optional<std::vector<double>> {
    return std::vector<double>{std::nan(""), static_cast<double>(space.count(a).params)};
  };
  auto s = make_strategy(GetParam(), fast_options(GetParam()), ctx);
  std::set<std::uint64_t> got;
  for (int round = 0; round < 100; ++round) {
    auto batch = s->ask(5);
    if (batch.empty()) break;
    std::vector<Observation> obs;
    for (auto& a : batch) {
      EXPECT_TRUE(got.insert(space.canonical_hash(a)).second);
      int convs = 0;
      for (int c : a.choices) convs += c;
      obs.push_back({a, {1.0 / (1 + convs), static_cast<double>(space.count(a).params)}, true});
    }
    s->tell(obs);
  }
  EXPECT_EQ(got, distinct);
  EXPECT_TRUE(s->ask(3).empty());
}

INSTANTIATE_TEST_SUITE_P(All, EveryStrategy, ::testing::Values("random", "evolution", "local", "bo", "mcts"),
                         [](const auto& info) { return info.param; });
