// Tests of doubling times per era: dates, exact exponential data, intervals against statsmodels,
// and the unbounded case.
#include "hwnas/analysis/doubling.h"

#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>

#include "analysis/statsmodels_ref.h"
#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"

using namespace hwnas::analysis;

namespace {
std::string date_of(int days_since_2000) {
  // Days from 2000-01-01 to a YYYY-MM-DD string (proleptic Gregorian).
  int y = 2000, d = days_since_2000;
  auto leap = [](int yy) { return (yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0; };
  while (d >= (leap(y) ? 366 : 365)) d -= leap(y) ? 366 : 365, ++y;
  const int len[] = {31, leap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int m = 0;
  while (d >= len[m]) d -= len[m++];
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m + 1, d + 1);
  return buf;
}
DoublingOptions opts(std::vector<std::string> breaks = {}) {
  DoublingOptions o;
  o.y = "compute";
  o.date = "date";
  o.breaks = std::move(breaks);
  return o;
}
}  // namespace

TEST(Doubling, DecimalYears) {
  EXPECT_EQ(*decimal_year("2020-01-01"), 2020.0);
  EXPECT_DOUBLE_EQ(*decimal_year("2020-07-02"), 2020.5);  // day 184 of 366
  EXPECT_DOUBLE_EQ(*decimal_year("2019-07"), 2019 + 181.0 / 365);
  EXPECT_DOUBLE_EQ(*decimal_year(" 2017.25 "), 2017.25);
  EXPECT_DOUBLE_EQ(*decimal_year("2015-3-9"), 2015 + (59 + 8) / 365.0);
  for (const char* bad : {"2019-13-01", "2019-02-29", "May 2019", "2019-01-01T00:00", "20-01-01", ""})
    EXPECT_FALSE(decimal_year(bad).has_value()) << bad;
}

TEST(Doubling, ExactExponentialPerEra) {
  // Doubles every 6 months before 2010, every 24 months from 2010 on (continuous at 2010).
  std::string csv = "date,compute\n";
  for (int day = 0; day < 20 * 365; day += 45) {
    const std::string d = date_of(day);
    const double t = *decimal_year(d);
    const double doublings = t < 2010 ? (t - 2000) * 2 : 20 + (t - 2010) / 2;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s,%.17g\n", d.c_str(), std::pow(2.0, doublings));
    csv += buf;
  }
  const auto res = doubling_times(hwnas::parse_csv(csv, "exp.csv"), opts({"2010-01-01"}));
  ASSERT_EQ(res.eras.size(), 2u);
  EXPECT_EQ(res.eras[0].label, "before 2010-01-01");
  EXPECT_EQ(res.eras[1].label, "from 2010-01-01");
  EXPECT_NEAR(res.eras[0].months, 6, 1e-9);
  EXPECT_NEAR(res.eras[1].months, 24, 1e-9);
  EXPECT_NEAR(*res.eras[0].months_low, 6, 1e-6);
  EXPECT_NEAR(*res.eras[1].months_high, 24, 1e-6);
  EXPECT_EQ(res.eras[0].n + res.eras[1].n, res.rows.used);
  // One era over everything: a single compromise rate between the two.
  const auto all = doubling_times(hwnas::parse_csv(csv, "exp.csv"), opts());
  ASSERT_EQ(all.eras.size(), 1u);
  EXPECT_GT(all.eras[0].months, 6);
  EXPECT_LT(all.eras[0].months, 24);
}

TEST(Doubling, SlopeIntervalMatchesStatsmodels) {
  hwnas::Rng rng(3);
  std::string csv = "date,compute\n", ref_csv = "t,l\n";
  for (int i = 0; i < 50; ++i) {
    const double t = 2012 + 8 * rng.uniform();
    const double l = 10 + (t - 2012) * 1.5 + rng.normal();  // 1.5 doublings a year: 8 months
    char buf[96];
    std::snprintf(buf, sizeof buf, "%.17g,%.17g\n", t, std::pow(2.0, l));
    csv += buf;
    std::snprintf(buf, sizeof buf, "%.17g,%.17g\n", t, l);
    ref_csv += buf;
  }
  const auto res = doubling_times(hwnas::parse_csv(csv, "n.csv"), opts());
  const std::string path = hwnas::test::scratch_dir() + "/ref.csv";
  hwnas::test::write_text(path, ref_csv);
  auto ref = hwnas::test::statsmodels_ols({.csv = path, .formula = "l ~ t"});
  if (!ref.available) GTEST_SKIP() << ref.why;
  const Era& e = res.eras[0];
  EXPECT_LE(hwnas::test::rel_diff(e.slope, ref.result["coef"][1]), 1e-6);
  EXPECT_LE(hwnas::test::rel_diff(e.slope_low, ref.result["lo"][1]), 1e-6);
  EXPECT_LE(hwnas::test::rel_diff(e.slope_high, ref.result["hi"][1]), 1e-6);
  EXPECT_LE(hwnas::test::rel_diff(e.r_squared, ref.result["r2"]), 1e-6);
  EXPECT_DOUBLE_EQ(e.months, 12 / e.slope);
  EXPECT_DOUBLE_EQ(*e.months_low, 12 / e.slope_high);
  EXPECT_DOUBLE_EQ(*e.months_high, 12 / e.slope_low);
  EXPECT_NEAR(e.months, 8, 1.5);
}

TEST(Doubling, IntervalThroughZeroIsUnbounded) {
  // Flat noisy data: the slope interval includes 0.
  const auto t = hwnas::parse_csv("date,compute\n2015,100\n2016,130\n2017,90\n2018,120\n2019,105\n", "flat.csv");
  const auto res = doubling_times(t, opts());
  const Era& e = res.eras[0];
  ASSERT_TRUE(e.fitted);
  EXPECT_LT(e.slope_low, 0);
  EXPECT_GT(e.slope_high, 0);
  EXPECT_FALSE(e.months_high.has_value());
  EXPECT_EQ(e.note, "the slope's 95% interval includes 0 (no growth), so the doubling time has no upper bound");
  EXPECT_NE(res.brief().find("unbounded"), std::string::npos) << res.brief();
  EXPECT_TRUE(res.to_json()["eras"][0]["doubling_months_ci95"][1].is_null());
}

TEST(Doubling, ConstantEraHasNoDoublingTimeAndNothingNonFinite) {
  // Was: a doubling time of -3e16 months and R-squared nan (3 rows), or inf (2 rows).
  for (const char* csv : {"date,compute\n2015,5\n2016,5\n2017,5\n", "date,compute\n2015,5\n2016,5\n"}) {
    const auto res = doubling_times(hwnas::parse_csv(csv, "c.csv"), opts());
    ASSERT_EQ(res.eras.size(), 1u);
    EXPECT_FALSE(res.eras[0].fitted);
    EXPECT_EQ(res.eras[0].note, "compute is the same in every row of this era: no growth, so no doubling time");
    const std::string b = res.brief();
    EXPECT_EQ(b.find("inf"), std::string::npos) << b;
    EXPECT_EQ(b.find("nan"), std::string::npos) << b;
    EXPECT_TRUE(res.to_json()["eras"][0]["doubling_months"].is_null());
  }
}

TEST(Doubling, ZeroSlopeHasNoDoublingTimeRatherThanInf) {
  // Symmetric data: the fitted slope is exactly 0, and 12 / 0 was printed as inf.
  const auto res = doubling_times(hwnas::parse_csv("date,compute\n2015,1\n2016,2\n2017,2\n2018,1\n", "z.csv"), opts());
  const Era& e = res.eras[0];
  ASSERT_TRUE(e.fitted);
  ASSERT_EQ(e.slope, 0.0);
  EXPECT_TRUE(std::isnan(e.months));
  const std::string b = res.brief();
  EXPECT_NE(b.find("all        4           none"), std::string::npos) << b;
  EXPECT_EQ(b.find("inf"), std::string::npos) << b;
  EXPECT_TRUE(res.to_json()["eras"][0]["doubling_months"].is_null());
}

TEST(Doubling, BadRowsEmptyErasAndBadBreaks) {
  const auto t = hwnas::parse_csv(
      "date,compute\n2015-01,10\n2015-07,20\n2016-01,40\nsoon,80\n2017-01,\n2017-06,0\n2020-01,5\n", "b.csv");
  const auto res = doubling_times(t, opts({"2016-06-01", "2019-01-01"}));
  EXPECT_EQ(res.rows.not_number, 1u);
  EXPECT_EQ(res.rows.missing, 1u);
  EXPECT_EQ(res.rows.not_positive, 1u);
  ASSERT_EQ(res.eras.size(), 3u);
  EXPECT_NEAR(res.eras[0].months, 6, 0.1);  // 2015-01 .. 2016-01 doubling twice (calendar days)
  EXPECT_EQ(res.eras[1].n, 0u);
  EXPECT_FALSE(res.eras[1].fitted);
  EXPECT_EQ(res.eras[1].note, "no rows in this era");
  EXPECT_EQ(res.eras[2].note, "fewer than 2 distinct dates: no trend to fit");
  EXPECT_EQ(res.rows.examples.at(0), "b.csv:5 column 'date': 'soon'");
  try {
    doubling_times(t, opts({"2019-01-01", "2016-06-01"}));
    ADD_FAILURE();
  } catch (const hwnas::UserError& e) {
    EXPECT_STREQ(e.what(), "doubling: breaks: dates must increase, '2016-06-01' does not");
  }
  try {
    doubling_times(t, opts({"June 2016"}));
    ADD_FAILURE();
  } catch (const hwnas::UserError& e) {
    EXPECT_STREQ(e.what(), "doubling: breaks: 'June 2016' is not a date (YYYY-MM-DD, YYYY-MM or a decimal year)");
  }
}
