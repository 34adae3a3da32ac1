// `hwnas ask` / `hwnas tell` through the built binary: a run driven one process per call, with
// external values; what they print; concurrent callers taking turns; bad input exits 2 without
// touching the run.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>

#include "support/cli.h"

using hwnas::test::read_text;
using hwnas::test::run_hwnas;
using hwnas::test::scratch_dir;
using hwnas::test::write_text;
namespace fs = std::filesystem;

namespace {

// acc (external, maximized) against params and predicted latency, as configs/external.json.
std::string write_config(const std::string& dir, long long evaluations = 12) {
  const nlohmann::json j = {
      {"space", {{"name", "nb201"}}},
      {"objectives",
       {{{"name", "acc"}, {"source", {{"external", nlohmann::json::object()}}}, {"direction", "maximize"}},
        {{"name", "rpi4_ms"}, {"source", {{"latency", {{"device", "raspberry-pi-4"}}}}}},
        {{"name", "params"}, {"source", "params"}}}},
      {"constraints", {{{"objective", "rpi4_ms"}, {"max", 8}}}},
      {"strategy", {{"name", "evolution"}, {"options", {{"population", 6}, {"sample_size", 2}}}}},
      {"budget", {{"evaluations", evaluations}}},
      {"seed", 1}};
  write_text(dir + "/external.json", j.dump(2));
  return dir + "/external.json";
}

// A stand-in for the user's training: a number from the architecture's text.
double fake_accuracy(const std::string& arch) { return 0.5 + static_cast<double>(std::hash<std::string>{}(arch) % 1000) / 2500.0; }

nlohmann::json ask_json(const std::string& run, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"ask", run, "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = run_hwnas(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

}  // namespace

TEST(CliAskTell, ADrivenRunLogsTheToldValuesAndKeepsTheFront) {
  const std::string dir = scratch_dir();
  const std::string cfg = write_config(dir), run = dir + "/run";
  const nlohmann::json first = ask_json(run, {"--config", cfg, "--n", "3"});
  ASSERT_EQ(first.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(first[i]["id"], static_cast<int>(i));
    EXPECT_EQ(first[i]["decisions"].size(), 6u);
    EXPECT_LE(first[i]["cheap"]["rpi4_ms"].get<double>(), 8.0);  // the constraint holds before anything is asked
    EXPECT_GT(first[i]["cheap"]["params"].get<double>(), 0.0);
    EXPECT_FALSE(first[i]["cheap"].contains("acc"));
  }
  // The plain form: id, arch and the cheap values, tab-separated.
  const auto plain = run_hwnas({"ask", run, "--n", "1"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out.rfind("3\t|", 0), 0u) << plain.out;
  EXPECT_NE(plain.out.find("\trpi4_ms="), std::string::npos);

  const auto pending = run_hwnas({"ask", run, "--pending", "--json"});
  ASSERT_EQ(pending.exit_code, 0) << pending.err;
  EXPECT_EQ(nlohmann::json::parse(pending.out).size(), 4u);

  std::map<long long, double> told;
  for (const auto& t : first) {
    const double acc = fake_accuracy(t["arch"]);
    const auto r = run_hwnas({"tell", run, "--id", std::to_string(t["id"].get<long long>()), "--value", "acc=" + nlohmann::json(acc).dump()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(": ok;"), std::string::npos) << r.out;
    told[t["id"].get<long long>()] = acc;
  }
  const auto failed = run_hwnas({"tell", run, "--id", "3", "--failed", "CUDA out of memory"});
  ASSERT_EQ(failed.exit_code, 0) << failed.err;
  EXPECT_NE(failed.out.find("trial 3: failed (CUDA out of memory); 4 evaluations, 0 pending"), std::string::npos) << failed.out;

  // Drive the rest of the budget the way a user's loop does.
  for (int round = 0; round < 10; ++round) {
    const nlohmann::json trials = ask_json(run, {"--n", "2"});
    if (trials.empty()) break;
    for (const auto& t : trials) {
      const double acc = fake_accuracy(t["arch"]);
      told[t["id"].get<long long>()] = acc;
      ASSERT_EQ(run_hwnas({"tell", run, "--id", std::to_string(t["id"].get<long long>()), "--value", "acc=" + nlohmann::json(acc).dump()})
                    .exit_code,
                0);
    }
  }
  const auto spent = run_hwnas({"ask", run, "--json"});
  EXPECT_EQ(spent.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(spent.out), nlohmann::json::array());
  EXPECT_NE(spent.err.find("the evaluation budget is spent (12 evaluations, 0 pending)"), std::string::npos) << spent.err;

  // The log has every told value; the front is made of them; the report reads the run.
  const std::string log = read_text(run + "/evaluations.jsonl");
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 12);
  const auto front = nlohmann::json::parse(read_text(run + "/pareto.json"));
  ASSERT_FALSE(front["front"].empty());
  for (const auto& m : front["front"]) EXPECT_EQ(m["objectives"]["acc"].get<double>(), told.at(m["id"].get<long long>()));
  const auto report = run_hwnas({"report", run});
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_TRUE(fs::exists(run + "/report.html"));
}

TEST(CliAskTell, ConcurrentCallersTakeTurns) {
  const std::string dir = scratch_dir();
  const std::string run = dir + "/run";
  ASSERT_EQ(ask_json(run, {"--config", write_config(dir), "--n", "4"}).size(), 4u);
  // Four tells and two asks started at the same moment: each waits for the run's lock.
  std::vector<std::vector<std::string>> calls;
  for (int id = 0; id < 4; ++id) calls.push_back({"tell", run, "--id", std::to_string(id), "--value", "acc=0.9" + std::to_string(id)});
  calls.push_back({"ask", run, "--n", "1"});
  calls.push_back({"ask", run, "--n", "1"});
  const auto rs = hwnas::test::run_hwnas_together(calls);
  for (const auto& r : rs) EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto pending = nlohmann::json::parse(run_hwnas({"ask", run, "--pending", "--json"}).out);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_NE(pending[0]["id"], pending[1]["id"]);
  const std::string log = read_text(run + "/evaluations.jsonl");
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 4);
}

TEST(CliAskTell, BadInputExitsWith2AndLeavesTheRunAlone) {
  const std::string dir = scratch_dir();
  const std::string cfg = write_config(dir), run = dir + "/run";
  auto err = [](const std::vector<std::string>& args) {
    const auto r = run_hwnas(args);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    return r.err;
  };
  EXPECT_NE(err({"ask", run}).find(run + ": no run here yet; give --config CONFIG to create it"), std::string::npos);
  EXPECT_NE(err({"tell", run, "--id", "0", "--value", "acc=1"}).find(run + ": not a run directory (no config.json)"), std::string::npos);
  EXPECT_FALSE(fs::exists(run));
  ASSERT_EQ(ask_json(run, {"--config", cfg, "--n", "2"}).size(), 2u);
  const std::string log_before = read_text(run + "/evaluations.jsonl"), journal_before = read_text(run + "/trials.jsonl");
  EXPECT_NE(err({"tell", run, "--id", "0", "--value", "acc"}).find("--value acc: expected NAME=NUMBER"), std::string::npos);
  EXPECT_NE(err({"tell", run, "--id", "0", "--value", "acc=0.9x"}).find("--value acc=0.9x: expected NAME=NUMBER"), std::string::npos);
  EXPECT_NE(err({"tell", run, "--id", "0", "--value", "acc=1", "--value", "acc=2"}).find("'acc' is given twice"), std::string::npos);
  EXPECT_NE(err({"tell", run, "--id", "0"}).find("give the trial's values (--value NAME=NUMBER"), std::string::npos);
  EXPECT_NE(err({"tell", run, "--id", "0", "--value", "acc=1", "--failed", "x"}).find("--value and --failed exclude each other"),
            std::string::npos);
  EXPECT_NE(err({"tell", run, "--id", "0", "--value", "ac=1"}).find("'ac' is not an external objective of this study; did you mean 'acc'?"),
            std::string::npos);
  EXPECT_NE(err({"tell", run, "--id", "7", "--value", "acc=1"}).find("no pending trial 7 in " + run + " (pending: 0, 1)"), std::string::npos);
  EXPECT_NE(err({"ask", run, "--n", "0"}).find("--n 0: expected 1 to 100000"), std::string::npos);
  EXPECT_NE(err({"ask", run, "--set", "seed=2"}).find("--set changes the config given with --config"), std::string::npos);
  // Another config for an existing run: refused, naming what differs.
  EXPECT_NE(err({"ask", run, "--config", cfg, "--set", "seed=2"}).find("holds a run of a different config (differs in: seed)"), std::string::npos);
  EXPECT_EQ(read_text(run + "/evaluations.jsonl"), log_before);
  EXPECT_EQ(read_text(run + "/trials.jsonl"), journal_before);
  // A config without external objectives is for hwnas search, and the other way round.
  const std::string search_cfg = dir + "/search.json";
  write_text(search_cfg, R"({"space": {"name": "nb201"}, "objectives": [{"name": "p", "source": "params"}], "budget": {"evaluations": 3}})");
  EXPECT_NE(err({"ask", dir + "/other", "--config", search_cfg}).find("no objective is external ({\"external\": {}}), so there is nothing to tell"),
            std::string::npos);
  EXPECT_NE(err({"search", cfg, "--out", dir + "/s"}).find("is external: its values come from your own code"), std::string::npos);
}
