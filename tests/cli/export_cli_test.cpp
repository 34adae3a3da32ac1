// End-to-end tests of `hwnas export`: the single-architecture form and the run-directory form.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "support/cli.h"

using hwnas::test::read_text;
using hwnas::test::run_hwnas;
using hwnas::test::write_text;
namespace fs = std::filesystem;

namespace {

const char* kArch = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|";

// A run directory as the search writes it: three ok evaluations (ids 0, 1, 2), a failed one
// (id 3), a front of ids 0 and 2.
std::string write_run() {
  const std::string dir = hwnas::test::scratch_dir() + "/run";
  fs::create_directories(dir);
  write_text(dir + "/config.json", R"({"space": {"name": "nb201", "options": {"channels": 8, "cells_per_stage": 1}},
    "objectives": [{"name": "params", "source": "params", "direction": "minimize", "log": false},
                   {"name": "acc", "source": {"table": {"file": "t.csv"}}, "direction": "maximize", "log": false}]})");
  const std::vector<std::string> archs{kArch, "|skip_connect~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|",
                                       "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|",
                                       "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"};
  std::string log;
  for (int i = 0; i < 4; ++i) {
    nlohmann::json j = {{"id", i}, {"arch", archs[static_cast<std::size_t>(i)]}, {"status", i == 3 ? "failed" : "ok"},
                        {"objectives", i == 3 ? nlohmann::json::object() : nlohmann::json{{"params", 1000 * (i + 1)}, {"acc", 0.5 + 0.1 * i}}}};
    log += j.dump() + "\n";
  }
  write_text(dir + "/evaluations.jsonl", log);
  nlohmann::json front = nlohmann::json::array();
  for (int i : {0, 2})
    front.push_back({{"id", i}, {"arch", archs[static_cast<std::size_t>(i)]}, {"objectives", {{"params", 1000 * (i + 1)}, {"acc", 0.5 + 0.1 * i}}}});
  write_text(dir + "/pareto.json", nlohmann::json{{"front", front}}.dump(2));
  return dir;
}

}  // namespace

TEST(CliExport, SingleArchitectureWritesEveryFormat) {
  const std::string out = hwnas::test::scratch_dir() + "/deep/out";
  auto r = run_hwnas({"export", "--arch", kArch, "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote " + out + ": arch.json, graph.dot, model.py, model.onnx\n");
  for (const char* f : {"arch.json", "graph.dot", "model.py", "model.onnx"}) EXPECT_TRUE(fs::exists(out + "/" + f)) << f;
  const auto j = nlohmann::json::parse(read_text(out + "/arch.json"));
  EXPECT_EQ(j["counts"]["params"], 73306);
  EXPECT_EQ(j["arch"], kArch);
  // Nothing but the four files (no temporaries left behind).
  EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 4);
  const auto kept = run_hwnas({"export", "--arch", kArch, "--out", out, "--formats", "json", "--keep-dead"});
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  const auto k = nlohmann::json::parse(read_text(out + "/arch.json"));
  EXPECT_GT(k["counts"]["params"].get<long long>(), 73306);
  EXPECT_EQ(k["prune_dead"], false);
}

TEST(CliExport, MbvWithSpaceOptions) {
  const std::string out = hwnas::test::scratch_dir() + "/mbv";
  auto r = run_hwnas({"export", "--space", "mbv", "--space-options", R"({"resolutions": [64], "num_classes": 7})", "--arch",
                      "r64|w1|k3e3,k3e3|k5e6,k3e3|k3e3,k7e4,k3e3|k3e3,k3e3|k3e3,k3e3", "--formats", "json,pytorch", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote " + out + ": arch.json, model.py\n");
  EXPECT_FALSE(fs::exists(out + "/model.onnx"));
  EXPECT_NE(read_text(out + "/model.py").find("INPUT_SHAPE = (3, 64, 64)"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(read_text(out + "/arch.json"))["output_shape"], nlohmann::json::array({7}));
}

TEST(CliExport, BadInputExitsWithCode2AndNamesIt) {
  const std::string dir = hwnas::test::scratch_dir();
  auto f = run_hwnas({"export", "--arch", kArch, "--out", dir + "/x", "--formats", "json,tflite"});
  EXPECT_EQ(f.exit_code, 2);
  EXPECT_NE(f.err.find("--formats: unknown export format 'tflite' (known: json, dot, pytorch, onnx, or all)"), std::string::npos) << f.err;
  EXPECT_FALSE(fs::exists(dir + "/x"));
  auto o = run_hwnas({"export", "--arch", kArch});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("--out is required with --arch"), std::string::npos) << o.err;
  auto none = run_hwnas({"export"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("export: give a run directory, or --arch with --out"), std::string::npos) << none.err;
  auto a = run_hwnas({"export", "--arch", "|bad|", "--out", dir + "/y"});
  EXPECT_EQ(a.exit_code, 2);
  EXPECT_NE(a.err.find("nb201 architecture string"), std::string::npos) << a.err;
  auto missing = run_hwnas({"export", dir + "/norun"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find(dir + "/norun: no such run directory"), std::string::npos) << missing.err;
  auto notrun = run_hwnas({"export", dir});
  EXPECT_EQ(notrun.exit_code, 2);
  EXPECT_NE(notrun.err.find(dir + ": not a run directory (no config.json)"), std::string::npos) << notrun.err;
}

TEST(CliExport, RunDirectoryFront) {
  const std::string run = write_run();
  auto r = run_hwnas({"export", run});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote " + run + "/archs/0: arch.json, graph.dot, model.py, model.onnx\nwrote " + run +
                       "/archs/2: arch.json, graph.dot, model.py, model.onnx\nexported 2 architectures\n");
  EXPECT_FALSE(fs::exists(run + "/archs/1"));
  const auto j = nlohmann::json::parse(read_text(run + "/archs/2/arch.json"));
  EXPECT_EQ(j["space"]["options"]["channels"], 8);
  EXPECT_EQ(j["objectives"]["params"]["value"], 3000);
  EXPECT_EQ(j["objectives"]["acc"]["direction"], "maximize");
  EXPECT_EQ(j["objectives"]["acc"]["source"]["table"]["file"], "t.csv");
  EXPECT_DOUBLE_EQ(j["objectives"]["acc"]["value"].get<double>(), 0.7);
}

TEST(CliExport, RunDirectoryAllAndById) {
  const std::string run = write_run();
  auto all = run_hwnas({"export", run, "--which", "all", "--formats", "json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("exported 3 architectures\n"), std::string::npos);
  for (int i : {0, 1, 2}) EXPECT_TRUE(fs::exists(run + "/archs/" + std::to_string(i) + "/arch.json")) << i;
  EXPECT_FALSE(fs::exists(run + "/archs/3"));  // failed evaluations are not exported by "all"
  auto one = run_hwnas({"export", run, "--which", "3", "--formats", "dot"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, "wrote " + run + "/archs/3: graph.dot\nexported 1 architecture\n");
  auto unknown = run_hwnas({"export", run, "--which", "17"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("--which 17: no evaluation with id 17 in " + run + "/evaluations.jsonl"), std::string::npos)
      << unknown.err;
  auto bad = run_hwnas({"export", run, "--which", "best"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--which: expected pareto, all or an evaluation id, got 'best'"), std::string::npos) << bad.err;
  auto mixed = run_hwnas({"export", run, "--arch", kArch});
  EXPECT_EQ(mixed.exit_code, 2);
  EXPECT_NE(mixed.err.find("belong to the single-architecture form"), std::string::npos) << mixed.err;
  fs::remove(run + "/pareto.json");
  auto nofront = run_hwnas({"export", run});
  EXPECT_EQ(nofront.exit_code, 2);
  EXPECT_NE(nofront.err.find(run + "/pareto.json: missing (the search has not written a front yet)"), std::string::npos)
      << nofront.err;
  fs::remove(run + "/evaluations.jsonl");
  auto nolog = run_hwnas({"export", run, "--which", "all"});
  EXPECT_EQ(nolog.exit_code, 2);
  EXPECT_NE(nolog.err.find(run + "/evaluations.jsonl: missing"), std::string::npos) << nolog.err;
}

TEST(CliExport, RunDirectoryFromARealSearch) {
  const std::string dir = hwnas::test::scratch_dir();
  write_text(dir + "/search.json", R"({"space": {"name": "nb201", "options": {"channels": 8, "cells_per_stage": 1}},
    "objectives": [{"name": "params", "source": "params"}, {"name": "macs", "source": "macs", "direction": "maximize"}],
    "strategy": {"name": "random"}, "budget": {"evaluations": 20}, "seed": 1,
    "output": {"dir": ")" + dir + R"(", "name": "run"}})");
  auto s = run_hwnas({"search", dir + "/search.json", "--quiet"});
  ASSERT_EQ(s.exit_code, 0) << "hwnas search failed: " << s.err;  // a broken search fails this test
  auto r = run_hwnas({"export", dir + "/run", "--formats", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto front = nlohmann::json::parse(read_text(dir + "/run/pareto.json"))["front"];
  ASSERT_FALSE(front.empty());
  for (const auto& m : front) {
    const auto j = nlohmann::json::parse(read_text(dir + "/run/archs/" + std::to_string(m["id"].get<long long>()) + "/arch.json"));
    EXPECT_EQ(j["arch"], m["arch"]);
    EXPECT_EQ(j["hash"], m["hash"]);
    EXPECT_EQ(j["counts"]["params"].get<double>(), m["objectives"]["params"].get<double>());
  }
}
