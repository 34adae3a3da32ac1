// `mcts`: Monte Carlo tree search (UCT, Kocsis & Szepesvári 2006) over the decision sequence: the
// root chooses decision 0, its children decision 1, and so on. Children are added by progressive
// widening (a node visited v times has at most ceil(widening_c * v^widening_alpha) children, in
// a random order fixed when the node is created). A simulation descends by UCT, completes the
// remaining decisions at random (the rollout), and scores the completed architecture with the
// surrogate of `bo` (GP per expensive objective, cheap objectives exact): the reward is the
// hypervolume improvement, in normalized units, of its optimistic point (mean - kappa * std)
// over the current front; architectures already seen or rejected by the cheap constraints score
// 0. Rewards are divided by the largest seen so far in the search, so UCT sees values in [0, 1].
// The proposal is the best new rollout of `simulations` simulations; the tree is rebuilt for
// every proposal (the front and the model change between them).
#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <unordered_set>

#include "acquisition.h"
#include "common.h"
#include "model_based.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/search/strategies.h"
#include "surrogate.h"

namespace hwnas {

void MctsOptions::check(const std::string& path) const {
  check_encoding_name(path, encoding);
}

void MctsOptions::validate(const std::string& path) const { validate_options(*this, path); }
nlohmann::json MctsOptions::to_json() const { return write_options(*this); }
MctsOptions MctsOptions::from_json(const nlohmann::json& j, const std::string& path) { return read_options<MctsOptions>(j, path); }

namespace {

struct Node {
  int visits = 0;
  double reward_sum = 0.0;
  std::vector<int> order;                       // choices in the order they are added
  std::vector<std::unique_ptr<Node>> children;  // children[i] chooses order[i]
};

class MctsStrategy : public SearchStrategy {
 public:
  MctsStrategy(const MctsOptions& o, const StrategyContext& ctx)
      : opts_(o), ctx_(ctx), core_(ctx_, o.max_retries, o.enumerate_limit, 0x6d637473ULL), surrogate_(o, *ctx.space) {
    if (models_fidelity()) core_.model_highest_fidelity(static_cast<std::size_t>(opts_.initial_random));
    core_.normalize_cheap_over_space();
  }
  std::string name() const override { return "mcts"; }
  bool models_fidelity() const override { return opts_.fidelity == "highest"; }

  std::vector<Architecture> ask(std::size_t n) override {
    return detail::model_based_ask(
        n, opts_.initial_random, opts_.initial_design == "spread", opts_.proposals_per_refresh, ctx_.num_objectives, core_, surrogate_, queue_,
        [&](detail::FastFront& front) -> std::optional<Architecture> {
          std::vector<Architecture> one = search(front, 1);
          if (one.empty()) return std::nullopt;
          return std::move(one[0]);
        },
        [&](detail::FastFront& front, std::size_t q) { return search(front, q); });
  }

  void tell(const std::vector<Observation>& results) override { core_.record(results); }

 private:
  std::unique_ptr<Node> make_node(int depth) {
    auto node = std::make_unique<Node>();
    const auto& d = core_.space().decisions();
    if (depth < static_cast<int>(d.size())) {
      const int k = static_cast<int>(d[depth].choices.size());
      node->order.resize(k);
      for (int i = 0; i < k; ++i) node->order[i] = i;
      for (int i = k; i > 1; --i) std::swap(node->order[i - 1], node->order[core_.rng().uniform_index(i)]);
    }
    return node;
  }

  // Reward of a completed architecture (raw, before scaling) and its optimistic point.
  double reward(const Architecture& a, const detail::FastFront& front, Point* mean_out) {
    if (!core_.is_new(a)) return 0.0;
    Point cheap;
    if (!core_.admissible(a, &cheap)) return 0.0;
    Point mean, sd;
    surrogate_.predict_one(core_, a, cheap, mean, sd);
    if (mean_out) *mean_out = mean;
    for (std::size_t k = 0; k < mean.size(); ++k) mean[k] -= opts_.kappa * sd[k];
    return front.improvement(mean);
  }

  // The best q new rollouts of one tree search (q = 1: the proposal; q > 1: simulations x
  // ceil(sqrt(q)), the q best distinct rollouts by reward, each a Kriging believer).
  std::vector<Architecture> search(detail::FastFront& front, std::size_t q) {
    const int simulations = opts_.simulations * static_cast<int>(std::ceil(std::sqrt(static_cast<double>(q))));
    Rng& rng = core_.rng();
    const auto& decisions = core_.space().decisions();
    const int depth_max = static_cast<int>(decisions.size());
    std::unique_ptr<Node> root = make_node(0);
    double max_reward = 0.0;
    double best_reward = 0.0;
    std::optional<Architecture> best;
    struct Rollout {
      double reward;
      Architecture arch;
      Point mean;
    };
    std::vector<Rollout> rollouts;  // q > 1: every distinct new rollout with a positive reward
    std::unordered_set<std::uint64_t> found;
    std::vector<Node*> path;
    Architecture a;
    a.choices.assign(depth_max, 0);
    for (int sim = 0; sim < simulations; ++sim) {
      path.assign(1, root.get());
      Node* node = root.get();
      int depth = 0;
      // Selection and expansion.
      while (depth < depth_max) {
        const std::size_t allowed = std::min<std::size_t>(
            node->order.size(),
            static_cast<std::size_t>(std::ceil(opts_.widening_c * std::pow(std::max(node->visits, 1), opts_.widening_alpha))));
        std::size_t pick;
        if (node->children.size() < allowed) {
          pick = node->children.size();
          node->children.push_back(make_node(depth + 1));
        } else {
          pick = 0;
          double best_ucb = -1e300;
          const double log_n = std::log(std::max(node->visits, 1));
          for (std::size_t i = 0; i < node->children.size(); ++i) {
            const Node& c = *node->children[i];
            const double q = c.visits ? c.reward_sum / c.visits / (max_reward > 0 ? max_reward : 1.0) : 1.0;
            const double ucb = q + opts_.exploration * std::sqrt(log_n / std::max(c.visits, 1));
            if (ucb > best_ucb) {
              best_ucb = ucb;
              pick = i;
            }
          }
        }
        a.choices[depth] = node->order[pick];
        node = node->children[pick].get();
        path.push_back(node);
        ++depth;
        if (node->visits == 0) break;  // a new node: roll out from here
      }
      // Rollout: the remaining decisions at random.
      for (int k = depth; k < depth_max; ++k)
        a.choices[k] = static_cast<int>(rng.uniform_index(decisions[k].choices.size()));
      Point mean;
      const double r = reward(a, front, &mean);
      if (r > best_reward) {
        best_reward = r;
        best = a;
      }
      if (q > 1 && r > 0.0 && found.emplace(core_.space().identity_hash(a)).second) rollouts.push_back({r, a, mean});
      max_reward = std::max(max_reward, r);
      for (Node* p : path) {
        ++p->visits;
        p->reward_sum += r;
      }
    }
    if (q == 1) {  // believed by model_based_ask when more proposals follow
      if (!best || !core_.take(*best)) return {};
      return {*best};
    }
    std::stable_sort(rollouts.begin(), rollouts.end(), [](const Rollout& x, const Rollout& y) { return x.reward > y.reward; });
    std::vector<Architecture> out;
    for (Rollout& r : rollouts) {
      if (out.size() >= q) break;
      if (!core_.take(r.arch)) continue;
      front.add(r.mean);
      out.push_back(std::move(r.arch));
    }
    return out;
  }

  MctsOptions opts_;
  StrategyContext ctx_;
  detail::StrategyCore core_;
  detail::Surrogate surrogate_;
  std::deque<Architecture> queue_;  // proposals of the last refresh not handed out yet (model_based.h)
};

}  // namespace

std::unique_ptr<SearchStrategy> make_mcts_strategy(const MctsOptions& o, const StrategyContext& ctx) {
  o.validate();
  detail::validate_context(ctx, "mcts");
  return std::make_unique<MctsStrategy>(o, ctx);
}

}  // namespace hwnas
