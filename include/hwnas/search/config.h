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
//     "budget":      {"evaluations": 300, "seconds": 600},      // or "steps" (training steps)
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

#include "hwnas/search/scheduler.h"

namespace hwnas {

struct ObjectiveConfig {
  std::string name;
  std::string kind;           // source kind: params, macs, flops, latency, energy, table, proxy, train, ...
  nlohmann::json spec;        // the source's resolved options (null for params/macs/flops)
  bool maximize = false;
  bool log = false;           // log10 of the raw value before it reaches the strategy
  bool cheap = true;          // set from the source kind when the config is read
  int full_fidelity = 0;      // the source's (ObjectiveSource::full_fidelity; 0: no fidelity levels)

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

  /// Empty when `raw` satisfies the constraint, else a message such as "lat = 31.2 > max 20".
  std::string violation(double raw) const;
};

/// The parts of configs/schema.json that come from the options structs' field lists
/// (core/options.h), under "$defs"."generated": each built-in strategy's options, the built-in
/// spaces' options, the scheduler, and the proxy and train sources. A test keeps the file equal
/// to this (HWNAS_UPDATE_SCHEMA=1 test_search --gtest_filter='SearchConfig.TheSchema*' rewrites it).
nlohmann::json config_schema_defs();

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
  std::optional<long long> max_evaluations;  // budget.evaluations
  std::optional<double> max_seconds;         // budget.seconds (wall clock: not deterministic)
  std::optional<double> max_steps;           // budget.steps: fidelity units (training steps) spent
  /// Multi-fidelity scheduling (scheduler.h); disabled (no name) by default. Needs exactly one
  /// objective whose source has fidelity levels; max_fidelity defaults to its full fidelity.
  SchedulerConfig scheduler;
  int parallelism = 1;                       // evaluation threads
  int batch_size = 0;                        // architectures asked per round; 0 = parallelism
  std::string dispatch = "synchronous";      // or "asynchronous" (backend.h)
  std::uint64_t seed = 0;
  std::string output_dir = "runs";
  std::string output_name;                   // default: the config file's stem

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
  /// output_dir/output_name.
  std::string run_dir() const;
  int effective_batch_size() const { return batch_size > 0 ? batch_size : parallelism; }
  int objective_index(const std::string& name) const;  // -1 when absent
};

}  // namespace hwnas
