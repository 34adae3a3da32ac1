// Tests of the t, normal, F and chi-squared functions against scipy.stats values.
#include "hwnas/analysis/distributions.h"

#include <gtest/gtest.h>

#include "hwnas/core/error.h"

using namespace hwnas::analysis;

// Reference values: scipy.stats (t.sf, norm.ppf, norm.sf, t.cdf, f.sf, chi2.sf), and mpmath at 40
// digits for the t quantile: scipy 1.10's t.ppf(0.975, 10) = 2.2281388519649385 is off by 2e-11
// (its t.cdf of that value is 0.9749999999991), Boost's value is right to the last digit.
TEST(Distributions, MatchScipy) {
  EXPECT_NEAR(t_quantile(0.975, 10), 2.2281388519862747, 1e-15);
  EXPECT_NEAR(t_two_sided_p(2.0, 5), 0.10193947882985828, 1e-15);
  EXPECT_NEAR(t_two_sided_p(-2.0, 5), 0.10193947882985828, 1e-15);
  EXPECT_NEAR(t_two_sided_p(40, 36) / 1.9529618408285545e-31, 1, 1e-10);  // far tail, relative
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-15);
  EXPECT_NEAR(normal_two_sided_p(9) / 2.2571768119076647e-19, 1, 1e-10);
  EXPECT_NEAR(t_cdf(-1.3, 7.5), 0.11606338940780428, 1e-14);
  EXPECT_NEAR(normal_cdf(-1), 0.15865525393145707, 1e-15);
  EXPECT_NEAR(f_sf(3.1, 2, 36), 0.057255985800538325, 1e-14);
  EXPECT_NEAR(chi2_sf(7.3, 2), 0.02599112877875535, 1e-15);
}

TEST(Distributions, QuantileInvertsCdf) {
  for (double df : {1.0, 2.5, 30.0, 1000.0})
    for (double p : {0.001, 0.3, 0.5, 0.975}) EXPECT_NEAR(t_cdf(t_quantile(p, df), df), p, 1e-13) << df << " " << p;
}

TEST(Distributions, BadArgumentsAreInternalErrors) {
  EXPECT_THROW(t_quantile(1.0, 5), hwnas::InternalError);
  EXPECT_THROW(t_cdf(0, 0), hwnas::InternalError);
}
