// `local`: Pareto local search. Each proposal is an unseen neighbour (one decision changed) of a
// member of the current front, or of the walker: the point of the last random restart, which
// moves to any observation that dominates it. When every neighbour of the front and of the
// walker has been seen (a local optimum), the next proposal is a random restart.
#include <algorithm>

#include "common.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/search/strategies.h"

namespace hwnas {

void LocalOptions::validate(const std::string& path) const { validate_options(*this, path); }
nlohmann::json LocalOptions::to_json() const { return write_options(*this); }
LocalOptions LocalOptions::from_json(const nlohmann::json& j, const std::string& path) { return read_options<LocalOptions>(j, path); }

namespace {

class LocalStrategy : public SearchStrategy {
 public:
  LocalStrategy(const LocalOptions& o, const StrategyContext& ctx)
      : opts_(o), ctx_(ctx), core_(ctx_, o.max_retries, o.enumerate_limit, 0x6c6f63616cULL) {}
  std::string name() const override { return "local"; }

  std::vector<Architecture> ask(std::size_t n) override {
    std::vector<Architecture> out;
    while (out.size() < n) {
      std::optional<Architecture> a;
      if (proposed_ >= opts_.initial_random) a = step();
      if (!a) {
        a = core_.random_new();
        if (a) restart_hash_ = core_.space().identity_hash(*a);
      }
      if (!a) break;
      ++proposed_;
      out.push_back(std::move(*a));
    }
    return out;
  }

  void tell(const std::vector<Observation>& results) override {
    const std::size_t before = core_.observations().size();
    core_.record(results);
    const auto& obs = core_.observations();
    for (std::size_t i = before; i < obs.size(); ++i) {
      if (restart_hash_ && core_.space().identity_hash(obs[i].arch) == *restart_hash_) {
        walker_ = static_cast<int>(i);
        restart_hash_.reset();
      } else if (walker_ >= 0 && dominates(obs[i].objectives, obs[walker_].objectives)) {
        walker_ = static_cast<int>(i);
      }
    }
  }

 private:
  // An unseen admissible neighbour of the walker or of a front member, or nullopt when stuck.
  std::optional<Architecture> step() {
    std::vector<int> sources;
    if (walker_ >= 0) sources.push_back(walker_);
    std::vector<int> front;
    for (const auto& m : core_.archive().members()) front.push_back(static_cast<int>(m.id));
    // Visit front members in a random order so the front is widened evenly.
    for (std::size_t i = front.size(); i > 1; --i) std::swap(front[i - 1], front[core_.rng().uniform_index(i)]);
    sources.insert(sources.end(), front.begin(), front.end());
    for (int s : sources) {
      if (exhausted_.count(s)) continue;
      auto nb = core_.space().neighbours(core_.observations()[s].arch);
      for (std::size_t i = nb.size(); i > 1; --i) std::swap(nb[i - 1], nb[core_.rng().uniform_index(i)]);
      for (auto& a : nb)
        if (core_.take(a)) return a;
      exhausted_.insert(s);
    }
    return std::nullopt;
  }

  LocalOptions opts_;
  StrategyContext ctx_;
  detail::StrategyCore core_;
  int proposed_ = 0;
  int walker_ = -1;
  std::optional<std::uint64_t> restart_hash_;
  std::unordered_set<int> exhausted_;  // observations whose every neighbour has been seen
};

}  // namespace

std::unique_ptr<SearchStrategy> make_local_strategy(const LocalOptions& o, const StrategyContext& ctx) {
  o.validate();
  detail::validate_context(ctx, "local");
  return std::make_unique<LocalStrategy>(o, ctx);
}

}  // namespace hwnas
