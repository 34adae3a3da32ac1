#include "hwnas/analysis/distributions.h"

#include <cmath>
#include <limits>
#include <string>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

#include "hwnas/core/error.h"

namespace hwnas::analysis {

namespace {
// Domain errors are bugs of the caller (checked below), so return NaN rather than throw from
// inside Boost; overflow of a quantile at p = 0 or 1 gives infinity.
using Policy = boost::math::policies::policy<boost::math::policies::domain_error<boost::math::policies::ignore_error>,
                                             boost::math::policies::overflow_error<boost::math::policies::ignore_error>,
                                             boost::math::policies::evaluation_error<boost::math::policies::ignore_error>>;
using Normal = boost::math::normal_distribution<double, Policy>;
using StudentT = boost::math::students_t_distribution<double, Policy>;
using FisherF = boost::math::fisher_f_distribution<double, Policy>;
using ChiSquared = boost::math::chi_squared_distribution<double, Policy>;

void check_df(double df) { HWNAS_CHECK(df > 0 && !std::isnan(df), "t distribution needs df > 0, got " + std::to_string(df)); }
void check_p(double p) { HWNAS_CHECK(p > 0 && p < 1, "quantile needs p in (0, 1), got " + std::to_string(p)); }
}  // namespace

double normal_cdf(double z) { return boost::math::cdf(Normal(), z); }
double normal_quantile(double p) {
  check_p(p);
  return boost::math::quantile(Normal(), p);
}
double normal_two_sided_p(double z) {
  if (std::isnan(z)) return std::numeric_limits<double>::quiet_NaN();
  return 2 * boost::math::cdf(boost::math::complement(Normal(), std::fabs(z)));
}

double t_cdf(double t, double df) {
  check_df(df);
  return boost::math::cdf(StudentT(df), t);
}
double t_quantile(double p, double df) {
  check_df(df);
  check_p(p);
  return boost::math::quantile(StudentT(df), p);
}
double t_two_sided_p(double t, double df) {
  check_df(df);
  if (std::isnan(t)) return std::numeric_limits<double>::quiet_NaN();
  return 2 * boost::math::cdf(boost::math::complement(StudentT(df), std::fabs(t)));
}

double f_sf(double x, double df1, double df2) {
  check_df(df1);
  check_df(df2);
  if (std::isnan(x)) return x;
  if (x <= 0) return 1;
  return boost::math::cdf(boost::math::complement(FisherF(df1, df2), x));
}

double chi2_sf(double x, double df) {
  check_df(df);
  if (std::isnan(x)) return x;
  if (x <= 0) return 1;
  return boost::math::cdf(boost::math::complement(ChiSquared(df), x));
}

}  // namespace hwnas::analysis
