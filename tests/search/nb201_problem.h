#pragma once
// A multi-objective problem over the whole NAS-Bench-201 cell space, shared by the strategy tests
// and bench/bench_strategies.cpp. By default objective 0 is a synthetic "error" (expensive; a
// smooth function of the cell's ops with pairwise interactions, defined on the canonical form so
// that equivalent cells score the same), objective 1 the parameter count (cheap, exact); any other
// columns can be given (the benchmark's proxy-table problems). The true Pareto front is known by
// enumerating all 15,625 cells.
#include <deque>
#include <functional>
#include <set>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hwnas/core/rng.h"
#include "hwnas/nas/spaces/nb201.h"
#include "hwnas/search/pareto.h"
#include "hwnas/search/strategies.h"
#include "hwnas/search/strategy.h"

namespace hwnas::testing {

class Nb201Problem {
 public:
  /// One objective of a problem (minimized): its value on a canonical cell (on any cell, for a
  /// problem built per vector), and whether the
  /// strategies are told it as a cheap objective (exact, known before evaluation).
  struct Column {
    std::string name;
    bool cheap = false;
    std::function<double(const Architecture& canonical)> value;
  };

  /// The synthetic error (expensive) against the parameter count (cheap).
  explicit Nb201Problem(std::uint64_t table_seed = 2024) : space_(Nb201Options{}) {
    // Per-op quality (none, skip, conv1x1, conv3x3, avgpool), edge importance, interactions.
    const double op_quality[5] = {0.0, 0.45, 0.6, 1.0, 0.25};
    Rng rng(table_seed);
    for (int e = 0; e < 6; ++e) {
      const double importance = 0.6 + 0.8 * rng.uniform();
      for (int o = 0; o < 5; ++o) unary_[e][o] = importance * op_quality[o] + 0.15 * rng.normal();
    }
    for (int e = 0; e < 6; ++e)
      for (int f = 0; f < 6; ++f)
        for (int o = 0; o < 5; ++o)
          for (int p = 0; p < 5; ++p) pair_[e][f][o][p] = 0.12 * rng.normal();
    build({{"error", false, [this](const Architecture& c) { return error_from_canonical(c); }},
           {"params", true, [this](const Architecture& c) { return static_cast<double>(space_.count(c).params); }}});
  }

  /// Any objectives over the whole space (2 or more), e.g. a zero-cost proxy table against latency.
  /// `per_vector`: the columns are evaluated on every decision vector, not on the canonical cell
  /// (a latency costed as built, where dead edges run), and the space's strategies tell networks
  /// apart as built (SearchSpace::set_as_built) unless `pruned_identity` (how searches did before:
  /// one member per pruned class).
  explicit Nb201Problem(const std::vector<Column>& columns, bool per_vector = false, bool pruned_identity = false)
      : space_(Nb201Options{}), per_vector_(per_vector) {
    space_.set_as_built(per_vector && !pruned_identity);
    build(columns);
  }

  const Nb201Space& space() const { return space_; }
  const std::vector<Column>& columns() const { return columns_; }
  /// Every objective of a cell.
  Point objectives(const Architecture& a) const { return table_.at(key(a)); }
  double error(const Architecture& a) const { return objectives(a)[0]; }
  double params(const Architecture& a) const { return objectives(a)[1]; }
  const std::vector<Architecture>& all() const { return all_; }
  std::size_t distinct() const { return table_.size(); }
  const ObjectiveBounds& bounds() const { return bounds_; }
  const std::vector<Point>& true_front() const { return true_front_; }
  double true_hypervolume() const { return true_hv_; }
  /// Normalized hypervolume of the front of `points` (reference 1.1): by the bounds of the whole
  /// table, or after normalize_by_true_front() by the true front's ideal and nadir points.
  double hypervolume(const std::vector<Point>& points) const {
    return normalized_hypervolume(points, hv_bounds_.lower, hv_bounds_.upper);
  }
  /// Hypervolumes from now on normalized by the true front's ideal and nadir points (its
  /// componentwise min and max), as #17 states its goal, instead of the whole table's bounds (in
  /// which a few collapsed cells can stretch an objective's range several times over the front's).
  void normalize_by_true_front() {
    hv_bounds_ = bounds_of(true_front_);
    true_hv_ = normalized_hypervolume(true_front_, hv_bounds_.lower, hv_bounds_.upper);
  }
  /// The bounds hypervolume() normalizes by.
  const ObjectiveBounds& hypervolume_bounds() const { return hv_bounds_; }

  /// Context with the cheap columns cheap; cells with more than `max_params` parameters (the
  /// column named "params") are rejected.
  StrategyContext context(std::uint64_t seed, double max_params = std::numeric_limits<double>::infinity()) const {
    StrategyContext c;
    c.space = &space_;
    c.num_objectives = columns_.size();
    for (const auto& col : columns_) c.is_cheap.push_back(col.cheap);
    c.seed = seed;
    c.cheap = [this, max_params](const Architecture& a) -> std::optional<std::vector<double>> {
      const Point& v = objectives(a);
      std::vector<double> out(columns_.size(), std::nan(""));
      for (std::size_t i = 0; i < columns_.size(); ++i) {
        if (columns_[i].name == "params" && v[i] > max_params) return std::nullopt;
        if (columns_[i].cheap) out[i] = v[i];
      }
      return out;
    };
    return c;
  }

 private:
  void build(const std::vector<Column>& columns) {
    columns_ = columns;
    space_.enumerate([&](const Architecture& a) {
      const std::uint64_t h = key(a);
      if (!table_.count(h)) {
        const Architecture c = per_vector_ ? a : space_.canonicalize(a);
        Point v;
        for (const auto& col : columns_) v.push_back(col.value(c));
        table_[h] = v;
      }
      all_.push_back(a);
    });
    std::vector<Point> pts;
    for (const auto& [h, v] : table_) pts.push_back(v);
    bounds_ = bounds_of(pts);
    hv_bounds_ = bounds_;
    std::vector<Point> front;
    for (int i : non_dominated_indices(pts)) front.push_back(pts[i]);
    true_front_ = front;
    true_hv_ = normalized_hypervolume(front, bounds_.lower, bounds_.upper);
  }

  std::uint64_t key(const Architecture& a) const { return per_vector_ ? Rng::mix(a.hash()) : space_.canonical_hash(a); }

  double error_from_canonical(const Architecture& c) const {
    double s = 0;
    for (int e = 0; e < 6; ++e) s += unary_[e][c.choices[e]];
    for (int e = 0; e < 6; ++e)
      for (int f = e + 1; f < 6; ++f) s += pair_[e][f][c.choices[e]][c.choices[f]];
    // A cell whose output is cut off from its input (every edge none after pruning) is useless.
    bool any = false;
    for (int e = 0; e < 6; ++e) any = any || c.choices[e] != 0;
    if (!any) s -= 3.0;
    return 0.05 + 0.85 / (1.0 + std::exp(1.2 * (s - 2.0)));  // error in (0.05, 0.9)
  }

  Nb201Space space_;
  bool per_vector_ = false;
  std::vector<Column> columns_;
  double unary_[6][5]{};
  double pair_[6][6][5][5]{};
  std::unordered_map<std::uint64_t, Point> table_;  // key() (canonical hash or vector) -> the columns' values
  std::vector<Architecture> all_;
  ObjectiveBounds bounds_;
  ObjectiveBounds hv_bounds_;  // what hypervolume() normalizes by: bounds_, or the true front's (normalize_by_true_front)
  std::vector<Point> true_front_;
  double true_hv_ = 0;
};

/// Runs a strategy for `evaluations` evaluations in batches; returns the normalized hypervolume
/// after each evaluation and every proposal in order.
struct RunTrace {
  std::vector<Architecture> proposals;
  std::vector<double> hypervolume;  // after each evaluation
};

inline RunTrace run_strategy(SearchStrategy& s, const Nb201Problem& p, int evaluations, std::size_t batch = 1,
                             const std::function<bool(const Architecture&)>& fails = nullptr) {
  RunTrace t;
  ParetoArchive archive;
  std::int64_t id = 0;
  while (static_cast<int>(t.proposals.size()) < evaluations) {
    const std::size_t n = std::min<std::size_t>(batch, evaluations - t.proposals.size());
    auto asked = s.ask(n);
    if (asked.empty()) break;
    std::vector<Observation> obs;
    for (auto& a : asked) {
      Observation o;
      o.arch = a;
      if (fails && fails(a)) {
        o.ok = false;
      } else {
        o.objectives = p.objectives(a);
        archive.add(id++, o.objectives);
      }
      obs.push_back(o);
      t.proposals.push_back(a);
      t.hypervolume.push_back(p.hypervolume(archive.front_points()));
    }
    s.tell(obs);
  }
  return t;
}

/// Asynchronous dispatch to `in_flight` evaluators, emulated: ask(1) until `in_flight` proposals
/// are pending, then tell the oldest one, until `evaluations` are told.
inline RunTrace run_pipelined(SearchStrategy& s, const Nb201Problem& p, int evaluations, std::size_t in_flight) {
  RunTrace t;
  ParetoArchive archive;
  std::int64_t id = 0;
  std::deque<Architecture> pending;
  bool more = true;
  while (static_cast<int>(t.hypervolume.size()) < evaluations) {
    while (more && pending.size() < in_flight && static_cast<int>(t.proposals.size()) < evaluations) {
      auto asked = s.ask(1);
      if (asked.empty()) more = false;
      for (auto& a : asked) {
        t.proposals.push_back(a);
        pending.push_back(std::move(a));
      }
    }
    if (pending.empty()) break;
    Observation o;
    o.arch = pending.front();
    pending.pop_front();
    o.objectives = p.objectives(o.arch);
    archive.add(id++, o.objectives);
    t.hypervolume.push_back(p.hypervolume(archive.front_points()));
    s.tell({o});
  }
  return t;
}

}  // namespace hwnas::testing

namespace hwnas::testing {

using MakeStrategy = std::function<std::unique_ptr<SearchStrategy>(const StrategyContext&)>;

/// Normalized hypervolume after `evaluations` evaluations, one per seed 0..seeds-1.
inline std::vector<double> hypervolumes(const Nb201Problem& p, const MakeStrategy& make, int evaluations, int seeds) {
  std::vector<double> out;
  for (int seed = 0; seed < seeds; ++seed) {
    auto s = make(p.context(static_cast<std::uint64_t>(seed) + 1000));
    out.push_back(run_strategy(*s, p, evaluations).hypervolume.back());
  }
  return out;
}

/// Mean normalized hypervolume after `evaluations` evaluations over seeds 0..seeds-1.
inline double mean_hypervolume(const Nb201Problem& p, const MakeStrategy& make, int evaluations, int seeds) {
  double sum = 0;
  for (double hv : hypervolumes(p, make, evaluations, seeds)) sum += hv;
  return sum / seeds;
}

/// A strategy against random search on the same seeds and budget: per-seed hypervolumes, the
/// mean of the per-seed gains, and on how many seeds the strategy is ahead. `describe()` prints
/// them for a failure message.
struct VersusRandom {
  std::vector<double> strategy, random;
  double mean_gain = 0;
  int wins = 0;
  std::string describe() const {
    std::string s = "mean gain " + std::to_string(mean_gain) + ", ahead on " + std::to_string(wins) + " of " +
                    std::to_string(strategy.size()) + " seeds; per seed (strategy/random):";
    for (std::size_t i = 0; i < strategy.size(); ++i) s += " " + std::to_string(strategy[i]) + "/" + std::to_string(random[i]);
    return s;
  }
};

inline VersusRandom versus_random(const Nb201Problem& p, const MakeStrategy& make, int evaluations, int seeds) {
  VersusRandom v;
  v.strategy = hypervolumes(p, make, evaluations, seeds);
  v.random = hypervolumes(p, [](const StrategyContext& c) { return make_random_strategy({}, c); }, evaluations, seeds);
  for (int i = 0; i < seeds; ++i) {
    v.mean_gain += (v.strategy[i] - v.random[i]) / seeds;
    v.wins += v.strategy[i] > v.random[i];
  }
  return v;
}

/// A model-based strategy with 8 proposals per model refresh (`make` sets it): after the same 20
/// evaluations, 8 asks of one from one strategy equal one ask of 8 from another made alike, all
/// distinct, and the ninth ask of one (a new refresh) is new too.
inline void expect_one_refresh_serves_eight_asks(const Nb201Problem& p, const MakeStrategy& make) {
  auto a = make(p.context(7));
  auto b = make(p.context(7));
  run_strategy(*a, p, 20, 4);
  run_strategy(*b, p, 20, 4);
  std::vector<Architecture> one_by_one;
  for (int i = 0; i < 8; ++i)
    for (auto& x : a->ask(1)) one_by_one.push_back(x);
  const std::vector<Architecture> at_once = b->ask(8);
  ASSERT_EQ(at_once.size(), 8u);
  EXPECT_EQ(one_by_one, at_once);
  std::set<std::uint64_t> h;
  for (const auto& x : at_once) EXPECT_TRUE(h.insert(p.space().canonical_hash(x)).second);
  const std::vector<Architecture> next = a->ask(1);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_TRUE(h.insert(p.space().canonical_hash(next[0])).second);
}

/// versus_random with asynchronous dispatch to `in_flight` evaluators (run_pipelined) for both.
inline VersusRandom versus_random_pipelined(const Nb201Problem& p, const MakeStrategy& make, int evaluations, int seeds,
                                            std::size_t in_flight) {
  VersusRandom v;
  for (int seed = 0; seed < seeds; ++seed) {
    auto s = make(p.context(static_cast<std::uint64_t>(seed) + 1000));
    auto r = make_random_strategy({}, p.context(static_cast<std::uint64_t>(seed) + 1000));
    v.strategy.push_back(run_pipelined(*s, p, evaluations, in_flight).hypervolume.back());
    v.random.push_back(run_pipelined(*r, p, evaluations, in_flight).hypervolume.back());
    v.mean_gain += (v.strategy.back() - v.random.back()) / seeds;
    v.wins += v.strategy.back() > v.random.back();
  }
  return v;
}

/// One problem shared by every test of a program (building it enumerates the whole space).
inline const Nb201Problem& problem() {
  static const Nb201Problem p;
  return p;
}

}  // namespace hwnas::testing
