#pragma once
// The distribution functions the regression tables need: Student's t and the standard normal,
// CDF, two-sided p-value and quantile (Boost.Math underneath, accurate in the far tails, so a
// p-value of 1e-40 is 1e-40 and not 0 from 1 - 0.99999...).
//
// Example:
//   double p = t_two_sided_p(2.5, 36);        // P(|T| > 2.5), T ~ t(36)
//   double q = t_quantile(0.975, 36);         // for a 95% interval
namespace hwnas::analysis {

double normal_cdf(double z);
double normal_quantile(double p);          // p in (0, 1)
double normal_two_sided_p(double z);       // P(|Z| > |z|)

/// Student's t with `df` > 0 degrees of freedom (non-integer allowed).
double t_cdf(double t, double df);
double t_quantile(double p, double df);    // p in (0, 1)
double t_two_sided_p(double t, double df); // P(|T| > |t|)

/// Upper tails P(X > x) of the F(df1, df2) and chi-squared(df) distributions, for joint tests.
double f_sf(double x, double df1, double df2);
double chi2_sf(double x, double df);

}  // namespace hwnas::analysis
