// The controller: constraint rejection before expensive evaluation, canonical caching, budgets,
// determinism (same config and seed -> identical front, whatever the thread count), and resume
// after a budget cut or a kill that truncated the log.
#include "hwnas/search/controller.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "config_test_fixtures.h"
#include "hwnas/core/json_reader.h"
#include "support/errors.h"
#include "hwnas/search/pareto.h"
#include "support/paths.h"

using namespace hwnas;
using hwnas::testing::config_from;
using hwnas::testing::CountingObjective;
using hwnas::testing::table_config;
using hwnas::testing::user_error;
using hwnas::testing::write_error_table;
namespace fs = std::filesystem;

namespace {

const char* kAllConv = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";
const char* kSkip = "|none~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|";
const char* kSkipDead = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|";  // == kSkip
const char* kConv1 = "|nor_conv_1x1~0|+|none~0|none~1|+|none~0|none~1|nor_conv_1x1~2|";
const char* kPool = "|avg_pool_3x3~0|+|none~0|none~1|+|none~0|nor_conv_1x1~1|none~2|";
const char* kBig = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";

// A test oracle for the normalized 2-D hypervolume, written apart from search/pareto.cpp: each
// objective scaled to [0, 1] by its min and max over `pts`, then the union of the boxes
// [x, 1.1] x [y, 1.1] measured strip by strip between consecutive x values (O(n^2): no front,
// no dominance filter, no sort of the points).
double union_of_boxes_hypervolume(const std::vector<std::vector<double>>& pts) {
  double lo[2] = {pts[0][0], pts[0][1]}, hi[2] = {pts[0][0], pts[0][1]};
  for (const auto& q : pts)
    for (int k = 0; k < 2; ++k) lo[k] = std::min(lo[k], q[k]), hi[k] = std::max(hi[k], q[k]);
  auto scaled = [&](const std::vector<double>& q, int k) { return hi[k] > lo[k] ? (q[k] - lo[k]) / (hi[k] - lo[k]) : q[k] - lo[k]; };
  std::vector<double> xs{1.1};
  for (const auto& q : pts) xs.push_back(scaled(q, 0));
  std::sort(xs.begin(), xs.end());
  double area = 0;
  for (std::size_t i = 0; i + 1 < xs.size(); ++i) {
    double bottom = 1.1;  // the lowest box covering the strip [xs[i], xs[i+1]]
    for (const auto& q : pts)
      if (scaled(q, 0) <= xs[i]) bottom = std::min(bottom, scaled(q, 1));
    area += (xs[i + 1] - xs[i]) * (1.1 - bottom);
  }
  return area;
}

// Proposes fixed rounds, then nothing (the space is "exhausted"); records what it is told.
class Scripted : public SearchStrategy {
 public:
  Scripted(std::vector<std::vector<Architecture>> rounds, std::vector<Observation>* told)
      : rounds_(std::move(rounds)), told_(told) {}
  std::string name() const override { return "scripted"; }
  std::vector<Architecture> ask(std::size_t) override { return next_ < rounds_.size() ? rounds_[next_++] : std::vector<Architecture>{}; }
  void tell(const std::vector<Observation>& r) override { told_->insert(told_->end(), r.begin(), r.end()); }

 private:
  std::vector<std::vector<Architecture>> rounds_;
  std::size_t next_ = 0;
  std::vector<Observation>* told_;
};

nlohmann::json counting_config(long long evaluations) {
  return {{"space", {{"name", "nb201"}}},
          {"objectives",
           {{{"name", "score"}, {"source", {{"counting", nlohmann::json::object()}}}, {"direction", "maximize"}},
            {{"name", "params"}, {"source", "params"}}}},
          {"constraints", {{{"objective", "params"}, {"max", 5e5}}}},
          {"exclude_degenerate", false},  // kConv1's output ignores its input: these tests evaluate it
          {"budget", {{"evaluations", evaluations}}},
          {"parallelism", 2},
          {"batch_size", 4}};
}

SearchOptions scripted(const std::vector<std::vector<std::string>>& rounds, std::vector<Observation>* told,
                       const std::string& run_dir) {
  auto space = make_space("nb201");
  std::vector<std::vector<Architecture>> archs;
  for (const auto& r : rounds) {
    archs.emplace_back();
    for (const auto& s : r) archs.back().push_back(space->parse(s));
  }
  SearchOptions o;
  o.quiet = true;
  o.run_dir = run_dir;
  o.strategy_factory = [archs, told](const StrategyContext&) { return std::make_unique<Scripted>(archs, told); };
  return o;
}

std::vector<nlohmann::json> log_lines(const std::string& run_dir, bool drop_elapsed = true) {
  std::vector<nlohmann::json> out;
  std::ifstream f(run_dir + "/evaluations.jsonl");
  std::string line;
  while (std::getline(f, line)) {
    auto j = nlohmann::json::parse(line);
    if (drop_elapsed) j.erase("elapsed_s"), j.erase("eval_s");
    out.push_back(j);
  }
  return out;
}

std::string front_of(const std::string& run_dir) { return hwnas::test::read_text(run_dir + "/pareto.json"); }

// The table problem of the tests: a shared CSV, written once.
std::string table_file() {
  static const std::string path = [] {
    const std::string dir = std::string(HWNAS_TEST_TMP) + "/controller_table";
    fs::create_directories(dir);
    return write_error_table(dir + "/err.csv");
  }();
  return path;
}

SearchSummary run_table(const std::string& dir, long long evaluations, int parallelism = 2,
                        const std::string& resume = "", std::function<bool(long long)> keep_going = nullptr) {
  nlohmann::json j = table_config(table_file(), evaluations);
  j["parallelism"] = parallelism;
  fs::create_directories(dir);
  const SearchConfig cfg = config_from(j, dir, "table_" + std::to_string(evaluations) + ".json");
  SearchOptions o;
  o.quiet = true;
  if (resume.empty()) o.run_dir = dir + "/run";
  o.resume_dir = resume;
  o.keep_going = std::move(keep_going);
  return run_search(cfg, o);
}

}  // namespace

TEST(Controller, CheapConstraintRejectsBeforeAnyExpensiveEvaluation) {
  const std::string dir = hwnas::test::scratch_dir();
  CountingObjective counting;
  const SearchConfig cfg = config_from(counting_config(10), dir);
  std::vector<Observation> told;
  const SearchSummary s = run_search(cfg, scripted({{kAllConv, kSkip, kBig, kConv1}}, &told, dir + "/run"));
  EXPECT_EQ(counting.calls(), 2);
  auto space = make_space("nb201");
  EXPECT_EQ(counting.seen(), (std::set<std::vector<int>>{space->parse(kSkip).choices, space->parse(kConv1).choices}));
  EXPECT_EQ(s.evaluations, 2);
  EXPECT_EQ(s.rejected, 2);
  EXPECT_EQ(s.stop_reason, StopReason::SpaceExhausted);
  const auto lines = log_lines(dir + "/run");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["status"], "rejected");
  EXPECT_EQ(lines[0]["message"], "params = 1531546 > max 500000");
  EXPECT_EQ(lines[0]["objectives"], (nlohmann::json{{"params", 1531546.0}}));  // the expensive one was never paid for
  EXPECT_EQ(lines[1]["status"], "ok");
  EXPECT_EQ(lines[1]["arch"], kSkip);
  EXPECT_EQ(lines[1]["decisions"], space->parse(kSkip).choices);
  EXPECT_EQ(lines[1]["hash"], hash_hex(space->canonical_hash(space->parse(kSkip))));
  EXPECT_EQ(lines[1]["objectives"]["score"], 0.0);
  EXPECT_EQ(lines[2]["status"], "rejected");
  EXPECT_EQ(lines[3]["id"], 3);
  ASSERT_EQ(told.size(), 4u);
  EXPECT_FALSE(told[0].ok);
  EXPECT_TRUE(told[1].ok);
  EXPECT_EQ(told[3].objectives[0], -0.02);  // maximized: negated
}

TEST(Controller, EquivalentArchitecturesAreEvaluatedOnce) {
  const std::string dir = hwnas::test::scratch_dir();
  CountingObjective counting;
  const SearchConfig cfg = config_from(counting_config(10), dir);
  std::vector<Observation> told;
  const SearchSummary s = run_search(cfg, scripted({{kSkip, kSkipDead}, {kSkipDead, kConv1}}, &told, dir + "/run"));
  EXPECT_EQ(counting.calls(), 2);
  EXPECT_EQ(s.evaluations, 2);
  EXPECT_EQ(s.duplicates, 2);
  EXPECT_EQ(log_lines(dir + "/run").size(), 2u);
  EXPECT_EQ(told.size(), 2u);
}

TEST(Controller, EvaluationBudgetCutsTheLastRound) {
  const std::string dir = hwnas::test::scratch_dir();
  CountingObjective counting;
  const SearchConfig cfg = config_from(counting_config(3), dir);
  std::vector<Observation> told;
  const SearchSummary s =
      run_search(cfg, scripted({{kSkip, kAllConv, kConv1, "|nor_conv_1x1~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|nor_conv_1x1~2|",
                                 "|avg_pool_3x3~0|+|none~0|none~1|+|none~0|nor_conv_1x1~1|none~2|"}},
                               &told, dir + "/run"));
  EXPECT_EQ(s.stop_reason, StopReason::EvaluationBudget);
  EXPECT_EQ(s.evaluations, 3);
  EXPECT_EQ(counting.calls(), 3);
  EXPECT_EQ(s.rejected, 1);  // the rejected one does not use up the budget
  EXPECT_EQ(log_lines(dir + "/run").size(), 4u);
}

TEST(Controller, ConstraintOnAnExpensiveObjectiveCountsTheEvaluation) {
  const std::string dir = hwnas::test::scratch_dir();
  CountingObjective counting;
  nlohmann::json j = counting_config(10);
  j["constraints"].push_back({{"objective", "score"}, {"min", 0.01}});
  std::vector<Observation> told;
  const SearchSummary s = run_search(config_from(j, dir), scripted({{kSkip, kConv1}}, &told, dir + "/run"));
  EXPECT_EQ(s.evaluations, 2);
  EXPECT_EQ(s.infeasible, 1);  // kSkip has score 0 < 1
  const auto lines = log_lines(dir + "/run");
  EXPECT_EQ(lines[0]["status"], "rejected");
  EXPECT_EQ(lines[0]["message"], "score = 0 < min 0.01");
  EXPECT_EQ(lines[1]["status"], "ok");
  ASSERT_EQ(s.front.size(), 1u);
  EXPECT_EQ(s.front[0].arch, kConv1);
}

TEST(Controller, MissingTableRowsAreFailedEvaluations) {
  const std::string dir = hwnas::test::scratch_dir();
  const std::string table = write_error_table(dir + "/partial.csv", [](const Architecture& a) { return a.choices[0] == 3; });
  const SearchConfig cfg = config_from(table_config(table, 60), dir);
  SearchOptions o;
  o.quiet = true;
  o.run_dir = dir + "/run";
  const SearchSummary s = run_search(cfg, o);
  EXPECT_EQ(s.evaluations, 60);
  EXPECT_GT(s.failed, 0);
  int failed = 0;
  for (const auto& l : log_lines(dir + "/run"))
    if (l["status"] == "failed") {
      ++failed;
      EXPECT_NE(l["message"].get<std::string>().find("err: table "), std::string::npos) << l;
      EXPECT_NE(l["message"].get<std::string>().find("has no row for |nor_conv_3x3~0|"), std::string::npos) << l;
      EXPECT_FALSE(l["objectives"].contains("err"));
    }
  EXPECT_EQ(failed, s.failed);
  for (const auto& r : s.front) EXPECT_NE(r.decisions[0], 3);
}

TEST(Controller, SameConfigAndSeedGiveTheSameFrontWhateverTheThreadCount) {
  const std::string dir = hwnas::test::scratch_dir();
  const SearchSummary a = run_table(dir + "/a", 40, 2);
  const SearchSummary b = run_table(dir + "/b", 40, 2);
  const SearchSummary c = run_table(dir + "/c", 40, 1);
  EXPECT_EQ(a.evaluations, 40);
  EXPECT_GT(a.front.size(), 2u);
  EXPECT_EQ(front_of(dir + "/a/run"), front_of(dir + "/b/run"));
  EXPECT_EQ(front_of(dir + "/a/run"), front_of(dir + "/c/run"));
  EXPECT_EQ(hwnas::test::read_text(dir + "/a/run/pareto.csv"), hwnas::test::read_text(dir + "/c/run/pareto.csv"));
  EXPECT_EQ(log_lines(dir + "/a/run"), log_lines(dir + "/c/run"));
  const nlohmann::json cfg = read_json_file(dir + "/a/run/config.json");
  EXPECT_EQ(cfg["budget"]["evaluations"], 40);
  EXPECT_EQ(cfg["strategy"]["options"]["population"], 10);
}

TEST(Controller, HypervolumeOracleOnAHandWorkedFront) {
  // (0,1), (0.5,0.5), (1,0) already span [0,1]: strips [0,0.5] x 0.1, [0.5,1] x 0.6, [1,1.1] x 1.1.
  EXPECT_NEAR(union_of_boxes_hypervolume({{0, 1}, {0.5, 0.5}, {1, 0}}), 0.05 + 0.3 + 0.11, 1e-12);
  // Scaling, a dominated point and a duplicate change nothing.
  EXPECT_NEAR(union_of_boxes_hypervolume({{10, 300}, {20, 200}, {30, 100}, {25, 250}, {20, 200}}), 0.46, 1e-12);
}

TEST(Controller, SummaryHypervolumeFollowsTheParetoRule) {
  const std::string dir = hwnas::test::scratch_dir();
  const SearchSummary s = run_table(dir, 40);
  std::vector<Point> pts;
  for (const auto& l : log_lines(dir + "/run"))
    if (l["status"] == "ok") pts.push_back({l["objectives"]["err"].get<double>(), std::log10(l["objectives"]["params"].get<double>())});
  ASSERT_GE(pts.size(), 30u);
  EXPECT_NEAR(s.hypervolume, union_of_boxes_hypervolume(pts), 1e-12);
  // The front, by the definition: the distinct points that no other point dominates.
  std::set<Point> front;
  for (const auto& q : pts) {
    bool dominated = false;
    for (const auto& r : pts) dominated = dominated || (r[0] <= q[0] && r[1] <= q[1] && r != q);
    if (!dominated) front.insert(q);
  }
  EXPECT_EQ(s.front.size(), front.size());
  const nlohmann::json p = read_json_file(dir + "/run/pareto.json");
  EXPECT_EQ(p["front"].size(), front.size());
  EXPECT_EQ(p["hypervolume"].get<double>(), s.hypervolume);
  EXPECT_EQ(p["normalization"]["reference"], 1.1);
  EXPECT_EQ(p["objectives"][1], (nlohmann::json{{"name", "params"}, {"direction", "minimize"}, {"log", true}}));
  const CsvTable csv = read_csv_file(dir + "/run/pareto.csv");
  EXPECT_EQ(csv.header, (std::vector<std::string>{"id", "arch", "err", "params", "hash"}));
  EXPECT_EQ(csv.rows.size(), front.size());
  EXPECT_NE(s.full().find("Pareto front (" + std::to_string(front.size()) + "):"), std::string::npos);
  EXPECT_EQ(s.brief(), "stopped: evaluation budget reached; 40 evaluations, " + std::to_string(front.size()) +
                           " on the Pareto front, hypervolume " + [&] {
                             std::ostringstream o;
                             o << std::setprecision(6) << s.hypervolume;
                             return o.str();
                           }());
}

TEST(Controller, ResumeAfterABudgetCutReachesTheUninterruptedFront) {
  const std::string dir = hwnas::test::scratch_dir();
  run_table(dir + "/full", 40);
  const SearchSummary cut = run_table(dir + "/cut", 17);  // stops inside a round of 4
  EXPECT_EQ(cut.evaluations, 17);
  const auto before = log_lines(dir + "/cut/run", false);
  const SearchSummary resumed = run_table(dir + "/cut", 40, 2, dir + "/cut/run");
  EXPECT_EQ(resumed.replayed, 17);
  EXPECT_EQ(resumed.evaluations, 40);
  EXPECT_EQ(front_of(dir + "/cut/run"), front_of(dir + "/full/run"));
  const auto after = log_lines(dir + "/cut/run", false);
  ASSERT_EQ(after.size(), log_lines(dir + "/full/run").size());
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], before[i]);  // nothing finished was lost or redone
  std::vector<nlohmann::json> full = log_lines(dir + "/full/run"), mine = log_lines(dir + "/cut/run");
  EXPECT_EQ(mine, full);
}

TEST(Controller, ResumeAfterAKillThatTruncatedTheLog) {
  const std::string dir = hwnas::test::scratch_dir();
  run_table(dir + "/full", 40);
  // A "kill" after 20 evaluations, then the last line cut in the middle.
  const SearchSummary killed = run_table(dir + "/killed", 40, 2, "", [](long long n) { return n < 20; });
  EXPECT_EQ(killed.stop_reason, StopReason::Interrupted);
  const std::string log = dir + "/killed/run/evaluations.jsonl";
  std::string text = hwnas::test::read_text(log);
  text.resize(text.size() - 25);
  hwnas::test::write_text(log, text);
  const std::size_t complete = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  ASSERT_GE(complete, 19u);
  const SearchSummary resumed = run_table(dir + "/killed", 40, 1, dir + "/killed/run");
  EXPECT_EQ(resumed.replayed, static_cast<long long>(complete));
  ASSERT_FALSE(resumed.warnings.empty());
  EXPECT_NE(resumed.warnings[0].find("ignoring a truncated last line"), std::string::npos);
  EXPECT_EQ(resumed.evaluations, 40);
  EXPECT_EQ(front_of(dir + "/killed/run"), front_of(dir + "/full/run"));
  EXPECT_EQ(log_lines(dir + "/killed/run"), log_lines(dir + "/full/run"));
}

TEST(Controller, RefusesToResumeADifferentConfigOrToOverwriteARun) {
  const std::string dir = hwnas::test::scratch_dir();
  run_table(dir, 8);
  nlohmann::json j = table_config(table_file(), 8);
  j["seed"] = 8;
  const SearchConfig other = config_from(j, dir, "other.json");
  SearchOptions o;
  o.quiet = true;
  o.resume_dir = dir + "/run";
  EXPECT_NE(user_error([&] { run_search(other, o); }).find("holds a run of a different config (differs in: seed)"), std::string::npos);
  EXPECT_NE(user_error([&] { run_table(dir, 8); }).find("holds an earlier run"), std::string::npos);
}

TEST(Controller, StopsWhenTheSpaceIsExhausted) {
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json j = {{"space", {{"name", "nb201"}, {"options", {{"ops", {"none", "skip_connect", "nor_conv_1x1"}}}}}},
                      {"objectives", {{{"name", "params"}, {"source", "params"}}, {{"name", "flops"}, {"source", "macs"}, {"direction", "maximize"}}}},
                      {"strategy", {{"name", "random"}}},
                      {"budget", {{"evaluations", 100000}}},
                      {"batch_size", 16}};
  const SearchConfig cfg = config_from(j, dir);
  auto space = make_space(cfg.space, cfg.space_options);
  std::set<std::uint64_t> distinct;
  space->enumerate([&](const Architecture& a) { distinct.insert(space->canonical_hash(a)); });
  SearchOptions o;
  o.quiet = true;
  o.run_dir = dir + "/run";
  const SearchSummary s = run_search(cfg, o);
  EXPECT_EQ(s.stop_reason, StopReason::SpaceExhausted);
  // Every canonical form once but the all-`none` one, which every degenerate cell reduces to:
  // excluded (exclude_degenerate), the strategy does not even propose it (StrategyContext::cheap).
  EXPECT_EQ(s.evaluations, static_cast<long long>(distinct.size()) - 1);
}

TEST(Controller, SecondsBudgetStops) {
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json j = table_config(table_file(), 1);
  j["budget"] = {{"seconds", 1e-9}};
  SearchOptions o;
  o.quiet = true;
  o.run_dir = dir + "/run";
  const SearchSummary s = run_search(config_from(j, dir), o);
  EXPECT_EQ(s.stop_reason, StopReason::TimeBudget);
}

TEST(Controller, ProgressLinesWhenNotATerminal) {
  const std::string dir = hwnas::test::scratch_dir();
  std::ostringstream out;
  SearchOptions o;
  o.run_dir = dir + "/run";
  o.progress = &out;
  o.interactive = false;
  run_search(config_from(table_config(table_file(), 20), dir), o);
  const std::string text = out.str();
  EXPECT_NE(text.find("search: 20/20 evaluations, front "), std::string::npos) << text;
  EXPECT_NE(text.find("hypervolume "), std::string::npos);
  EXPECT_NE(text.find("best err "), std::string::npos);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_LE(std::count(text.begin(), text.end(), '\n'), 12);  // sparse
}

TEST(Controller, LatencyConstraintHoldsForEveryEvaluation) {
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json j = table_config(table_file(), 30);
  j["objectives"].push_back({{"name", "rpi4_ms"}, {"source", {{"latency", {{"device", "raspberry-pi-4"}}}}}});
  j["constraints"] = {{{"objective", "rpi4_ms"}, {"max", 3.0}}};
  SearchOptions o;
  o.quiet = true;
  o.run_dir = dir + "/run";
  const SearchSummary s = run_search(config_from(j, dir), o);
  EXPECT_EQ(s.evaluations, 30);
  for (const auto& l : log_lines(dir + "/run")) {
    if (l["status"] == "rejected") continue;
    EXPECT_LE(l["objectives"]["rpi4_ms"].get<double>(), 3.0) << l;
    EXPECT_TRUE(l["objectives"].contains("err"));
  }
  EXPECT_EQ(read_json_file(dir + "/run/config.json")["objectives"][2]["source"]["latency"]["precision"], "fp32");
}

TEST(Controller, AUserErrorFromASourceStopsTheSearchOnceAndKeepsTheLog) {
  // A missing dataset is the same for every candidate: one error naming the objective (exit 2
  // in the CLI), not one failed record per candidate.
  register_objective_source("needs_file", [](const nlohmann::json&, const std::string&, const ObjectiveContext&) {
    struct NeedsFile : ObjectiveSource {
      std::string kind() const override { return "needs_file"; }
      bool cheap() const override { return false; }
      ObjectiveValue evaluate(const Candidate& c) const override {
        if (c.text() == kPool) throw UserError("/nowhere/train.gz: no such file");
        return ObjectiveValue::success(1.0);
      }
    };
    return std::unique_ptr<ObjectiveSource>(std::make_unique<NeedsFile>());
  });
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json j = counting_config(10);
  j["objectives"][0]["source"] = {{"needs_file", nlohmann::json::object()}};
  const SearchConfig cfg = config_from(j, dir);
  std::vector<Observation> told;
  const std::string msg = hwnas::test::error_of([&] { run_search(cfg, scripted({{kSkip}, {kPool}}, &told, dir + "/run")); });
  unregister_objective_source("needs_file");
  EXPECT_EQ(msg, "objective 'score': /nowhere/train.gz: no such file");
  const auto lines = log_lines(dir + "/run");
  ASSERT_EQ(lines.size(), 1u);  // the first round, durable before the error
  EXPECT_EQ(lines[0]["arch"], kSkip);
}

TEST(Controller, DegenerateNetworksAreRejectedUncountedOrEvaluatedAndMarked) {
  CountingObjective counting;
  for (const bool exclude : {true, false}) {
    const std::string dir = hwnas::test::scratch_dir() + (exclude ? "/on" : "/off");
    nlohmann::json j = counting_config(10);
    j["exclude_degenerate"] = exclude;
    const SearchConfig cfg = config_from(j, hwnas::test::scratch_dir());
    std::vector<Observation> told;
    const SearchSummary s = run_search(cfg, scripted({{kSkip, kConv1}}, &told, dir));
    const auto lines = log_lines(dir);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_FALSE(lines[0].contains("degenerate"));  // kSkip carries its input
    EXPECT_EQ(lines[1]["degenerate"], true);       // kConv1's conv hangs off an unreachable node
    if (exclude) {
      EXPECT_EQ(lines[1]["status"], "rejected");
      EXPECT_EQ(lines[1]["message"], "degenerate: the network's output does not depend on its input (exclude_degenerate is on)");
      EXPECT_EQ(s.evaluations, 1);  // not counted
      EXPECT_EQ(s.rejected, 1);
      EXPECT_FALSE(told[1].ok);
    } else {
      EXPECT_EQ(lines[1]["status"], "ok");
      EXPECT_EQ(s.evaluations, 2);
      EXPECT_TRUE(told[1].ok);
    }
  }
}

TEST(Controller, AStrategyRegisteredFromOutsideTheLibraryRunsByName) {
  // One registration (register_strategy) is all a new strategy needs: config reading, its
  // options' resolution and the search all find it there.
  struct Toy : SearchStrategy {
    Toy(const StrategyContext& c, int per_ask) : rng(c.seed), space(c.space), per_ask(per_ask) {}
    std::string name() const override { return "toy"; }
    std::vector<Architecture> ask(std::size_t n) override {
      std::vector<Architecture> out;
      for (std::size_t i = 0; i < std::min<std::size_t>(n, static_cast<std::size_t>(per_ask)); ++i) out.push_back(space->sample(rng));
      return out;
    }
    void tell(const std::vector<Observation>&) override {}
    Rng rng;
    const SearchSpace* space;
    int per_ask;
  };
  auto read = [](const nlohmann::json& j, const std::string& path) {
    JsonReader r(j, path);
    const int per_ask = r.get<int>("per_ask", 1);
    r.finish();
    return per_ask;
  };
  register_strategy({"toy",
                     [read](const nlohmann::json& j, const std::string& p) { return nlohmann::json{{"per_ask", read(j, p)}}; },
                     [read](const nlohmann::json& j, const std::string& p, const StrategyContext& c) {
                       return std::unique_ptr<SearchStrategy>(std::make_unique<Toy>(c, read(j, p)));
                     }});
  const std::string dir = hwnas::test::scratch_dir();
  CountingObjective counting;
  nlohmann::json j = counting_config(6);
  j["strategy"] = {{"name", "toy"}};
  const SearchConfig cfg = config_from(j, dir);
  EXPECT_EQ(cfg.strategy_options, (nlohmann::json{{"per_ask", 1}}));  // resolved by the entry
  SearchOptions o;
  o.quiet = true;
  o.run_dir = dir + "/run";
  const SearchSummary s = run_search(cfg, o);
  EXPECT_EQ(s.evaluations, 6);
  const std::vector<std::string> names = strategy_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "toy"), names.end());
  j["strategy"] = {{"name", "toy"}, {"options", {{"per_ask", "two"}}}};
  EXPECT_NE(hwnas::test::error_of([&] { config_from(j, dir, "bad.json"); }).find("bad.json: strategy.options.per_ask: expected an integer"),
            std::string::npos);
  unregister_strategy("toy");
  j["strategy"] = {{"name", "toy"}};
  EXPECT_NE(hwnas::test::error_of([&] { config_from(j, dir, "gone.json"); }).find("gone.json: strategy.name: unknown strategy \"toy\""),
            std::string::npos);
}

// #12: a space is one entry in one table. A toy space written here (a chain of three convolutions
// whose kernels are searched) is searched, listed and refused once removed, from this file alone.
TEST(Controller, AToySpaceRegisteredFromATestFileIsSearched) {
  class Chain : public SearchSpace {
   public:
    Chain() {
      for (int i = 0; i < 3; ++i) decisions_.push_back({"conv" + std::to_string(i) + ".kernel", {"1", "3", "5"}});
    }
    std::string name() const override { return "chain"; }
    const std::vector<Decision>& decisions() const override { return decisions_; }
    nlohmann::json options() const override { return nlohmann::json::object(); }
    std::string to_string(const Architecture& a) const override {
      std::string s;
      for (int c : a.choices) s += decisions_[0].choices[static_cast<std::size_t>(c)];
      return s;
    }
    Architecture parse(std::string_view text) const override {
      Architecture a;
      for (char ch : text) {
        if (ch != '1' && ch != '3' && ch != '5') throw UserError("chain: expected kernels 1, 3 or 5, got '" + std::string(text) + "'");
        a.choices.push_back(ch == '1' ? 0 : ch == '3' ? 1 : 2);
      }
      if (a.choices.size() != 3) throw UserError("chain: expected 3 kernels, got '" + std::string(text) + "'");
      return a;
    }
    ArchGraph decode(const Architecture& a, const DecodeOptions&) const override {
      ArchGraph g;
      NodeId x = g.add_node({3, 8, 8}, "in");
      g.set_input(x);
      for (int i = 0; i < 3; ++i) {
        const int k = 2 * a.choices[static_cast<std::size_t>(i)] + 1;
        OpEdge conv;
        conv.kind = OpKind::Conv2d;
        conv.in_channels = i == 0 ? 3 : 8;
        conv.out_channels = 8;
        conv.kernel = k;
        conv.padding = k / 2;
        conv.name = "conv" + std::to_string(i);
        conv.cell = i;
        NodeId y = g.add_node({8, 8, 8}, "n" + std::to_string(i));
        g.add_edge(x, y, conv);
        x = y;
      }
      OpEdge gap;
      gap.kind = OpKind::GlobalAvgPool;
      gap.name = "gap";
      NodeId p = g.add_node({8, 1, 1}, "pool");
      g.add_edge(x, p, gap);
      g.set_output(p);
      return g;
    }

   private:
    std::vector<Decision> decisions_;
  };
  register_space("chain", [](const nlohmann::json& options) {
    JsonReader(options, "space.options").finish();
    return std::unique_ptr<SearchSpace>(std::make_unique<Chain>());
  });
  const std::vector<std::string> names = space_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "chain"), names.end());
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json j = {{"space", {{"name", "chain"}}},
                      {"objectives", {{{"name", "params"}, {"source", "params"}}, {{"name", "macs"}, {"source", "macs"}}}},
                      {"strategy", {{"name", "random"}}},
                      {"budget", {{"evaluations", 27}}},
                      {"exclude_degenerate", false}};
  SearchOptions o;
  o.quiet = true;
  o.run_dir = dir + "/run";
  const SearchSummary s = run_search(config_from(j, dir), o);
  EXPECT_EQ(s.evaluations, 27);  // the whole space
  EXPECT_EQ(s.stop_reason, StopReason::EvaluationBudget);
  unregister_space("chain");
  EXPECT_NE(hwnas::test::error_of([&] { config_from(j, dir, "gone.json"); }).find("unknown search space 'chain'"), std::string::npos);
}
