#include "hwnas/analysis/ols.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "hwnas/analysis/distributions.h"
#include "hwnas/core/error.h"

namespace hwnas::analysis {

std::string to_string(CovType c) { return c == CovType::HC1 ? "HC1" : "nonrobust"; }

std::size_t OlsResult::index(const std::string& term) const {
  for (std::size_t i = 0; i < coefficients.size(); ++i)
    if (coefficients[i].term == term) return i;
  HWNAS_CHECK(false, "no term '" + term + "' in the regression");
}

const Coefficient& OlsResult::coef(const std::string& term) const { return coefficients[index(term)]; }

namespace {
// Fills statistic, p-value and interval from estimate and std_err.
void infer(Coefficient& c, bool uses_t, double df) {
  c.statistic = c.estimate / c.std_err;
  if (uses_t) {
    c.p_value = t_two_sided_p(c.statistic, df);
    const double q = t_quantile(0.975, df);
    c.ci_low = c.estimate - q * c.std_err;
    c.ci_high = c.estimate + q * c.std_err;
  } else {
    c.p_value = normal_two_sided_p(c.statistic);
    const double q = normal_quantile(0.975);
    c.ci_low = c.estimate - q * c.std_err;
    c.ci_high = c.estimate + q * c.std_err;
  }
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void check_finite(const OlsResult& r) {
  std::string bad;
  auto check = [&](double v, const std::string& what) {
    if (!std::isfinite(v) && bad.empty()) bad = what + " is " + number_text(v);
  };
  check(r.ssr, "the sum of squared residuals");
  check(r.r_squared, "R-squared");
  check(r.adj_r_squared, "adjusted R-squared");
  for (const Coefficient& c : r.coefficients) {
    const std::string of = " of " + c.term;
    check(c.estimate, "the coefficient" + of);
    check(c.std_err, "the standard error" + of);
    check(c.statistic, "the statistic" + of);
    check(c.p_value, "the p-value" + of);
    check(c.ci_low, "the interval" + of);
    check(c.ci_high, "the interval" + of);
  }
  if (!bad.empty())
    throw UserError("the fit's statistics are not finite (" + bad +
                    "): the values are too large or too far apart for double precision; rescale the columns or fit "
                    "logarithms");
}

}  // namespace

Coefficient OlsResult::combination(const std::string& name, const Eigen::VectorXd& weights) const {
  HWNAS_CHECK(weights.size() == covariance.rows(), "combination weights must have one entry per coefficient");
  Coefficient c;
  c.term = name;
  for (std::size_t i = 0; i < coefficients.size(); ++i) c.estimate += weights(static_cast<Eigen::Index>(i)) * coefficients[i].estimate;
  c.std_err = std::sqrt(std::max(0.0, weights.dot(covariance * weights)));
  infer(c, uses_t, df_resid);
  return c;
}

OlsResult::JointTest OlsResult::joint_test(const std::vector<std::string>& terms) const {
  HWNAS_CHECK(!terms.empty(), "a joint test needs at least one term");
  const auto q = static_cast<Eigen::Index>(terms.size());
  Eigen::VectorXd b(q);
  Eigen::MatrixXd V(q, q);
  std::vector<std::size_t> idx;
  for (const auto& t : terms) idx.push_back(index(t));
  for (Eigen::Index i = 0; i < q; ++i) {
    b(i) = coefficients[idx[static_cast<std::size_t>(i)]].estimate;
    for (Eigen::Index j = 0; j < q; ++j)
      V(i, j) = covariance(static_cast<Eigen::Index>(idx[static_cast<std::size_t>(i)]), static_cast<Eigen::Index>(idx[static_cast<std::size_t>(j)]));
  }
  const double wald = b.dot(V.ldlt().solve(b));
  JointTest t;
  t.f = uses_t;
  t.df1 = static_cast<double>(q);
  if (uses_t) {
    t.df2 = df_resid;
    t.statistic = wald / t.df1;
    t.p_value = f_sf(t.statistic, t.df1, t.df2);
  } else {
    t.statistic = wald;
    t.p_value = chi2_sf(t.statistic, t.df1);
  }
  return t;
}

std::string OlsResult::table() const {
  std::size_t w = 10;
  for (const auto& c : coefficients) w = std::max(w, c.term.size());
  const char* stat = uses_t ? "t" : "z";
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-*s %12s %12s %10s %10s %12s %12s\n", static_cast<int>(w), "", "coef", "std err", stat,
                uses_t ? "P>|t|" : "P>|z|", "[0.025", "0.975]");
  out += buf;
  for (const auto& c : coefficients) {
    std::snprintf(buf, sizeof buf, "%-*s %12.6g %12.6g %10.4g %10.4g %12.6g %12.6g\n", static_cast<int>(w), c.term.c_str(),
                  c.estimate, c.std_err, c.statistic, c.p_value, c.ci_low, c.ci_high);
    out += buf;
  }
  return out;
}

OlsResult fit_ols(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const std::vector<std::string>& terms,
                  CovType cov_type) {
  const Eigen::Index n = X.rows(), p = X.cols();
  HWNAS_CHECK(y.size() == n, "y needs one value per row of X");
  HWNAS_CHECK(static_cast<Eigen::Index>(terms.size()) == p, "one term name per column of X");
  HWNAS_CHECK(p > 0, "X needs at least one column");
  if (n <= p)
    throw UserError("too few rows to fit: " + std::to_string(n) + " rows for " + std::to_string(p) +
                    " coefficients (need more rows than coefficients)");
  // Inputs: finite, and small enough that sums of their squares stay finite (doubles overflow
  // near 1.8e308; 1e150 squared is 1e300, leaving room for sums over any realistic row count).
  constexpr double kLargest = 1e150;
  auto check_column = [&](const Eigen::VectorXd& v, const std::string& name) {
    for (Eigen::Index i = 0; i < n; ++i)
      if (!std::isfinite(v(i)))
        throw UserError(name + " is not a finite number in row " + std::to_string(i + 1) + " (" + number_text(v(i)) + ")");
    const double largest = v.cwiseAbs().maxCoeff();
    if (largest > kLargest)
      throw UserError(name + " has values up to " + number_text(largest) +
                      ", too large for least squares in double precision (their squares overflow): rescale it "
                      "(another unit) or fit logarithms");
  };
  check_column(y, "the response");
  for (Eigen::Index j = 0; j < p; ++j) check_column(X.col(j), "column '" + terms[static_cast<std::size_t>(j)] + "'");
  // A constant column makes R-squared centred (statsmodels' k_constant).
  bool has_constant = false;
  for (Eigen::Index j = 0; j < p && !has_constant; ++j)
    has_constant = X(0, j) != 0 && (X.col(j).array() == X(0, j)).all();
  if (has_constant && (y.array() == y(0)).all())
    throw UserError("the response is the same in every row (" + number_text(y(0)) +
                    "): R-squared and the t statistics are undefined for a constant response");
  // Scale columns to unit length: the rank test and the solve then do not depend on units
  // (raw parameter counts of 1e9 beside 0/1 dummies).
  Eigen::VectorXd scale(p);
  for (Eigen::Index j = 0; j < p; ++j) {
    const double norm = X.col(j).norm();
    scale(j) = norm > 0 ? 1.0 / norm : 1.0;
  }
  const Eigen::MatrixXd Xs = X * scale.asDiagonal();
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(Xs);
  qr.setThreshold(1e-10);
  if (qr.rank() < p) {
    std::string dependent;
    const auto& perm = qr.colsPermutation().indices();
    for (Eigen::Index k = qr.rank(); k < p; ++k) dependent += (dependent.empty() ? "" : ", ") + terms[static_cast<std::size_t>(perm(k))];
    throw UserError("the regression's columns are linearly dependent (rank " + std::to_string(qr.rank()) + " of " +
                    std::to_string(p) + "): cannot estimate " + dependent + " separately");
  }
  const Eigen::VectorXd beta_s = qr.solve(y);
  const Eigen::VectorXd beta = scale.asDiagonal() * beta_s;
  // (Xs'Xs)^-1 = P R^-1 R^-T P' from Xs P = Q R.
  const Eigen::MatrixXd R = qr.matrixR().topLeftCorner(p, p).triangularView<Eigen::Upper>();
  const Eigen::MatrixXd Rinv = R.triangularView<Eigen::Upper>().solve(Eigen::MatrixXd::Identity(p, p));
  const Eigen::MatrixXd inner = Rinv * Rinv.transpose();
  const auto P = qr.colsPermutation();
  const Eigen::MatrixXd xtx_inv_s = P * inner * P.transpose();
  const Eigen::MatrixXd xtx_inv = scale.asDiagonal() * xtx_inv_s * scale.asDiagonal();

  const Eigen::VectorXd resid = y - X * beta;
  OlsResult r;
  r.cov_type = cov_type;
  r.uses_t = cov_type == CovType::NonRobust;
  r.nobs = static_cast<std::size_t>(n);
  r.df_resid = static_cast<double>(n - p);
  r.ssr = resid.squaredNorm();
  if (cov_type == CovType::NonRobust) {
    r.covariance = (r.ssr / r.df_resid) * xtx_inv;
  } else {
    const Eigen::MatrixXd meat = X.transpose() * resid.array().square().matrix().asDiagonal() * X;
    r.covariance = xtx_inv * meat * xtx_inv * (static_cast<double>(n) / r.df_resid);
  }
  const double k_constant = has_constant ? 1 : 0;
  r.df_model = static_cast<double>(p) - k_constant;
  const double tss = has_constant ? (y.array() - y.mean()).square().sum() : y.squaredNorm();
  r.r_squared = tss > 0 ? 1 - r.ssr / tss : std::numeric_limits<double>::quiet_NaN();
  r.adj_r_squared = 1 - (static_cast<double>(n) - k_constant) / r.df_resid * (1 - r.r_squared);
  for (Eigen::Index j = 0; j < p; ++j) {
    Coefficient c;
    c.term = terms[static_cast<std::size_t>(j)];
    c.estimate = beta(j);
    c.std_err = std::sqrt(std::max(0.0, r.covariance(j, j)));
    infer(c, r.uses_t, r.df_resid);
    r.coefficients.push_back(c);
  }
  r.exact = r.ssr == 0;
  if (!r.exact) check_finite(r);
  return r;
}

}  // namespace hwnas::analysis
