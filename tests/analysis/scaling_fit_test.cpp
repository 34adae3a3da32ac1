// Tests of scaling fit: coefficients, standard errors, p-values, intervals and R-squared against
// statsmodels (1e-6 relative), term naming, row accounting, --where, --split-multi, bad input.
#include "hwnas/analysis/scaling_fit.h"

#include <cmath>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "analysis/statsmodels_ref.h"
#include "hwnas/analysis/data_table.h"
#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"
#include "support/cli.h"

using namespace hwnas::analysis;
using hwnas::test::rel_diff;

namespace {

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Models with a domain-specific power law FLOPs = 10^(c_d) * Parameters^(b_d) with log-normal noise
// whose spread grows with size (so HC1 and nonrobust errors differ), plus `bad` rows of each kind.
std::string model_csv(std::uint64_t seed, int n, bool bad_rows) {
  hwnas::Rng rng(seed);
  const char* domains[] = {"Vision", "Language", "Audio"};
  const double slope[] = {0.95, 1.12, 1.0}, icpt[] = {0.6, 0.1, 0.4};
  std::string csv = "Model,Parameters,FLOPs,Domain,Year\n";
  for (int i = 0; i < n; ++i) {
    const std::size_t d = rng.uniform_index(3);
    const double lp = 5 + 5 * rng.uniform();
    const double noise = (0.05 + 0.06 * (lp - 5)) * rng.normal();
    csv += "m" + std::to_string(i) + "," + num(std::pow(10, lp)) + "," + num(std::pow(10, icpt[d] + slope[d] * lp + noise)) +
           "," + domains[d] + "," + std::to_string(2012 + i % 10) + "\n";
  }
  if (bad_rows) {
    csv += "missing_flops,1e6,,Vision,2015\n";            // missing
    csv += "na_params,NA,3e9,Audio,2016\n";                // missing
    csv += "text_flops,2e7,\"about 1e9\",Language,2017\n"; // not a number
    csv += "zero_params,0,5e8,Vision,2018\n";              // not positive under log
    csv += "neg_flops,3e7,-1,Audio,2019\n";                // not positive under log
    csv += "no_domain,4e7,2e9,,2020\n";                    // missing --by cell
  }
  return csv;
}

std::string write_csv(const std::string& name, const std::string& text) {
  const std::string path = hwnas::test::scratch_dir() + "/" + name;
  hwnas::test::write_text(path, text);
  return path;
}

// Compares every number of the table with statsmodels; returns the largest relative difference.
double compare(const ScalingFit& fit, const nlohmann::json& ref) {
  std::vector<std::string> names;
  for (const auto& c : fit.ols.coefficients) names.push_back(c.term);
  EXPECT_EQ(names, ref["terms"].get<std::vector<std::string>>());
  if (names != ref["terms"].get<std::vector<std::string>>()) return INFINITY;
  double worst = 0;
  auto check = [&](double mine, double theirs, const std::string& what) {
    const double d = rel_diff(mine, theirs, 1e-12);
    worst = std::max(worst, d);
    EXPECT_LE(d, 1e-6) << what << ": hwnas " << mine << " statsmodels " << theirs;
  };
  for (std::size_t i = 0; i < names.size(); ++i) {
    const Coefficient& c = fit.ols.coefficients[i];
    check(c.estimate, ref["coef"][i], names[i] + " coef");
    check(c.std_err, ref["se"][i], names[i] + " std err");
    check(c.statistic, ref["stat"][i], names[i] + " statistic");
    check(c.p_value, ref["p"][i], names[i] + " p-value");
    check(c.ci_low, ref["lo"][i], names[i] + " ci low");
    check(c.ci_high, ref["hi"][i], names[i] + " ci high");
  }
  check(fit.ols.r_squared, ref["r2"], "R-squared");
  check(fit.ols.adj_r_squared, ref["adj_r2"], "adj. R-squared");
  EXPECT_EQ(static_cast<double>(fit.ols.nobs), ref["nobs"].get<double>());
  EXPECT_EQ(fit.ols.df_resid, ref["df_resid"].get<double>());
  EXPECT_EQ(fit.ols.uses_t, ref["use_t"].get<bool>());
  return worst;
}

ScalingFitOptions log_by_domain() {
  ScalingFitOptions o;
  o.y = "FLOPs";
  o.x = "Parameters";
  o.by = "Domain";
  o.log = true;
  return o;
}

}  // namespace

TEST(ScalingFit, DefaultOptionsNeedColumnsAndValidateWithThem) {
  ScalingFitOptions o;
  EXPECT_THROW(
      try { o.validate(); } catch (const hwnas::UserError& e) {
        EXPECT_STREQ(e.what(), "scaling_fit: y: a column name is required");  // the library's names
        throw;
      },
      hwnas::UserError);
  o.y = "FLOPs";
  o.x = "Parameters";
  EXPECT_NO_THROW(o.validate());
  o.by = "FLOPs";
  try {
    o.validate();
    ADD_FAILURE() << "--by equal to --y accepted";
  } catch (const hwnas::UserError& e) {
    EXPECT_STREQ(e.what(), "scaling_fit: by names the column 'FLOPs', which is already x or y");
  }
  // The command line names its flags (cmd_scaling.cpp passes cli::flag_of).
  o.spelling = [](const std::string& f) { return "--" + f; };
  try {
    o.validate("scaling fit");
    ADD_FAILURE() << "--by equal to --y accepted";
  } catch (const hwnas::UserError& e) {
    EXPECT_STREQ(e.what(), "scaling fit: --by names the column 'FLOPs', which is already --x or --y");
  }
}

TEST(ScalingFit, MatchesStatsmodelsLogInteractionNonrobust) {
  const std::string path = write_csv("models.csv", model_csv(11, 150, true));
  const ScalingFit fit = fit_scaling(read_data_table(path).table, log_by_domain());
  auto ref = hwnas::test::statsmodels_ols({.csv = path,
                                          .formula = "FLOPs ~ Parameters * Domain",
                                          .numeric = {"FLOPs", "Parameters"},
                                          .log10 = {"FLOPs", "Parameters"},
                                          .joint = {"Parameters:Domain[T.Language]", "Parameters:Domain[T.Vision]"}});
  if (!ref.available) GTEST_SKIP() << ref.why;
  const double worst = compare(fit, ref.result);
  std::printf("[ statsmodels nonrobust: largest relative difference %.3g ]\n", worst);
  const auto t = fit.ols.joint_test({"Parameters:Domain[T.Language]", "Parameters:Domain[T.Vision]"});
  EXPECT_TRUE(t.f);
  EXPECT_LE(rel_diff(t.statistic, ref.result["joint_stat"]), 1e-6);
  EXPECT_LE(rel_diff(t.p_value, ref.result["joint_p"]), 1e-6);
  EXPECT_EQ(t.df1, 2);
  EXPECT_EQ(t.df2, fit.ols.df_resid);
}

TEST(ScalingFit, MatchesStatsmodelsHC1WithNormalInference) {
  const std::string path = write_csv("models.csv", model_csv(12, 120, true));
  ScalingFitOptions o = log_by_domain();
  o.robust = true;
  const ScalingFit fit = fit_scaling(read_data_table(path).table, o);
  auto ref = hwnas::test::statsmodels_ols({.csv = path,
                                          .formula = "FLOPs ~ Parameters * Domain",
                                          .robust = true,
                                          .numeric = {"FLOPs", "Parameters"},
                                          .log10 = {"FLOPs", "Parameters"},
                                          .joint = {"Parameters:Domain[T.Language]", "Parameters:Domain[T.Vision]"}});
  if (!ref.available) GTEST_SKIP() << ref.why;
  EXPECT_FALSE(fit.ols.uses_t);
  const double worst = compare(fit, ref.result);
  std::printf("[ statsmodels HC1: largest relative difference %.3g ]\n", worst);
  const auto t = fit.ols.joint_test({"Parameters:Domain[T.Language]", "Parameters:Domain[T.Vision]"});
  EXPECT_FALSE(t.f);  // chi2, as statsmodels' wald_test with use_t = False
  EXPECT_LE(rel_diff(t.statistic, ref.result["joint_stat"]), 1e-6);
  EXPECT_LE(rel_diff(t.p_value, ref.result["joint_p"]), 1e-6);
}

TEST(ScalingFit, MatchesStatsmodelsWithoutFactorOrLog) {
  // Raw scale: x in the 1e5..1e10 range next to the intercept column.
  const std::string path = write_csv("models.csv", model_csv(13, 80, false));
  ScalingFitOptions o;
  o.y = "FLOPs";
  o.x = "Parameters";
  for (bool robust : {false, true}) {
    o.robust = robust;
    const ScalingFit fit = fit_scaling(read_data_table(path).table, o);
    auto ref = hwnas::test::statsmodels_ols({.csv = path, .formula = "FLOPs ~ Parameters", .robust = robust});
    if (!ref.available) GTEST_SKIP() << ref.why;
    const double worst = compare(fit, ref.result);
    std::printf("[ statsmodels y ~ x robust=%d: largest relative difference %.3g ]\n", robust, worst);
  }
}

TEST(ScalingFit, MatchesStatsmodelsWithWhereFilter) {
  const std::string path = write_csv("models.csv", model_csv(14, 160, false));
  ScalingFitOptions o = log_by_domain();
  o.where = {WhereFilter::parse("Domain=Vision"), WhereFilter::parse("Domain=Audio")};
  const ScalingFit fit = fit_scaling(read_data_table(path).table, o);
  EXPECT_EQ(fit.levels, (std::vector<std::string>{"Audio", "Vision"}));
  const std::string sub = write_csv("subset.csv", [&] {
    // The same rows, filtered here, for statsmodels.
    auto t = read_data_table(path).table;
    std::string s = "Model,Parameters,FLOPs,Domain,Year\n";
    for (const auto& r : t.rows)
      if (r[3] != "Language") s += r[0] + "," + r[1] + "," + r[2] + "," + r[3] + "," + r[4] + "\n";
    return s;
  }());
  auto ref = hwnas::test::statsmodels_ols({.csv = sub, .formula = "FLOPs ~ Parameters * Domain", .log10 = {"FLOPs", "Parameters"}});
  if (!ref.available) GTEST_SKIP() << ref.why;
  compare(fit, ref.result);
  EXPECT_EQ(fit.rows.filtered + fit.rows.used, 160u);
}

TEST(ScalingFit, TermNamesFollowPatsyTreatmentCoding) {
  const std::string path = write_csv("models.csv", model_csv(15, 60, false));
  const ScalingFit fit = fit_scaling(read_data_table(path).table, log_by_domain());
  std::vector<std::string> names;
  for (const auto& c : fit.ols.coefficients) names.push_back(c.term);
  EXPECT_EQ(names, (std::vector<std::string>{"Intercept", "Domain[T.Language]", "Domain[T.Vision]", "Parameters",
                                             "Parameters:Domain[T.Language]", "Parameters:Domain[T.Vision]"}));
  EXPECT_EQ(fit.levels, (std::vector<std::string>{"Audio", "Language", "Vision"}));
  EXPECT_EQ(fit.model(), "log10(FLOPs) ~ log10(Parameters) * Domain");
  // Slope within a level = reference slope + that level's interaction.
  ASSERT_EQ(fit.level_slopes.size(), 3u);
  EXPECT_EQ(fit.level_slopes[0].term, "Audio");
  EXPECT_DOUBLE_EQ(fit.level_slopes[0].estimate, fit.ols.coef("Parameters").estimate);
  EXPECT_DOUBLE_EQ(fit.level_slopes[2].estimate,
                   fit.ols.coef("Parameters").estimate + fit.ols.coef("Parameters:Domain[T.Vision]").estimate);
  EXPECT_NEAR(fit.level_slopes[2].estimate, 0.95, 0.1);
  EXPECT_NEAR(fit.level_slopes[1].estimate, 1.12, 0.1);
}

TEST(ScalingFit, DroppedRowsAreCountedByReason) {
  const std::string path = write_csv("models.csv", model_csv(16, 40, true));
  const ScalingFit fit = fit_scaling(read_data_table(path).table, log_by_domain());
  const RowCounts& r = fit.rows;
  EXPECT_EQ(r.read, 46u);
  EXPECT_EQ(r.filtered, 0u);
  EXPECT_EQ(r.missing, 3u);      // empty FLOPs, NA Parameters, empty Domain
  EXPECT_EQ(r.not_number, 1u);   // "about 1e9"
  EXPECT_EQ(r.not_positive, 2u); // Parameters 0, FLOPs -1
  EXPECT_EQ(r.used, 40u);
  EXPECT_EQ(r.observations, 40u);
  EXPECT_EQ(fit.ols.nobs, 40u);
  ASSERT_EQ(r.examples.size(), 1u);
  EXPECT_EQ(r.examples[0], path + ":44 column 'FLOPs': 'about 1e9'");
  EXPECT_EQ(r.summary(), "rows: 46 read, 6 dropped (3 missing, 1 not a number, 2 not positive (log scale)), 40 used");
  // Without --log the non-positive rows are data: only the domain-less row is then missing.
  ScalingFitOptions o = log_by_domain();
  o.log = false;
  const ScalingFit raw = fit_scaling(read_data_table(path).table, o);
  EXPECT_EQ(raw.rows.not_positive, 0u);
  EXPECT_EQ(raw.rows.used, 42u);
  const auto j = fit.to_json();
  EXPECT_EQ(j["rows"]["dropped"]["total"], 6);
  EXPECT_EQ(j["rows"]["dropped"]["not_positive"], 2);
  EXPECT_EQ(j["reference"], "Audio");
}

TEST(ScalingFit, SplitMultiFirstDropExplode) {
  // Two exact lines: Audio y = 2x, Vision y = 3x (+ small offsets), and multi-category rows.
  std::string csv = "x,y,Domain\n";
  for (int i = 1; i <= 5; ++i) {
    csv += std::to_string(i) + "," + std::to_string(2 * i) + ",Audio\n";
    csv += std::to_string(i) + "," + std::to_string(3 * i + 1) + ",Vision\n";
  }
  csv += "10,20,\"Audio, Vision\"\n";  // on the Audio line
  csv += "6,19,\"Vision,Audio\"\n";    // on the Vision line
  const auto table = hwnas::parse_csv(csv, "multi.csv");
  ScalingFitOptions o;
  o.y = "y";
  o.x = "x";
  o.by = "Domain";
  o.split_multi = SplitMulti::First;
  const ScalingFit first = fit_scaling(table, o);
  EXPECT_EQ(first.rows.multi_split, 2u);
  EXPECT_EQ(first.rows.observations, 12u);
  EXPECT_NEAR(first.ols.coef("x").estimate, 2, 1e-12);  // both multi rows sit on their first level's line
  EXPECT_NEAR(first.ols.coef("x:Domain[T.Vision]").estimate, 1, 1e-12);
  EXPECT_NEAR(first.ols.r_squared, 1, 1e-12);

  o.split_multi = SplitMulti::Drop;
  const ScalingFit drop = fit_scaling(table, o);
  EXPECT_EQ(drop.rows.multi_dropped, 2u);
  EXPECT_EQ(drop.rows.used, 10u);
  EXPECT_EQ(drop.ols.nobs, 10u);
  EXPECT_NE(drop.rows.summary().find("2 with several categories (split_multi drop)"), std::string::npos);

  o.split_multi = SplitMulti::Explode;
  const ScalingFit ex = fit_scaling(table, o);
  EXPECT_EQ(ex.rows.used, 12u);
  EXPECT_EQ(ex.rows.observations, 14u);
  EXPECT_EQ(ex.ols.nobs, 14u);
  EXPECT_LT(ex.ols.r_squared, 1);  // each multi row now also sits off the other level's line
  EXPECT_EQ(ex.rows.summary(), "rows: 12 read, 0 dropped, 12 used as 14 observations; 2 with several categories kept");

  EXPECT_EQ(parse_split_multi("explode", "--split-multi"), SplitMulti::Explode);
  try {
    parse_split_multi("all", "--split-multi");
    ADD_FAILURE() << "accepted 'all'";
  } catch (const hwnas::UserError& e) {
    EXPECT_STREQ(e.what(), "--split-multi: expected first, drop or explode, got 'all'");
  }
}

TEST(ScalingFit, WhereFiltersAndOrsValuesOfOneColumn) {
  const auto t = hwnas::parse_csv("a,b,x,y\n1,p,1,2\n1,q,2,4\n2,p,3,6\n2,q,4,9\n1,p,5,10\n", "w.csv");
  EXPECT_EQ(filter_rows(t, {WhereFilter::parse("a=1")}), (std::vector<std::size_t>{0, 1, 4}));
  EXPECT_EQ(filter_rows(t, {WhereFilter::parse("a=1"), WhereFilter::parse("b=p")}), (std::vector<std::size_t>{0, 4}));
  EXPECT_EQ(filter_rows(t, {WhereFilter::parse("b=q"), WhereFilter::parse("b=p")}).size(), 5u);
  const WhereFilter f = WhereFilter::parse("name=a=b");
  EXPECT_EQ(f.column, "name");
  EXPECT_EQ(f.value, "a=b");
  try {
    WhereFilter::parse("Domain");
    ADD_FAILURE();
  } catch (const hwnas::UserError& e) {
    EXPECT_STREQ(e.what(), "where: expected COLUMN=VALUE, got 'Domain'");  // the CLI passes "--where"
  }
  try {
    filter_rows(t, {WhereFilter::parse("c=1")});
    ADD_FAILURE();
  } catch (const hwnas::UserError& e) {
    EXPECT_STREQ(e.what(), "w.csv: missing column 'c' (columns: a, b, x, y)");
  }
}

TEST(ScalingFit, BadInputNamesFileAndColumn) {
  const auto t = hwnas::parse_csv("Parameters,FLOPs,Domain\n1,2,A\n2,4,A\n3,7,B\n", "m.csv");
  ScalingFitOptions o;
  o.y = "FLOPS";
  o.x = "Parameters";
  try {
    fit_scaling(t, o);
    ADD_FAILURE();
  } catch (const hwnas::UserError& e) {
    EXPECT_STREQ(e.what(), "m.csv: missing column 'FLOPS' (columns: Parameters, FLOPs, Domain)");
  }
  // Level B has one row: its slope cannot be estimated.
  o.y = "FLOPs";
  o.by = "Domain";
  try {
    fit_scaling(t, o);
    ADD_FAILURE();
  } catch (const hwnas::UserError& e) {
    EXPECT_STREQ(e.what(),
                 "m.csv: FLOPs ~ Parameters * Domain: level 'B' of Domain has 1 row(s) with 1 distinct Parameters "
                 "value(s); a slope needs at least 2 (leave the level out with where, or merge it)");
  }
  // Nothing numeric at all: an error that carries the row accounting, not a crash.
  const auto words = hwnas::parse_csv("Parameters,FLOPs\nbig,huge\nsmall,tiny\n", "w.csv");
  o.by.clear();
  try {
    fit_scaling(words, o);
    ADD_FAILURE();
  } catch (const hwnas::UserError& e) {
    EXPECT_STREQ(e.what(), "w.csv: FLOPs ~ Parameters: no rows left to fit (rows: 2 read, 2 dropped (2 not a number), 0 used)");
  }
}

TEST(ScalingFit, ConstantExactOrHugeDataFailWithTheReason) {
  ScalingFitOptions o;
  o.y = "y";
  o.x = "x";
  auto error = [&](const std::string& csv) {
    try {
      fit_scaling(hwnas::parse_csv(csv, "d.csv"), o);
    } catch (const hwnas::UserError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  // Printed inf t, NaN t and NaN R-squared with exit code 0.
  EXPECT_EQ(error("x,y\n1,5\n2,5\n3,5\n4,5\n"),
            "d.csv: y ~ x: the response is the same in every row (5): R-squared and the t statistics are undefined "
            "for a constant response");
  // Printed NaN coefficients.
  EXPECT_EQ(error("x,y\n1,1e308\n2,1.5e308\n3,1.2e308\n4,1.7e308\n"),
            "d.csv: y ~ x: the response has values up to 1.7e+308, too large for least squares in double precision "
            "(their squares overflow): rescale it (another unit) or fit logarithms");
  // Printed inf t with zero standard errors.
  EXPECT_EQ(error("x,y\n0,3\n0,3\n1,5\n1,5\n"),
            "d.csv: y ~ x: every residual is 0 (y is an exact linear function of x): the standard errors are 0, so t "
            "statistics and p-values are undefined");
  // With --log the same huge values are fine.
  o.log = true;
  EXPECT_EQ(error("x,y\n1,1e308\n2,1.5e307\n3,1.2e308\n4,1.7e308\n"), "(no error)");
}

TEST(ScalingFit, ReportShowsTableAndRowAccounting) {
  const std::string path = write_csv("models.csv", model_csv(17, 50, true));
  const ScalingFit fit = fit_scaling(read_data_table(path).table, log_by_domain());
  const std::string rep = fit.report();
  EXPECT_NE(rep.find("OLS log10(FLOPs) ~ log10(Parameters) * Domain"), std::string::npos) << rep;
  EXPECT_NE(rep.find("reference level: Domain = Audio"), std::string::npos) << rep;
  EXPECT_NE(rep.find("P>|t|"), std::string::npos);
  EXPECT_NE(rep.find("Parameters:Domain[T.Vision]"), std::string::npos);
  EXPECT_NE(rep.find("equal slopes across Domain: F(2, 44)"), std::string::npos) << rep;
  EXPECT_NE(rep.find("rows: 56 read, 6 dropped"), std::string::npos) << rep;
  EXPECT_NE(rep.find("not a number: " + path + ":54 column 'FLOPs': 'about 1e9'"), std::string::npos) << rep;
  ScalingFitOptions o = log_by_domain();
  o.robust = true;
  const std::string robust = fit_scaling(read_data_table(path).table, o).report();
  EXPECT_NE(robust.find("P>|z|"), std::string::npos);
  EXPECT_NE(robust.find("covariance: HC1"), std::string::npos);
  EXPECT_NE(robust.find("chi2(2)"), std::string::npos);
}
