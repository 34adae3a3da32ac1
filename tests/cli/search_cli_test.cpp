// End-to-end tests of `hwnas search` through the built binary.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

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

TEST(CliSearch, BadSurrogateEncodingExitsWithCode2) {
  const std::string dir = scratch_dir();
  nlohmann::json j = quick_config(dir, 10);
  j["strategy"] = {{"name", "bo"}, {"options", {{"encoding", "wll"}}}};
  auto r = run_hwnas({"search", write_config(dir, j, "enc.json")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("enc.json: strategy.options.encoding: unknown encoding \"wll\"; did you mean 'wl'? (known: onehot, "
                       "path, wl, layers, layers+onehot)"),
            std::string::npos)
      << r.err;
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

// ---- One writer per run directory (issue #14) ----

namespace {

// The ids of a log, in order; fails the test on a malformed line.
std::vector<long long> ids_of(const std::string& log) {
  std::vector<long long> ids;
  std::istringstream in(read_text(log));
  for (std::string line; std::getline(in, line);) ids.push_back(nlohmann::json::parse(line)["id"].get<long long>());
  return ids;
}

bool refused_as_second_writer(const hwnas::test::CliResult& r) {
  return r.exit_code == 2 && (r.err.find(") is writing this run; wait for it to finish") != std::string::npos ||
                              r.err.find("holds an earlier run (evaluations.jsonl)") != std::string::npos);
}

}  // namespace

TEST(CliSearch, TwoSearchesStartedTogetherOnOneFolderGiveExactlyOneWriter) {
  const std::string dir = scratch_dir();
  int refused_by_lock = 0;
  for (int trial = 0; trial < 50; ++trial) {
    const std::string t = dir + "/t" + std::to_string(trial);
    fs::create_directories(t);
    const std::string cfg = write_config(t, quick_config(t, 60));
    const auto rs = hwnas::test::run_hwnas_together({{"search", cfg, "--quiet"}, {"search", cfg, "--quiet"}});
    const int ok = (rs[0].exit_code == 0) + (rs[1].exit_code == 0);
    ASSERT_EQ(ok, 1) << "trial " << trial << ": " << rs[0].err << " | " << rs[1].err;
    const auto& loser = rs[0].exit_code == 0 ? rs[1] : rs[0];
    ASSERT_TRUE(refused_as_second_writer(loser)) << "trial " << trial << ": " << loser.err;
    refused_by_lock += loser.err.find("another hwnas process") != std::string::npos;
    std::vector<long long> ids = ids_of(t + "/runs/run/evaluations.jsonl");
    ASSERT_EQ(ids.size(), 60u) << "trial " << trial;
    for (std::size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(ids[i], static_cast<long long>(i)) << "trial " << trial;
  }
  std::cout << "refused by the lock (the rest: by the finished log): " << refused_by_lock << " of 50\n";
}

TEST(CliSearch, TwoResumesTogetherGiveExactlyOneWriter) {
  const std::string dir = scratch_dir();
  ASSERT_EQ(run_hwnas({"search", write_config(dir, quick_config(dir, 10)), "--quiet"}).exit_code, 0);
  const std::string run = dir + "/runs/run";
  for (int trial = 0; trial < 50; ++trial) {
    const long long budget = 10 + 4 * (trial + 1);
    const std::string cfg = write_config(dir, quick_config(dir, budget));
    const auto rs = hwnas::test::run_hwnas_together({{"search", cfg, "--quiet", "--resume", run},
                                                     {"search", cfg, "--quiet", "--resume", run}});
    ASSERT_TRUE(rs[0].exit_code == 0 || rs[1].exit_code == 0) << rs[0].err << " | " << rs[1].err;
    for (const auto& r : rs)
      if (r.exit_code != 0) ASSERT_NE(r.err.find("another hwnas process (pid "), std::string::npos) << r.err;
    // Both may succeed one after the other (the second finds nothing left to do), never together.
    const std::vector<long long> ids = ids_of(run + "/evaluations.jsonl");
    ASSERT_EQ(ids.size(), static_cast<std::size_t>(budget)) << "trial " << trial;
    for (std::size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(ids[i], static_cast<long long>(i)) << "trial " << trial;
  }
}

TEST(CliSearch, ASecondWriterIsRefusedNamingTheHoldersPid) {
  const std::string dir = scratch_dir();
  const std::string run = dir + "/runs/run";
  fs::create_directories(run);
  // This test process holds the run, as a running search would.
  const int fd = ::open((run + "/.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  const std::string pid = std::to_string(::getpid());
  ASSERT_EQ(::write(fd, (pid + "\n").data(), pid.size() + 1), static_cast<ssize_t>(pid.size() + 1));
  const std::string cfg = write_config(dir, quick_config(dir, 10));
  auto r = run_hwnas({"search", cfg, "--quiet"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "error: " + run + ": another hwnas process (pid " + pid +
                       ") is writing this run; wait for it to finish, or stop it first\n");
  EXPECT_FALSE(fs::exists(run + "/evaluations.jsonl"));  // nothing written by the refused one
  ::close(fd);  // released: now it runs
  r = run_hwnas({"search", cfg, "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = run_hwnas({"search", cfg, "--quiet", "--resume", run});
  EXPECT_EQ(r.exit_code, 0) << r.err;  // a stale lock file of a finished run does not block
}

TEST(CliSearch, ResumeRefusesADoubledOrForeignLogNamingTheLine) {
  const std::string dir = scratch_dir();
  const std::string cfg = write_config(dir, quick_config(dir, 6));
  ASSERT_EQ(run_hwnas({"search", cfg, "--quiet"}).exit_code, 0);
  const std::string run = dir + "/runs/run", log = run + "/evaluations.jsonl";
  const std::string good = read_text(log);
  std::istringstream in(good);
  std::string first;
  std::getline(in, first);
  // Two writers' interleaved lines: an id twice.
  write_text(log, good + first + "\n");
  auto r = run_hwnas({"search", cfg, "--quiet", "--resume", run});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(log + ":7: duplicate id 0 (also on line 1)"), std::string::npos) << r.err;
  // A record of another space: its arch does not parse here.
  nlohmann::json j = nlohmann::json::parse(first);
  j["id"] = 6;
  j["arch"] = "r224|w1|k3e4,k5e6|k3e3,k3e3|k7e6,k5e4,k3e3|k3e3,k3e3|k5e6,k5e6,k5e6,k5e6";
  write_text(log, good + j.dump() + "\n");
  r = run_hwnas({"search", cfg, "--quiet", "--resume", run});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(log + ":7: record id 6 does not belong to this run: its arch is not of this space"), std::string::npos)
      << r.err;
  // A record whose hash is not this space's: written with other options.
  j = nlohmann::json::parse(first);
  j["id"] = 6;
  j["hash"] = "0123456789abcdef";
  write_text(log, good + j.dump() + "\n");
  r = run_hwnas({"search", cfg, "--quiet", "--resume", run});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(log + ":7: record id 6 does not belong to this run: its hash is not this space's hash"),
            std::string::npos)
      << r.err;
  write_text(log, good);  // the intact log resumes
  EXPECT_EQ(run_hwnas({"search", cfg, "--quiet", "--resume", run}).exit_code, 0);
}

TEST(CliSearch, RunFilesThatAreSymlinksAreNotFollowed) {
  const std::string dir = scratch_dir();
  const std::string cfg = write_config(dir, quick_config(dir, 6));
  const std::string run = dir + "/runs/run";
  fs::create_directories(run);
  write_text(dir + "/elsewhere.jsonl", "");
  fs::create_symlink(dir + "/elsewhere.jsonl", run + "/evaluations.jsonl");
  auto r = run_hwnas({"search", cfg, "--quiet"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(run + "/evaluations.jsonl: is a symbolic link"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(dir + "/elsewhere.jsonl"), "");  // nothing appended outside the run folder
  fs::remove(run + "/evaluations.jsonl");
  ASSERT_EQ(run_hwnas({"search", cfg, "--quiet"}).exit_code, 0);
  // Planted after the run: --resume refuses it too.
  fs::rename(run + "/evaluations.jsonl", dir + "/elsewhere.jsonl");
  fs::create_symlink(dir + "/elsewhere.jsonl", run + "/evaluations.jsonl");
  r = run_hwnas({"search", cfg, "--quiet", "--resume", run});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(run + "/evaluations.jsonl: is a symbolic link"), std::string::npos) << r.err;
}

TEST(CliSearch, OutputDirIsRelativeToTheWorkingDirectory) {
  // Documented choice (README): output.dir is where the user runs hwnas from, as `runs/quickstart`
  // in the README; table and profile paths are relative to the config's folder.
  const std::string dir = scratch_dir();
  fs::create_directories(dir + "/cfgs");
  fs::create_directories(dir + "/work");
  nlohmann::json j = quick_config(dir, 4);
  j["output"]["dir"] = "rel_runs";
  const std::string cfg = write_config(dir + "/cfgs", j);
  const auto old = fs::current_path();
  fs::current_path(dir + "/work");
  auto r = run_hwnas({"search", cfg, "--quiet"});
  fs::current_path(old);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir + "/work/rel_runs/run/evaluations.jsonl"));
  EXPECT_FALSE(fs::exists(dir + "/cfgs/rel_runs"));
}

TEST(CliSearch, SetOutAndForceRunAgainWithoutEditingTheConfig) {
  const std::string dir = scratch_dir();
  const std::string cfg = write_config(dir, quick_config(dir, 12));
  // --set changes fields by JSON path, validated like the file; --out names the run directory.
  auto r = run_hwnas({"search", cfg, "--quiet", "--set", "seed=5", "--set", "budget.evaluations=7", "--set",
                      "objectives[1].log=false", "--out", dir + "/other/x"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_of(dir + "/other/x/evaluations.jsonl"), 7u);
  const auto stored = nlohmann::json::parse(read_text(dir + "/other/x/config.json"));
  EXPECT_EQ(stored["seed"], 5);
  EXPECT_EQ(stored["objectives"][1]["log"], false);
  EXPECT_EQ(stored["output"]["dir"], dir + "/other");
  EXPECT_EQ(stored["output"]["name"], "x");
  EXPECT_FALSE(fs::exists(dir + "/runs/run"));
  // A second run into the same folder is refused with the choices; --force replaces it.
  r = run_hwnas({"search", cfg, "--quiet", "--out", dir + "/other/x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("replace it with --force"), std::string::npos) << r.err;
  EXPECT_EQ(lines_of(dir + "/other/x/evaluations.jsonl"), 7u);  // nothing lost by the refusal
  fs::create_directories(dir + "/other/x/archs/3");
  write_text(dir + "/other/x/notes.txt", "mine");
  r = run_hwnas({"search", cfg, "--quiet", "--out", dir + "/other/x", "--force"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_of(dir + "/other/x/evaluations.jsonl"), 12u);
  EXPECT_EQ(nlohmann::json::parse(read_text(dir + "/other/x/config.json"))["seed"], 3);
  EXPECT_FALSE(fs::exists(dir + "/other/x/archs"));      // the earlier run's exports went with it
  EXPECT_EQ(read_text(dir + "/other/x/notes.txt"), "mine");  // files that are not the run's stay
  // --force with --resume is a contradiction.
  r = run_hwnas({"search", cfg, "--resume", dir + "/other/x", "--force"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--force replaces a run and --resume continues one"), std::string::npos) << r.err;
}

TEST(CliSearch, BadOverridesNameTheFlag) {
  const std::string dir = scratch_dir();
  const std::string cfg = write_config(dir, quick_config(dir, 5));
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--set", "seed"}, "--set seed: expected PATH=VALUE"},
      {{"--set", "=3"}, "--set =3: expected PATH=VALUE"},
      {{"--set", "seed.x=1"}, "--set seed.x=1: seed is not an object (it is of type integer)"},
      {{"--set", "objectives[7].log=true"}, "--set objectives[7].log=true: objectives has 2 elements, no [7]"},
      {{"--set", "budget.evaluations=lots"},
       "search.json: budget.evaluations: expected an integer, got string \"lots\" (the config with --set budget.evaluations=lots)"},
      {{"--set", "budgte.evaluations=3"}, "budgte: unknown key; did you mean 'budget'?"},
      {{"--out", "/"}, "--out /: expected a run directory"},
  };
  for (const auto& [extra, expected] : cases) {
    std::vector<std::string> args{"search", cfg, "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_hwnas(args);
    EXPECT_EQ(r.exit_code, 2) << expected;
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(dir + "/runs"));  // nothing was written
}

TEST(CliSearch, DegenerateNetworksAreRejectedOrMarked) {
  // Only params and latency: the all-`none` cell is the cheapest network on both, but it computes
  // a constant. Excluded by default; with exclude_degenerate false it is evaluated and marked.
  const std::string dir = scratch_dir();
  nlohmann::json j = quick_config(dir, 400);
  j["objectives"] = {{{"name", "params"}, {"source", "params"}},
                     {{"name", "ms"}, {"source", {{"latency", {{"device", "raspberry-pi-4"}}}}}}};
  j["constraints"] = nlohmann::json::array();
  j["space"]["options"] = {{"ops", {"none", "skip_connect", "nor_conv_1x1"}}};  // 729 cells, 400 evaluations
  const std::string cfg = write_config(dir, j);
  auto r = run_hwnas({"search", cfg, "--quiet", "--out", dir + "/on"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_hwnas({"search", cfg, "--quiet", "--out", dir + "/off", "--set", "exclude_degenerate=false"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Per run: the degenerate records (by status), and how many front members are degenerate.
  struct Scan {
    int evaluated = 0, rejected = 0, on_front = 0;
  };
  auto scan = [](const std::string& run) {
    Scan out;
    std::set<std::string> degenerate;
    std::istringstream log(read_text(run + "/evaluations.jsonl"));
    for (std::string line; std::getline(log, line);) {
      const auto rec = nlohmann::json::parse(line);
      if (!rec.value("degenerate", false)) continue;
      (rec["status"] == "rejected" ? out.rejected : out.evaluated) += 1;
      degenerate.insert(rec["arch"].get<std::string>());
    }
    const auto pareto = nlohmann::json::parse(read_text(run + "/pareto.json"));
    for (const auto& m : pareto["front"]) out.on_front += static_cast<int>(degenerate.count(m["arch"].get<std::string>()));
    return out;
  };
  const Scan on = scan(dir + "/on"), off = scan(dir + "/off");
  // Excluded: the strategy is not even offered them (a proposal would be logged as rejected).
  EXPECT_EQ(on.evaluated, 0);
  EXPECT_EQ(on.on_front, 0);
  // Not excluded: evaluated, marked, and the constant network wins the front (cheapest on both).
  EXPECT_GT(off.evaluated, 0);
  EXPECT_EQ(off.rejected, 0);
  EXPECT_EQ(off.on_front, 1);
}
