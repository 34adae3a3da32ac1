#pragma once
// The search controller behind `hwnas search CONFIG [--resume RUN_DIR]`: the ask/tell loop of a
// hwnas::Study (study.h) over an EvaluationBackend (backend.h: local threads, or MPI ranks).
//
// Each round it asks the strategy for `batch_size` architectures and, in the order proposed:
//  1. skips an architecture whose canonical form this run has already evaluated (the cache;
//     equivalent networks are evaluated once);
//  2. computes the cheap objectives exactly (params, macs, flops, latency, energy) and records a
//     candidate that breaks a constraint on them as "rejected" (logged, told to the strategy as a
//     failed observation, NOT counted as an evaluation, no expensive objective spent on it);
//  3. evaluates the expensive objectives (tables, proxies, training) of the candidates that pass,
//     in parallel on the backend (`parallelism` local threads by default). Only as many as the evaluation budget has left are
//     evaluated; the rest of the round is dropped.
// Results are then logged (evaluations.jsonl, fsynced before they count) and told to the strategy
// in proposal order, so the result depends on the config and the seed, never on thread timing
// (the round size is `batch_size`, not the thread count). A seconds budget is checked between
// rounds and is inherently not deterministic: where it stops depends on the machine.
//
// Resume replays: the strategy is re-created with the seed and the ask/tell loop runs again; a
// proposal whose canonical form is in the log takes the logged result instead of being evaluated.
// Strategies are deterministic functions of the seed and what they were told, so the replayed run
// proposes what the killed one did, and the final front equals an uninterrupted run's.
//
// Example:
//   SearchConfig cfg = SearchConfig::from_file("configs/quickstart.json");
//   SearchSummary s = run_search(cfg);
//   std::cout << s.brief() << "\n";
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "hwnas/search/config.h"
#include "hwnas/search/run_store.h"
#include "hwnas/search/strategy.h"

namespace hwnas {

class EvaluationBackend;
class Study;

struct SearchOptions {
  std::string resume_dir;         // non-empty: continue the run in this folder
  std::string run_dir;            // non-empty: use this folder instead of the config's output
  bool replace = false;           // a fresh run replaces an earlier one in its folder (--force)
  bool quiet = false;             // no progress output at all
  std::ostream* progress = nullptr;  // where progress goes (default std::cerr)
  std::optional<bool> interactive;   // progress as one rewritten line; default: whether stderr is a TTY
  /// Called after every round with the number of evaluations so far; return false to stop (tests
  /// use it to simulate a kill at a given point).
  std::function<bool(long long evaluations)> keep_going;
  /// Builds the strategy instead of make_strategy(cfg.strategy, ...): a strategy defined outside
  /// the library, or a scripted one in tests. Must be deterministic for resume to be exact.
  std::function<std::unique_ptr<SearchStrategy>(const StrategyContext&)> strategy_factory;
  /// Where expensive objectives are evaluated (backend.h); default: `parallelism` local threads.
  std::function<std::unique_ptr<EvaluationBackend>(const Study&)> backend;
};

enum class StopReason { EvaluationBudget, TimeBudget, SpaceExhausted, StrategyStalled, Interrupted, StepBudget, GpuSecondsBudget };
std::string to_string(StopReason r);

struct SearchSummary {
  StopReason stop_reason = StopReason::EvaluationBudget;
  std::string run_dir;
  long long evaluations = 0;      // counted evaluations: ok + failed
  long long failed = 0;
  long long infeasible = 0;       // evaluated, then broke a constraint on an expensive objective (counted)
  long long rejected = 0;         // broke a constraint on a cheap objective; not counted
  long long duplicates = 0;       // proposals equivalent to an evaluated architecture; skipped
  long long replayed = 0;         // results taken from the log of a resumed run
  std::vector<std::string> objective_names;
  std::vector<EvaluationRecord> front;  // sorted by the first objective (minimized), then id
  double hypervolume = 0;         // normalized (pareto.h rule: bounds = min/max of all ok evaluations)
  double seconds = 0;             // wall time of this session
  std::vector<std::string> warnings;
  double steps = 0;               // fidelity units spent (training steps), when a source reports them
  double eval_s = 0;              // seconds the expensive objectives took, summed (budget.gpu_seconds)
  std::vector<std::pair<int, long long>> rungs;  // with a scheduler: (fidelity, evaluations) per rung

  /// One line: why it stopped, evaluations, front size, hypervolume.
  std::string brief() const;
  /// brief() plus the counts, the front as a table and the run directory layout.
  std::string full() const;
};

SearchSummary run_search(const SearchConfig& cfg, const SearchOptions& opts = {});

}  // namespace hwnas
