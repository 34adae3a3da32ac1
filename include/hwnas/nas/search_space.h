#pragma once
// A search space is an ordered list of decisions, each with a finite set of choices.
//
// How to add one: subclass SearchSpace in nas/spaces/<name>.cpp, implement the pure virtual
// functions (decisions, to_string/parse, decode), override canonicalize() where distinct vectors
// can denote the same network, and add its factory to the built-in table in nas/search_space.cpp
// (static registrars are dropped by the linker from static libraries, so built-ins are listed
// explicitly; register_space() is for code outside the library).
// A config then picks it by name: {"space": {"name": "<name>", "options": {...}}}.
//
// Example:
//   auto space = hwnas::make_space("nb201");
//   Architecture a = space->parse("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|...|");
//   CostTotals c = space->count(a);          // params, macs, flops, bytes
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hwnas/core/rng.h"
#include "hwnas/nas/arch_graph.h"
#include "hwnas/nas/architecture.h"
#include "hwnas/nas/cost.h"

namespace hwnas {

struct Decision {
  std::string name;                  // e.g. "edge(2,1)" or "stage3.block1.kernel"
  std::vector<std::string> choices;  // printable choice labels
};

/// How an Architecture is turned into a graph.
struct DecodeOptions {
  /// Remove edges whose input is unreachable from the cell input or whose output cannot reach
  /// the cell output (through non-`none` edges). false keeps the network as built: every edge
  /// runs, a `none` edge as a Zero op (x * 0) summed into its node, as in NAS-Bench-201's
  /// reference code and the benchmark tables measured from it.
  bool prune_dead = true;
};

class SearchSpace {
 public:
  virtual ~SearchSpace() = default;

  virtual std::string name() const = 0;
  virtual const std::vector<Decision>& decisions() const = 0;
  /// The resolved options (defaults filled in), as accepted by make_space().
  virtual nlohmann::json options() const = 0;

  /// Text form of an architecture (space-specific, e.g. NAS-Bench-201's string).
  virtual std::string to_string(const Architecture& a) const = 0;
  /// Inverse of to_string. Malformed text -> UserError naming the token, its position and what
  /// was expected.
  virtual Architecture parse(std::string_view text) const = 0;
  /// The network as a graph. Throws UserError for an invalid decision vector.
  virtual ArchGraph decode(const Architecture& a, const DecodeOptions& opts = {}) const = 0;
  /// Canonical representative: equivalent architectures (dead edges, interchangeable nodes,
  /// unused decisions) map to the same vector. Default: identity.
  virtual Architecture canonicalize(const Architecture& a) const { return a; }
  /// Exact cost totals. Default: count_costs(decode(a)); spaces may override with a faster path
  /// that must give identical numbers (tested).
  virtual CostTotals count(const Architecture& a, const DecodeOptions& opts = {}) const;
  /// Per-layer costs (what hardware models price). Default: count_costs(decode(a)); spaces may
  /// override with a faster path that must give an identical list, layer by layer (tested).
  virtual LayerList layers(const Architecture& a, const DecodeOptions& opts = {}) const;
  /// Whether the network's output depends on its input (ArchGraph::output_depends_on_input of
  /// decode(a)); false marks a degenerate network. Default: decodes; spaces may override with a
  /// faster path that must agree for every architecture (tested). Checked for every candidate a
  /// search looks at, so it is on the strategies' hot path.
  virtual bool output_depends_on_input(const Architecture& a) const;

  /// The network as built (DecodeOptions::prune_dead false) cannot tell these apart, but dead
  /// edges are kept: vectors that build the same network with every op running map to one
  /// vector. Default: canonicalize() (spaces without dead edges).
  virtual Architecture as_built_form(const Architecture& a) const { return canonicalize(a); }

  /// Hash of the canonical form together with the space name and options: the deployed
  /// (pruned) network's class.
  std::uint64_t canonical_hash(const Architecture& a) const;

  /// A search's notion of "the same network": the canonical form, or, once set_as_built(true)
  /// (a search that costs some objective as built), as_built_form(). Strategies and the study
  /// deduplicate and cache by identity_hash(); graph encodings and tables by canonical_hash().
  void set_as_built(bool on) { as_built_ = on; }
  bool as_built() const { return as_built_; }
  Architecture identity_form(const Architecture& a) const { return as_built_ ? as_built_form(a) : canonicalize(a); }
  std::uint64_t identity_hash(const Architecture& a) const;
  /// Throws UserError unless `a` has one valid choice index per decision.
  void validate(const Architecture& a) const;

  Architecture sample(Rng& rng) const;
  /// Changes one decision to a different choice; prefers changes that alter identity_form().
  Architecture mutate(const Architecture& a, Rng& rng) const;
  /// All architectures that differ from `a` in exactly one decision.
  std::vector<Architecture> neighbours(const Architecture& a) const;
  /// Number of decision vectors, as a double (spaces can exceed 2^64).
  double size() const;
  /// Visits every decision vector in lexicographic order. Throws UserError when size() > limit.
  void enumerate(const std::function<void(const Architecture&)>& visit, double limit = 1e8) const;

 protected:
  std::uint64_t options_hash() const;

 private:
  mutable std::atomic<std::uint64_t> options_hash_{0};  // 0 = not computed yet
  bool as_built_ = false;  // set before a search starts, never while one runs
};

using SpaceFactory = std::function<std::unique_ptr<SearchSpace>(const nlohmann::json& options)>;

/// Registry of spaces by name: one table (nas/search_space.cpp), built-ins first. Unknown name ->
/// UserError listing the known ones.
std::unique_ptr<SearchSpace> make_space(const std::string& name, const nlohmann::json& options = nullptr);
/// Every name in the table, sorted.
std::vector<std::string> space_names();
/// Adds (or replaces) a space; for code outside the library and for tests. Thread-safe.
bool register_space(const std::string& name, SpaceFactory factory);
/// Removes a space added by register_space (tests).
void unregister_space(const std::string& name);

}  // namespace hwnas
