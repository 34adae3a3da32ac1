// End-to-end tests of `hwnas scaling fit | powerlaw | doubling`.
#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli.h"

using hwnas::test::run_hwnas;

namespace {

// Audio: FLOPs = 10 * Parameters; Vision: FLOPs = 100 * Parameters^1.2, on a small grid, plus one
// row of each kind that must be dropped and one with two categories.
std::string models_csv() {
  std::string csv = "Model,Parameters,FLOPs,Domain\n";
  int i = 0;
  for (double p : {1e5, 3e5, 1e6, 3e6, 1e7}) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "a%d,%.17g,%.17g,Audio\nv%d,%.17g,%.17g,Vision\n", i, p, 10 * p * (1 + 0.01 * (i % 2)),
                  i, p, 100 * std::pow(p, 1.2) * (1 - 0.01 * (i % 3)));
    csv += buf;
    ++i;
  }
  csv += "broken,12 GB,1e9,Audio\n";
  csv += "empty,,1e9,Vision\n";
  csv += "both,2e6,2e7,\"Audio,Vision\"\n";
  return csv;
}

std::string write(const std::string& name, const std::string& text) {
  const std::string path = hwnas::test::scratch_dir() + "/" + name;
  hwnas::test::write_text(path, text);
  return path;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(CliScaling, FitPrintsTableWithTermsAndRowCounts) {
  const std::string path = write("models.csv", models_csv());
  auto r = run_hwnas({"scaling", "fit", path, "--y", "FLOPs", "--x", "Parameters", "--by", "Domain", "--log"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* part : {"OLS log10(FLOPs) ~ log10(Parameters) * Domain", "reference level: Domain = Audio", "P>|t|",
                           "Domain[T.Vision]", "Parameters:Domain[T.Vision]", "R-squared",
                           "rows: 13 read, 2 dropped (1 missing, 1 not a number), 11 used; 1 with several categories kept",
                           "column 'Parameters': '12 GB'"})
    EXPECT_TRUE(has(r.out, part)) << part << "\n" << r.out;
}

TEST(CliScaling, FitJsonRecoversSlopesPerLevel) {
  const std::string path = write("models.csv", models_csv());
  auto r = run_hwnas({"scaling", "fit", path, "--y", "FLOPs", "--x", "Parameters", "--by", "Domain", "--log", "--robust",
                      "--split-multi", "drop", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["cov_type"], "HC1");
  EXPECT_EQ(j["distribution"], "normal");
  EXPECT_EQ(j["nobs"], 10);
  EXPECT_EQ(j["rows"]["dropped"]["multi_category"], 1);
  EXPECT_EQ(j["rows"]["dropped"]["total"], 3);
  ASSERT_EQ(j["terms"].size(), 4u);
  EXPECT_EQ(j["terms"][3]["term"], "Parameters:Domain[T.Vision]");
  EXPECT_NEAR(j["level_slopes"][0]["coef"].get<double>(), 1.0, 0.01);
  EXPECT_NEAR(j["level_slopes"][1]["coef"].get<double>(), 1.2, 0.01);
  EXPECT_EQ(j["level_slopes"][1]["level"], "Vision");
}

TEST(CliScaling, WhereFiltersBeforeFitting) {
  const std::string path = write("models.csv", models_csv());
  auto r = run_hwnas({"scaling", "fit", "--where", "Domain=Vision", path, "--y", "FLOPs", "--x", "Parameters", "--log", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["nobs"], 5);
  EXPECT_EQ(j["rows"]["filtered"], 7);  // 5 Audio, the broken Audio row, the two-category row
  EXPECT_NEAR(j["terms"][1]["coef"].get<double>(), 1.2, 0.01);
}

TEST(CliScaling, HelpDocumentsSplitMulti) {
  auto r = run_hwnas({"scaling", "fit", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(has(r.out, "first = keep the row under its first category, drop = drop the row (counted), explode = one row per category"))
      << r.out;
}

TEST(CliScaling, PowerLawOnEvaluationLogIsDeterministic) {
  std::string log;
  for (int i = 0; i < 12; ++i) {
    const double params = 1e5 * std::pow(1.7, i), flops = 4 * std::pow(params, 0.9) * (1 + 0.02 * ((i * 7) % 5 - 2));
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "{\"id\": %d, \"arch\": \"|x|\", \"status\": \"ok\", \"objectives\": {\"params\": %.17g, \"flops\": %.17g}}\n", i,
                  params, flops);
    log += buf;
  }
  log += "{\"id\": 12, \"status\": \"rejected\", \"objectives\": {\"params\": 5e5}}\n";  // no flops: missing
  const std::string path = write("evaluations.jsonl", log);
  const std::vector<std::string> args{"scaling", "powerlaw", path, "--y", "objectives.flops", "--x", "objectives.params",
                                      "--bootstrap", "300", "--seed", "9", "--json"};
  auto r1 = run_hwnas(args), r2 = run_hwnas(args);
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_EQ(r1.out, r2.out);
  const auto j = nlohmann::json::parse(r1.out);
  EXPECT_NEAR(j["b"].get<double>(), 0.9, 0.01);
  EXPECT_NEAR(j["a"].get<double>(), 4, 0.5);
  EXPECT_LT(j["b_ci95"][0].get<double>(), j["b"].get<double>());
  EXPECT_GT(j["b_ci95"][1].get<double>(), j["b"].get<double>());
  EXPECT_EQ(j["rows"]["dropped"]["missing"], 1);
  EXPECT_EQ(j["rows"]["used"], 12);
}

TEST(CliScaling, DoublingPerEra) {
  std::string csv = "Date,FLOPs\n";
  for (int y = 2000; y < 2020; ++y)
    for (int m : {1, 7}) {
      const double t = y + (m - 1) / 12.0;
      const double doublings = t < 2010 ? (t - 2000) * 2 : 20 + (t - 2010) / 2;  // 6 then 24 months
      char buf[64];
      std::snprintf(buf, sizeof buf, "%d-%02d,%.17g\n", y, m, std::pow(2.0, doublings));
      csv += buf;
    }
  const std::string path = write("trend.csv", csv);
  auto r = run_hwnas({"scaling", "doubling", path, "--y", "FLOPs", "--date", "Date", "--breaks", "2010-01-01", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["eras"].size(), 2u);
  // YYYY-MM dates count calendar days, so the rates are 6 and 24 months to within a percent.
  EXPECT_NEAR(j["eras"][0]["doubling_months"].get<double>(), 6, 0.06);
  EXPECT_NEAR(j["eras"][1]["doubling_months"].get<double>(), 24, 0.24);
  auto t = run_hwnas({"scaling", "doubling", path, "--y", "FLOPs", "--date", "Date", "--breaks", "2010-01-01"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_TRUE(has(t.out, "before 2010-01-01")) << t.out;
  EXPECT_TRUE(has(t.out, "from 2010-01-01")) << t.out;
}

TEST(CliScaling, BadInputExitsWith2AndNamesTheInput) {
  const std::string path = write("models.csv", models_csv());
  auto c = run_hwnas({"scaling", "fit", path, "--y", "FLOPS", "--x", "Parameters"});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_TRUE(has(c.err, path + ": missing column 'FLOPS' (columns: Model, Parameters, FLOPs, Domain)")) << c.err;
  auto s = run_hwnas({"scaling", "fit", path, "--y", "FLOPs", "--x", "Parameters", "--split-multi", "all"});
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_TRUE(has(s.err, "--split-multi: expected first, drop or explode, got 'all'")) << s.err;
  auto w = run_hwnas({"scaling", "fit", path, "--y", "FLOPs", "--x", "Parameters", "--where", "Domain"});
  EXPECT_EQ(w.exit_code, 2);
  EXPECT_TRUE(has(w.err, "--where: expected COLUMN=VALUE, got 'Domain'")) << w.err;
  const std::string bad = write("bad.jsonl", "{\"a\": 1, \"b\": 2}\n{\"a\": 2 \"b\": 3}\n{\"a\": 3, \"b\": 4}\n");
  auto j = run_hwnas({"scaling", "powerlaw", bad, "--y", "b", "--x", "a"});
  EXPECT_EQ(j.exit_code, 2);
  EXPECT_TRUE(has(j.err, bad + ":2:11: invalid JSON: syntax error")) << j.err;
  auto m = run_hwnas({"scaling", "fit", hwnas::test::scratch_dir() + "/none.csv", "--y", "a", "--x", "b"});
  EXPECT_EQ(m.exit_code, 2);
  EXPECT_TRUE(has(m.err, "none.csv")) << m.err;
  auto b = run_hwnas({"scaling", "doubling", path, "--y", "FLOPs", "--date", "Model", "--breaks", "2015-01-01,2012-01-01"});
  EXPECT_EQ(b.exit_code, 2);
  EXPECT_TRUE(has(b.err, "--breaks: dates must increase, '2012-01-01' does not")) << b.err;
  auto n = run_hwnas({"scaling"});
  EXPECT_EQ(n.exit_code, 2);
}

TEST(CliScaling, NonFiniteStatisticsAreErrorsNotOutput) {
  // Each printed inf or NaN statistics and exited with 0.
  const std::string flat = write("flat.csv", "x,y\n1,5\n2,5\n3,5\n4,5\n");
  const std::string huge = write("huge.csv", "x,y\n1,1e308\n2,1.5e308\n3,1.2e308\n4,1.7e308\n");
  for (const auto& args : std::vector<std::vector<std::string>>{{"scaling", "fit", flat, "--y", "y", "--x", "x"},
                                                                {"scaling", "fit", flat, "--y", "y", "--x", "x", "--robust", "--json"},
                                                                {"scaling", "fit", huge, "--y", "y", "--x", "x"}}) {
    auto r = run_hwnas(args);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(has(r.err, args[2] == flat ? "y ~ x: the response is the same in every row (5)"
                                           : "y ~ x: the response has values up to 1.7e+308, too large"))
        << r.err;
  }
  auto d = run_hwnas({"scaling", "doubling", write("d.csv", "date,y\n2015,5\n2016,5\n2017,5\n"), "--y", "y", "--date", "date"});
  EXPECT_EQ(d.exit_code, 0) << d.err;
  EXPECT_TRUE(has(d.out, "y is the same in every row of this era: no growth, so no doubling time")) << d.out;
  EXPECT_FALSE(has(d.out, "nan") || has(d.out, "inf")) << d.out;
}
