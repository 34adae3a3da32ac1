#include "hwnas/search/ensemble.h"

#include <gtest/gtest.h>

#include <cmath>

#include "hwnas/core/rank_stats.h"
#include "hwnas/core/rng.h"
#include "hwnas/nas/spaces/nb201.h"
#include "hwnas/search/strategies.h"
#include "search/nb201_problem.h"
#include "support/errors.h"

using namespace hwnas;
using hwnas::test::error_of;
using hwnas::testing::problem;
using hwnas::testing::run_strategy;

namespace {
// The additive target of gp_test.cpp: smooth in the decision vector.
double target(const Architecture& a) {
  static const double w[5] = {0.0, 0.3, 0.5, 1.0, 0.2};
  double s = 0;
  for (std::size_t e = 0; e < a.choices.size(); ++e) s += w[a.choices[e]] * (1.0 + 0.1 * e);
  return s;
}

struct Data {
  std::vector<Architecture> train, test;
  Eigen::VectorXd y;
};
Data data(int n_train, int n_test) {
  static const Nb201Space space{Nb201Options{}};
  Rng rng(1);
  Data d;
  for (int i = 0; i < n_train; ++i) d.train.push_back(space.sample(rng));
  for (int i = 0; i < n_test; ++i) d.test.push_back(space.sample(rng));
  d.y.resize(n_train);
  for (int i = 0; i < n_train; ++i) d.y[i] = target(d.train[i]);
  return d;
}
const Nb201Space& nb201() {
  static const Nb201Space s{Nb201Options{}};
  return s;
}
}  // namespace

TEST(Ensemble, LearnsAnAdditiveTargetAndItsMembersAgreeMoreAtTheData) {
  const Data d = data(100, 200);
  MlpEnsemble e;
  EXPECT_FALSE(e.fitted());
  e.fit(one_hot(nb201(), d.train), d.y);
  ASSERT_TRUE(e.fitted());
  const GpPrediction at = e.predict(one_hot(nb201(), d.train));
  const GpPrediction out = e.predict(one_hot(nb201(), d.test));
  std::vector<double> pred(out.mean.data(), out.mean.data() + out.mean.size()), truth;
  for (const auto& a : d.test) truth.push_back(target(a));
  EXPECT_GT(spearman(pred, truth), 0.9);
  EXPECT_LT((at.mean - d.y).cwiseAbs().mean(), 0.1);  // target spans about 0..6.9
  // The spread of the members is the uncertainty: smaller where they were trained.
  EXPECT_GT(out.variance.minCoeff(), 0.0);
  EXPECT_LT(at.variance.mean(), out.variance.mean());
  // predict_one agrees with the batched prediction.
  Eigen::VectorXd row;
  one_hot_into(nb201(), d.test[3], row);
  double v = 0;
  EXPECT_NEAR(e.predict_one(row, &v), out.mean[3], 1e-9);
  EXPECT_NEAR(v, out.variance[3], 1e-9);
}

TEST(Ensemble, FitIsDeterministicAndAWarmUpdateLearnsNewData) {
  const Data d = data(60, 40);
  const Eigen::MatrixXd X = one_hot(nb201(), d.train);
  MlpEnsemble a, b;
  a.fit(X, d.y);
  b.fit(X, d.y);
  const Eigen::MatrixXd T = one_hot(nb201(), d.test);
  EXPECT_EQ(a.predict(T).mean, b.predict(T).mean);
  EXPECT_EQ(a.predict(T).variance, b.predict(T).variance);
  // The 40 new points, labelled 3 higher than the target: the warm update (old rows first) moves
  // the predictions there towards them.
  Eigen::MatrixXd X2(100, X.cols());
  X2 << X, T;
  Eigen::VectorXd y2(100);
  y2.head(60) = d.y;
  for (int i = 0; i < 40; ++i) y2[60 + i] = target(d.test[i]) + 3.0;
  const double before = (a.predict(T).mean - y2.tail(40)).cwiseAbs().mean();
  EnsembleOptions o;
  o.warm_epochs = 100;
  MlpEnsemble c(o);
  c.fit(X, d.y);
  c.update(X2, y2);
  const double after = (c.predict(T).mean - y2.tail(40)).cwiseAbs().mean();
  EXPECT_LT(after, 0.5 * before) << before << " -> " << after;
}

TEST(Ensemble, OptionsAreReadStrictly) {
  EXPECT_EQ(error_of([] { EnsembleOptions::from_json({{"members", 1}}, "s.ensemble"); }),
            "s.ensemble.members: expected an integer in 2..100, got 1");
  EXPECT_EQ(EnsembleOptions::from_json(nullptr, "s.ensemble").to_json(), EnsembleOptions{}.to_json());
  const auto ctx = problem().context(1);
  EXPECT_NE(error_of([&] { make_strategy("bo", {{"model", "ensembles"}}, ctx); }).find("strategy.options.model"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { make_strategy("mcts", {{"model", "ensemble"}, {"ensemble", {{"width", 0}}}}, ctx); }),
            "strategy.options.ensemble.width: expected an integer in 1..1024, got 0");
}

TEST(Ensemble, BoAndMctsUseItDeterministicallyAndItChangesTheirProposals) {
  const nlohmann::json small = {{"model", "ensemble"}, {"ensemble", {{"members", 3}, {"epochs", 60}, {"warm_epochs", 10}}}};
  for (const std::string name : {"bo", "mcts"}) {
    nlohmann::json o = small;
    if (name == "mcts") o["simulations"] = 50;
    auto a = make_strategy(name, o, problem().context(7));
    auto b = make_strategy(name, o, problem().context(7));
    const auto ta = run_strategy(*a, problem(), 25);
    EXPECT_EQ(ta.proposals, run_strategy(*b, problem(), 25).proposals) << name;
    o.erase("model");
    o.erase("ensemble");
    auto gp = make_strategy(name, o, problem().context(7));
    const auto tg = run_strategy(*gp, problem(), 25);
    // The initial design (initial_random proposals) is the same; the model picks the rest.
    const int design = name == "bo" ? BoOptions{}.initial_random : MctsOptions{}.initial_random;
    EXPECT_EQ(std::vector<Architecture>(ta.proposals.begin(), ta.proposals.begin() + design),
              std::vector<Architecture>(tg.proposals.begin(), tg.proposals.begin() + design));
    EXPECT_NE(ta.proposals, tg.proposals) << name;
  }
}

TEST(Ensemble, BoWithTheEnsembleBeatsRandomSearch) {
  const nlohmann::json o = {{"model", "ensemble"}, {"ensemble", {{"members", 3}, {"epochs", 100}}}};
  const int n = 60, seeds = 5;
  const double bo = hwnas::testing::mean_hypervolume(
      problem(), [&](const StrategyContext& c) { return make_strategy("bo", o, c); }, n, seeds);
  const double rnd = hwnas::testing::mean_hypervolume(
      problem(), [](const StrategyContext& c) { return make_random_strategy({}, c); }, n, seeds);
  EXPECT_GT(bo, rnd + 0.01) << "bo (ensemble) " << bo << " random " << rnd;
}
