// End-to-end tests of `hwnas search` through the built binary.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "hwnas/core/csv.h"
#include "support/cli.h"

using hwnas::test::read_text;
using hwnas::test::run_hwnas;
using hwnas::test::scratch_dir;
using hwnas::test::write_text;
namespace fs = std::filesystem;

namespace {

// A quick config with cheap objectives only: params (minimize) against MACs (maximize, log).
nlohmann::json quick_config(const std::string& dir, long long evaluations, const std::string& name = "run") {
  return {{"space", {{"name", "nb201"}}},
          {"objectives",
           {{{"name", "params"}, {"source", "params"}},
            {{"name", "macs"}, {"source", "macs"}, {"direction", "maximize"}, {"log", true}}}},
          {"constraints", {{{"objective", "params"}, {"max", 1e6}}}},
          {"strategy", {{"name", "evolution"}, {"options", {{"population", 8}, {"sample_size", 3}}}}},
          {"budget", {{"evaluations", evaluations}}},
          {"parallelism", 2},
          {"seed", 3},
          {"output", {{"dir", dir + "/runs"}, {"name", name}}}};
}

std::string write_config(const std::string& dir, const nlohmann::json& j, const std::string& file = "search.json") {
  write_text(dir + "/" + file, j.dump(2));
  return dir + "/" + file;
}

std::size_t lines_of(const std::string& path) {
  const std::string t = read_text(path);
  return static_cast<std::size_t>(std::count(t.begin(), t.end(), '\n'));
}

}  // namespace

TEST(CliSearch, RunsAndWritesTheRunDirectory) {
  const std::string dir = scratch_dir();
  const std::string cfg = write_config(dir, quick_config(dir, 30));
  auto r = run_hwnas({"search", cfg, "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("stopped: evaluation budget reached; 30 evaluations, ", 0), 0u) << r.out;
  EXPECT_EQ(r.err, "");  // --quiet: no progress
  const std::string run = dir + "/runs/run";
  EXPECT_EQ(lines_of(run + "/evaluations.jsonl"), 30u);
  const auto config = nlohmann::json::parse(read_text(run + "/config.json"));
  EXPECT_EQ(config["batch_size"], 2);
  EXPECT_EQ(config["strategy"]["options"]["sample_size"], 3);
  const auto front = nlohmann::json::parse(read_text(run + "/pareto.json"));
  ASSERT_FALSE(front["front"].empty());
  for (const auto& m : front["front"]) EXPECT_LE(m["objectives"]["params"].get<double>(), 1e6);
  const hwnas::CsvTable csv = hwnas::read_csv_file(run + "/pareto.csv");
  EXPECT_EQ(csv.rows.size(), front["front"].size());
  // The same config again is refused (the run exists), with a hint to resume.
  auto again = run_hwnas({"search", cfg, "--quiet"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("holds an earlier run (evaluations.jsonl); continue it with --resume"), std::string::npos) << again.err;
}

TEST(CliSearch, FullReportAndProgressLines) {
  const std::string dir = scratch_dir();
  auto r = run_hwnas({"search", write_config(dir, quick_config(dir, 20))});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Pareto front ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("run directory: " + dir + "/runs/run"), std::string::npos) << r.out;
  // stderr is not a terminal here: sparse plain lines, no carriage returns.
  EXPECT_NE(r.err.find("search: 20/20 evaluations, front "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
}

TEST(CliSearch, BadConfigExitsWithCode2AndNamesThePath) {
  const std::string dir = scratch_dir();
  nlohmann::json j = quick_config(dir, 10);
  j["objectives"][1]["direction"] = "largest";
  auto r = run_hwnas({"search", write_config(dir, j, "bad.json")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.json: objectives[1].direction: expected \"minimize\" or \"maximize\", got \"largest\""),
            std::string::npos)
      << r.err;
  j = quick_config(dir, 10);
  j["objectives"][1]["source"] = {{"latency", {{"device", "toaster"}}}};
  r = run_hwnas({"search", write_config(dir, j, "device.json")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("device.json: objectives[1].source.latency.device: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("toaster"), std::string::npos) << r.err;
  r = run_hwnas({"search", dir + "/missing.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("missing.json"), std::string::npos) << r.err;
}

TEST(CliSearch, ResumeContinuesToTheSameFrontAsAnUninterruptedRun) {
  const std::string dir = scratch_dir();
  auto full = run_hwnas({"search", write_config(dir, quick_config(dir, 40, "full"), "full.json"), "--quiet"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  // A run cut after 13 evaluations, then continued with the full budget (same identity).
  auto cut = run_hwnas({"search", write_config(dir, quick_config(dir, 13, "part"), "part.json"), "--quiet"});
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  const std::string log = dir + "/runs/part/evaluations.jsonl";
  // ... and killed in the middle of writing a line.
  std::string text = read_text(log);
  write_text(log, text.substr(0, text.size() - 30));
  auto resumed = run_hwnas({"search", write_config(dir, quick_config(dir, 40, "part"), "part.json"), "--resume", dir + "/runs/part"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("ignoring a truncated last line"), std::string::npos) << resumed.err;
  EXPECT_NE(resumed.out.find("replayed from the log 12"), std::string::npos) << resumed.out;
  EXPECT_EQ(read_text(dir + "/runs/part/pareto.json"), read_text(dir + "/runs/full/pareto.json"));
  EXPECT_EQ(lines_of(log), 40u);
  // A different config does not resume it.
  nlohmann::json other = quick_config(dir, 40, "part");
  other["seed"] = 4;
  auto refused = run_hwnas({"search", write_config(dir, other, "other.json"), "--resume", dir + "/runs/part"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("holds a run of a different config (differs in: seed)"), std::string::npos) << refused.err;
  auto nothing = run_hwnas({"search", dir + "/full.json", "--resume", dir + "/nowhere"});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_NE(nothing.err.find("not a run directory"), std::string::npos) << nothing.err;
}
