#pragma once
// Bookkeeping shared by the built-in strategies (private to search/strategies): what has been
// proposed or observed (by canonical hash), the cheap-constraint filter, random sampling of new
// admissible architectures with an enumeration fallback for small or nearly exhausted spaces,
// and the archive of successful observations with its normalization bounds.
#include <cstdint>
#include <optional>
#include <string>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"
#include "hwnas/search/pareto.h"
#include "hwnas/search/strategy.h"

namespace hwnas::detail {

/// Uniform draws from the space whose cheap objectives set those objectives' range (bounds()).
constexpr int kCheapRangeDraws = 1000;

class StrategyCore {
 public:
  StrategyCore(const StrategyContext& ctx, int max_retries, double enumerate_limit, std::uint64_t stream);

  const StrategyContext& ctx() const { return ctx_; }
  const SearchSpace& space() const { return *ctx_.space; }
  Rng& rng() { return rng_; }
  int num_objectives() const { return ctx_.num_objectives; }
  /// Objective k is cheap and ctx.cheap can compute it.
  bool cheap(int k) const { return ctx_.cheap && k < static_cast<int>(ctx_.is_cheap.size()) && ctx_.is_cheap[k]; }

  /// Not yet proposed or observed (SearchSpace::identity_hash: the canonical form, or the
  /// as-built form in a search that costs something as built).
  bool is_new(const Architecture& a) const { return !seen_.count(space().identity_hash(a)); }
  /// Passes the cheap constraints (always true without ctx.cheap); fills the cheap objective
  /// values (NaN for expensive ones) when `values` is given. In an as-built search
  /// (SearchSpace::as_built), also false when a cell that deploys the same network and differs in
  /// one decision (another op on a dead edge) has cheap values that dominate `a`'s: the expensive
  /// objectives (accuracy) are those of the deployed network, so such an `a` cannot be on the
  /// front, and each deployed network is met through its cheapest as-built cells only.
  bool admissible(const Architecture& a, Point* values = nullptr);
  /// is_new && admissible; on success marks `a` proposed.
  bool take(const Architecture& a, Point* values = nullptr);
  void mark(const Architecture& a) { seen_.insert(space().identity_hash(a)); }
  /// `a` was handed out by ask; it is in flight until told (record).
  void handed_out(const Architecture& a);
  /// Proposals handed out and not yet told.
  std::size_t in_flight() const { return in_flight_.size(); }
  /// The `most_recent` last of them to be handed out, oldest first.
  std::vector<Architecture> in_flight_archs(std::size_t most_recent) const;

  /// A new admissible architecture drawn uniformly (marked proposed), or nullopt when the space is
  /// exhausted (or too large to enumerate and every draw failed).
  std::optional<Architecture> random_new();
  /// A space-filling initial design over the cheap objectives: of `candidates` new admissible
  /// uniform draws, the one whose cheap values lie farthest (normalized Euclidean distance) from
  /// those of every earlier spread_new pick (marked proposed). random_new() when there is no cheap
  /// objective, candidates <= 1, or no draw is new.
  std::optional<Architecture> spread_new(int candidates);

  /// Records results: marks them seen; successful ones join observations() and the archive.
  void record(const std::vector<Observation>& results);
  /// Multi-fidelity modelling (BOHB, Falkner et al. 2018), off until called: successful results
  /// are kept per Observation::fidelity, and observations(), archive() and bounds() hold one
  /// level, the model fidelity: the highest fidelity with at least `min_observations` results, or
  /// while none has that many, the one with the most (the higher on a tie). Off, every result joins
  /// one level whatever its fidelity.
  void model_highest_fidelity(std::size_t min_observations) { fidelity_threshold_ = min_observations; }
  /// The model-based strategies' normalization: bounds() of the cheap objectives span the space
  /// (below). Off until called.
  void normalize_cheap_over_space() { cheap_over_space_ = true; }
  /// Changes when observations() is rebuilt for another model fidelity (a surrogate refits whole).
  int generation() const { return generation_; }
  const std::vector<Observation>& observations() const { return obs_; }
  /// Front of the successful observations; ids index observations().
  const ParetoArchive& archive() const { return archive_; }
  /// Componentwise min/max over the successful observations; once normalize_cheap_over_space()
  /// was called, for a cheap objective also over kCheapRangeDraws uniform draws from the space (the admissible ones; drawn once, at the first
  /// record(), from a stream of their own): cheap values are exact without an evaluation, so the
  /// normalized front and its reference point span the cheap objectives' range over the space,
  /// and a proposal that extends the front beyond the observed extremes can improve it.
  const ObjectiveBounds& bounds() const { return bounds_; }
  Point normalized(const Point& p) const { return normalize(p, bounds_.lower, bounds_.upper); }
  std::vector<Point> normalized_front() const;

 private:
  const StrategyContext& ctx_;
  Rng rng_;
  int max_retries_;
  double enumerate_limit_;
  std::unordered_set<std::uint64_t> seen_;
  std::unordered_map<std::uint64_t, std::uint64_t> in_flight_;  // handed out, not yet told: hash -> order
  std::map<std::uint64_t, Architecture> flight_order_;           // order -> architecture
  std::uint64_t handed_out_count_ = 0;
  std::unordered_map<std::uint64_t, std::optional<Point>> cheap_cache_;  // identity hash -> ctx.cheap
  std::unordered_map<std::uint64_t, bool> dominated_cache_;                // as built: identity hash -> dominated
  const std::optional<Point>& cheap_of(const Architecture& a);             // cached ctx.cheap (ctx.cheap set)
  bool dominated_as_built(const Architecture& a, const Point& v);
  void add(const Observation& o);  // joins obs_, the archive and the bounds
  void see_cheap(const Point& v);   // widens cheap_seen_ by v's cheap objectives
  void widen_cheap_bounds();        // bounds_ of the cheap objectives cover cheap_seen_
  ObjectiveBounds cheap_seen_;      // min/max of the cheap objectives over the range draws
  bool cheap_over_space_ = false;
  bool range_drawn_ = false;
  std::vector<Point> design_;       // cheap values of the spread_new picks
  void choose_model_fidelity();

  std::vector<Observation> obs_;
  std::size_t fidelity_threshold_ = 0;  // 0: one level (model_highest_fidelity)
  int model_fidelity_ = 0;
  bool has_level_ = false;
  int generation_ = 0;
  std::map<int, std::vector<Observation>> other_levels_;  // successful results at other fidelities
  ParetoArchive archive_;
  ObjectiveBounds bounds_;
  bool pool_built_ = false;
  std::vector<Architecture> pool_;  // enumeration fallback: candidates not yet known to be used
};

/// Context checks shared by the factories (space set, objective counts consistent).
void validate_context(const StrategyContext& ctx, const std::string& strategy);

}  // namespace hwnas::detail
