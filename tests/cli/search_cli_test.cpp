// End-to-end tests of `hwnas search`.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>

#include "hwnas/core/csv.h"
#include "support/cli.h"

using hwnas::test::run_hwnas;

namespace {
std::string config(const std::string& out_dir, const std::string& strategy, int evals) {
  nlohmann::json j = {
      {"space", {{"name", "nb201"}, {"options", {{"channels", 8}, {"cells_per_stage", 1}}}}},
      {"objectives",
       {{{"name", "synflow"}, {"source", {{"proxy", "synflow"}}}, {"direction", "maximize"}, {"log", true}},
        {{"name", "params"}, {"source", "params"}}}},
      {"constraints", {{{"objective", "params"}, {"max", 60000}}}},
      {"strategy", {{"name", strategy}}},
      {"budget", {{"evaluations", evals}}},
      {"seed", 3},
      {"output", {{"dir", out_dir}}}};
  return j.dump(2);
}
std::vector<std::string> front_archs(const std::string& dir) {
  const auto j = nlohmann::json::parse(hwnas::test::read_text(dir + "/pareto.json"));
  std::vector<std::string> out;
  for (const auto& r : j["front"]) out.push_back(r["arch"]);
  return out;
}
}  // namespace

TEST(CliSearch, RunsAndWritesTheRunDirectory) {
  const std::string dir = hwnas::test::scratch_dir();
  hwnas::test::write_text(dir + "/c.json", config(dir + "/run", "evolution", 25));
  auto r = run_hwnas({"search", dir + "/c.json", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("stopped: evaluation budget reached; 25 evaluations"), std::string::npos) << r.out;
  // Every finished evaluation is one line of the log; constraints hold for all of them.
  std::istringstream log(hwnas::test::read_text(dir + "/run/evaluations.jsonl"));
  int lines = 0;
  for (std::string line; std::getline(log, line); ++lines) {
    const auto rec = nlohmann::json::parse(line);
    EXPECT_EQ(rec["status"], "ok");
    EXPECT_LE(rec["objectives"]["params"].get<double>(), 60000);
  }
  EXPECT_EQ(lines, 25);
  const hwnas::CsvTable t = hwnas::read_csv_file(dir + "/run/pareto.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"id", "arch", "synflow", "params"}));
  EXPECT_EQ(t.rows.size(), front_archs(dir + "/run").size());
  EXPECT_GE(t.rows.size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(dir + "/run/config.json"));
}

TEST(CliSearch, SameConfigAndSeedGiveTheSameFront) {
  const std::string dir = hwnas::test::scratch_dir();
  for (const char* run : {"a", "b"}) {
    hwnas::test::write_text(dir + "/" + run + ".json", config(dir + "/" + run, "bo", 20));
    ASSERT_EQ(run_hwnas({"search", dir + "/" + run + ".json", "--quiet"}).exit_code, 0);
  }
  EXPECT_EQ(front_archs(dir + "/a"), front_archs(dir + "/b"));
  EXPECT_EQ(hwnas::test::read_text(dir + "/a/pareto.csv"), hwnas::test::read_text(dir + "/b/pareto.csv"));
}

TEST(CliSearch, RefusesToOverwriteAnEarlierRun) {
  const std::string dir = hwnas::test::scratch_dir();
  hwnas::test::write_text(dir + "/c.json", config(dir + "/run", "random", 5));
  ASSERT_EQ(run_hwnas({"search", dir + "/c.json", "--quiet"}).exit_code, 0);
  const std::string before = hwnas::test::read_text(dir + "/run/evaluations.jsonl");
  auto r = run_hwnas({"search", dir + "/c.json", "--quiet"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("holds an earlier run"), std::string::npos) << r.err;
  EXPECT_EQ(hwnas::test::read_text(dir + "/run/evaluations.jsonl"), before);
}

TEST(CliSearch, BadConfigsNameTheField) {
  const std::string dir = hwnas::test::scratch_dir();
  auto expect_error = [&](const nlohmann::json& j, const std::string& msg) {
    hwnas::test::write_text(dir + "/bad.json", j.dump());
    auto r = run_hwnas({"search", dir + "/bad.json", "--quiet"});
    EXPECT_EQ(r.exit_code, 2) << j.dump();
    EXPECT_NE(r.err.find(msg), std::string::npos) << r.err;
  };
  nlohmann::json base = nlohmann::json::parse(config(dir + "/r", "random", 5));
  nlohmann::json j = base;
  j["objectives"][0]["source"]["proxy"] = "zen";
  expect_error(j, "objectives[0].source.proxy: unknown proxy 'zen'");
  j = base;
  j["objectives"][1]["direction"] = "up";
  expect_error(j, "objectives[1].direction: expected \"minimize\" or \"maximize\", got \"up\"");
  j = base;
  j["budget"]["evaluation"] = 3;
  expect_error(j, "budget.evaluation: unknown key");
  j = base;
  j["constraints"][0]["objective"] = "latency";
  expect_error(j, "constraints[0].objective: no objective named 'latency'");
  j = base;
  j["strategy"]["name"] = "annealing";
  expect_error(j, "unknown strategy");
  hwnas::test::write_text(dir + "/syntax.json", "{\"space\": }");
  auto r = run_hwnas({"search", dir + "/syntax.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(dir + "/syntax.json:1:11: invalid JSON"), std::string::npos) << r.err;
}

TEST(CliSearch, QuickstartConfigParses) {
  auto r = run_hwnas({"search", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  const auto j = nlohmann::json::parse(hwnas::test::read_text(std::string(HWNAS_SOURCE_DIR) + "/configs/quickstart.json"));
  EXPECT_EQ(j["space"]["name"], "nb201");
}
