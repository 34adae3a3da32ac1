// The study behind ask/tell: driven in rounds it is `hwnas search` byte for byte; a run with
// external objectives reopened after every call (a new process per `hwnas ask`/`hwnas tell`)
// continues exactly as one that stayed open, whatever the order of asks and tells; told values
// are checked; the budget counts pending trials; a damaged journal is refused naming its line.
#include "hwnas/search/study.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "config_test_fixtures.h"
#include "hwnas/search/controller.h"
#include "hwnas/search/scheduler.h"
#include "support/errors.h"
#include "support/run_log.h"
#include "support/paths.h"

using namespace hwnas;
using hwnas::testing::config_from;
using hwnas::testing::problem;
using hwnas::testing::table_config;
using hwnas::testing::user_error;
using hwnas::testing::write_error_table;
namespace fs = std::filesystem;

namespace {

std::string table_file() {
  static const std::string path = [] {
    const std::string dir = std::string(HWNAS_TEST_TMP) + "/study_table";
    fs::create_directories(dir);
    return write_error_table(dir + "/err.csv");
  }();
  return path;
}

// table_config with "err" told from outside instead of read from the table.
nlohmann::json external_config(long long evaluations, const std::string& strategy = "evolution") {
  nlohmann::json j = table_config(table_file(), evaluations);
  j["objectives"][0]["source"] = {{"external", nlohmann::json::object()}};
  j["strategy"] = {{"name", strategy}};
  if (strategy == "evolution") j["strategy"]["options"] = {{"population", 10}, {"sample_size", 3}};
  return j;
}

// The log's records without times, one dump per line (compared as text).
std::string log_without_times(const std::string& run_dir) {
  std::string out;
  for (const auto& j : hwnas::test::log_records_without_times(run_dir)) out += j.dump() + "\n";
  return out;
}

std::string read(const std::string& path) { return hwnas::test::read_text(path); }

double error_of(const Trial& t) { return problem().error(t.arch); }

}  // namespace

TEST(Study, RoundsOfAskAndTellAreTheSearchByteForByte) {
  const std::string dir = hwnas::test::scratch_dir();
  SearchOptions so;
  so.quiet = true;
  so.run_dir = dir + "/search";
  const SearchSummary s = run_search(config_from(table_config(table_file(), 40), dir, "table.json"), so);
  ASSERT_EQ(s.evaluations, 40);

  nlohmann::json j = external_config(40);
  Study study(config_from(j, dir, "external.json"), {.dir = dir + "/study"});
  for (;;) {
    const Study::Asked asked = study.ask(4);  // table_config's batch_size
    if (asked.trials.empty()) break;
    for (const Trial& t : asked.trials) study.tell_values(t.id, {{"err", error_of(t)}});
  }
  study.write_front();
  EXPECT_EQ(study.counts().evaluations, 40);
  EXPECT_EQ(log_without_times(dir + "/study"), log_without_times(dir + "/search"));
  EXPECT_EQ(read(dir + "/study/pareto.json"), read(dir + "/search/pareto.json"));
  EXPECT_EQ(read(dir + "/study/pareto.csv"), read(dir + "/search/pareto.csv"));
}

// Random interleavings of asks and tells, applied to a study that stays open and to one reopened
// from its run directory before every call: the same log, front and pending trials.
class StudyReplay : public ::testing::TestWithParam<std::string> {};

TEST_P(StudyReplay, ReopeningBeforeEveryCallContinuesExactly) {
  const std::string dir = hwnas::test::scratch_dir();
  // "bo/3": bo with 3 proposals per model refresh (queued proposals survive a reopen).
  const std::string param = GetParam(), name = param.substr(0, param.find('/'));
  nlohmann::json j = external_config(30, name);
  if (name != param) j["strategy"]["options"] = {{"proposals_per_refresh", std::stoi(param.substr(param.find('/') + 1))}};
  const SearchConfig cfg = config_from(j, dir, "external.json");
  auto open_study = [&](const std::string& run, bool resume) { return std::make_unique<Study>(cfg, StudyOptions{.dir = run, .resume = resume}); };
  auto kept = open_study(dir + "/kept", false);
  open_study(dir + "/reopened", false).reset();
  std::mt19937 rng(11);
  std::vector<std::int64_t> pending;  // what the test holds, in the order it got them
  for (int step = 0; step < 80; ++step) {
    auto reopened = open_study(dir + "/reopened", true);
    const bool do_ask = pending.empty() || (rng() % 3 == 0 && pending.size() < 8);
    if (do_ask) {
      const std::size_t n = 1 + rng() % 3;
      const auto a = kept->ask(n).trials, b = reopened->ask(n).trials;
      ASSERT_EQ(a.size(), b.size()) << "step " << step;
      for (std::size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(a[i].id, b[i].id);
        ASSERT_EQ(a[i].text, b[i].text);
        pending.push_back(a[i].id);
      }
      if (a.empty() && pending.empty()) break;  // the budget is spent
    } else {
      // Tell one of the pending trials, not necessarily the oldest; now and then a failure.
      const std::size_t k = rng() % pending.size();
      const std::int64_t id = pending[k];
      pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(k));
      Trial t;
      for (const Trial& p : kept->pending())
        if (p.id == id) t = p;
      if (rng() % 7 == 0) {
        kept->tell_failed(id, "out of memory");
        reopened->tell_failed(id, "out of memory");
      } else {
        kept->tell_values(id, {{"err", error_of(t)}});
        reopened->tell_values(id, {{"err", error_of(t)}});
      }
    }
    std::vector<std::int64_t> a, b;
    for (const Trial& t : kept->pending()) a.push_back(t.id);
    for (const Trial& t : reopened->pending()) b.push_back(t.id);
    ASSERT_EQ(a, b) << "step " << step;
    ASSERT_EQ(kept->counts().evaluations, reopened->counts().evaluations) << "step " << step;
    kept->write_front(false);
    reopened->write_front(false);
  }
  EXPECT_GE(kept->counts().evaluations, 20);
  const std::string journal = read(dir + "/reopened/trials.jsonl");
  EXPECT_NE(journal.find("\"commit\""), std::string::npos);
  EXPECT_EQ(read(dir + "/kept/trials.jsonl"), journal);
  EXPECT_EQ(log_without_times(dir + "/kept"), log_without_times(dir + "/reopened"));
  kept->write_front();
  open_study(dir + "/reopened", true)->write_front();
  EXPECT_EQ(read(dir + "/kept/pareto.json"), read(dir + "/reopened/pareto.json"));
}

INSTANTIATE_TEST_SUITE_P(Strategies, StudyReplay, ::testing::Values("random", "evolution", "bo", "mcts", "bo/3", "mcts/3"),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string s = i.param;
                           for (char& c : s)
                             if (c == '/') c = '_';
                           return s;
                         });

TEST(Study, ToldValuesAreChecked) {
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json j = external_config(20);
  j["objectives"][0]["log"] = true;  // values must be positive
  Study study(config_from(j, dir), {.dir = dir + "/run"});
  const auto trials = study.ask(4).trials;
  ASSERT_EQ(trials.size(), 4u);
  EXPECT_EQ(user_error([&] { study.tell_values(trials[0].id, {{"er", 0.1}}); }),
            "'er' is not an external objective of this study; did you mean 'err'? (external objectives: err)");
  EXPECT_EQ(user_error([&] { study.tell_values(trials[0].id, {{"err", 0.1}, {"params", 3}}); }),
            "'params' is not an external objective of this study (external objectives: err)");
  EXPECT_EQ(user_error([&] { study.tell_values(trials[0].id, {}); }), "trial 0: no value for external objective 'err'");
  EXPECT_EQ(user_error([&] { study.tell_values(999, {{"err", 0.1}}); }), "no pending trial 999 in " + dir + "/run (pending: 0, 1, 2, 3)");
  // A non-finite or (on a log scale) non-positive value is the trial's failure, as a computed one is.
  EXPECT_EQ(study.tell_values(trials[0].id, {{"err", NAN}}).status, EvalStatus::Failed);
  const EvaluationRecord neg = study.tell_values(trials[1].id, {{"err", -1.0}});
  EXPECT_EQ(neg.status, EvalStatus::Failed);
  EXPECT_NE(neg.message.find("not positive, but the objective is on a log scale"), std::string::npos) << neg.message;
  EXPECT_EQ(study.tell_failed(trials[2].id, "diverged").message, "diverged");
  const EvaluationRecord ok = study.tell_values(trials[3].id, {{"err", 0.25}});
  EXPECT_EQ(ok.status, EvalStatus::Ok);
  EXPECT_EQ(ok.raw[0], 0.25);
  EXPECT_EQ(ok.raw[1], trials[3].cheap.raw[1]);  // the cheap value computed at ask time
  EXPECT_EQ(user_error([&] { study.tell_values(trials[3].id, {{"err", 0.2}}); }), "trial 3 was told already (status ok)");
  EXPECT_EQ(study.counts().evaluations, 4);
  EXPECT_EQ(study.counts().failed, 3);
  EXPECT_EQ(study.front_size(), 1u);
}

TEST(Study, PendingTrialsCountAgainstTheBudget) {
  const std::string dir = hwnas::test::scratch_dir();
  Study study(config_from(external_config(5), dir), {.dir = dir + "/run"});
  EXPECT_EQ(study.ask(3).trials.size(), 3u);
  EXPECT_EQ(study.remaining(), 2);
  const auto more = study.ask(10).trials;
  EXPECT_EQ(more.size(), 2u);
  EXPECT_TRUE(study.ask(1).trials.empty());
  study.tell_failed(more[0].id, "x");
  EXPECT_TRUE(study.ask(1).trials.empty());  // a told trial still counts
  EXPECT_EQ(study.counts().pending, 4);
}

TEST(Study, SearchRefusesAConfigWithExternalObjectives) {
  const std::string dir = hwnas::test::scratch_dir();
  const std::string msg = user_error([&] { run_search(config_from(external_config(5), dir), SearchOptions{.quiet = true}); });
  EXPECT_NE(msg.find("objectives[0] 'err' is external: its values come from your own code, so `hwnas search` cannot run this config"),
            std::string::npos)
      << msg;
}

TEST(Study, AKillBetweenTheLastTellAndItsCommitIsCompletedOnOpen) {
  const std::string dir = hwnas::test::scratch_dir();
  const SearchConfig cfg = config_from(external_config(12), dir);
  std::string journal_before_commit;
  {
    Study study(cfg, {.dir = dir + "/run"});
    const auto trials = study.ask(3).trials;
    for (const Trial& t : trials) {
      journal_before_commit = read(dir + "/run/trials.jsonl");
      study.tell_values(t.id, {{"err", error_of(t)}});
    }
    EXPECT_EQ(study.records().size(), 3u);  // committed
  }
  // The kill: the last trial's log line made it, the journal's commit line did not (and the
  // journal ends in half a line).
  hwnas::test::write_text(dir + "/run/trials.jsonl", journal_before_commit + "{\"commi");
  Study again(cfg, {.dir = dir + "/run", .resume = true});
  EXPECT_EQ(again.records().size(), 3u);
  EXPECT_EQ(again.counts().pending, 0);
  EXPECT_EQ(again.ask(2).trials.size(), 2u);
  const std::string journal = read(dir + "/run/trials.jsonl");
  EXPECT_EQ(journal.find("{\"commi\n"), std::string::npos);  // the half line was cut off
  EXPECT_NE(journal.find("{\"commit\":0}\n"), std::string::npos);
}

TEST(Study, ADamagedJournalIsRefusedNamingItsLine) {
  const std::string dir = hwnas::test::scratch_dir();
  const SearchConfig cfg = config_from(external_config(12), dir);
  {
    Study study(cfg, {.dir = dir + "/run"});
    for (const Trial& t : study.ask(2).trials) study.tell_values(t.id, {{"err", error_of(t)}});
    study.ask(2);
  }
  const std::string journal = dir + "/run/trials.jsonl";
  const std::string good = read(journal);
  auto reopen_error = [&](const std::string& text) {
    hwnas::test::write_text(journal, text);
    return user_error([&] { Study s(cfg, {.dir = dir + "/run", .resume = true}); });
  };
  // Another architecture where the journal's first ask has one: the strategy cannot replay it.
  std::string edited = good;
  edited.replace(edited.find("\"hashes\":[\"") + 11, 4, "ffff");
  EXPECT_NE(reopen_error(edited).find(journal + ":1: on replay the strategy proposed"), std::string::npos);
  EXPECT_NE(reopen_error("{\"ask\": 2}\n").find(journal + ":1: expected {\"ask\": N, \"batch\": B, ...}"), std::string::npos);
  EXPECT_NE(reopen_error(good + "{\"commit\": 7}\n").find(":4: commits batch 7, which is not open"), std::string::npos);
  EXPECT_NE(reopen_error(good + "[1]\n").find(":4: expected a JSON object"), std::string::npos);
  EXPECT_NE(reopen_error(good + "{\"tell\": 1}\n").find(":4: expected an \"ask\" or a \"commit\" line"), std::string::npos);
  EXPECT_NE(reopen_error("{\"ask\": 1e18, \"batch\": 0}\n").find(":1: asks for"), std::string::npos);
  hwnas::test::write_text(journal, good);
  Study ok(cfg, {.dir = dir + "/run", .resume = true});
  EXPECT_EQ(ok.counts().pending, 2);
}

// Asynchronous dispatch: trials told in completion order, journaled; a run cut short resumes
// from its journal with nothing logged lost or proposed differently.
TEST(Study, AsynchronousDispatchResumesFromItsJournal) {
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json j = table_config(table_file(), 30);
  j["dispatch"] = "asynchronous";
  j["parallelism"] = 3;
  const SearchConfig cfg = config_from(j, dir);
  SearchOptions first;
  first.quiet = true;
  first.run_dir = dir + "/run";
  first.keep_going = [](long long n) { return n < 12; };  // a kill after 12
  const SearchSummary cut = run_search(cfg, first);
  EXPECT_EQ(cut.stop_reason, StopReason::Interrupted);
  const std::string log_cut = log_without_times(dir + "/run");
  ASSERT_TRUE(fs::exists(dir + "/run/trials.jsonl"));

  SearchOptions again;
  again.quiet = true;
  again.resume_dir = dir + "/run";
  const SearchSummary s = run_search(cfg, again);
  EXPECT_EQ(s.stop_reason, StopReason::EvaluationBudget);
  EXPECT_EQ(s.evaluations, 30);
  EXPECT_TRUE(s.warnings.empty()) << s.warnings[0];  // every logged evaluation was replayed
  const std::string log = log_without_times(dir + "/run");
  EXPECT_EQ(log.substr(0, log_cut.size()), log_cut);  // appended to, never rewritten
  {
    // Reopened, the study replays the journal to the same records and front.
    Study replayed(cfg, {.dir = dir + "/run", .resume = true});
    EXPECT_EQ(replayed.counts().evaluations, 30);
    EXPECT_EQ(replayed.counts().pending, 0);
    EXPECT_EQ(replayed.hypervolume(), s.hypervolume);
  }
  // The dispatch mode is part of the run's identity.
  nlohmann::json sync = j;
  sync.erase("dispatch");
  EXPECT_NE(user_error([&] { Study(config_from(sync, dir, "sync.json"), {.dir = dir + "/run", .resume = true}); })
                .find("differs in: dispatch"),
            std::string::npos);
}

TEST(Study, DispatchIsCheckedByName) {
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json j = table_config(table_file(), 30);
  j["dispatch"] = "async";
  EXPECT_NE(user_error([&] { config_from(j, dir); }).find("dispatch: expected \"synchronous\" or \"asynchronous\", got \"async\""),
            std::string::npos);
}

// ---- multi-fidelity (scheduler.h) ----------------------------------------------------------

namespace {

std::string curve_file() {
  static const std::string path = [] {
    const std::string dir = std::string(HWNAS_TEST_TMP) + "/study_curves";
    fs::create_directories(dir);
    return hwnas::testing::write_curve_table(dir + "/curves.csv");
  }();
  return path;
}

// "err" from the learning-curve table at the scheduler's fidelity, "params" exact.
nlohmann::json curve_config(const std::string& scheduler, const nlohmann::json& budget, const std::string& strategy = "random") {
  nlohmann::json j = table_config(curve_file());
  j["objectives"][0]["source"]["table"]["fidelity"] = "steps";
  j["strategy"] = {{"name", strategy}};
  j["budget"] = budget;
  if (!scheduler.empty()) j["scheduler"] = {{"name", scheduler}, {"min_fidelity", 9}, {"eta", 3}};
  return j;
}

SearchSummary run_curves(const nlohmann::json& j, const std::string& dir, const std::string& resume = "",
                         std::function<bool(long long)> keep_going = nullptr) {
  fs::create_directories(dir);
  SearchOptions so;
  so.quiet = true;
  so.run_dir = dir + "/run";
  so.resume_dir = resume;
  so.keep_going = std::move(keep_going);
  return run_search(config_from(j, dir, "curves.json"), so);
}

std::vector<nlohmann::json> log_of(const std::string& run_dir) { return hwnas::test::log_records_without_times(run_dir); }

}  // namespace

TEST(StudyMultiFidelity, SuccessiveHalvingLogsEveryRungAndKeepsTheFrontAtFullFidelity) {
  const std::string dir = hwnas::test::scratch_dir();
  const SearchSummary s = run_curves(curve_config("sh", {{"evaluations", 80}}), dir);
  // Two brackets of 27 + 9 + 3 + 1 evaluations.
  EXPECT_EQ(s.evaluations, 80);
  EXPECT_EQ(s.rungs, (std::vector<std::pair<int, long long>>{{9, 54}, {27, 18}, {81, 6}, {243, 2}}));
  const std::vector<nlohmann::json> log = log_of(dir + "/run");
  std::map<std::string, int> reached;  // arch -> highest fidelity logged so far
  double steps = 0;
  for (const auto& r : log) {
    if (r["status"] != "ok") continue;
    const int f = r.at("fidelity").get<int>();
    const int before = reached.count(r["arch"]) ? reached[r["arch"]] : 0;
    // A promotion continues from the rung below: it costs the difference.
    EXPECT_EQ(r.at("cost").get<double>(), f - before) << r.dump();
    if (before > 0) EXPECT_EQ(f, before * 3) << r.dump();
    else EXPECT_EQ(f, 9) << r.dump();  // sh brackets start at the lowest rung
    reached[r["arch"]] = f;
    steps += r["cost"].get<double>();
  }
  EXPECT_EQ(s.steps, steps);
  EXPECT_EQ(steps, 2 * (27 * 9 + 9 * 18 + 3 * 54 + 1 * 162));
  ASSERT_FALSE(s.front.empty());
  for (const auto& m : s.front) EXPECT_EQ(m.fidelity, 243);
  const auto pareto = nlohmann::json::parse(read(dir + "/run/pareto.json"));
  for (const auto& m : pareto["front"]) EXPECT_EQ(m["fidelity"], 243);
}

TEST(StudyMultiFidelity, HyperbandStartsBracketsAtEveryRungAndAshaAtTheLowest) {
  const std::string dir = hwnas::test::scratch_dir();
  const SearchSummary hb = run_curves(curve_config("hyperband", {{"evaluations", 120}}), dir + "/hb");
  std::set<int> first_fidelities;
  std::set<std::string> archs;
  for (const auto& r : log_of(dir + "/hb/run"))
    if (r["status"] == "ok" && archs.insert(r["arch"]).second) first_fidelities.insert(r["fidelity"].get<int>());
  EXPECT_EQ(first_fidelities, (std::set<int>{9, 27, 81, 243}));
  EXPECT_EQ(hb.evaluations, 120);

  const SearchSummary asha = run_curves(curve_config("asha", {{"evaluations", 60}}), dir + "/asha");
  EXPECT_EQ(asha.evaluations, 60);
  archs.clear();
  long long promotions = 0;
  for (const auto& r : log_of(dir + "/asha/run")) {
    if (archs.insert(r["arch"]).second) EXPECT_EQ(r["fidelity"], 9) << r.dump();
    else ++promotions;
  }
  EXPECT_GE(promotions, 60 / 3 - 4);  // about a third goes up without waiting for a rung to fill
  EXPECT_EQ(asha.rungs.size(), 4u);
  EXPECT_GT(asha.rungs[1].second, 0);
}

// #12: a scheduler is one registry entry. A toy one registered here (brackets that always start
// at the second rung, 9 architectures) is read from a config, searched with, and unknown again
// once removed.
TEST(StudyMultiFidelity, AToySchedulerRegisteredFromATestFileIsSearchedWith) {
  register_scheduler({"second_rung", "toy: brackets of 9 at the second rung", false,
                      [](int s_max, int, long long) { return BracketPlan{s_max - 1, 9}; }});
  const std::string dir = hwnas::test::scratch_dir();
  const SearchSummary s = run_curves(curve_config("second_rung", {{"evaluations", 26}}), dir);
  EXPECT_EQ(s.evaluations, 26);  // two brackets of 9 + 3 + 1
  std::set<std::string> archs;
  for (const auto& r : log_of(dir + "/run"))
    if (archs.insert(r["arch"]).second) EXPECT_EQ(r["fidelity"], 27) << r.dump();
  EXPECT_EQ(s.rungs, (std::vector<std::pair<int, long long>>{{9, 0}, {27, 18}, {81, 6}, {243, 2}}));
  const std::vector<std::string> names = scheduler_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "second_rung"), names.end());
  unregister_scheduler("second_rung");
  EXPECT_NE(user_error([&] { config_from(curve_config("second_rung", {{"evaluations", 26}}), dir); })
                .find("scheduler.name: unknown scheduler 'second_rung'"),
            std::string::npos);
}

TEST(StudyMultiFidelity, PromotionsAreToldOnlyToAStrategyThatModelsFidelity) {
  // A strategy that records the fidelities it is told; registered twice, with and without
  // models_fidelity (bo and mcts say yes: BOHB-style surrogates).
  struct Recorder : SearchStrategy {
    Recorder(const StrategyContext& c, bool models, std::vector<int>* told) : rng(c.seed), space(c.space), models(models), told(told) {}
    std::string name() const override { return "recorder"; }
    std::vector<Architecture> ask(std::size_t n) override {
      std::vector<Architecture> out;
      for (std::size_t i = 0; i < n; ++i) out.push_back(space->sample(rng));
      return out;
    }
    void tell(const std::vector<Observation>& results) override {
      for (const auto& o : results) told->push_back(o.fidelity);
    }
    bool models_fidelity() const override { return models; }
    Rng rng;
    const SearchSpace* space;
    bool models;
    std::vector<int>* told;
  };
  std::map<bool, std::vector<int>> told;
  for (bool models : {false, true}) {
    register_strategy({"recorder", [](const nlohmann::json&, const std::string&) { return nlohmann::json::object(); },
                       [&told, models](const nlohmann::json&, const std::string&, const StrategyContext& c) {
                         return std::unique_ptr<SearchStrategy>(std::make_unique<Recorder>(c, models, &told[models]));
                       }});
    const std::string dir = hwnas::test::scratch_dir() + (models ? "/models" : "/entry");
    const SearchSummary s = run_curves(curve_config("sh", {{"evaluations", 40}}, "recorder"), dir);
    EXPECT_EQ(s.evaluations, 40);
    unregister_strategy("recorder");
  }
  // One sh bracket (27 + 9 + 3 + 1) and 0 of the next: 40 results, of which 13 promotions.
  EXPECT_EQ(told[false], std::vector<int>(27, 9));
  std::map<int, int> per_fidelity;
  for (int f : told[true]) ++per_fidelity[f];
  EXPECT_EQ(per_fidelity, (std::map<int, int>{{9, 27}, {27, 9}, {81, 3}, {243, 1}}));
}

TEST(StudyMultiFidelity, BoAndMctsFitTheirSurrogateAtTheHighestRungWithEnoughResults) {
  // On the curve table, err at 9 steps is a noisy version of err at 243 steps. bo told the
  // promotions (fidelity "highest") must run as a search: deterministic, every rung logged, and
  // its option accepted and written back resolved.
  for (const std::string strategy : {"bo", "mcts"}) {
    const std::string dir = hwnas::test::scratch_dir() + "/" + strategy;
    nlohmann::json j = curve_config("asha", {{"evaluations", 60}}, strategy);
    j["strategy"]["options"] = {{"initial_random", 6}};
    const SearchSummary a = run_curves(j, dir + "/a");
    const SearchSummary b = run_curves(j, dir + "/b");
    EXPECT_EQ(log_of(dir + "/a/run"), log_of(dir + "/b/run")) << strategy;
    EXPECT_EQ(a.evaluations, 60);
    EXPECT_GT(a.rungs.at(1).second, 0) << strategy;
    const auto config = nlohmann::json::parse(read(dir + "/a/run/config.json"));
    EXPECT_EQ(config["strategy"]["options"]["fidelity"], "highest") << config.dump();
    j["strategy"]["options"]["fidelity"] = "lowest";
    EXPECT_NE(user_error([&] { config_from(j, dir); }).find("strategy.options.fidelity: expected \"highest\" or \"entry\", got \"lowest\""), std::string::npos)
        << user_error([&] { config_from(j, dir); });
  }
}

TEST(StudyMultiFidelity, AKilledRunResumesWithoutRedoingAFinishedRung) {
  const std::string dir = hwnas::test::scratch_dir();
  for (const std::string sched : {"sh", "asha"}) {
    const nlohmann::json j = curve_config(sched, {{"evaluations", 70}}, "evolution");
    run_curves(j, dir + "/full-" + sched);
    const SearchSummary cut = run_curves(j, dir + "/cut-" + sched, "", [](long long n) { return n < 31; });
    ASSERT_EQ(cut.stop_reason, StopReason::Interrupted);
    const std::vector<nlohmann::json> before = log_of(dir + "/cut-" + sched + "/run");
    const SearchSummary resumed = run_curves(j, dir + "/cut-" + sched, dir + "/cut-" + sched + "/run");
    EXPECT_EQ(resumed.replayed, static_cast<long long>(before.size())) << sched;
    const std::vector<nlohmann::json> after = log_of(dir + "/cut-" + sched + "/run");
    ASSERT_GT(after.size(), before.size());
    for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], before[i]);  // nothing finished redone
    const std::vector<nlohmann::json> full = log_of(dir + "/full-" + sched + "/run");
    ASSERT_EQ(after.size(), full.size()) << sched;
    for (std::size_t i = 0; i < full.size(); ++i) ASSERT_EQ(after[i], full[i]) << sched << " line " << i + 1;  // the same run
    std::set<std::pair<std::string, int>> evaluated;
    for (const auto& r : after) EXPECT_TRUE(evaluated.insert({r["hash"], r["fidelity"].get<int>()}).second) << r.dump();
  }
}

TEST(StudyMultiFidelity, AStepBudgetStopsTheSearchWithinOneEvaluation) {
  const std::string dir = hwnas::test::scratch_dir();
  const SearchSummary s = run_curves(curve_config("asha", {{"steps", 2000}}), dir + "/asha");
  EXPECT_EQ(s.stop_reason, StopReason::StepBudget);
  EXPECT_GE(s.steps, 2000);
  EXPECT_LT(s.steps, 2000 + 243);
  // Full fidelity with a step budget: every evaluation costs the table's 243.
  const SearchSummary full = run_curves(curve_config("", {{"steps", 2000}}), dir + "/full");
  EXPECT_EQ(full.stop_reason, StopReason::StepBudget);
  EXPECT_EQ(full.evaluations, 9);  // ceil(2000 / 243)
  EXPECT_EQ(full.steps, 9 * 243);
  EXPECT_TRUE(full.rungs.empty());
  for (const auto& r : log_of(dir + "/full/run")) EXPECT_FALSE(r.contains("fidelity"));
}

TEST(StudyMultiFidelity, ConfigErrorsNameTheField) {
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json j = table_config(table_file());
  j["scheduler"] = {{"name", "asha"}, {"min_fidelity", 9}};
  EXPECT_NE(user_error([&] { config_from(j, dir, "a.json"); })
                .find("a.json: scheduler: no objective has fidelity levels; a scheduler needs a {\"train\": {...}} objective"),
            std::string::npos);
  j = curve_config("asha", {{"evaluations", 10}});
  j["scheduler"]["max_fidelity"] = 500;
  EXPECT_NE(user_error([&] { config_from(j, dir, "b.json"); })
                .find("b.json: scheduler.max_fidelity: 500 is more than objective 'err' runs at full fidelity (243)"),
            std::string::npos);
  j = curve_config("asha", {{"evaluations", 10}});
  j["scheduler"]["min_fidelity"] = 243;
  EXPECT_NE(user_error([&] { config_from(j, dir, "c.json"); }).find("c.json: scheduler.max_fidelity: expected more than min_fidelity 243, got 243"),
            std::string::npos);
  j = table_config(table_file());
  j["budget"] = {{"steps", 100}};
  EXPECT_NE(user_error([&] { config_from(j, dir, "d.json"); }).find("d.json: budget.steps: no objective reports steps"), std::string::npos);
  j = curve_config("sh", {{"evaluations", 10}});
  j["objectives"][0]["source"]["table"]["fidelity"] = "step";
  EXPECT_NE(user_error([&] { config_from(j, dir, "e.json"); }).find("objectives[0].source.table.fidelity: " + curve_file() + " has no column 'step'"),
            std::string::npos);
  j = curve_config("sh", {{"evaluations", 10}});
  j["objectives"][0]["source"] = {{"external", {{"fidelity", 0}}}};
  EXPECT_NE(user_error([&] { config_from(j, dir, "f.json"); })
                .find("f.json: objectives[0].source.external.fidelity: expected a positive integer (the full fidelity, e.g. training steps), got 0"),
            std::string::npos);
}

TEST(StudyMultiFidelity, AskAndTellWithASchedulerIsTheSearchByteForByte) {
  const std::string dir = hwnas::test::scratch_dir();
  for (const std::string sched : {"asha", "sh"}) {
    const SearchSummary s = run_curves(curve_config(sched, {{"evaluations", 60}}, "evolution"), dir + "/search-" + sched);
    ASSERT_EQ(s.evaluations, 60);
    // The same values told from outside, at the fidelity each trial asks for.
    nlohmann::json j = curve_config(sched, {{"evaluations", 60}}, "evolution");
    j["objectives"][0]["source"] = {{"external", {{"fidelity", 243}}}};
    const std::string run = dir + "/study-" + sched;
    {
      Study study(config_from(j, dir, "ext.json"), {.dir = run});
      for (;;) {
        const Study::Asked asked = study.ask(4);
        if (asked.trials.empty()) break;
        for (const Trial& t : asked.trials) {
          EXPECT_GT(t.fidelity, 0);
          study.tell_values(t.id, {{"err", hwnas::testing::curve_error(t.arch, t.fidelity)}});
        }
      }
    }
    EXPECT_EQ(log_without_times(run), log_without_times(dir + "/search-" + sched + "/run")) << sched;
    EXPECT_EQ(read(run + "/pareto.json"), read(dir + "/search-" + sched + "/run/pareto.json")) << sched;
  }
}

TEST(StudyMultiFidelity, AJournaledRunReopenedAfterEveryCallContinuesExactly) {
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json j = curve_config("asha", {{"evaluations", 50}}, "evolution");
  j["objectives"][0]["source"] = {{"external", {{"fidelity", 243}}}};
  const SearchConfig cfg = config_from(j, dir, "ext.json");
  // The same sequence of asks and tells, in an order that interleaves them, against a study that
  // stays open and against one reopened (journal replayed) before every call.
  std::mt19937 rng(11);
  std::vector<std::pair<int, std::size_t>> script;  // (0: ask n | 1: tell the k-th pending)
  for (int i = 0; i < 80; ++i) script.push_back(rng() % 3 == 0 ? std::make_pair(0, std::size_t{1 + rng() % 3}) : std::make_pair(1, std::size_t{rng() % 4}));
  auto drive = [&](const std::string& run, bool reopen) {
    std::unique_ptr<Study> open;
    auto study = [&]() -> Study& {
      if (!open || reopen) {
        open.reset();
        StudyOptions o;
        o.dir = run;
        o.resume = fs::exists(run + "/config.json");
        open = std::make_unique<Study>(cfg, o);
      }
      return *open;
    };
    for (const auto& [op, k] : script) {
      if (op == 0) {
        study().ask(k);
      } else {
        const std::vector<Trial> p = study().pending();
        if (p.empty()) continue;
        const Trial& t = p[k % p.size()];
        study().tell_values(t.id, {{"err", hwnas::testing::curve_error(t.arch, t.fidelity)}});
      }
    }
    open.reset();
  };
  drive(dir + "/open", false);
  drive(dir + "/reopened", true);
  const std::string log = log_without_times(dir + "/open");
  EXPECT_EQ(log_without_times(dir + "/reopened"), log);
  EXPECT_EQ(read(dir + "/reopened/trials.jsonl"), read(dir + "/open/trials.jsonl"));
  EXPECT_NE(read(dir + "/open/trials.jsonl").find("\"promote\""), std::string::npos);  // promotions happened
  EXPECT_NE(log.find("\"fidelity\":81"), std::string::npos);
}

TEST(StudyMultiFidelity, AsynchronousDispatchRunsSuccessiveHalvingAndResumesFromItsJournal) {
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json j = curve_config("sh", {{"evaluations", 45}}, "evolution");
  j["dispatch"] = "asynchronous";
  const SearchSummary s = run_curves(j, dir);
  EXPECT_EQ(s.stop_reason, StopReason::EvaluationBudget);
  EXPECT_EQ(s.evaluations, 45);
  EXPECT_EQ(s.rungs[3], (std::pair<int, long long>{243, 1}));  // a first bracket's 27 + 9 + 3 + 1, then 5 more
  j["budget"]["evaluations"] = 50;
  const SearchSummary more = run_curves(j, dir, dir + "/run");
  EXPECT_EQ(more.replayed, 45);
  EXPECT_EQ(more.evaluations, 50);
}

// #12: the cheap objectives of a proposal are computed once. The strategy looked them up
// (StrategyContext::cheap) when it chose it; the study takes them from there.
TEST(Study, CheapObjectivesOfAProposalAreComputedOnce) {
  const std::string dir = hwnas::test::scratch_dir();
  for (const std::string strategy : {"random", "bo"}) {
    hwnas::testing::CountingObjective counting;
    nlohmann::json j = table_config(table_file(), 24);
    j["objectives"].push_back({{"name", "c"}, {"source", {{"counting", {{"cheap", true}}}}}});
    j["strategy"] = {{"name", strategy}};
    SearchOptions so;
    so.quiet = true;
    so.run_dir = dir + "/" + strategy;
    const SearchSummary s = run_search(config_from(j, dir, strategy + ".json"), so);
    ASSERT_EQ(s.evaluations, 24) << strategy;
    // Each architecture once: the strategy's look-up, and none for the proposals on top (before,
    // every proposal was computed a second time: 24 more calls).
    EXPECT_EQ(counting.calls(), static_cast<int>(counting.seen().size())) << strategy;
    EXPECT_GE(counting.calls(), 24) << strategy;
  }
}

// #18: budget.gpu_seconds spends the seconds the expensive objectives took ("eval_s" in the log),
// summed over evaluations. The "counting" source sleeps 20 ms per evaluation, so each record takes
// at least that long; how much longer depends on the machine, so the test asserts what holds on
// any: the sum reaches the budget, and no evaluation is handed out after it did.
TEST(Study, AGpuSecondBudgetStopsOnceTheEvaluationsHaveTakenIt) {
  const std::string dir = hwnas::test::scratch_dir();
  hwnas::testing::CountingObjective counting;
  nlohmann::json j = {{"space", {{"name", "nb201"}}},
                      {"objectives", {{{"name", "c"}, {"source", {{"counting", {{"sleep_ms", 20}}}}}, {"direction", "maximize"}},
                                      {{"name", "params"}, {"source", "params"}}}},
                      {"strategy", {{"name", "random"}}},
                      {"budget", {{"gpu_seconds", 0.2}}},
                      {"seed", 3}};
  auto run = [&](const nlohmann::json& cfg, const std::string& resume) {
    SearchOptions so;
    so.quiet = true;
    so.run_dir = dir + "/run";
    so.resume_dir = resume;
    return run_search(config_from(cfg, dir, "gpu.json"), so);
  };
  const SearchSummary s = run(j, "");
  EXPECT_EQ(s.stop_reason, StopReason::GpuSecondsBudget);
  EXPECT_EQ(to_string(s.stop_reason), "GPU-second budget reached");
  std::ifstream f(dir + "/run/evaluations.jsonl");
  std::vector<double> times;
  for (std::string line; std::getline(f, line);) {
    const auto r = nlohmann::json::parse(line);
    if (r.contains("eval_s")) times.push_back(r["eval_s"].get<double>());
    else EXPECT_EQ(r["status"], "rejected") << r.dump();  // a degenerate cell: rejected before evaluation, not timed
  }
  ASSERT_EQ(static_cast<long long>(times.size()), s.evaluations);
  double sum = 0;
  for (double t : times) {
    EXPECT_GE(t, 0.02);  // the sleep is inside what is timed
    sum += t;
  }
  EXPECT_NEAR(s.eval_s, sum, 1e-9);
  EXPECT_GE(sum, 0.2);                   // it stopped because the budget was spent
  EXPECT_LT(sum - times.back(), 0.2);    // and not an evaluation later: batch 1, nothing pending at the check
  EXPECT_LE(s.evaluations, 10);          // 10 x 20 ms
  EXPECT_NE(s.full().find("evaluation time "), std::string::npos) << s.full();

  // Resumed with the same budget: the logged times count, nothing is evaluated again.
  const int calls = counting.calls();
  const SearchSummary again = run(j, dir + "/run");
  EXPECT_EQ(again.stop_reason, StopReason::GpuSecondsBudget);
  EXPECT_EQ(again.replayed, s.evaluations);
  EXPECT_EQ(again.evaluations, s.evaluations);
  EXPECT_EQ(counting.calls(), calls);
  EXPECT_NEAR(again.eval_s, sum, 1e-9);
  // A larger budget continues from there.
  j["budget"]["gpu_seconds"] = 0.4;
  const SearchSummary more = run(j, dir + "/run");
  EXPECT_EQ(more.stop_reason, StopReason::GpuSecondsBudget);
  EXPECT_GT(more.evaluations, s.evaluations);
  EXPECT_GE(more.eval_s, 0.4);

  // Bad input names the field.
  j["budget"]["gpu_seconds"] = 0;
  EXPECT_NE(user_error([&] { config_from(j, dir, "a.json"); }).find("a.json: budget.gpu_seconds: expected a number > 0, got 0"),
            std::string::npos)
      << user_error([&] { config_from(j, dir, "a.json"); });
  j["budget"]["gpu_seconds"] = 10;
  j["objectives"][0]["source"] = {{"external", nlohmann::json::object()}};
  EXPECT_NE(user_error([&] { config_from(j, dir, "b.json"); }).find("b.json: budget.gpu_seconds: objective 'c' is external"),
            std::string::npos)
      << user_error([&] { config_from(j, dir, "b.json"); });
  j["objectives"][0]["source"] = "flops";
  EXPECT_NE(user_error([&] { config_from(j, dir, "c.json"); }).find("c.json: budget.gpu_seconds: every objective is cheap"),
            std::string::npos)
      << user_error([&] { config_from(j, dir, "c.json"); });
}

// #11/#17: a search that costs some objective as built ("prune_dead": false) tells apart cells
// that deploy the same network but differ in dead edges: as built those edges run, so the cells
// cost differently. Before, the study and the strategies deduplicated by the deployed (pruned)
// class: a search met each class once, through whichever cell came first, often one with convs on
// dead edges. Now each deployed network is met through its cheapest as-built cells: no logged cell
// has a cell of the same deployed network, one decision away, that is cheaper as built.
TEST(Study, ASearchCostedAsBuiltMeetsEachNetworkThroughItsCheapestAsBuiltCells) {
  const std::string dir = hwnas::test::scratch_dir();
  const Nb201Space space{Nb201Options{}};
  ObjectiveContext ctx;
  ctx.space = &space;
  const auto as_built = make_objective_source("latency", {{"device", "raspberry-pi-4"}, {"prune_dead", false}}, "test", ctx);
  auto latency = [&](const Architecture& a) { return as_built->evaluate(Candidate(space, a)).value; };
  std::map<bool, std::vector<nlohmann::json>> logs;
  for (const bool costed_as_built : {true, false}) {
    nlohmann::json j = table_config(table_file(), 300);
    j["objectives"][1] = {{"name", "lat"},
                          {"source", {{"latency", {{"device", "raspberry-pi-4"}, {"prune_dead", !costed_as_built}}}}}};
    j["strategy"] = {{"name", "random"}};
    const SearchConfig cfg = config_from(j, dir, costed_as_built ? "as_built.json" : "pruned.json");
    EXPECT_EQ(cfg.costs_as_built(), costed_as_built);
    SearchOptions so;
    so.quiet = true;
    so.run_dir = dir + (costed_as_built ? "/as_built" : "/pruned");
    ASSERT_EQ(run_search(cfg, so).evaluations, 300);
    logs[costed_as_built] = hwnas::test::log_records_without_times(so.run_dir);
  }
  for (const bool costed_as_built : {true, false}) {
    int dearer = 0;  // cells with a cheaper as-built cell of the same deployed network
    std::set<std::string> hashes;
    for (const auto& r : logs[costed_as_built]) {
      hashes.insert(r["hash"].get<std::string>());
      const Architecture a = space.parse(r["arch"].get<std::string>());
      if (costed_as_built) EXPECT_DOUBLE_EQ(r["objectives"]["lat"].get<double>(), latency(a));
      for (const Architecture& b : space.neighbours(a))
        if (space.canonical_hash(b) == space.canonical_hash(a) && latency(b) < latency(a)) {
          ++dearer;
          break;
        }
    }
    EXPECT_EQ(hashes.size(), 300u) << "each network is evaluated once";
    if (costed_as_built) EXPECT_EQ(dearer, 0);
    else EXPECT_GE(dearer, 20) << "met through arbitrary members (seed 7: 41 of 300)";
  }
  // The log's hash is the search's identity: a resume reads it back and continues.
  nlohmann::json j = table_config(table_file(), 310);
  j["objectives"][1] = {{"name", "lat"}, {"source", {{"latency", {{"device", "raspberry-pi-4"}, {"prune_dead", false}}}}}};
  j["strategy"] = {{"name", "random"}};
  SearchOptions so;
  so.quiet = true;
  so.resume_dir = dir + "/as_built";
  run_search(config_from(j, dir, "as_built_more.json"), so);
  EXPECT_EQ(hwnas::test::log_records_without_times(so.resume_dir).size(), 310u);
  // A log that hashed by the deployed network (written before) is refused, saying why.
  const std::string old_dir = dir + "/as_built_old";
  fs::copy(so.resume_dir, old_dir, fs::copy_options::recursive);
  std::string text = read(old_dir + "/evaluations.jsonl");
  nlohmann::json first = nlohmann::json::parse(text.substr(0, text.find('\n')));
  first["hash"] = hash_hex(space.canonical_hash(space.parse(first["arch"].get<std::string>())));
  hwnas::test::write_text(old_dir + "/evaluations.jsonl", first.dump() + text.substr(text.find('\n')));
  so.resume_dir = old_dir;
  const SearchConfig more = config_from(j, dir, "as_built_old.json");
  EXPECT_NE(user_error([&] { run_search(more, so); }).find("costs an objective as built"), std::string::npos);
  EXPECT_EQ(read(old_dir + "/evaluations.jsonl").substr(0, 20), first.dump().substr(0, 20)) << "nothing rewritten";
}

// The identity behind the above, on the space: a dead edge changes the as-built form, not the
// canonical one; without set_as_built the identity is the canonical class.
TEST(Study, AsBuiltIdentityKeepsDeadEdgesAndPrunedIdentityDropsThem) {
  Nb201Space space{Nb201Options{}};
  // Edge 0->1 is none, so node 1 is unreachable and edges 1->2 and 1->3 are dead whatever their
  // op: a has convs there, b none; both deploy as 0->2->3, two 3x3 convs.
  const Architecture a = space.parse("|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|nor_conv_1x1~1|nor_conv_3x3~2|");
  const Architecture b = space.parse("|none~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|nor_conv_3x3~2|");
  EXPECT_EQ(space.canonical_hash(a), space.canonical_hash(b));
  EXPECT_EQ(space.identity_hash(a), space.canonical_hash(a));
  EXPECT_EQ(space.identity_hash(a), space.identity_hash(b));
  space.set_as_built(true);
  EXPECT_NE(space.identity_hash(a), space.identity_hash(b));
  EXPECT_EQ(space.identity_form(a), a);
  EXPECT_EQ(space.canonical_hash(a), space.canonical_hash(b)) << "the deployed class is unchanged";
  EXPECT_NE(space.identity_hash(a), space.canonical_hash(a));
  // Mutation prefers a change the search can tell apart: as built, a dead edge's op counts.
  Rng rng(3);
  for (int i = 0; i < 20; ++i) EXPECT_NE(space.identity_form(space.mutate(b, rng)), b);
}

// Only a cheap (hardware) source costed as built changes the identity: a proxy or training run as
// built computes the deployed network's function, so its cells would only be evaluated again.
TEST(Study, OnlyAHardwareSourceCostedAsBuiltMakesTheSearchTellDeadEdgesApart) {
  SearchConfig c;
  ObjectiveConfig o;
  o.spec = {{"name", "synflow"}, {"prune_dead", false}};
  o.cheap = false;  // a proxy or train source
  c.objectives.push_back(o);
  EXPECT_FALSE(c.costs_as_built());
  o.spec = {{"device", "raspberry-pi-4"}, {"prune_dead", true}};
  o.cheap = true;
  c.objectives.push_back(o);
  EXPECT_FALSE(c.costs_as_built());
  c.objectives.back().spec["prune_dead"] = false;
  EXPECT_TRUE(c.costs_as_built());
}
