#include "common.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace hwnas::detail {

void validate_context(const StrategyContext& ctx, const std::string& strategy) {
  if (!ctx.space) throw UserError("strategy " + strategy + ": no search space given");
  if (ctx.num_objectives < 1) throw UserError("strategy " + strategy + ": expected at least one objective");
  if (!ctx.is_cheap.empty() && static_cast<int>(ctx.is_cheap.size()) != ctx.num_objectives)
    throw UserError("strategy " + strategy + ": is_cheap has " + std::to_string(ctx.is_cheap.size()) +
                    " entries for " + std::to_string(ctx.num_objectives) + " objectives");
}

StrategyCore::StrategyCore(const StrategyContext& ctx, int max_retries, double enumerate_limit, std::uint64_t stream)
    : ctx_(ctx), rng_(Rng::mix(ctx.seed ^ Rng::mix(stream))), max_retries_(max_retries), enumerate_limit_(enumerate_limit) {}

bool StrategyCore::admissible(const Architecture& a, Point* values) {
  if (!ctx_.cheap) {
    if (values) values->assign(ctx_.num_objectives, std::nan(""));
    return true;
  }
  const std::optional<Point>& v = cheap_of(a);
  if (!v) return false;
  if (space().as_built()) {
    const Point own = *v;  // a copy: the neighbours' look-ups may clear the cache
    if (dominated_as_built(a, own)) return false;
    if (values) *values = own;
    return true;
  }
  if (values) *values = *v;
  return true;
}

const std::optional<Point>& StrategyCore::cheap_of(const Architecture& a) {
  const std::uint64_t h = space().identity_hash(a);
  auto it = cheap_cache_.find(h);
  if (it == cheap_cache_.end()) {
    if (cheap_cache_.size() > 1000000) cheap_cache_.clear();  // bound the memory on huge spaces
    std::optional<std::vector<double>> v = ctx_.cheap(a);
    if (v) {
      if (v->empty()) v->assign(ctx_.num_objectives, std::nan(""));
      HWNAS_CHECK(static_cast<int>(v->size()) == ctx_.num_objectives, "ctx.cheap returned the wrong number of values");
    }
    it = cheap_cache_.emplace(h, std::move(v)).first;
  }
  return it->second;
}

bool StrategyCore::dominated_as_built(const Architecture& a, const Point& v) {
  const std::uint64_t h = space().identity_hash(a);
  if (auto it = dominated_cache_.find(h); it != dominated_cache_.end()) return it->second;
  bool dominated = false;
  const std::uint64_t deployed = space().canonical_hash(a);
  for (const Architecture& b : space().neighbours(a)) {
    if (space().canonical_hash(b) != deployed) continue;  // another deployed network
    const std::optional<Point> w = cheap_of(b);          // a copy: cheap_of may rehash the cache
    if (!w) continue;
    bool no_worse = true, better = false;
    for (int k = 0; k < ctx_.num_objectives; ++k) {
      if (!cheap(k) || !std::isfinite((*w)[k]) || !std::isfinite(v[k])) continue;
      no_worse = no_worse && (*w)[k] <= v[k];
      better = better || (*w)[k] < v[k];
    }
    if (no_worse && better) {
      dominated = true;
      break;
    }
  }
  if (dominated_cache_.size() > 1000000) dominated_cache_.clear();
  dominated_cache_.emplace(h, dominated);
  return dominated;
}

bool StrategyCore::take(const Architecture& a, Point* values) {
  if (!is_new(a) || !admissible(a, values)) return false;
  mark(a);
  return true;
}

std::optional<Architecture> StrategyCore::random_new() {
  if (!pool_built_) {
    for (int i = 0; i < max_retries_; ++i) {
      Architecture a = space().sample(rng_);
      if (take(a)) return a;
    }
    if (space().size() > enumerate_limit_) return std::nullopt;
    // Sampling keeps failing: the space is small or nearly used up. Enumerate what is left once
    // and draw from that list from now on.
    pool_built_ = true;
    std::unordered_set<std::uint64_t> pooled;
    space().enumerate(
        [&](const Architecture& a) {
          const std::uint64_t h = space().identity_hash(a);
          if (!seen_.count(h) && pooled.insert(h).second) pool_.push_back(a);
        },
        enumerate_limit_);
  }
  while (!pool_.empty()) {
    const std::size_t i = rng_.uniform_index(pool_.size());
    Architecture a = std::move(pool_[i]);
    pool_[i] = std::move(pool_.back());
    pool_.pop_back();
    if (take(a)) return a;
  }
  return std::nullopt;
}

std::optional<Architecture> StrategyCore::spread_new(int candidates) {
  std::vector<std::size_t> dims;
  for (int k = 0; k < ctx_.num_objectives; ++k)
    if (cheap(k)) dims.push_back(static_cast<std::size_t>(k));
  if (dims.empty() || candidates <= 1 || pool_built_) return random_new();
  std::vector<std::pair<Architecture, Point>> pool;
  std::unordered_set<std::uint64_t> pooled;
  Point v;
  for (int tries = 0; static_cast<int>(pool.size()) < candidates && tries < 4 * candidates; ++tries) {
    Architecture a = space().sample(rng_);
    const std::uint64_t h = space().identity_hash(a);
    if (seen_.count(h) || !pooled.insert(h).second || !admissible(a, &v)) continue;
    bool finite = true;
    for (std::size_t k : dims) finite = finite && std::isfinite(v[k]);
    if (finite) pool.emplace_back(std::move(a), v);
  }
  if (pool.empty()) return random_new();
  std::size_t best = 0;
  if (!design_.empty()) {
    Point lo(dims.size(), std::numeric_limits<double>::infinity()), hi(dims.size(), -std::numeric_limits<double>::infinity());
    auto widen = [&](const Point& p) {
      for (std::size_t d = 0; d < dims.size(); ++d) lo[d] = std::min(lo[d], p[dims[d]]), hi[d] = std::max(hi[d], p[dims[d]]);
    };
    for (const auto& [a, p] : pool) widen(p);
    for (const Point& p : design_) widen(p);
    double best_gap = -1;
    for (std::size_t i = 0; i < pool.size(); ++i) {
      double gap = std::numeric_limits<double>::infinity();
      for (const Point& q : design_) {
        double d2 = 0;
        for (std::size_t d = 0; d < dims.size(); ++d) {
          const double span = hi[d] - lo[d];
          if (span > 0) d2 += std::pow((pool[i].second[dims[d]] - q[dims[d]]) / span, 2);
        }
        gap = std::min(gap, d2);
      }
      if (gap > best_gap) best_gap = gap, best = i;
    }
  }
  mark(pool[best].first);
  design_.push_back(pool[best].second);
  return std::move(pool[best].first);
}

void StrategyCore::handed_out(const Architecture& a) {
  if (in_flight_.emplace(space().identity_hash(a), handed_out_count_).second) flight_order_.emplace(handed_out_count_++, a);
}

std::vector<Architecture> StrategyCore::in_flight_archs(std::size_t most_recent) const {
  std::vector<Architecture> out;
  for (auto it = flight_order_.rbegin(); it != flight_order_.rend() && out.size() < most_recent; ++it)
    out.push_back(it->second);
  std::reverse(out.begin(), out.end());
  return out;
}

void StrategyCore::record(const std::vector<Observation>& results) {
  for (const Observation& o : results) {
    const std::uint64_t h = space().identity_hash(o.arch);
    seen_.insert(h);
    if (auto it = in_flight_.find(h); it != in_flight_.end()) {
      flight_order_.erase(it->second);
      in_flight_.erase(it);
    }
    if (!o.ok) continue;
    HWNAS_CHECK(static_cast<int>(o.objectives.size()) == ctx_.num_objectives, "observation has the wrong number of objectives");
    bool finite = true;
    for (double v : o.objectives) finite = finite && std::isfinite(v);
    if (!finite) continue;  // a non-finite score is a failed evaluation
    if (!has_level_) {
      has_level_ = true;
      model_fidelity_ = o.fidelity;
    }
    if (fidelity_threshold_ == 0 || o.fidelity == model_fidelity_) add(o);
    else other_levels_[o.fidelity].push_back(o);
  }
  if (fidelity_threshold_ > 0) choose_model_fidelity();
  widen_cheap_bounds();
}

void StrategyCore::see_cheap(const Point& v) {
  if (cheap_seen_.lower.empty()) {
    cheap_seen_.lower.assign(v.size(), std::numeric_limits<double>::infinity());
    cheap_seen_.upper.assign(v.size(), -std::numeric_limits<double>::infinity());
  }
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (!cheap(static_cast<int>(k)) || !std::isfinite(v[k])) continue;
    cheap_seen_.lower[k] = std::min(cheap_seen_.lower[k], v[k]);
    cheap_seen_.upper[k] = std::max(cheap_seen_.upper[k], v[k]);
  }
}

void StrategyCore::widen_cheap_bounds() {
  if (!cheap_over_space_) return;
  if (!range_drawn_ && !bounds_.lower.empty()) {
    range_drawn_ = true;
    bool any = false;
    for (int k = 0; k < ctx_.num_objectives; ++k) any = any || cheap(k);
    if (any) {
      // Uniform draws from their own stream, so the strategy's other draws are unchanged.
      Rng draws(Rng::mix(ctx_.seed ^ 0x72616e6765ULL));
      Point v;
      for (int i = 0; i < kCheapRangeDraws; ++i)
        if (admissible(space().sample(draws), &v)) see_cheap(v);
    }
  }
  if (bounds_.lower.empty() || cheap_seen_.lower.size() != bounds_.lower.size()) return;
  for (std::size_t k = 0; k < bounds_.lower.size(); ++k) {
    if (!cheap(static_cast<int>(k)) || !(cheap_seen_.lower[k] <= cheap_seen_.upper[k])) continue;
    bounds_.lower[k] = std::min(bounds_.lower[k], cheap_seen_.lower[k]);
    bounds_.upper[k] = std::max(bounds_.upper[k], cheap_seen_.upper[k]);
  }
}

void StrategyCore::add(const Observation& o) {
  obs_.push_back(o);
  archive_.add(static_cast<std::int64_t>(obs_.size() - 1), o.objectives);
  if (bounds_.lower.empty()) {
    bounds_.lower = bounds_.upper = o.objectives;
  } else {
    for (std::size_t k = 0; k < o.objectives.size(); ++k) {
      bounds_.lower[k] = std::min(bounds_.lower[k], o.objectives[k]);
      bounds_.upper[k] = std::max(bounds_.upper[k], o.objectives[k]);
    }
  }
}

void StrategyCore::choose_model_fidelity() {
  if (other_levels_.empty()) return;
  // Candidates in descending fidelity: the first with enough results wins; else the largest level.
  int best = model_fidelity_;
  std::size_t best_n = obs_.size();
  bool enough = obs_.size() >= fidelity_threshold_;
  for (auto it = other_levels_.rbegin(); it != other_levels_.rend(); ++it) {
    const std::size_t n = it->second.size();
    const bool it_enough = n >= fidelity_threshold_;
    if (it_enough && (!enough || it->first > best)) {
      best = it->first, best_n = n, enough = true;
    } else if (!enough && (n > best_n || (n == best_n && it->first > best))) {
      best = it->first, best_n = n;
    }
  }
  if (best == model_fidelity_) return;
  other_levels_[model_fidelity_] = std::move(obs_);
  std::vector<Observation> level = std::move(other_levels_[best]);
  other_levels_.erase(best);
  obs_.clear();
  archive_ = ParetoArchive();
  bounds_ = ObjectiveBounds();
  model_fidelity_ = best;
  ++generation_;
  for (const Observation& o : level) add(o);
}

std::vector<Point> StrategyCore::normalized_front() const {
  std::vector<Point> out;
  for (const auto& m : archive_.members()) out.push_back(normalized(m.objectives));
  return out;
}

}  // namespace hwnas::detail
