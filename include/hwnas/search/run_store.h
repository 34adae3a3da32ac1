#pragma once
// The run directory of a search: the resolved config, the append-only evaluation log and the
// current Pareto front.
//
//   RUN_DIR/config.json         resolved config (defaults filled in)
//   RUN_DIR/evaluations.jsonl   one JSON object per finished evaluation, appended in order and
//                               flushed to disk (fflush + fsync) before the evaluation counts
//   RUN_DIR/pareto.json, .csv   the current front, replaced atomically (temp file + rename)
//   RUN_DIR/trials.jsonl        only in a run driven by ask/tell (external objectives): the journal
//                               of the strategy's asks and tells (study.h), appended like the log
//   RUN_DIR/checkpoints/        only in a multi-fidelity run with a `train` objective: the stopped
//                               training sessions that promotions continue from, one file per
//                               architecture (removed when a new run is created in RUN_DIR)
//
// A log line: {"id": 7, "arch": "|nor_conv_3x3~0|+...", "decisions": [3,1,0,4,2,3],
// "hash": "5e1c...", "status": "ok" | "failed" | "rejected", "message": "",
// "objectives": {"params": 401946, "err": 0.081}, "elapsed_s": 12.5}. Objectives that were not
// evaluated (a rejected candidate's expensive ones, a failed source) are left out. A network
// whose output does not depend on its input also has "degenerate": true. A run with a scheduler
// (scheduler.h) gives every record "fidelity" (the level, e.g. training steps) and sources with
// fidelity levels give "cost" (what the evaluation spent, e.g. steps trained).
//
// Example:
//   RunStore store = RunStore::create("runs/quickstart", cfg);
//   store.append(record);                  // durable when it returns
//   LogContents log = read_evaluation_log("runs/quickstart/evaluations.jsonl", names);
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hwnas {

struct SearchConfig;

enum class EvalStatus { Ok, Failed, Rejected };
std::string to_string(EvalStatus s);

struct EvaluationRecord {
  std::int64_t id = 0;
  std::string arch;                // the space's text form
  std::vector<int> decisions;
  std::uint64_t hash = 0;          // SearchSpace::canonical_hash
  EvalStatus status = EvalStatus::Ok;
  std::string message;             // why it failed or was rejected
  std::vector<double> raw;         // per objective (config order), NaN when not evaluated
  double elapsed_s = 0;            // seconds since the run started (summed over resumed sessions)
  bool degenerate = false;         // the output does not depend on the input ("degenerate": true)
  int fidelity = 0;                // multi-fidelity runs: the level it was evaluated at ("fidelity")
  double cost = 0;                 // fidelity units spent, e.g. training steps ("cost"; 0: left out)
  double eval_s = 0;               // seconds the expensive objectives took ("eval_s"; 0: left out): wall clock, not deterministic

  /// `names` are the objective names in config order.
  nlohmann::json to_json(const std::vector<std::string>& names) const;
  /// `where` (e.g. "evaluations.jsonl:12") prefixes errors.
  static EvaluationRecord from_json(const nlohmann::json& j, const std::vector<std::string>& names, const std::string& where);
};

/// The files of a run directory, named once: RunStore writes them, the report and export read
/// them (report_reader.cpp), `hwnas ask/tell` finds the stored config.
struct RunFiles {
  static std::string config(const std::string& dir);      // config.json: the resolved config
  static std::string log(const std::string& dir);         // evaluations.jsonl
  static std::string journal(const std::string& dir);     // trials.jsonl (ask/tell)
  static std::string front_json(const std::string& dir);  // pareto.json
  static std::string front_csv(const std::string& dir);   // pareto.csv
  static std::string report(const std::string& dir);      // report.html
  /// The files a run writes, which a replaced (--force) run loses.
  static std::vector<std::string> written(const std::string& dir);
};

struct LogContents {
  std::vector<EvaluationRecord> records;
  std::vector<std::size_t> lines;     // the line of each record in the file
  std::vector<std::string> warnings;  // e.g. a truncated last line that was ignored
  std::uint64_t valid_bytes = 0;      // length of the prefix made of complete lines
};

/// Reads a log. A last line without its newline (a write cut short by a kill) is ignored with a
/// warning; a malformed line anywhere else, an id seen before (two writers, or an edited log) or a
/// log that is a symbolic link is a UserError naming the file and line.
LogContents read_evaluation_log(const std::string& path, const std::vector<std::string>& names);
/// read_evaluation_log's parsing, on the log's text; `path` names it in messages.
LogContents parse_evaluation_log(const std::string& text, const std::string& path, const std::vector<std::string>& names);

/// One line of a run's journal (trials.jsonl) and where it is ("RUN_DIR/trials.jsonl:12").
struct JournalEntry {
  nlohmann::json value;
  std::string where;
};

/// A run directory is written by one process at a time: RunStore holds an advisory lock
/// (flock on RUN_DIR/.lock, which records the holder's pid) from create() or resume() until it is
/// destroyed; a second writer gets a UserError naming the holder. Run files are opened without
/// following symbolic links.
class RunStore {
 public:
  /// A fresh run: creates the folder and writes config.json. Refuses (UserError) when the folder
  /// already holds evaluations, or another process holds the run. With `replace` (`--force`) an
  /// earlier run's files (its log, front, report and archs/ exports) are deleted instead, once
  /// the lock is held; other files in the folder are left alone.
  /// `lock_wait_s`: how long to wait for another process's lock before refusing (ask/tell wait;
  /// a search does not).
  static RunStore create(const std::string& dir, const SearchConfig& cfg, bool replace = false, double lock_wait_s = 0);
  /// An earlier run to continue: checks that its config.json has the same identity as `cfg`
  /// (SearchConfig::identity_json; the budget, threads and output may differ), reads the log,
  /// cuts a truncated last line off the file, and rewrites config.json with `cfg`.
  static RunStore resume(const std::string& dir, const SearchConfig& cfg, LogContents* log, double lock_wait_s = 0);

  RunStore(RunStore&&) noexcept;
  RunStore& operator=(RunStore&&) noexcept;
  ~RunStore();

  const std::string& dir() const { return dir_; }
  std::string log_path() const;
  /// RUN_DIR/checkpoints (ObjectiveContext::checkpoint_dir of the run's sources).
  static std::string checkpoint_dir(const std::string& dir);
  /// Appends one line and makes it durable (fflush + fsync) before returning (flushed, and durable
  /// at the next sync(), while defer_sync is on).
  void append(const EvaluationRecord& r);
  std::string journal_path() const;
  /// The journal's lines in order; a truncated last line is cut off the file and ignored (that
  /// step never happened), a malformed line elsewhere is a UserError naming the file and line.
  std::vector<JournalEntry> read_journal();
  /// Appends one journal line, durable when it returns.
  void append_journal(const nlohmann::json& entry);
  /// Replaces pareto.json and pareto.csv atomically.
  void write_front(const std::string& json_text, const std::string& csv_text) const;

  /// Group commit (asynchronous dispatch, where a table objective finishes thousands of trials a
  /// second): while deferred, append and append_journal write and flush each line to the
  /// operating system (a killed process loses nothing) and sync() makes what was appended durable
  /// with one fsync per file, instead of one per line. Turning it off syncs.
  void defer_sync(bool on);
  void sync();

 private:
  RunStore(std::string dir, std::vector<std::string> names);
  void open_log();
  void lock(double wait_s);

  std::string dir_;
  std::vector<std::string> names_;
  std::FILE* log_ = nullptr;
  std::FILE* journal_ = nullptr;
  int lock_fd_ = -1;
  bool deferred_ = false, log_dirty_ = false, journal_dirty_ = false;
};

}  // namespace hwnas
