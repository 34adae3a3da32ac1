#pragma once
// Ordinary least squares with the inference table of statsmodels' OLS: coefficients, standard
// errors, t (or z) statistics, two-sided p-values, 95% intervals, R-squared and adjusted
// R-squared. Two covariance types, as statsmodels names them:
//   nonrobust  sigma^2 (X'X)^-1 with sigma^2 = SSR / (n - p); t(n - p) for p-values and intervals
//   HC1        (X'X)^-1 X' diag(e_i^2) X (X'X)^-1 * n / (n - p); the normal distribution for
//              p-values and intervals (statsmodels' default use_t=False for robust covariances)
//
// Example:
//   OlsResult r = fit_ols(X, y, {"Intercept", "Parameters"}, CovType::HC1);
//   double slope = r.coef("Parameters").estimate;
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace hwnas::analysis {

enum class CovType { NonRobust, HC1 };
std::string to_string(CovType c);  // "nonrobust", "HC1"

struct Coefficient {
  std::string term;
  double estimate = 0;
  double std_err = 0;
  double statistic = 0;  // estimate / std_err: t (nonrobust) or z (HC1)
  double p_value = 0;    // two-sided
  double ci_low = 0, ci_high = 0;  // 95%
};

struct OlsResult {
  std::vector<Coefficient> coefficients;  // in design-matrix column order
  Eigen::MatrixXd covariance;             // of the estimates, under cov_type
  CovType cov_type = CovType::NonRobust;
  bool uses_t = true;                     // t(df_resid) (true) or normal (false) for inference
  std::size_t nobs = 0;
  double df_resid = 0, df_model = 0;
  double r_squared = 0, adj_r_squared = 0;
  double ssr = 0;                         // sum of squared residuals
  /// SSR is exactly 0 (y is an exact linear function of X): the standard errors are 0 and the
  /// statistics and p-values not finite. Callers that print them refuse such fits
  /// (fit_scaling); the coefficients and their (zero-width) intervals are still right.
  bool exact = false;

  /// The coefficient of a term; InternalError when absent.
  const Coefficient& coef(const std::string& term) const;
  std::size_t index(const std::string& term) const;
  /// Inference for a linear combination w'b (e.g. a slope within one level: b_x + b_x:level),
  /// with the same covariance and distribution as the table.
  Coefficient combination(const std::string& name, const Eigen::VectorXd& weights) const;
  /// Joint test that the named coefficients are all zero: F(q, df_resid) with the nonrobust
  /// covariance, chi2(q) with HC1 (statsmodels' wald_test with use_f = use_t).
  struct JointTest {
    double statistic = 0, df1 = 0, df2 = 0, p_value = 0;
    bool f = true;  // F (true) or chi2 (false)
  };
  JointTest joint_test(const std::vector<std::string>& terms) const;
  /// The table as statsmodels prints it (term, coef, std err, t|z, P>|t|, [0.025, 0.975]).
  std::string table() const;
};

/// Fits y = X b + e. X holds an intercept column when the model has one (R-squared is then
/// centred, as statsmodels does when the design has a constant). UserError when there are no
/// more rows than columns, when X is rank deficient (the message names the columns involved),
/// when a value is not finite or above 1e150 in magnitude (sums of squares would overflow), when
/// the response is constant in a model with an intercept (R-squared undefined), or when any
/// statistic comes out non-finite; the one exception is an exact fit (see OlsResult::exact).
OlsResult fit_ols(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const std::vector<std::string>& terms,
                  CovType cov_type = CovType::NonRobust);

}  // namespace hwnas::analysis
