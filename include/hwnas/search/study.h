#pragma once
// A study: one search's state behind ask/tell. It owns the space, the objectives, the strategy,
// the cache of canonical hashes, the run directory (config, fsynced log, front) and the Pareto
// archive. Whoever evaluates the expensive objectives calls it:
//  - `hwnas search` (controller.cpp) asks a batch, evaluates it on its TBB threads and tells it;
//  - `hwnas ask` / `hwnas tell` and the Python module drive a study whose objectives include
//    EXTERNAL ones ({"external": {}}): values computed by the user's own code and told back.
//
// ask_batch(n) asks the strategy once for n proposals and, in proposal order:
//  1. skips a proposal whose canonical form the run already has (evaluated, or asked and not yet
//     told: pending) — equivalent networks are evaluated once;
//  2. takes a result of a resumed run's log for a proposal that is in it;
//  3. computes the cheap objectives exactly and records a candidate that breaks a constraint on
//     them (or a degenerate network, with exclude_degenerate) as rejected, without counting it;
//  4. hands out the rest as Trials (id, architecture, cheap values), as many as the evaluation
//     budget has left: a pending trial counts against the budget.
// tell(id, ...) logs the trial's result (durable before it returns). When every trial of a batch
// is told, the batch is COMMITTED: the strategy is told its observations in proposal order, the
// front is updated. So the strategy sees the same sequence whether the batch was evaluated on
// threads, by MPI ranks or by the user, and a study driven in rounds (ask n, tell n) gives the
// same front as `hwnas search` with batch_size n.
//
// A study with external objectives, or with asynchronous dispatch (backend.h), keeps a journal (RUN_DIR/trials.jsonl): one line per ask
// ({"ask": n, "ids": [...], "hashes": [...]}) and per commit ({"commit": BATCH}), appended and
// fsynced in the order they happened. Opening such a run replays the journal against a strategy
// re-created from the seed, so a new process (each `hwnas ask`/`hwnas tell`) continues exactly
// where the last one stopped, with asks and tells interleaved in any order. Other runs resume as
// before: the strategy re-proposes and logged results replace evaluation.
//
// With a scheduler (scheduler.h; multi-fidelity), every trial has a fidelity. ask(n) hands out the
// scheduler's promotions first (an architecture evaluated again at the next rung, continuing from
// its checkpoint: Trial::from_fidelity), then new proposals of the strategy at the rung the
// scheduler admits. The strategy is told each of its proposals' results at the fidelity it was
// first evaluated at, in batches as above; promotions are told only to a strategy that models
// fidelity (SearchStrategy::models_fidelity: bo and mcts, BOHB-style). Only evaluations at the
// highest fidelity enter the front. Resume replays logged (architecture, fidelity) results.
//
// Example (the user evaluates "acc", an external objective):
//   Study study(SearchConfig::from_file("configs/external.json"), {.dir = "runs/ext"});
//   for (const Trial& t : study.ask(4).trials) study.tell_values(t.id, {{"acc", train(t.text)}});
//   study.write_front();
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hwnas/nas/architecture.h"
#include "hwnas/search/config.h"
#include "hwnas/search/objective.h"
#include "hwnas/search/run_store.h"
#include "hwnas/search/strategy.h"

namespace hwnas {

class SearchSpace;

/// A proposal handed out for evaluation.
struct Trial {
  std::int64_t id = -1;        // the id its record will have in evaluations.jsonl
  Architecture arch;
  std::string text;            // the space's text form
  std::uint64_t hash = 0;      // SearchSpace::canonical_hash
  ObjectiveSet::Result cheap;  // cheap objectives exact (raw, config order); the others NaN
  std::int64_t batch = 0;      // the ask it came from (0, 1, ...)
  int fidelity = 0;            // with a scheduler: the level to evaluate at (else 0: full fidelity)
  int from_fidelity = 0;       // a promotion: the level it finished before (a checkpoint to continue)
};

/// A trial's expensive objectives (all but the external ones) at its fidelity: what Study::evaluate
/// computes, for processes that evaluate trials without the study (MPI evaluator ranks).
ObjectiveSet::Result evaluate_trial(const ObjectiveSet& objectives, const SearchSpace& space, const Trial& t);

struct StudyOptions {
  std::string dir;              // the run directory
  bool resume = false;          // continue the run in `dir` (else create it)
  bool replace = false;         // create: replace an earlier run in `dir` (--force)
  double lock_wait_s = 0;       // wait this long for another process's lock before refusing
  /// Builds the strategy instead of make_strategy(cfg.strategy, ...) (SearchOptions::strategy_factory).
  std::function<std::unique_ptr<SearchStrategy>(const StrategyContext&)> strategy_factory;
};

/// Counts over the run so far (committed batches, and the pending trials).
struct StudyCounts {
  long long evaluations = 0;  // counted: ok + failed + infeasible
  long long failed = 0;
  long long infeasible = 0;   // evaluated, then broke a constraint on an expensive objective
  long long rejected = 0;     // cheap constraint or degenerate; not counted
  long long duplicates = 0;
  long long replayed = 0;     // results taken from a resumed run's log
  long long pending = 0;      // asked, not yet told
  double steps = 0;           // fidelity units spent by counted evaluations (EvaluationRecord::cost)
  double eval_s = 0;          // seconds their expensive objectives took (EvaluationRecord::eval_s; budget.gpu_seconds)
};

class Study {
 public:
  /// The most architectures one ask may request.
  static constexpr std::size_t kMaxAsk = 100000;

  Study(SearchConfig cfg, const StudyOptions& opts);
  ~Study();
  Study(const Study&) = delete;
  Study& operator=(const Study&) = delete;

  const SearchConfig& config() const;
  const SearchSpace& space() const;
  const ObjectiveSet& objectives() const;
  const std::string& dir() const;
  /// Warnings met while opening (a truncated log line, ...), for the caller to show.
  const std::vector<std::string>& warnings() const;

  struct Batch {
    std::vector<Trial> trials;
    long long new_items = 0;   // proposals that were not duplicates (0: the strategy stalled)
    long long counted = 0;     // of them, those that count as evaluations (trials, cheap failures, replays)
    bool exhausted = false;    // the strategy proposed nothing: the space is exhausted
  };
  /// One strategy ask of n (see the top of this file). Empty trials with new_items > 0 happen
  /// when every proposal was rejected or replayed.
  Batch ask_batch(std::size_t n);
  /// ask_batch until n evaluations are asked for (trials, and the rare candidates that count at
  /// once: a failing cheap objective, a resumed run's logged result), the budget is spent
  /// (pending trials count), the space is exhausted or the strategy proposed only duplicates 100
  /// times in a row. Rejected candidates do not take a place: ask(4) hands out 4 trials unless
  /// one of those happens. A search is this in rounds: ask(batch_size), evaluate, tell each.
  struct Asked {
    std::vector<Trial> trials;
    bool exhausted = false;  // the strategy proposed nothing
    bool stalled = false;    // 100 asks in a row gave only duplicates
    bool waiting = false;    // a scheduler waits for pending trials (a synchronous rung): tell them first
  };
  Asked ask(std::size_t n);
  /// Evaluations the budget has left (counting pending trials); nullopt without an evaluation budget.
  std::optional<long long> remaining() const;
  /// Whether budget.steps is spent (counting what pending trials are expected to spend).
  bool steps_spent() const;
  /// Whether budget.gpu_seconds is spent (counting what pending trials are expected to take).
  bool gpu_seconds_spent() const;
  /// With a scheduler: (fidelity, evaluations finished at it) per rung, lowest first; else empty.
  std::vector<std::pair<int, long long>> rungs() const;

  /// The expensive objectives this library computes (all but the external ones), on the calling
  /// thread. Thread-safe: run trials on several threads at once, then tell() their results.
  ObjectiveSet::Result evaluate(const Trial& t) const;
  /// Records the result of pending trial `id` (durable when it returns) and returns its record;
  /// commits its batch when it is the batch's last. UserError for an id that is not pending.
  EvaluationRecord tell(std::int64_t id, const ObjectiveSet::Result& r);
  /// For studies with external objectives: computes the other expensive objectives, takes the
  /// told values (every external objective, by name; no other name) and tells the result.
  EvaluationRecord tell_values(std::int64_t id, const std::map<std::string, double>& values);
  /// Records pending trial `id` as failed, with the reason.
  EvaluationRecord tell_failed(std::int64_t id, const std::string& why);
  /// The trials asked and not yet told, by id.
  std::vector<Trial> pending() const;

  const StudyCounts& counts() const;
  /// This run's records in commit order (replayed ones included).
  const std::vector<EvaluationRecord>& records() const;
  /// The current front, sorted by the first objective (minimized), then id.
  std::vector<EvaluationRecord> front() const;
  std::size_t front_size() const;
  /// Normalized hypervolume of the front (pareto.h rule).
  double hypervolume() const;
  /// Best value per objective so far, as "name value" items (display).
  std::string best_values() const;
  /// Seconds since the run started, summed over the sessions that wrote its log.
  double elapsed_seconds() const;
  /// The trials' expensive objectives (evaluate) on `parallelism` threads; results in trial order.
  /// A UserError of one trial (input no candidate gets past) leaves its result unset and is
  /// returned in `error`, so the caller can tell the others before it stops.
  std::vector<std::optional<ObjectiveSet::Result>> evaluate_all(const std::vector<Trial>& trials, std::exception_ptr& error) const;
  /// Logged evaluations of a resumed run that were not proposed again.
  std::size_t unused_log_records() const;
  /// Writes pareto.json/.csv when the front or its normalization changed, at most once a second
  /// (`force`: now, whatever changed). A study also writes an unwritten front when it closes.
  void write_front(bool force = true);
  /// Group commit of the log and the journal (RunStore::defer_sync): the asynchronous controller
  /// defers the fsync of each line and syncs once before it waits for evaluations again.
  void defer_sync(bool on);
  void sync();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hwnas
