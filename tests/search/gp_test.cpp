#include "hwnas/search/gp.h"

#include <gtest/gtest.h>

#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"
#include "hwnas/nas/spaces/nb201.h"

using namespace hwnas;

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

// A smooth function of the decision vector: additive in the edges' ops.
double target(const Architecture& a) {
  static const double w[5] = {0.0, 0.3, 0.5, 1.0, 0.2};
  double s = 0;
  for (std::size_t e = 0; e < a.choices.size(); ++e) s += w[a.choices[e]] * (1.0 + 0.1 * e);
  return s;
}

// n random architectures drawn from rng, and their targets.
struct Data {
  std::vector<Architecture> archs;
  Eigen::VectorXd y;
};
Data sampled_with_targets(const SearchSpace& space, Rng& rng, int n) {
  Data d;
  for (int i = 0; i < n; ++i) d.archs.push_back(space.sample(rng));
  d.y.resize(n);
  for (int i = 0; i < n; ++i) d.y[i] = target(d.archs[i]);
  return d;
}
}  // namespace

TEST(Gp, OneHotEncodesEveryDecision) {
  Nb201Space space(Nb201Options{});
  Architecture a{{0, 1, 2, 3, 4, 0}};
  Eigen::MatrixXd X = one_hot(space, {a});
  ASSERT_EQ(X.cols(), 30);
  EXPECT_EQ(X.sum(), 6.0);
  EXPECT_EQ(X(0, 0), 1.0);
  EXPECT_EQ(X(0, 5 + 1), 1.0);
  EXPECT_EQ(X(0, 25 + 0), 1.0);
}

TEST(Gp, InterpolatesWithSmallVarianceAtDataAndGeneralizes) {
  Nb201Space space(Nb201Options{});
  Rng rng(1);
  std::vector<Architecture> train, test;
  for (int i = 0; i < 150; ++i) train.push_back(space.sample(rng));
  for (int i = 0; i < 100; ++i) test.push_back(space.sample(rng));
  Eigen::VectorXd y(150);
  for (int i = 0; i < 150; ++i) y[i] = target(train[i]);
  GaussianProcess gp;
  gp.fit(one_hot(space, train), y);
  const GpPrediction at = gp.predict(one_hot(space, train));
  EXPECT_LT((at.mean - y).cwiseAbs().maxCoeff(), 0.1);
  const GpPrediction out = gp.predict(one_hot(space, test));
  double err = 0, var_out = 0;
  for (int i = 0; i < 100; ++i) err += std::abs(out.mean[i] - target(test[i])) / 100;
  var_out = out.variance.mean();
  EXPECT_LT(err, 0.25);  // target spans about 0..6.9
  EXPECT_LT(at.variance.mean(), var_out);
  // predict_one agrees with the batched prediction.
  Eigen::VectorXd row;
  one_hot_into(space, test[3], row);
  double v = 0;
  EXPECT_NEAR(gp.predict_one(row, &v), out.mean[3], 1e-9);
  EXPECT_NEAR(v, out.variance[3], 1e-9);
}

TEST(Gp, AppendEqualsRefit) {
  Nb201Space space(Nb201Options{});
  Rng rng(2);
  std::vector<Architecture> archs;
  for (int i = 0; i < 60; ++i) archs.push_back(space.sample(rng));
  Eigen::VectorXd y(60);
  for (int i = 0; i < 60; ++i) y[i] = target(archs[i]) + 0.01 * i;
  const Eigen::MatrixXd X = one_hot(space, archs);
  GaussianProcess a, b;
  a.fit(X.topRows(40), y.head(40));
  b.fit(X.topRows(40), y.head(40));
  a.append(X.bottomRows(20), y);
  b.refit_same_hyperparameters(X, y);
  const Eigen::MatrixXd Xs = one_hot(space, {space.sample(rng), space.sample(rng), archs[50]});
  const GpPrediction pa = a.predict(Xs), pb = b.predict(Xs);
  EXPECT_LT((pa.mean - pb.mean).cwiseAbs().maxCoeff(), 1e-8);
  EXPECT_LT((pa.variance - pb.variance).cwiseAbs().maxCoeff(), 1e-8);
}

TEST(Gp, BelievedPointKeepsTheMeanAndShrinksTheVarianceNearIt) {
  Nb201Space space(Nb201Options{});
  Rng rng(3);
  const auto [archs, y] = sampled_with_targets(space, rng, 40);
  GaussianProcess gp;
  gp.fit(one_hot(space, archs), y);
  const Architecture pending = space.sample(rng);
  Architecture near = pending, far;
  near.choices[0] = (near.choices[0] + 1) % 5;  // one decision apart
  for (std::size_t e = 0; e < pending.choices.size(); ++e) far.choices.push_back((pending.choices[e] + 2) % 5);
  const Eigen::MatrixXd Xs = one_hot(space, {pending, near, far});
  const GpPrediction before = gp.predict(Xs);
  Eigen::VectorXd row;
  one_hot_into(space, pending, row);
  ASSERT_TRUE(gp.append_believed(row));
  EXPECT_EQ(gp.size(), 41);
  const GpPrediction after = gp.predict(Xs);
  // Conditioning on the predicted value moves the mean nowhere.
  EXPECT_LT((after.mean - before.mean).cwiseAbs().maxCoeff(), 1e-9);
  // The variance collapses at the pending point, shrinks next to it, and less far away.
  EXPECT_LT(after.variance[0], 0.01 * before.variance[0]);
  EXPECT_LT(after.variance[1], 0.9 * before.variance[1]);
  EXPECT_LT(before.variance[1] - after.variance[1], before.variance[0] - after.variance[0]);
  EXPECT_LE(after.variance[2], before.variance[2] + 1e-12);
  EXPECT_GT(after.variance[2], 0.9 * before.variance[2]);
  // Forgetting it gives back the GP it was, exactly; real data then appends as before.
  EXPECT_EQ(gp.believed(), 1);
  gp.forget_believed();
  EXPECT_EQ(gp.size(), 40);
  const GpPrediction again = gp.predict(Xs);
  EXPECT_EQ(again.mean, before.mean);
  EXPECT_EQ(again.variance, before.variance);
  ASSERT_TRUE(gp.append_believed(row));
  Eigen::VectorXd y41(41);
  y41 << y, target(pending);
  gp.append(one_hot(space, {pending}), y41);  // drops the belief first
  EXPECT_EQ(gp.size(), 41);
  EXPECT_EQ(gp.believed(), 0);
  EXPECT_NEAR(gp.predict(Xs).mean[0], target(pending), 0.05);
}

TEST(Gp, FitIsDeterministicAndPicksFromTheGrid) {
  Nb201Space space(Nb201Options{});
  Rng rng(3);
  const auto [archs, y] = sampled_with_targets(space, rng, 50);
  GpOptions o;
  GaussianProcess a(o), b(o);
  a.fit(one_hot(space, archs), y);
  b.fit(one_hot(space, archs), y);
  EXPECT_EQ(a.length_scale(), b.length_scale());
  EXPECT_EQ(a.noise_ratio(), b.noise_ratio());
  EXPECT_NE(std::find(o.length_scales.begin(), o.length_scales.end(), a.length_scale()), o.length_scales.end());
  // Pure noise prefers a large noise ratio.
  Eigen::VectorXd noise(50);
  for (int i = 0; i < 50; ++i) noise[i] = rng.normal();
  GaussianProcess c(o);
  c.fit(one_hot(space, archs), noise);
  EXPECT_EQ(c.noise_ratio(), o.noise_ratios.back());
}

TEST(Gp, ConstantTargetsAndRbfKernel) {
  Nb201Space space(Nb201Options{});
  Rng rng(4);
  std::vector<Architecture> archs{space.sample(rng), space.sample(rng), space.sample(rng)};
  GpOptions o;
  o.kernel = "rbf";
  GaussianProcess gp(o);
  gp.fit(one_hot(space, archs), Eigen::VectorXd::Constant(3, 2.5));
  const GpPrediction p = gp.predict(one_hot(space, {space.sample(rng)}));
  EXPECT_NEAR(p.mean[0], 2.5, 1e-9);
  EXPECT_TRUE(std::isfinite(p.variance[0]));
}

TEST(Gp, MatchesTheTextbookFormulasForBothKernels) {
  // The vectorized kernel (every entry, the odd tail included, through Eigen's packet exp), the
  // linear trend and the right-hand triangular solve against a plain reference: K from the
  // kernel's formula plus w (x - c).(x' - c) / mean |x_i - c|^2 (c the mean training row), C = K +
  // noise I, mean = k^T C^-1 ys, variance = (k(x, x) - k^T C^-1 k) s^2 with s^2 = ys^T C^-1 ys / n,
  // in the units of y. 37 points, 11 predictions: both odd.
  Nb201Space space(Nb201Options{});
  Rng rng(6);
  const auto [archs, y] = sampled_with_targets(space, rng, 48);
  const Eigen::MatrixXd X = one_hot(space, archs) * 0.83;  // non-integer squared distances
  const Eigen::MatrixXd train = X.topRows(37), test = X.bottomRows(11);
  const Eigen::VectorXd yt = y.head(37);
  const int n = 37;
  const Eigen::VectorXd c = train.colwise().mean().transpose();
  double spread = 0;
  for (int i = 0; i < n; ++i) spread += (train.row(i).transpose() - c).squaredNorm() / n;
  for (const std::string kernel : {"matern52", "rbf"}) {
    for (const double w : {0.0, 0.7}) {
      GpOptions o;
      o.kernel = kernel;
      o.length_scales = {1.7};
      o.noise_ratios = {1e-2};
      o.linear_weights = {w};
      GaussianProcess gp(o);
      gp.fit(train, yt);
      EXPECT_EQ(gp.linear_weight(), w);
      auto k = [&](const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
        const double d2 = (a - b).squaredNorm();
        const double lin = w * (a - c).dot(b - c) / spread;
        if (kernel == "rbf") return std::exp(-0.5 * d2 / (1.7 * 1.7)) + lin;
        const double r = std::sqrt(5.0 * d2) / 1.7;
        return (1.0 + r + r * r / 3.0) * std::exp(-r) + lin;
      };
      Eigen::MatrixXd C(n, n);
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) C(i, j) = k(train.row(i), train.row(j)) + (i == j ? 1e-2 : 0.0);
      const double mean = yt.mean(), sd = std::sqrt((yt.array() - mean).square().mean());
      const Eigen::VectorXd ys = (yt.array() - mean) / sd;
      const Eigen::LLT<Eigen::MatrixXd> llt(C);
      const Eigen::VectorXd alpha = llt.solve(ys);
      const double s2 = ys.dot(alpha) / n;
      const GpPrediction p = gp.predict(test);
      for (int t = 0; t < 11; ++t) {
        Eigen::VectorXd ks(n);
        for (int i = 0; i < n; ++i) ks[i] = k(test.row(t), train.row(i));
        const double prior = k(test.row(t), test.row(t));
        EXPECT_NEAR(p.mean[t], ks.dot(alpha) * sd + mean, 1e-9) << kernel << " w " << w << " " << t;
        EXPECT_NEAR(p.variance[t], (prior - ks.dot(llt.solve(ks))) * s2 * sd * sd, 1e-9) << kernel << " w " << w << " " << t;
        double one_var = 0;
        EXPECT_NEAR(gp.predict_one(test.row(t).transpose(), &one_var), p.mean[t], 1e-9);
        EXPECT_NEAR(one_var, p.variance[t], 1e-9);
      }
    }
  }
}

TEST(Gp, ALinearTrendCarriesThePredictionBeyondTheData) {
  // A target that grows with the number of conv3x3 edges, fitted on cells with at most two of
  // them: far from the data the stationary kernel falls back to the mean, the linear trend (chosen
  // by the marginal likelihood) follows the trend to cells with five or six.
  Nb201Space space(Nb201Options{});
  Rng rng(12);
  const auto convs = [](const Architecture& a) {
    return static_cast<double>(std::count(a.choices.begin(), a.choices.end(), 3));
  };
  std::vector<Architecture> train, far;
  while (train.size() < 40 || far.size() < 20) {
    const Architecture a = space.sample(rng);
    if (convs(a) <= 2 && train.size() < 40) train.push_back(a);
    if (convs(a) >= 5 && far.size() < 20) far.push_back(a);
    if (train.size() == 40 && far.size() < 20) {  // rare by sampling: make some
      Architecture b = space.sample(rng);
      for (int e = 0; e < 5; ++e) b.choices[static_cast<std::size_t>(e)] = 3;
      far.push_back(b);
    }
  }
  Eigen::VectorXd y(40);
  for (int i = 0; i < 40; ++i) y[i] = target(train[static_cast<std::size_t>(i)]) + 2.0 * convs(train[static_cast<std::size_t>(i)]);
  auto error_far = [&](const GpOptions& o, double* weight) {
    GaussianProcess gp(o);
    gp.fit(one_hot(space, train), y);
    *weight = gp.linear_weight();
    const GpPrediction p = gp.predict(one_hot(space, far));
    double e = 0;
    for (std::size_t i = 0; i < far.size(); ++i)
      e += std::abs(p.mean[static_cast<Eigen::Index>(i)] - (target(far[i]) + 2.0 * convs(far[i]))) / far.size();
    return e;
  };
  GpOptions with, without;
  without.linear_weights = {0.0};
  double w_with = -1, w_without = -1;
  const double e_with = error_far(with, &w_with), e_without = error_far(without, &w_without);
  EXPECT_EQ(w_with, 1.0);
  EXPECT_EQ(w_without, 0.0);
  EXPECT_LT(e_with, 0.5 * e_without) << e_with << " vs " << e_without;
  // Bad weights name the field.
  EXPECT_EQ(error_of([] { GpOptions::from_json({{"linear_weights", {0, -1}}}, "s.gp"); }),
            "s.gp.linear_weights[1]: expected a number >= 0, got -1");
}

TEST(Gp, OptionsAreReadStrictly) {
  EXPECT_EQ(error_of([] { GpOptions::from_json({{"max_points", 2}}, "s.gp"); }),
            "s.gp.max_points: expected an integer in 8..4096, got 2");
  EXPECT_EQ(error_of([] { GpOptions::from_json({{"length_scales", nlohmann::json::array()}}, "s.gp"); }),
            "s.gp.length_scales: expected at least one value");
  EXPECT_EQ(GpOptions::from_json(nullptr, "s.gp").to_json(), GpOptions{}.to_json());
}

TEST(Gp, TwoPartRowsGetTheShareTheTargetNeeds) {
  // Rows of two parts (as ArchEncoder's layers+onehot: each part scaled to half the squared
  // distance). A target of the first part alone should be fitted with the largest share of the
  // distance on it, a target of the second part alone with the smallest.
  Rng rng(5);
  const int n = 60, a = 6, b = 6;
  Eigen::MatrixXd X(n, a + b);
  for (int i = 0; i < X.size(); ++i) X.data()[i] = std::sqrt(0.5) * (rng.uniform() < 0.5 ? 0.0 : 1.0);
  Eigen::VectorXd of_first(n), of_second(n);
  for (int i = 0; i < n; ++i) {
    of_first[i] = std::sin(3 * X(i, 0)) + X(i, 1) * X(i, 2) * 4 - X(i, 3);
    of_second[i] = std::sin(3 * X(i, a)) + X(i, a + 1) * X(i, a + 2) * 4 - X(i, a + 3);
  }
  const auto share_of_first = [&](const Eigen::RowVectorXd& sc) { return sc[0] * sc[0] / 2; };
  GaussianProcess g1, g2;
  const Eigen::RowVectorXd s1 = fit_two_parts(g1, X, of_first, a);
  const Eigen::RowVectorXd s2 = fit_two_parts(g2, X, of_second, a);
  EXPECT_NEAR(share_of_first(s1), 0.9, 1e-12);
  EXPECT_NEAR(share_of_first(s2), 0.1, 1e-12);
  EXPECT_NEAR(s1[a] * s1[a] / 2, 0.1, 1e-12);
  // The kept fit is the one on the scaled rows: refitting them with that share alone gives it.
  GpOptions one;
  one.onehot_shares = {0.9};
  GaussianProcess again(one);
  const Eigen::RowVectorXd s3 = fit_two_parts(again, X, of_first, a);
  EXPECT_EQ(s3, s1);
  EXPECT_EQ(again.log_marginal_likelihood(), g1.log_marginal_likelihood());
  const Eigen::MatrixXd Xs = (X.array().rowwise() * s1.array()).matrix();
  EXPECT_EQ(again.predict(Xs).mean, g1.predict(Xs).mean);
  // Bad shares name the field.
  EXPECT_EQ(error_of([] { GpOptions::from_json({{"onehot_shares", {0.5, 1.5}}}, "s.gp"); }),
            "s.gp.onehot_shares[1]: expected a number in (0, 1], got 1.5");
}
