// `hwnas search` with accuracy-proxy objectives ({"proxy": ...} and {"train": ...}).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <sstream>

#include "hwnas/nas/proxy.h"
#include "hwnas/nas/spaces/nb201.h"
#include "support/cli.h"

using hwnas::test::run_hwnas;

namespace {
nlohmann::json base_config(const std::string& dir) {
  return {{"space", {{"name", "nb201"}, {"options", {{"channels", 4}, {"cells_per_stage", 1}, {"input_size", 16}}}}},
          {"objectives", nlohmann::json::array()},
          {"strategy", {{"name", "evolution"}, {"options", {{"population", 6}, {"sample_size", 3}}}}},
          {"budget", {{"evaluations", 12}}},
          {"parallelism", 2},
          {"seed", 5},
          {"output", {{"dir", dir}, {"name", "run"}}}};
}
// An `acc` objective: `steps` of training on a small synthetic data set, validated on 50 images.
[[maybe_unused]] nlohmann::json train_acc_objective(int steps) {
  return {{"name", "acc"},
          {"source",
           {{"train",
             {{"steps", steps}, {"batch_size", 8}, {"reduce", nlohmann::json::object()}, {"validation_images", 50},
              {"dataset", {{"name", "synthetic"}, {"synthetic_size", 120}, {"synthetic_resolution", 16}}}}}}},
          {"direction", "maximize"}};
}
// ASHA over a 27-step train objective on synthetic data (rungs 3, 9, 27), and params.
[[maybe_unused]] nlohmann::json asha_train_config(const std::string& dir) {
  nlohmann::json cfg = base_config(dir);
  cfg["objectives"] = {
      train_acc_objective(27),
      {{"name", "params"}, {"source", "params"}, {"log", true}}};
  cfg["scheduler"] = {{"name", "asha"}, {"min_fidelity", 3}, {"eta", 3}};
  return cfg;
}
std::vector<nlohmann::json> log_of(const std::string& run) {
  std::istringstream in(hwnas::test::read_text(run + "/evaluations.jsonl"));
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}
}  // namespace

// Needs the LibTorch parts (the search runs proxies; the check calls score_proxy).
#ifdef HWNAS_WITH_TORCH
TEST(CliSearchProxy, ZeroCostAndTrainingObjectives) {
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json cfg = base_config(dir);
  cfg["objectives"] = {
      {{"name", "synflow"}, {"source", {{"proxy", "synflow"}}}, {"direction", "maximize"}, {"log", true}},
      train_acc_objective(4),
      {{"name", "params"}, {"source", "params"}}};
  hwnas::test::write_text(dir + "/c.json", cfg.dump(2));
  auto r = run_hwnas({"search", dir + "/c.json", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto log = log_of(dir + "/run");
  ASSERT_GE(log.size(), 12u);
  // Every logged synflow is the library's score of that architecture with the objective's
  // resolved seed (score_proxy itself is checked against PyTorch in Proxies.MatchAnIndependentPyTorchReference).
  const auto resolved = nlohmann::json::parse(hwnas::test::read_text(dir + "/run/config.json"));
  const auto seed = resolved["objectives"][0]["source"]["proxy"]["seed"].get<std::uint64_t>();
  EXPECT_EQ(seed, 5u);  // the config's seed
  hwnas::Nb201Options so;
  so.channels = 4;
  so.cells_per_stage = 1;
  so.input_size = 16;
  const hwnas::Nb201Space space(so);
  hwnas::ProxyOptions po;
  po.seed = seed;
  int ok = 0;
  for (const auto& rec : log) {
    if (rec.value("status", "") != "ok") {
      // A disconnected cell computes a constant: rejected before evaluation (exclude_degenerate),
      // never a good score.
      EXPECT_EQ(rec["status"], "rejected") << rec;
      EXPECT_EQ(rec.value("degenerate", false), true) << rec;
      continue;
    }
    ++ok;
    const hwnas::ProxyResult expected = hwnas::score_proxy("synflow", space, space.parse(rec["arch"].get<std::string>()), nullptr, po);
    ASSERT_TRUE(expected.ok) << expected.message;
    EXPECT_GT(expected.score, 0.0);
    EXPECT_DOUBLE_EQ(rec["objectives"]["synflow"].get<double>(), expected.score) << rec;
    const double acc = rec["objectives"]["acc"].get<double>();
    EXPECT_GE(acc, 0.0);
    EXPECT_LE(acc, 1.0);
  }
  EXPECT_GE(ok, 8);
  // The search ends by writing the report of its run directory.
  EXPECT_NE(hwnas::test::read_text(dir + "/run/report.html").find("<svg"), std::string::npos);
  // The resolved config records the proxies' options with their defaults filled in.
  EXPECT_NE(resolved.dump().find("\"validation_images\":50"), std::string::npos) << resolved.dump();
}

// Multi-fidelity with the real train source: a promotion continues the training session of its
// lower rung (it costs the difference). A resumed run reads the sessions back from the run's
// checkpoints/ folder and continues them too; with that folder deleted it retrains from the
// start. Both log the same accuracies as the uninterrupted run.
TEST(CliSearchProxy, AshaContinuesTrainingAndAResumedRunContinuesFromItsCheckpoints) {
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json cfg = asha_train_config(dir);
  cfg["batch_size"] = 4;
  cfg["budget"] = {{"evaluations", 16}};
  hwnas::test::write_text(dir + "/c.json", cfg.dump(2));
  auto a = run_hwnas({"search", dir + "/c.json", "--out", dir + "/a"});
  ASSERT_EQ(a.exit_code, 0) << a.err << a.out;
  EXPECT_NE(a.out.find("rungs (fidelity: evaluations): 3: "), std::string::npos) << a.out;
  // b: cut after 8 evaluations and resumed; c: the same with its checkpoints deleted in between.
  std::size_t cut = 0;
  for (const char* run : {"b", "c"}) {
    auto r = run_hwnas({"search", dir + "/c.json", "--quiet", "--out", dir + "/" + run, "--set", "budget.evaluations=8"});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    cut = log_of(dir + "/" + run).size();
    ASSERT_TRUE(std::filesystem::is_directory(dir + "/" + run + "/checkpoints"));
    if (std::string(run) == "c") std::filesystem::remove_all(dir + "/c/checkpoints");
    r = run_hwnas({"search", dir + "/c.json", "--quiet", "--resume", dir + "/" + run});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  }
  const auto la = log_of(dir + "/a"), lb = log_of(dir + "/b"), lc = log_of(dir + "/c");
  ASSERT_EQ(la.size(), lb.size());
  ASSERT_EQ(la.size(), lc.size());
  std::map<std::string, int> reached;  // arch -> fidelity it reached (run a)
  std::map<std::string, std::size_t> first_line;
  int promotions = 0, across_the_cut = 0;
  for (std::size_t i = 0; i < la.size(); ++i) {
    for (const char* k : {"arch", "fidelity", "objectives", "status"}) {
      EXPECT_EQ(la[i][k], lb[i][k]) << k << " line " << i + 1;
      EXPECT_EQ(la[i][k], lc[i][k]) << k << " line " << i + 1;
    }
    if (la[i]["status"] != "ok") continue;
    const std::string arch = la[i]["arch"];
    const int f = la[i]["fidelity"];
    const int before = reached.count(arch) ? reached[arch] : 0;
    EXPECT_EQ(la[i]["cost"].get<double>(), f - before) << la[i];  // continued from its checkpoint
    EXPECT_EQ(lb[i]["cost"].get<double>(), f - before) << lb[i];  // in memory, or read back from disk
    if (before > 0) {
      ++promotions;
      // A promotion after the cut of an architecture trained before it: run b read the session
      // back from disk, run c (no checkpoints) started over.
      if (i >= cut && first_line[arch] < cut) {
        EXPECT_EQ(lc[i]["cost"].get<double>(), f) << lc[i];
        ++across_the_cut;
      }
    } else {
      first_line[arch] = i;
    }
    reached[arch] = f;
  }
  EXPECT_GE(promotions, 3);
  EXPECT_GE(across_the_cut, 1);
}

// budget.gpu_seconds with real training under ASHA: every evaluation logs the seconds its
// training took ("eval_s"), the search stops once their sum reaches the budget, and a resumed run
// counts the logged seconds instead of training again.
TEST(CliSearchProxy, AGpuSecondBudgetStopsATrainingSearch) {
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json cfg = asha_train_config(dir);
  cfg["parallelism"] = 1;
  cfg["budget"] = {{"gpu_seconds", 1.0}, {"evaluations", 5000}};  // the evaluation cap only guards the test
  hwnas::test::write_text(dir + "/c.json", cfg.dump(2));
  auto r = run_hwnas({"search", dir + "/c.json", "--out", dir + "/a"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("GPU-second budget reached"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("evaluation time "), std::string::npos) << r.out;
  double sum = 0, last = 0;
  int trained = 0;
  for (const auto& rec : log_of(dir + "/a")) {
    if (rec["status"] == "rejected" && rec.value("degenerate", false)) {
      EXPECT_FALSE(rec.contains("eval_s")) << rec;  // not trained, not timed
      continue;
    }
    ASSERT_TRUE(rec.contains("eval_s")) << rec;
    EXPECT_GT(rec["eval_s"].get<double>(), 0.0) << rec;
    EXPECT_GT(rec["fidelity"].get<int>(), 0) << rec;
    last = rec["eval_s"].get<double>();
    sum += last;
    ++trained;
  }
  EXPECT_GE(sum, 1.0);
  EXPECT_LT(sum - last, 1.0);  // one at a time: nothing was handed out after the budget was spent
  EXPECT_GE(trained, 2);
  const std::size_t lines = log_of(dir + "/a").size();
  r = run_hwnas({"search", dir + "/c.json", "--resume", dir + "/a"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("GPU-second budget reached"), std::string::npos) << r.out;
  EXPECT_EQ(log_of(dir + "/a").size(), lines);  // nothing trained again
}
#endif  // HWNAS_WITH_TORCH

TEST(CliSearchProxy, BadProxyOptionsNameTheField) {
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json cfg = base_config(dir);
  cfg["objectives"] = {{{"name", "z"}, {"source", {{"proxy", "zen"}}}}, {{"name", "params"}, {"source", "params"}}};
  hwnas::test::write_text(dir + "/c.json", cfg.dump());
  auto r = run_hwnas({"search", dir + "/c.json", "--quiet"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("objectives[0].source.proxy: unknown proxy 'zen'"), std::string::npos) << r.err;
  cfg["objectives"][0]["source"] = {{"train", {{"optimizer", "lbfgs"}}}};
  hwnas::test::write_text(dir + "/c.json", cfg.dump());
  r = run_hwnas({"search", dir + "/c.json", "--quiet"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("objectives[0].source.train.optimizer: expected \"sgd\" or \"adam\""), std::string::npos) << r.err;
  cfg["objectives"][0]["source"] = {{"proxy", {{"name", "snip"}, {"batch", 8}}}};
  hwnas::test::write_text(dir + "/c.json", cfg.dump());
  r = run_hwnas({"search", dir + "/c.json", "--quiet"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("objectives[0].source.proxy.batch: unknown key"), std::string::npos) << r.err;
  const std::string expected = "expected \"cpu\", \"cuda\" or \"cuda:N\" (N a device index 0..63), got \"gpu\"";
  cfg["objectives"][0]["source"] = {{"train", {{"torch_device", "gpu"}}}};
  hwnas::test::write_text(dir + "/c.json", cfg.dump());
  r = run_hwnas({"search", dir + "/c.json", "--quiet"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("objectives[0].source.train.torch_device: " + expected), std::string::npos) << r.err;
  cfg["objectives"][0]["source"] = {{"proxy", {{"name", "synflow"}, {"torch_device", "gpu"}}}};
  hwnas::test::write_text(dir + "/c.json", cfg.dump());
  r = run_hwnas({"search", dir + "/c.json", "--quiet"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("objectives[0].source.proxy.torch_device: " + expected), std::string::npos) << r.err;
  if (hwnas::test::torch_has_cuda()) return;
  for (const char* kind : {"train", "proxy"}) {
    cfg["objectives"][0]["source"] = nlohmann::json::object();
    cfg["objectives"][0]["source"][kind] = {{"torch_device", "cuda:1"}};
    if (std::string(kind) == "proxy") cfg["objectives"][0]["source"][kind]["name"] = "synflow";
    hwnas::test::write_text(dir + "/c.json", cfg.dump());
    r = run_hwnas({"search", dir + "/c.json", "--quiet"});
    EXPECT_EQ(r.exit_code, 2) << kind;
    EXPECT_NE(r.err.find(std::string("objectives[0].source.") + kind +
                         ".torch_device: cuda:1 asked for, but the LibTorch hwnas is built against has no CUDA"),
              std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir + "/run/evaluations.jsonl")) << kind;
  }
}

TEST(CliSearchProxy, TheCliAndASearchGiveTheSameProxyScore) {
  // One dataset default for both (proxy_dataset_defaults): the same arch, seed and batch give the
  // same naswot and jacob_cov from `hwnas proxy` and from a search's objective.
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json cfg = base_config(dir);
  cfg["objectives"] = {{{"name", "naswot"}, {"source", {{"proxy", {{"name", "naswot"}, {"batch_size", 16}}}}}, {"direction", "maximize"}},
                       {{"name", "jc"}, {"source", {{"proxy", {{"name", "jacob_cov"}, {"batch_size", 16}}}}}, {"direction", "maximize"}},
                       {{"name", "params"}, {"source", "params"}}};
  cfg["budget"]["evaluations"] = 4;
  hwnas::test::write_text(dir + "/c.json", cfg.dump(2));
  auto r = run_hwnas({"search", dir + "/c.json", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  int compared = 0;
  for (const auto& rec : log_of(dir + "/run")) {
    if (rec["status"] != "ok") continue;
    const auto cli = run_hwnas({"proxy", "--space-options", cfg["space"]["options"].dump(), "--arch", rec["arch"].get<std::string>(),
                                "--proxy", "naswot,jacob_cov", "--batch", "16", "--seed", "5", "--json"});
    ASSERT_EQ(cli.exit_code, 0) << cli.err;
    const auto j = nlohmann::json::parse(cli.out);
    EXPECT_DOUBLE_EQ(j["naswot"].get<double>(), rec["objectives"]["naswot"].get<double>()) << rec["arch"];
    EXPECT_DOUBLE_EQ(j["jacob_cov"].get<double>(), rec["objectives"]["jc"].get<double>()) << rec["arch"];
    ++compared;
  }
  EXPECT_GE(compared, 3);
}

TEST(CliSearchProxy, TheCliAndASearchGiveTheSameScoresForEveryOption) {
  // `hwnas proxy` turns its flags into a search's objective options (objective_proxy.h) and scores
  // through the same sources: a non-default dataset, batch, seed, the network as built
  // (--keep-dead / "prune_dead": false) and the training proxy give the search's logged values.
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json cfg = base_config(dir);
  const nlohmann::json data = {{"name", "synthetic"}};
  cfg["seed"] = 11;
  cfg["objectives"] = {
      {{"name", "naswot"}, {"source", {{"proxy", {{"name", "naswot"}, {"batch_size", 8}, {"prune_dead", false}, {"dataset", data}}}}}, {"direction", "maximize"}},
      {{"name", "synflow"}, {"source", {{"proxy", {{"name", "synflow"}, {"prune_dead", false}}}}}, {"direction", "maximize"}},
      {{"name", "acc"}, {"source", {{"train", {{"steps", 4}, {"batch_size", 8}, {"reduce", nlohmann::json::object()}, {"dataset", data}}}}}, {"direction", "maximize"}}};
  cfg["budget"]["evaluations"] = 3;
  hwnas::test::write_text(dir + "/c.json", cfg.dump(2));
  auto r = run_hwnas({"search", dir + "/c.json", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  int compared = 0;
  for (const auto& rec : log_of(dir + "/run")) {
    if (rec["status"] != "ok") continue;
    const auto cli = run_hwnas({"proxy", "--space-options", cfg["space"]["options"].dump(), "--arch", rec["arch"].get<std::string>(),
                                "--proxy", "naswot,synflow,train", "--dataset", "synthetic", "--batch", "8", "--seed", "11",
                                "--keep-dead", "--train", "{\"steps\": 4, \"batch_size\": 8, \"reduce\": {}}", "--json"});
    ASSERT_EQ(cli.exit_code, 0) << cli.err;
    const auto j = nlohmann::json::parse(cli.out);
    EXPECT_EQ(j["naswot"].get<double>(), rec["objectives"]["naswot"].get<double>()) << rec["arch"];
    EXPECT_EQ(j["synflow"].get<double>(), rec["objectives"]["synflow"].get<double>()) << rec["arch"];
    EXPECT_EQ(j["train"].get<double>(), rec["objectives"]["acc"].get<double>()) << rec["arch"];
    ++compared;
  }
  EXPECT_GE(compared, 2);
}
