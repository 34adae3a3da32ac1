#pragma once
// The search config: what `hwnas search CONFIG` reads. JSON, read strictly (unknown keys and wrong
// types are UserErrors naming the file and the JSON path, e.g.
// `configs/x.json: objectives[1].source.latency.batch: expected an integer, got string "1"`).
// configs/schema.json documents the format; docs/search.md shows examples.
//
//   {
//     "space":       {"name": "nb201", "options": {}},
//     "objectives":  [{"name": "params", "source": "params"},
//                     {"name": "lat", "source": {"latency": {"device": "raspberry-pi-4"}}},
//                     {"name": "err", "source": {"table": {"file": "err.csv", "value": "error"}},
//                      "direction": "minimize", "log": false}],
//     "constraints": [{"objective": "lat", "max": 20}],
//     "strategy":    {"name": "evolution", "options": {}},
//     "budget":      {"evaluations": 300, "seconds": 600},      // or "steps" (training steps), "gpu_seconds"
//     "scheduler":   {"name": "asha", "min_fidelity": 9, "eta": 3},   // optional (scheduler.h)
//     "parallelism": 2, "batch_size": 2, "seed": 0,
//     "output":      {"dir": "runs", "name": "my-run"}
//   }
//
// Parsing resolves and validates everything it can without running the search: the space and
// its options, every objective source (a table file is read, a device profile is loaded), the
// strategy options. to_json() gives the resolved config (defaults filled in), which the run
// directory keeps as config.json.
//
// Example:
//   SearchConfig cfg = SearchConfig::from_file("configs/quickstart.json");
//   std::cout << cfg.to_json().dump(2);
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hwnas/core/options.h"
#include "hwnas/search/scheduler.h"

namespace hwnas {

enum class Direction { Minimize, Maximize };
const char* direction_name(Direction d);  // "minimize", "maximize"
template <>
struct OptionCodec<Direction> : EnumOptionCodec<Direction, direction_name, 0, 1> {};

struct ObjectiveConfig {
  std::string name;
  std::string kind;           // source kind: params, macs, flops, latency, energy, table, proxy, train, ...
  nlohmann::json spec;        // the source's resolved options (null for params/macs/flops)
  Direction direction = Direction::Minimize;
  bool log = false;           // log10 of the raw value before it reaches the strategy
  bool cheap = true;          // set from the source kind when the config is read
  int full_fidelity = 0;      // the source's (ObjectiveSource::full_fidelity; 0: no fidelity levels)

  /// The keys beside `source` (which the source registry reads and source_json() writes).
  template <class S, class V>
  static void fields(S& o, V& v) {
    v("name", o.name, opt::required());
    v("direction", o.direction);
    v("log", o.log);
  }
  void check(const std::string& path) const;  // a non-empty name
  bool maximize() const { return direction == Direction::Maximize; }

  /// The value the strategies minimize: log10 (when `log`), then negated (when maximized).
  /// A non-positive value under `log` gives NaN (the evaluation is then recorded as failed).
  double transform(double raw) const;
  /// The `source` field as written in the resolved config ("params" or {"kind": spec}).
  nlohmann::json source_json() const;
};

struct ConstraintConfig {
  std::string objective;
  int objective_index = -1;  // index into SearchConfig::objectives
  double min = -INFINITY, max = INFINITY;

  template <class S, class V>
  static void fields(S& o, V& v) {
    v("objective", o.objective, opt::required(), opt::doc("The name of an objective."));
    v("min", o.min, opt::written_if(std::isfinite(o.min)));
    v("max", o.max, opt::written_if(std::isfinite(o.max)));
  }
  void check(const std::string& path) const;  // a bound given, min <= max

  /// Empty when `raw` satisfies the constraint, else a message such as "lat = 31.2 > max 20".
  std::string violation(double raw) const;
};

/// The parts of configs/schema.json that come from the options structs' field lists
/// (core/options.h), under "$defs"."generated": each built-in strategy's options, the built-in
/// spaces' options, the scheduler, and the proxy and train sources. A test keeps the file equal
/// to this (HWNAS_UPDATE_SCHEMA=1 test_search --gtest_filter='SearchConfig.TheSchema*' rewrites it).
nlohmann::json config_schema_defs();

/// `budget`: when the search stops (at least one limit).
struct BudgetConfig {
  std::optional<long long> evaluations;
  std::optional<double> seconds;  // wall clock: not deterministic
  std::optional<double> steps;    // fidelity units (training steps) spent
  std::optional<double> gpu_seconds;  // seconds the expensive objectives took, summed (EvaluationRecord::eval_s)
  template <class S, class V>
  static void fields(S& o, V& v) {
    v("evaluations", o.evaluations, opt::at_least(1),
      opt::doc("Counted evaluations (ok + failed; cheap-constraint rejections and duplicates do not count). With a scheduler, every (architecture, fidelity) evaluation counts."));
    v("seconds", o.seconds, opt::positive(),
      opt::doc("Wall-clock limit, checked between rounds. Not deterministic: where a run stops depends on the machine."));
    v("steps", o.steps, opt::positive(),
      opt::doc("Fidelity units spent, e.g. training steps: what each evaluation's source reports (its \"cost\" in the log; a promotion that continues from a checkpoint spends the difference). Needs a train objective or a learning-curve table. Trials are handed out while some is left, so the last may overshoot by one evaluation."));
    v("gpu_seconds", o.gpu_seconds, opt::positive(),
      opt::doc("Device time spent: the seconds each evaluation's expensive objectives took (its \"eval_s\" in the log), summed over evaluations, so parallel workers and MPI ranks each count, as on a GPU you pay for by the hour. Measured on whatever device the sources run on (the CPU without a GPU). Pending trials count at the mean time per step (or per evaluation) so far; the last may overshoot. Not deterministic. Not with external objectives, whose time hwnas cannot see."));
  }
  void check(const std::string& path) const;  // at least one limit
};

/// `output`: where the run directory goes (dir/name).
struct OutputConfig {
  std::string dir = "runs";
  std::string name;  // default: the config file's stem
  template <class S, class V>
  static void fields(S& o, V& v) {
    v("dir", o.dir, opt::doc("Parent folder of run directories (relative to the working directory)."));
    v("name", o.name, opt::written_if(!o.name.empty()), opt::doc("Run directory name; default: the config file's stem."));
  }
  void check(const std::string& path) const;  // a non-empty folder, a plain name
};

struct SearchConfig {
  std::string source_file;  // the config file ("<json>" when parsed from a string)
  std::string base_dir;     // folder that relative paths in the config are resolved against

  std::string space = "nb201";
  nlohmann::json space_options = nlohmann::json::object();  // resolved (defaults filled in)
  std::vector<ObjectiveConfig> objectives;
  std::vector<ConstraintConfig> constraints;
  /// Reject networks whose output does not depend on their input (Candidate::degenerate) before
  /// they are evaluated or counted; false evaluates them, and the log and report mark them.
  bool exclude_degenerate = true;
  std::string strategy = "evolution";
  nlohmann::json strategy_options = nlohmann::json::object();
  BudgetConfig budget;
  /// Multi-fidelity scheduling (scheduler.h); disabled (no name) by default. Needs exactly one
  /// objective whose source has fidelity levels; max_fidelity defaults to its full fidelity.
  SchedulerConfig scheduler;
  int parallelism = 1;                       // evaluation threads
  int batch_size = 0;                        // architectures asked per round; 0 = parallelism
  std::string dispatch = "synchronous";      // or "asynchronous" (backend.h)
  std::uint64_t seed = 0;
  OutputConfig output;

  /// The plain settings, listed once (core/options.h): read, written and checked from here. The
  /// space, objectives, constraints, strategy and scheduler are resolved by from_json.
  template <class S, class V>
  static void fields(S& o, V& v) {
    v("seed", o.seed);  // first: objective sources may use it
    v("exclude_degenerate", o.exclude_degenerate,
      opt::doc("Reject networks whose output does not depend on their input (e.g. an nb201 cell of only none edges) before they are evaluated or counted. false evaluates them; the log (\"degenerate\": true) and the report mark them."));
    v("parallelism", o.parallelism, opt::in(1, 1024),
      opt::doc("Evaluation threads of this process (under mpirun: of each evaluator rank)."));
    v("batch_size", o.batch_size, opt::in(1, 100000), opt::written_if(o.batch_size > 0),  // default: parallelism
      opt::doc("Architectures asked of the strategy per round. Default: parallelism. The result depends on batch_size, never on the thread count."));
    v("dispatch", o.dispatch, opt::one_of({"synchronous", "asynchronous"}),
      opt::written_if(o.dispatch != "synchronous"),  // runs from before the field keep their identity
      opt::doc("synchronous: rounds of batch_size, told in proposal order (same config and seed, same front). asynchronous: a trial is asked when an evaluator frees and told in completion order (for uneven evaluation times); journaled, so a resumed run replays exactly, but a fresh run depends on timing."));
    v("budget", o.budget, opt::required());
    v("output", o.output);
  }
  /// The keys of to_json() that identity_json() leaves out.
  static inline const std::vector<std::string> kNotIdentity = {"budget", "parallelism", "output"};

  /// Reads and validates; errors name `file` and the JSON path. `base_dir` defaults to the
  /// folder of `file`.
  static SearchConfig from_json(const nlohmann::json& j, const std::string& file, const std::string& base_dir = "");
  static SearchConfig from_file(const std::string& path);
  /// The file with command-line overrides applied first (apply_json_override, `--set PATH=VALUE`),
  /// then read and validated as a whole; an error caused by an override names it and `source`
  /// (how the caller spells them: the CLI passes "--set").
  static SearchConfig from_file(const std::string& path, const std::vector<std::string>& overrides,
                                const std::string& source = "overrides");
  /// The resolved config (defaults filled in, paths absolute); reading it back gives the same config.
  nlohmann::json to_json() const;
  /// The part of the resolved config that decides the result of a run: everything but the
  /// budget, the thread count and the output location. A run directory can be resumed by a
  /// config with the same identity (e.g. with a larger budget).
  nlohmann::json identity_json() const;
  /// output.dir/output.name.
  std::string run_dir() const;
  int effective_batch_size() const { return batch_size > 0 ? batch_size : parallelism; }
  int objective_index(const std::string& name) const;  // -1 when absent
  /// Some cheap objective's source (latency, energy) costs the network as built ("prune_dead":
  /// false): the search then tells apart cells that differ only in dead edges
  /// (SearchSpace::set_as_built).
  bool costs_as_built() const;
};

}  // namespace hwnas
