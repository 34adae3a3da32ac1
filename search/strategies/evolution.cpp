// `evolution`: regularized (aging) evolution (Real et al. 2019). The first `population` proposals
// are random; afterwards each proposal mutates the winner of a tournament of `sample_size`
// members drawn from the population, and each observation joins the population while the oldest
// member leaves. With several objectives the tournament is won by NSGA-II order (Deb et al.
// 2002): lowest non-dominated rank within the population, then largest crowding distance.
#include <deque>
#include <limits>

#include "common.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/search/strategies.h"

namespace hwnas {

void EvolutionOptions::check(const std::string& path) const {
  if (sample_size > population)
    throw UserError(path + ".sample_size: expected an integer in 1.." + std::to_string(population) + " (the population), got " +
                    std::to_string(sample_size));
}

void EvolutionOptions::validate(const std::string& path) const { validate_options(*this, path); }
nlohmann::json EvolutionOptions::to_json() const { return write_options(*this); }
EvolutionOptions EvolutionOptions::from_json(const nlohmann::json& j, const std::string& path) { return read_options<EvolutionOptions>(j, path); }

namespace {

class EvolutionStrategy : public SearchStrategy {
 public:
  EvolutionStrategy(const EvolutionOptions& o, const StrategyContext& ctx)
      : opts_(o), ctx_(ctx), core_(ctx_, o.max_retries, o.enumerate_limit, 0x65766f6cULL) {}
  std::string name() const override { return "evolution"; }

  std::vector<Architecture> ask(std::size_t n) override {
    std::vector<Architecture> out;
    while (out.size() < n) {
      std::optional<Architecture> a;
      if (proposed_ >= opts_.population && !population_.empty()) a = child();
      if (!a) a = core_.random_new();
      if (!a) break;
      ++proposed_;
      out.push_back(std::move(*a));
    }
    return out;
  }

  void tell(const std::vector<Observation>& results) override {
    const std::size_t before = core_.observations().size();
    core_.record(results);
    for (std::size_t i = before; i < core_.observations().size(); ++i) {
      population_.push_back(static_cast<int>(i));
      if (static_cast<int>(population_.size()) > opts_.population) population_.pop_front();
    }
    if (core_.observations().size() != before) order_dirty_ = true;
  }

 private:
  // NSGA-II order of the population: rank, then crowding distance within the rank.
  void update_order() {
    if (!order_dirty_) return;
    order_dirty_ = false;
    std::vector<Point> pts;
    for (int i : population_) pts.push_back(core_.observations()[i].objectives);
    rank_ = non_dominated_sort(pts);
    crowd_.assign(pts.size(), 0.0);
    int max_rank = 0;
    for (int r : rank_) max_rank = std::max(max_rank, r);
    for (int r = 0; r <= max_rank; ++r) {
      std::vector<int> idx;
      for (std::size_t i = 0; i < pts.size(); ++i)
        if (rank_[i] == r) idx.push_back(static_cast<int>(i));
      const auto cd = crowding_distance(pts, idx);
      for (std::size_t k = 0; k < idx.size(); ++k) crowd_[idx[k]] = cd[k];
    }
  }

  std::optional<Architecture> child() {
    update_order();
    Rng& rng = core_.rng();
    const std::size_t m = population_.size();
    int best = -1;
    for (int s = 0; s < opts_.sample_size; ++s) {
      const int i = static_cast<int>(rng.uniform_index(m));  // with replacement, as in Real et al.
      if (best < 0 || rank_[i] < rank_[best] || (rank_[i] == rank_[best] && crowd_[i] > crowd_[best])) best = i;
    }
    Architecture a = core_.observations()[population_[best]].arch;
    // Mutate; when every single mutation is taken, keep mutating (a longer jump) a few times.
    for (int attempt = 0; attempt < 64; ++attempt) {
      Architecture c = core_.space().mutate(a, rng);
      if (core_.take(c)) return c;
      if (attempt % 8 == 7) a = c;
    }
    return std::nullopt;
  }

  EvolutionOptions opts_;
  StrategyContext ctx_;
  detail::StrategyCore core_;
  std::deque<int> population_;  // indices into core_.observations(), oldest first
  std::vector<int> rank_;
  std::vector<double> crowd_;
  bool order_dirty_ = true;
  int proposed_ = 0;
};

}  // namespace

std::unique_ptr<SearchStrategy> make_evolution_strategy(const EvolutionOptions& o, const StrategyContext& ctx) {
  o.validate();
  detail::validate_context(ctx, "evolution");
  return std::make_unique<EvolutionStrategy>(o, ctx);
}

}  // namespace hwnas
