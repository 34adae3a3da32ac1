#pragma once
// Objective sources: where the value of one objective of an architecture comes from.
//
// A source is CHEAP (exact and fast: params, macs, flops, latency, energy; the controller computes
// these for every candidate, feeds them to the strategy through StrategyContext::cheap and checks
// constraints on them before anything expensive is spent) or EXPENSIVE (table look-ups standing in
// for training, zero-cost proxies, short training; evaluated only for candidates that pass the
// cheap constraints). evaluate() returns a value or a failure (status + message): a NaN network or
// an architecture missing from a table is data, not an exception.
//
// How to add a source kind: implement ObjectiveSource (evaluate() must be thread-safe: the
// controller calls it from several threads at once), write a factory that reads its options
// strictly with JsonReader (unknown keys are errors) and add it to the built-in table in
// search/objective.cpp; code outside the library may call register_objective_source(). A config
// then names it: {"name": "acc", "source": {"<kind>": {...options...}}, "direction": "maximize"}.
//
// Example:
//   ObjectiveContext ctx{space.get(), "configs"};
//   auto src = make_objective_source("table", {{"file", "err.csv"}, {"value", "error"}}, "objectives[0].source.table", ctx);
//   ObjectiveValue v = src->evaluate(Candidate(*space, arch));   // v.ok, v.value, v.message
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "hwnas/nas/architecture.h"
#include "hwnas/nas/cost.h"
#include "hwnas/nas/search_space.h"

namespace hwnas {

struct SearchConfig;

/// The result of evaluating one objective of one architecture.
struct ObjectiveValue {
  bool ok = true;
  double value = 0;      // the raw value (before log/negation); meaningful when ok
  std::string message;   // why it failed
  double cost = 0;       // fidelity units spent (training steps), for sources with fidelity levels

  static ObjectiveValue success(double v, double cost = 0) { return {true, v, {}, cost}; }
  static ObjectiveValue failure(std::string why, double cost = 0) { return {false, 0, std::move(why), cost}; }
};

/// One architecture being evaluated, with what sources share computed once and on demand (its
/// text form, exact count totals, the per-layer cost list). Not thread-safe: one thread per
/// candidate.
class Candidate {
 public:
  Candidate(const SearchSpace& space, Architecture arch) : space_(&space), arch_(std::move(arch)) {}
  const SearchSpace& space() const { return *space_; }
  const Architecture& arch() const { return arch_; }
  const std::string& text() const;
  const CostTotals& totals() const;   // SearchSpace::count (the fast path where a space has one)
  const LayerList& layers() const;    // space->layers(arch), for hardware models
  /// Whether the network's output does not depend on its input (SearchSpace::output_depends_on_input,
  /// a fast path where the space has one): a constant function, whatever its cost.
  bool degenerate() const;

 private:
  const SearchSpace* space_;
  Architecture arch_;
  mutable std::optional<std::string> text_;
  mutable std::optional<CostTotals> totals_;
  mutable std::optional<LayerList> layers_;
  mutable std::optional<bool> degenerate_;
};

class ObjectiveSource {
 public:
  virtual ~ObjectiveSource() = default;
  virtual std::string kind() const = 0;
  virtual bool cheap() const = 0;
  /// EXTERNAL sources (kind "external") are expensive objectives whose values are told from
  /// outside (hwnas tell, the Python module's Study.tell); evaluate() is never called for them.
  virtual bool external() const { return false; }
  /// The options as resolved (defaults filled in, file paths absolute); null when there are none.
  virtual nlohmann::json resolved_spec() const { return nullptr; }
  /// Thread-safe. A failure of this candidate is a returned failure (or any exception other than
  /// UserError). A UserError means input that no candidate can get past (a missing dataset): the
  /// search stops with it, "objective 'NAME': ...", exit code 2, and keeps what it logged.
  virtual ObjectiveValue evaluate(const Candidate& c) const = 0;

  /// MULTI-FIDELITY sources (train: its steps; a table with a fidelity column) can be evaluated at
  /// a lower effort (scheduler.h). full_fidelity() is the level evaluate() runs at (0: the source
  /// has no levels), and both report what they spent in ObjectiveValue::cost.
  virtual int full_fidelity() const { return 0; }
  /// Evaluates at `fidelity` (<= full_fidelity()). The candidate finished fidelity `from` before
  /// (0: never); a source that kept its state (a training checkpoint) continues from there and
  /// spends fidelity - from, else it starts over. The value must not depend on `from`.
  virtual ObjectiveValue evaluate_at(const Candidate& c, int fidelity, int from) const {
    (void)fidelity;
    (void)from;
    return evaluate(c);
  }
};

/// What a source factory may use.
struct ObjectiveContext {
  const SearchSpace* space = nullptr;
  std::string base_dir;        // relative file names are resolved against this (the config's folder)
  std::uint64_t seed = 0;
  /// Where a source may keep state across a kill (the run directory's checkpoints/ folder: the
  /// train source's stopped sessions); empty: in memory only.
  std::string checkpoint_dir;
};

/// `spec` is the value under the kind key ({"table": spec}); `path` names it in messages, e.g.
/// "configs/x.json: objectives[2].source.table".
using ObjectiveFactory = std::function<std::unique_ptr<ObjectiveSource>(const nlohmann::json& spec, const std::string& path,
                                                                        const ObjectiveContext& ctx)>;

/// Builds a source by kind; unknown kind -> UserError listing the known ones.
std::unique_ptr<ObjectiveSource> make_objective_source(const std::string& kind, const nlohmann::json& spec,
                                                       const std::string& path, const ObjectiveContext& ctx);
std::vector<std::string> objective_source_kinds();
/// Adds (or replaces) a kind; for code outside the library and for tests. Thread-safe.
void register_objective_source(const std::string& kind, ObjectiveFactory factory);
/// A function that registers more kinds (the hwnas program's LibTorch plugin: proxy, train). It
/// runs once, the first time a config names a kind the library has no real source for, so a run
/// that needs none never loads it.
void set_objective_source_loader(std::function<void()> loader);
/// Removes a kind added by register_objective_source (tests).
void unregister_objective_source(const std::string& kind);

/// Every objective of a config, with the constraints: what the controller evaluates.
///
/// Example:
///   ObjectiveSet set(cfg, *space);
///   Candidate c(*space, arch);
///   auto cheap = set.evaluate_cheap(c);          // raw values; expensive entries NaN
///   if (set.cheap_violation(cheap).empty()) auto full = set.evaluate_expensive(c, cheap);
class ObjectiveSet {
 public:
  /// `checkpoint_dir`: ObjectiveContext::checkpoint_dir of every source (empty: none).
  ObjectiveSet(const SearchConfig& cfg, const SearchSpace& space, const std::string& checkpoint_dir = "");

  struct Result {
    std::vector<double> raw;            // per objective, NaN where not evaluated or failed
    std::string failure;                // non-empty: the evaluation failed (first failing objective)
    bool degenerate = false;            // Candidate::degenerate (set by evaluate_cheap)
    int fidelity = 0;                   // the level the fidelity source ran at (0: full, no scheduler)
    double cost = 0;                    // fidelity units the sources spent (ObjectiveValue::cost)
    double eval_s = 0;                  // seconds evaluate_expensive spent in its sources (wall clock)
  };

  std::size_t size() const { return sources_.size(); }
  bool is_cheap(std::size_t i) const { return sources_[i]->cheap(); }
  std::vector<bool> cheap_mask() const;
  bool has_expensive() const;
  bool is_external(std::size_t i) const { return sources_[i]->external(); }
  bool has_external() const;
  const ObjectiveSource& source(std::size_t i) const { return *sources_[i]; }

  /// Raw values of the cheap objectives (expensive ones NaN). A failing cheap source gives a failure.
  Result evaluate_cheap(const Candidate& c) const;
  /// Fills in the expensive objectives of a candidate whose cheap values are `cheap` (all but the
  /// external ones, which stay NaN). `fidelity` > 0: the fidelity source runs at that level,
  /// continuing from `from` (ObjectiveSource::evaluate_at).
  Result evaluate_expensive(const Candidate& c, const Result& cheap, int fidelity = 0, int from = 0) const;
  /// The objective whose source has fidelity levels (full_fidelity() > 0); -1 when none. A config
  /// with a scheduler has exactly one.
  int fidelity_objective() const;
  /// Puts a told value of external objective i into `r`, checked as a computed value is (a
  /// non-finite value, or a non-positive one on a log scale, fails the evaluation).
  void accept_told(std::size_t i, double value, Result& r) const;
  /// Empty when no constraint on a cheap objective is broken, else the first violation.
  std::string cheap_violation(const std::vector<double>& raw) const;
  /// Why a candidate is rejected before anything expensive runs: a degenerate network when the
  /// config excludes them (exclude_degenerate), else cheap_violation(r.raw); empty when it is not.
  std::string cheap_rejection(const Result& r) const;
  /// Empty when no constraint on an expensive objective is broken, else the first violation.
  std::string expensive_violation(const std::vector<double>& raw) const;
  /// The minimized vector the strategies see (log10, negation); NaN stays NaN.
  std::vector<double> transform(const std::vector<double>& raw) const;
  /// Cheap results by architecture (its exact decisions: as built, two canonically equal
  /// architectures may cost differently), shared by a strategy's look-ups and the study's.
  using CheapMemo = std::unordered_map<std::string, Result>;
  static std::string memo_key(const Architecture& a);
  /// StrategyContext::cheap for these objectives: transformed cheap values, nullopt on a violation.
  /// With `memo`, each result is also kept there, so that the study takes the values of the
  /// strategy's proposals from it instead of computing them a second time. The memo must outlive
  /// the function; the caller bounds it (a study clears it before each strategy ask).
  std::function<std::optional<std::vector<double>>(const Architecture&)> strategy_cheap(const SearchSpace& space,
                                                                                        CheapMemo* memo = nullptr) const;

 private:
  const SearchConfig* cfg_;
  std::vector<std::unique_ptr<ObjectiveSource>> sources_;
};

}  // namespace hwnas
