#pragma once
// Ask/tell search strategies. A strategy proposes architectures (ask) and is told results
// (tell); it never calls an evaluator. The controller owns parallelism, budgets, caching,
// constraints and the run log, so one strategy runs serially, on all cores, or across machines.
//
// Objective vectors are always to be MINIMIZED here: the controller has already negated the
// objectives the user maximizes and applied log transforms. Some objectives are cheap (params,
// MACs, FLOPs, latency, energy: exact in microseconds) and some expensive (accuracy proxies,
// tables standing in for training). A strategy models only the expensive ones; it can compute
// the cheap ones of any candidate exactly through StrategyContext::cheap, which also reports
// whether a candidate breaks a constraint on a cheap objective (then it must not be proposed).
//
// How to add a strategy: implement SearchStrategy in search/strategies/<name>.cpp with a typed
// options struct (in-class defaults and one static fields() list, core/options.h: reading with
// unknown keys as errors, writing, checks naming the field and the schema fragment all come from
// it; validate/to_json/from_json are one line each), and add one line to the built-in table in
// search/strategy.cpp: `builtin<NameOptions, make_name_strategy>("name")` (static registrars are
// dropped by the linker from static libraries, so built-ins are listed there). That table is the
// only list: config reading, make_strategy and strategy_names() all read it. Code outside the
// library registers its own with register_strategy().
//
// Example:
//   auto s = make_strategy("evolution", options_json, ctx);
//   auto batch = s->ask(8);
//   s->tell(results);   // one Observation per evaluated architecture
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hwnas/core/rng.h"
#include "hwnas/nas/architecture.h"
#include "hwnas/nas/search_space.h"

namespace hwnas {

struct Observation {
  Architecture arch;
  std::vector<double> objectives;  // all minimized; size = StrategyContext::num_objectives
  bool ok = true;                  // false: failed evaluation (NaN network, build failure); objectives unused
  int fidelity = 0;                // multi-fidelity runs: the level it was measured at (e.g. training steps); else 0
};

struct StrategyContext {
  const SearchSpace* space = nullptr;
  int num_objectives = 0;
  std::vector<bool> is_cheap;  // per objective: exact and computable via `cheap`
  /// Exact values of the cheap objectives of `a` (entries of expensive objectives are NaN),
  /// or std::nullopt when `a` breaks a constraint on a cheap objective. May be empty (no cheap objectives).
  std::function<std::optional<std::vector<double>>(const Architecture& a)> cheap;
  std::uint64_t seed = 0;
};

class SearchStrategy {
 public:
  virtual ~SearchStrategy() = default;
  virtual std::string name() const = 0;
  /// Up to n new architectures to evaluate (fewer only when the space is exhausted). The
  /// controller deduplicates by canonical hash, so proposing a seen architecture wastes a slot
  /// but is not an error.
  virtual std::vector<Architecture> ask(std::size_t n) = 0;
  /// Results of earlier asks, in any order; also used to replay a resumed run's log.
  virtual void tell(const std::vector<Observation>& results) = 0;
  /// Multi-fidelity runs (a scheduler): true to be told also the results of promotions, the same
  /// architecture again at a higher fidelity (Observation::fidelity), as bo and mcts do to fit
  /// their surrogate at the highest fidelity with enough results (BOHB). false (the default): told
  /// only its own proposals' results, at the rung each entered.
  virtual bool models_fidelity() const { return false; }
};

/// One strategy kind: its name, how its options are read (strictly; `path` names them in errors)
/// and written back resolved (defaults filled in), and how it is built.
struct StrategyEntry {
  std::string name;
  std::function<nlohmann::json(const nlohmann::json& options, const std::string& path)> resolve;
  std::function<std::unique_ptr<SearchStrategy>(const nlohmann::json& options, const std::string& path,
                                                const StrategyContext& ctx)>
      make;
  /// The JSON-schema fragment of its options (options_schema, core/options.h); may be left empty.
  /// configs/schema.json holds the built-ins' (config_schema_defs, tested).
  std::function<nlohmann::json()> schema;
};

/// Unknown name -> UserError "strategy.name: unknown strategy ..." listing the known ones.
std::unique_ptr<SearchStrategy> make_strategy(const std::string& name, const nlohmann::json& options,
                                              const StrategyContext& ctx);
/// The options of strategy `name` as the run records them (defaults filled in). Unknown name ->
/// the same UserError as make_strategy.
nlohmann::json resolve_strategy_options(const std::string& name, const nlohmann::json& options, const std::string& path);
std::vector<std::string> strategy_names();
/// The schema fragment of a strategy's options; null when its entry gives none.
nlohmann::json strategy_options_schema(const std::string& name);
/// Adds (or replaces) a strategy; for code outside the library and for tests. Thread-safe.
void register_strategy(StrategyEntry entry);
/// Removes a strategy added by register_strategy (tests).
void unregister_strategy(const std::string& name);

}  // namespace hwnas
