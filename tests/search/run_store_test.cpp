// The run directory: record round trips, a log cut by a kill, refusing to mix runs.
#include "hwnas/search/run_store.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "config_test_fixtures.h"

using namespace hwnas;
using hwnas::testing::config_from;
using hwnas::testing::user_error;
namespace fs = std::filesystem;

namespace {

nlohmann::json two_counts() {
  return {{"space", {{"name", "nb201"}}},
          {"objectives", {{{"name", "params"}, {"source", "params"}}, {{"name", "flops"}, {"source", "flops"}}}},
          {"budget", {{"evaluations", 10}}}};
}

EvaluationRecord record(std::int64_t id, EvalStatus s = EvalStatus::Ok) {
  EvaluationRecord r;
  r.id = id;
  r.arch = "|a~" + std::to_string(id) + "|";
  r.decisions = {1, 2, static_cast<int>(id)};
  r.hash = 0x0123456789abcdefULL + static_cast<std::uint64_t>(id);
  r.status = s;
  r.message = s == EvalStatus::Ok ? "" : "why " + std::to_string(id);
  r.raw = {1000.5 + static_cast<double>(id), s == EvalStatus::Ok ? 0.1 / 3 : NAN};
  r.elapsed_s = 0.25 * static_cast<double>(id);
  return r;
}

const std::vector<std::string> kNames{"params", "flops"};

}  // namespace

TEST(RunStore, RecordRoundTripsExactly) {
  const EvaluationRecord r = record(3);
  const nlohmann::json j = r.to_json(kNames);
  EXPECT_EQ(j["hash"], "0123456789abcdf2");
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["objectives"]["flops"].get<double>(), 0.1 / 3);
  const EvaluationRecord back = EvaluationRecord::from_json(nlohmann::json::parse(j.dump()), kNames, "log:1");
  EXPECT_EQ(back.id, 3);
  EXPECT_EQ(back.decisions, r.decisions);
  EXPECT_EQ(back.hash, r.hash);
  EXPECT_EQ(back.raw, r.raw);  // bit-exact through the text form
  EXPECT_EQ(back.elapsed_s, 0.75);
  EXPECT_FALSE(j.contains("eval_s"));  // nothing expensive ran: left out
  EvaluationRecord timed = record(5);
  timed.eval_s = 1.0 / 3;
  const nlohmann::json tj = timed.to_json(kNames);
  EXPECT_EQ(EvaluationRecord::from_json(nlohmann::json::parse(tj.dump()), kNames, "log:1").eval_s, 1.0 / 3);
  const EvaluationRecord f = EvaluationRecord::from_json(record(4, EvalStatus::Failed).to_json(kNames), kNames, "log:2");
  EXPECT_EQ(f.status, EvalStatus::Failed);
  EXPECT_EQ(f.message, "why 4");
  EXPECT_TRUE(std::isnan(f.raw[1]));
  EXPECT_FALSE(record(4, EvalStatus::Failed).to_json(kNames)["objectives"].contains("flops"));
}

TEST(RunStore, BadRecordsNameTheLine) {
  nlohmann::json j = record(1).to_json(kNames);
  j["status"] = "done";
  EXPECT_NE(user_error([&] { EvaluationRecord::from_json(j, kNames, "e.jsonl:4"); }).find("e.jsonl:4.status: expected \"ok\""),
            std::string::npos);
  j = record(1).to_json(kNames);
  j["objectives"].erase("flops");
  EXPECT_NE(user_error([&] { EvaluationRecord::from_json(j, kNames, "e.jsonl:4"); }).find("objective 'flops' is missing"),
            std::string::npos);
  j = record(1).to_json(kNames);
  j["objectives"]["latency"] = 3;
  EXPECT_NE(user_error([&] { EvaluationRecord::from_json(j, kNames, "e.jsonl:4"); }).find("e.jsonl:4.objectives.latency: unknown key"),
            std::string::npos);
  for (const nlohmann::json bad : {nlohmann::json(-1.0), nlohmann::json("fast")}) {
    j = record(1).to_json(kNames);
    j["eval_s"] = bad;
    EXPECT_NE(user_error([&] { EvaluationRecord::from_json(j, kNames, "e.jsonl:4"); }).find("e.jsonl:4.eval_s: expected"),
              std::string::npos)
        << user_error([&] { EvaluationRecord::from_json(j, kNames, "e.jsonl:4"); });
  }
}

TEST(RunStore, AppendsAndReadsBackAndToleratesATruncatedLastLine) {
  const std::string dir = hwnas::test::scratch_dir();
  const SearchConfig cfg = config_from(two_counts(), dir);
  {
    RunStore s = RunStore::create(dir + "/run", cfg);
    for (int i = 0; i < 5; ++i) s.append(record(i, i == 2 ? EvalStatus::Rejected : EvalStatus::Ok));
    // Readable at once: every append is flushed before it returns.
    EXPECT_EQ(read_evaluation_log(s.log_path(), kNames).records.size(), 5u);
  }
  EXPECT_TRUE(fs::exists(dir + "/run/config.json"));
  const std::string log = dir + "/run/evaluations.jsonl";
  const std::string text = hwnas::test::read_text(log);
  const std::size_t cut = text.rfind('\n', text.size() - 2) + 20;  // 19 bytes into the last line
  hwnas::test::write_text(log, text.substr(0, cut));
  LogContents c = read_evaluation_log(log, kNames);
  ASSERT_EQ(c.records.size(), 4u);
  EXPECT_EQ(c.records[2].status, EvalStatus::Rejected);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("evaluations.jsonl:5: ignoring a truncated last line"), std::string::npos) << c.warnings[0];

  // Resuming cuts the partial line off, so the next record starts on a line of its own.
  LogContents resumed;
  {
    RunStore s = RunStore::resume(dir + "/run", cfg, &resumed);
    EXPECT_EQ(resumed.records.size(), 4u);
    s.append(record(4));
  }
  c = read_evaluation_log(log, kNames);
  EXPECT_EQ(c.records.size(), 5u);
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_EQ(c.records[4].id, 4);
}

TEST(RunStore, DamagedLineInTheMiddleIsAnError) {
  const std::string dir = hwnas::test::scratch_dir();
  hwnas::test::write_text(dir + "/e.jsonl", record(0).to_json(kNames).dump() + "\n{\"id\": 1, \"arch\n" +
                                                record(2).to_json(kNames).dump() + "\n");
  const std::string msg = user_error([&] { read_evaluation_log(dir + "/e.jsonl", kNames); });
  EXPECT_NE(msg.find("e.jsonl:2:16: invalid JSON: syntax error"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(a malformed evaluation record; the log is damaged)"), std::string::npos) << msg;
  EXPECT_TRUE(read_evaluation_log(dir + "/absent.jsonl", kNames).records.empty());
}

TEST(RunStore, RefusesToOverwriteOrToResumeAnotherConfig) {
  const std::string dir = hwnas::test::scratch_dir();
  const SearchConfig cfg = config_from(two_counts(), dir);
  { RunStore::create(dir + "/run", cfg).append(record(0)); }
  EXPECT_NE(user_error([&] { RunStore::create(dir + "/run", cfg); }).find("/run: holds an earlier run (evaluations.jsonl); continue it with --resume"),
            std::string::npos);
  nlohmann::json other = two_counts();
  other["seed"] = 5;
  other["strategy"] = {{"name", "random"}};
  const SearchConfig cfg2 = config_from(other, dir, "other.json");
  LogContents log;
  const std::string msg = user_error([&] { RunStore::resume(dir + "/run", cfg2, &log); });
  EXPECT_NE(msg.find("/run: holds a run of a different config (differs in: seed, strategy); refusing to resume it with"),
            std::string::npos)
      << msg;
  EXPECT_NE(user_error([&] { RunStore::resume(dir + "/nothing", cfg, &log); }).find("not a run directory (no config.json)"),
            std::string::npos);
  // A larger budget and more threads are the same run.
  nlohmann::json more = two_counts();
  more["budget"]["evaluations"] = 100;
  more["parallelism"] = 4;
  more["batch_size"] = 1;
  EXPECT_EQ(user_error([&] { RunStore::resume(dir + "/run", config_from(more, dir, "more.json"), &log); }), "");
  EXPECT_EQ(log.records.size(), 1u);
  EXPECT_EQ(read_json_file(dir + "/run/config.json")["budget"]["evaluations"], 100);
}

// Group commit: deferred lines are flushed to the operating system at once (another reader, or a
// resume after the process is killed, sees them) and synced together; the journal alike.
TEST(RunStore, DeferredSyncStillFlushesEveryLine) {
  const std::string dir = hwnas::test::scratch_dir();
  const SearchConfig cfg = config_from(two_counts(), dir);
  RunStore s = RunStore::create(dir + "/run", cfg);
  s.defer_sync(true);
  for (int i = 0; i < 3; ++i) {
    s.append(record(i));
    s.append_journal({{"commit", i}});
    EXPECT_EQ(read_evaluation_log(s.log_path(), kNames).records.size(), static_cast<std::size_t>(i + 1));
    EXPECT_EQ(s.read_journal().size(), static_cast<std::size_t>(i + 1));
  }
  s.sync();
  s.append(record(3));
  s.defer_sync(false);  // syncs
  s.append(record(4));  // durable at once again
  EXPECT_EQ(read_evaluation_log(s.log_path(), kNames).records.size(), 5u);
}
