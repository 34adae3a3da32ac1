// Tests of the power-law fit y = a x^b and its bootstrap intervals.
#include "hwnas/analysis/powerlaw.h"

#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>

#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"

using namespace hwnas::analysis;

namespace {
hwnas::CsvTable power_table(double a, double b, double noise_sd, int n, std::uint64_t seed) {
  hwnas::Rng rng(seed);
  std::string csv = "params,flops\n";
  for (int i = 0; i < n; ++i) {
    const double x = std::pow(10, 4 + 5 * rng.uniform());
    const double y = a * std::pow(x, b) * std::pow(10, noise_sd * rng.normal());
    char buf[96];
    std::snprintf(buf, sizeof buf, "%.17g,%.17g\n", x, y);
    csv += buf;
  }
  return hwnas::parse_csv(csv, "pl.csv");
}
PowerLawOptions options(int bootstrap, std::uint64_t seed) {
  PowerLawOptions o;
  o.y = "flops";
  o.x = "params";
  o.bootstrap = bootstrap;
  o.seed = seed;
  return o;
}
}  // namespace

TEST(PowerLaw, DefaultsValidateOnceColumnsAreGiven) {
  PowerLawOptions o = options(1000, 0);
  EXPECT_NO_THROW(o.validate());
  EXPECT_EQ(PowerLawOptions{}.bootstrap, 1000);
  o.bootstrap = -1;
  try {
    o.validate();
    ADD_FAILURE();
  } catch (const hwnas::UserError& e) {
    EXPECT_STREQ(e.what(), "powerlaw: bootstrap: expected 0 or more resamples, got -1");
  }
}

TEST(PowerLaw, RecoversExactPowerLaw) {
  const PowerLawFit f = fit_power_law(power_table(3.5, 0.75, 0, 40, 1), options(200, 3));
  EXPECT_NEAR(f.a / 3.5, 1, 1e-10);
  EXPECT_NEAR(f.b, 0.75, 1e-12);
  EXPECT_NEAR(f.r_squared, 1, 1e-12);
  // Every resample lies on the same line, so the intervals collapse onto the estimates.
  EXPECT_NEAR(f.a_ci.first / 3.5, 1, 1e-9);
  EXPECT_NEAR(f.b_ci.second, 0.75, 1e-11);
  EXPECT_EQ(f.resamples_used, 200);
}

TEST(PowerLaw, BootstrapIntervalsAreDeterministicAndCoverTheTruth) {
  const auto t = power_table(2.0, 1.1, 0.2, 80, 7);
  const PowerLawFit f1 = fit_power_law(t, options(1000, 42)), f2 = fit_power_law(t, options(1000, 42));
  const PowerLawFit f3 = fit_power_law(t, options(1000, 43));
  EXPECT_EQ(f1.b_ci, f2.b_ci);
  EXPECT_EQ(f1.a_ci, f2.a_ci);
  EXPECT_NE(f1.b_ci, f3.b_ci);
  EXPECT_LT(f1.b_ci.first, f1.b);
  EXPECT_GT(f1.b_ci.second, f1.b);
  EXPECT_LT(f1.b_ci.first, 1.1);
  EXPECT_GT(f1.b_ci.second, 1.1);
  EXPECT_LT(f1.a_ci.first, f1.a);
  EXPECT_GT(f1.a_ci.second, f1.a);
  // The bootstrap spread of b is close to the OLS standard error (0.2 / (sd(log x) sqrt(n))):
  // a 95% interval about 2 * 1.96 * se wide, within a factor of 1.5.
  const double se = 0.2 / (5 / std::sqrt(12.0) * std::sqrt(80.0));
  const double width = f1.b_ci.second - f1.b_ci.first;
  EXPECT_GT(width, 2 * 1.96 * se / 1.5);
  EXPECT_LT(width, 2 * 1.96 * se * 1.5);
}

TEST(PowerLaw, NoBootstrapLeavesIntervalsUnset) {
  const PowerLawFit f = fit_power_law(power_table(1, 2, 0.1, 10, 2), options(0, 0));
  EXPECT_TRUE(std::isnan(f.b_ci.first));
  EXPECT_TRUE(f.to_json()["b_ci95"][0].is_null());
  EXPECT_EQ(f.brief().find("95% CI"), std::string::npos);
}

TEST(PowerLaw, BadRowsAreDroppedAndCounted) {
  const auto t = hwnas::parse_csv("params,flops\n10,100\n100,1000\n1000,10000\n0,5\nx,5\n5,\n10000,-3\n", "b.csv");
  const PowerLawFit f = fit_power_law(t, options(10, 0));
  EXPECT_NEAR(f.b, 1, 1e-12);
  EXPECT_NEAR(f.a, 10, 1e-10);
  EXPECT_EQ(f.rows.used, 3u);
  EXPECT_EQ(f.rows.not_positive, 2u);
  EXPECT_EQ(f.rows.not_number, 1u);
  EXPECT_EQ(f.rows.missing, 1u);
  EXPECT_NE(f.brief().find("not a number: b.csv:6 column 'params': 'x'"), std::string::npos) << f.brief();
  try {
    fit_power_law(hwnas::parse_csv("params,flops\n10,100\n10,200\n10,300\n", "s.csv"), options(10, 0));
    ADD_FAILURE();
  } catch (const hwnas::UserError& e) {
    EXPECT_STREQ(e.what(), "s.csv: flops = a * params^b: every row has the same params; a power law needs at least 2 distinct values");
  }
}

TEST(PowerLaw, PercentileInterpolatesLikeNumpy) {
  // numpy.percentile([1, 2, 3, 4], [2.5, 50, 97.5]) = [1.075, 2.5, 3.925]
  EXPECT_DOUBLE_EQ(percentile({4, 1, 3, 2}, 0.025), 1.075);
  EXPECT_DOUBLE_EQ(percentile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(percentile({4, 1, 3, 2}, 0.975), 3.925);
  EXPECT_DOUBLE_EQ(percentile({7}, 0.975), 7);
}

TEST(PowerLaw, CoefficientBeyondDoublePrecisionIsAUserError) {
  // y = 1e600 * x^1: a = inf was printed with exit code 0.
  const auto t = hwnas::parse_csv("params,flops\n1e-300,1e300\n2e-300,2e300\n3e-300,3.5e300\n", "pl.csv");
  try {
    fit_power_law(t, options(100, 1));
    ADD_FAILURE();
  } catch (const hwnas::UserError& e) {
    EXPECT_STREQ(e.what(),
                 "pl.csv: flops = a * params^b: a = 10^637.551 is beyond double precision (1.8e308); rescale params or "
                 "flops (another unit)");
  }
}
