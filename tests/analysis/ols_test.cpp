// Tests of fit_ols: a two-regressor model against statsmodels, exact small cases, errors.
#include "hwnas/analysis/ols.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include <gtest/gtest.h>

#include "analysis/statsmodels_ref.h"
#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"

using namespace hwnas::analysis;

TEST(Ols, ExactLineHasZeroErrorsAndUnitRSquared) {
  Eigen::MatrixXd X(4, 2);
  X << 1, 0, 1, 1, 1, 2, 1, 3;
  Eigen::VectorXd y(4);
  y << 1, 3, 5, 7;
  const OlsResult r = fit_ols(X, y, {"Intercept", "x"});
  EXPECT_NEAR(r.coef("Intercept").estimate, 1, 1e-14);
  EXPECT_NEAR(r.coef("x").estimate, 2, 1e-14);
  EXPECT_NEAR(r.coef("x").std_err, 0, 1e-7);
  EXPECT_NEAR(r.r_squared, 1, 1e-14);
  EXPECT_EQ(r.df_resid, 2);
  EXPECT_EQ(r.df_model, 1);
}

TEST(Ols, HandComputedSmallCase) {
  // x = 0,1,2, y = 0,2,1: slope 0.5, intercept 0.5, SSR 1.5, sigma^2 = 1.5, Sxx = 2, se(slope) = sqrt(0.75).
  Eigen::MatrixXd X(3, 2);
  X << 1, 0, 1, 1, 1, 2;
  Eigen::VectorXd y(3);
  y << 0, 2, 1;
  const OlsResult r = fit_ols(X, y, {"Intercept", "x"});
  EXPECT_NEAR(r.coef("x").estimate, 0.5, 1e-15);
  EXPECT_NEAR(r.coef("Intercept").estimate, 0.5, 1e-15);
  EXPECT_NEAR(r.ssr, 1.5, 1e-14);
  EXPECT_NEAR(r.coef("x").std_err, std::sqrt(0.75), 1e-14);
  EXPECT_NEAR(r.r_squared, 0.25, 1e-14);      // TSS = 2
  EXPECT_NEAR(r.adj_r_squared, -0.5, 1e-14);  // 1 - 2/1 * 0.75
  // HC1: residuals -0.5, 1, -0.5.
  const OlsResult h = fit_ols(X, y, {"Intercept", "x"}, CovType::HC1);
  EXPECT_FALSE(h.uses_t);
  // HC0 variance of the slope: sum (x - xbar)^2 e^2 / Sxx^2 = 0.5 / 4; HC1 scales by n / (n - p) = 3.
  EXPECT_NEAR(h.coef("x").std_err, std::sqrt(0.375), 1e-14);
}

TEST(Ols, MatchesStatsmodelsTwoRegressors) {
  hwnas::Rng rng(5);
  std::string csv = "a,b,y\n";
  Eigen::MatrixXd X(60, 3);
  Eigen::VectorXd y(60);
  for (int i = 0; i < 60; ++i) {
    const double a = rng.normal() * 3, b = rng.uniform() * 100;
    y(i) = 2 + 0.5 * a - 0.03 * b + rng.normal() * (1 + std::fabs(a));
    X.row(i) << 1, a, b;
    char buf[128];
    std::snprintf(buf, sizeof buf, "%.17g,%.17g,%.17g\n", a, b, y(i));
    csv += buf;
  }
  const std::string path = hwnas::test::scratch_dir() + "/ols.csv";
  hwnas::test::write_text(path, csv);
  for (bool robust : {false, true}) {
    const OlsResult r = fit_ols(X, y, {"Intercept", "a", "b"}, robust ? CovType::HC1 : CovType::NonRobust);
    auto ref = hwnas::test::statsmodels_ols({.csv = path, .formula = "y ~ a + b", .robust = robust, .joint = {"a", "b"}});
    if (!ref.available) GTEST_SKIP() << ref.why;
    const auto& j = ref.result;
    for (std::size_t i = 0; i < 3; ++i) {
      const Coefficient& c = r.coefficients[i];
      EXPECT_EQ(c.term, j["terms"][i]);
      EXPECT_LE(hwnas::test::rel_diff(c.estimate, j["coef"][i]), 1e-6) << c.term;
      EXPECT_LE(hwnas::test::rel_diff(c.std_err, j["se"][i]), 1e-6) << c.term;
      EXPECT_LE(hwnas::test::rel_diff(c.statistic, j["stat"][i]), 1e-6) << c.term;
      EXPECT_LE(hwnas::test::rel_diff(c.p_value, j["p"][i]), 1e-6) << c.term;
      EXPECT_LE(hwnas::test::rel_diff(c.ci_low, j["lo"][i]), 1e-6) << c.term;
      EXPECT_LE(hwnas::test::rel_diff(c.ci_high, j["hi"][i]), 1e-6) << c.term;
    }
    EXPECT_LE(hwnas::test::rel_diff(r.r_squared, j["r2"]), 1e-6);
    EXPECT_LE(hwnas::test::rel_diff(r.adj_r_squared, j["adj_r2"]), 1e-6);
    const auto t = r.joint_test({"a", "b"});
    EXPECT_LE(hwnas::test::rel_diff(t.statistic, j["joint_stat"]), 1e-6);
    EXPECT_LE(hwnas::test::rel_diff(t.p_value, j["joint_p"]), 1e-6);
  }
}

TEST(Ols, CombinationOfCoefficientsUsesCovariance) {
  hwnas::Rng rng(9);
  Eigen::MatrixXd X(30, 3);
  Eigen::VectorXd y(30);
  for (int i = 0; i < 30; ++i) {
    X.row(i) << 1, rng.normal(), rng.normal();
    y(i) = X(i, 1) + 2 * X(i, 2) + rng.normal();
  }
  const OlsResult r = fit_ols(X, y, {"Intercept", "a", "b"});
  Eigen::VectorXd w(3);
  w << 0, 1, 1;
  const Coefficient c = r.combination("a+b", w);
  EXPECT_DOUBLE_EQ(c.estimate, r.coef("a").estimate + r.coef("b").estimate);
  EXPECT_NEAR(c.std_err * c.std_err, r.covariance(1, 1) + r.covariance(2, 2) + 2 * r.covariance(1, 2), 1e-15);
  EXPECT_EQ(c.term, "a+b");
}

TEST(Ols, RankDeficientAndTooFewRowsAreUserErrors) {
  Eigen::MatrixXd X(4, 3);
  X << 1, 1, 2, 1, 2, 4, 1, 3, 6, 1, 4, 8;  // third column = 2 * second
  Eigen::VectorXd y(4);
  y << 1, 2, 3, 5;
  try {
    fit_ols(X, y, {"Intercept", "a", "b"});
    ADD_FAILURE();
  } catch (const hwnas::UserError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("the regression's columns are linearly dependent (rank 2 of 3): cannot estimate ", 0), 0u)
        << e.what();
  }
  try {
    fit_ols(X.topRows(2).leftCols(2), y.head(2), {"Intercept", "a"});
    ADD_FAILURE();
  } catch (const hwnas::UserError& e) {
    EXPECT_STREQ(e.what(), "too few rows to fit: 2 rows for 2 coefficients (need more rows than coefficients)");
  }
}

namespace {
std::string ols_error(const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  try {
    fit_ols(X, y, {"Intercept", "x"});
  } catch (const hwnas::UserError& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST(Ols, ConstantResponseHugeOrNonFiniteValuesAreUserErrors) {
  Eigen::MatrixXd X(4, 2);
  X << 1, 1, 1, 2, 1, 3, 1, 4;
  Eigen::VectorXd y(4);
  y << 5, 5, 5, 5;  // R-squared would be 0/0 and the t statistics 0/0 or c/0
  EXPECT_EQ(ols_error(X, y),
            "the response is the same in every row (5): R-squared and the t statistics are undefined for a constant "
            "response");
  y << 1e308, 1.5e308, 1.2e308, 1.7e308;  // sums of squares overflow
  EXPECT_EQ(ols_error(X, y),
            "the response has values up to 1.7e+308, too large for least squares in double precision (their squares "
            "overflow): rescale it (another unit) or fit logarithms");
  y << 1, 3, 2, 5;
  Eigen::MatrixXd big = X;
  big.col(1) *= 1e200;  // was reported as "linearly dependent" (the column norm overflowed)
  EXPECT_EQ(ols_error(big, y),
            "column 'x' has values up to 4e+200, too large for least squares in double precision (their squares "
            "overflow): rescale it (another unit) or fit logarithms");
  y(2) = std::numeric_limits<double>::infinity();
  EXPECT_EQ(ols_error(X, y), "the response is not a finite number in row 3 (inf)");
}

TEST(Ols, ExactFitIsFlaggedAndKeepsItsCoefficients) {
  // A 0/1 regressor with y constant within each group: every residual is exactly 0.
  Eigen::MatrixXd X(4, 2);
  X << 1, 0, 1, 0, 1, 1, 1, 1;
  Eigen::VectorXd y(4);
  y << 3, 3, 5, 5;
  const OlsResult r = fit_ols(X, y, {"Intercept", "d"});
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.ssr, 0);
  EXPECT_NEAR(r.coef("d").estimate, 2, 1e-14);
  EXPECT_EQ(r.coef("d").ci_low, r.coef("d").ci_high);
  // Noisy data are not exact.
  y << 3, 3.1, 5, 5;
  EXPECT_FALSE(fit_ols(X, y, {"Intercept", "d"}).exact);
}
