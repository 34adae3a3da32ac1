#pragma once
// The built-in search strategies and their typed options. A config picks one by name
// ({"strategy": {"name": "bo", "options": {...}}}); make_strategy() in strategy.h reads the
// options strictly (unknown keys are errors) and builds it. docs/strategies.md describes each.
//
// Every strategy: draws randomness only from an Rng seeded with StrategyContext::seed (same seed
// and same tells -> same proposals), never proposes an architecture whose canonical form it has
// already proposed or been told about, never proposes one that StrategyContext::cheap rejects,
// treats failed observations (ok = false) as seen-but-uninformative, and returns fewer than n
// architectures only when the space is exhausted.
//
// Example:
//   BoOptions o;  o.initial_random = 16;
//   auto s = make_bo_strategy(o, ctx);
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "hwnas/core/options.h"
#include "hwnas/search/ensemble.h"
#include "hwnas/search/gp.h"
#include "hwnas/search/strategy.h"

namespace hwnas {

namespace detail {
// Fields every strategy has: how hard it looks for an unseen architecture.
template <class S, class V>
void proposal_fields(S& o, V& v) {
  v("max_retries", o.max_retries, opt::in(1, 1e9));
  v("enumerate_limit", o.enumerate_limit, opt::in(0, 1e9));
}
// Fields of the surrogate-based strategies (bo, mcts): the model and how often it is refreshed.
template <class S, class V>
void surrogate_fields(S& o, V& v) {
  v("initial_random", o.initial_random, opt::in(1, 1e9));
  v("initial_design", o.initial_design, opt::one_of({"spread", "random"}),
    opt::doc("The first initial_random proposals. spread: each is, of 100 uniform draws, the one whose cheap "
             "objectives (params, FLOPs, latency...) lie farthest from the earlier ones', so the first results "
             "cover the cheap objectives' range; random: uniform draws. Without a cheap objective both are uniform."));
  v("refit_every", o.refit_every, opt::in(1, 1e9));
  v("proposals_per_refresh", o.proposals_per_refresh, opt::in(0, 1e6));
  proposal_fields(o, v);
  v("encoding", o.encoding);  // a name of encoding_names() (check)
  v("fidelity", o.fidelity, opt::one_of({"highest", "entry"}),
    opt::doc("Multi-fidelity runs: which results the surrogate is fitted to. highest: the highest fidelity "
             "with at least initial_random results, promotions included (BOHB); entry: the strategy's own "
             "proposals at the rung each entered."));
  v("outlier_fence", o.outlier_fence, opt::in(0, 1e6),
    opt::doc("Targets of the surrogate worse than Q3 + outlier_fence x IQR of their objective's results "
             "(Tukey's fence) are fitted at that fence, so that a few degenerate architectures (a disconnected "
             "cell, a diverged training) do not flatten the model's picture of the rest; 0: off."));
  v("model", o.model, opt::one_of({"gp", "ensemble"}),
    opt::doc("The surrogate: gp (a Gaussian process per expensive objective, options in gp) or ensemble "
             "(a deep ensemble of small ReLU networks as in BANANAS, options in ensemble)."));
  v("gp", o.gp);
  v("ensemble", o.ensemble);
}
}  // namespace detail

struct RandomOptions {
  int max_retries = 1000;          // random draws per proposal before enumerating what is left
  double enumerate_limit = 2e6;    // largest space whose remainder is enumerated when draws fail

  template <class S, class V>
  static void fields(S& o, V& v) {
    detail::proposal_fields(o, v);
  }
  void validate(const std::string& path = "strategy.options") const;
  nlohmann::json to_json() const;
  static RandomOptions from_json(const nlohmann::json& j, const std::string& path);
};

struct EvolutionOptions {
  int population = 50;      // aging population size; the first `population` proposals are random
  int sample_size = 10;     // tournament size
  int max_retries = 1000;
  double enumerate_limit = 2e6;

  template <class S, class V>
  static void fields(S& o, V& v) {
    v("population", o.population, opt::in(2, 1e7));
    v("sample_size", o.sample_size, opt::in(1, 1e7));  // and <= population (check)
    detail::proposal_fields(o, v);
  }
  void check(const std::string& path) const;  // rules across fields
  void validate(const std::string& path = "strategy.options") const;
  nlohmann::json to_json() const;
  static EvolutionOptions from_json(const nlohmann::json& j, const std::string& path);
};

struct LocalOptions {
  int initial_random = 5;   // random proposals before the first local step
  int max_retries = 1000;
  double enumerate_limit = 2e6;

  template <class S, class V>
  static void fields(S& o, V& v) {
    v("initial_random", o.initial_random, opt::in(1, 1e9));
    detail::proposal_fields(o, v);
  }
  void validate(const std::string& path = "strategy.options") const;
  nlohmann::json to_json() const;
  static LocalOptions from_json(const nlohmann::json& j, const std::string& path);
};

struct BoOptions {
  int initial_random = 5;          // initial-design proposals before the GP is used (5 and refit_every 5:
                                   // chosen on bench_strategies' project-made suite, docs/strategies.md)
  std::string initial_design = "spread";  // "spread" (over the cheap objectives) or "random" (surrogate_fields)
  std::string acquisition = "auto";  // "auto" (EHVI for <= 3 objectives, else ParEGO), "ehvi", "parego"
  int mc_samples = 32;             // Monte Carlo samples of EHVI (fixed draws)
  int random_candidates = 100;     // random candidates per proposal
  int mutation_candidates = 150;   // mutations of front members per proposal
  int local_steps = 1;             // rounds of mutating the best candidates again
  int refit_every = 5;             // reselect GP hyperparameters after this many new observations (and 20%)
  int proposals_per_refresh = 0;   // proposals per model refresh; 0: max(1, in flight / 32) (model_based.h)
  int max_retries = 1000;
  double enumerate_limit = 2e6;
  std::string encoding = "layers+onehot"; // rows the GP sees: a name of encoding_names() (encoding.h);
                                          // default chosen on bench_strategies' project-made suite
  std::string fidelity = "highest"; // multi-fidelity runs: "highest" (BOHB) or "entry" (surrogate_fields)
  std::string model = "gp";      // "gp" or "ensemble" (surrogate_fields)
  double outlier_fence = 3.0;    // surrogate targets clipped at Q3 + 3 IQR (surrogate_fields; 3 chosen on
                                 // bench_strategies' project-made suite, docs/strategies.md)
  GpOptions gp;
  EnsembleOptions ensemble;

  template <class S, class V>
  static void fields(S& o, V& v) {
    detail::surrogate_fields(o, v);
    v("acquisition", o.acquisition, opt::one_of({"auto", "ehvi", "parego"}));
    v("mc_samples", o.mc_samples, opt::in(1, 100000));
    v("random_candidates", o.random_candidates, opt::in(0, 1e7));
    v("mutation_candidates", o.mutation_candidates, opt::in(0, 1e7));
    v("local_steps", o.local_steps, opt::in(0, 100));
  }
  void check(const std::string& path) const;  // rules across fields
  void validate(const std::string& path = "strategy.options") const;
  nlohmann::json to_json() const;
  static BoOptions from_json(const nlohmann::json& j, const std::string& path);
};

struct MctsOptions {
  int initial_random = 5;        // initial-design proposals before the surrogate is used (as bo's)
  std::string initial_design = "spread";  // as BoOptions::initial_design
  int simulations = 200;         // UCT simulations per proposal
  double exploration = 0.7;      // UCT constant c in mean + c sqrt(ln N / n)
  double widening_c = 1.5;       // progressive widening: a node has at most ceil(c * visits^alpha) children
  double widening_alpha = 0.5;
  double kappa = 1.0;            // rollouts are scored at mean - kappa * std (optimistic) of the GP
  int refit_every = 5;
  int proposals_per_refresh = 0;  // as BoOptions::proposals_per_refresh
  int max_retries = 1000;
  double enumerate_limit = 2e6;
  std::string encoding = "layers+onehot"; // as BoOptions::encoding; default chosen as bo's
  std::string fidelity = "highest"; // as BoOptions::fidelity
  std::string model = "gp";      // "gp" or "ensemble" (surrogate_fields)
  double outlier_fence = 3.0;    // as BoOptions::outlier_fence
  GpOptions gp;
  EnsembleOptions ensemble;

  template <class S, class V>
  static void fields(S& o, V& v) {
    detail::surrogate_fields(o, v);
    v("simulations", o.simulations, opt::in(1, 1e7));
    v("exploration", o.exploration, opt::in(0, 100));
    v("widening_c", o.widening_c, opt::in(1e-3, 1e6));
    v("widening_alpha", o.widening_alpha, opt::in(0, 1));
    v("kappa", o.kappa, opt::in(0, 100));
  }
  void check(const std::string& path) const;  // rules across fields
  void validate(const std::string& path = "strategy.options") const;
  nlohmann::json to_json() const;
  static MctsOptions from_json(const nlohmann::json& j, const std::string& path);
};

std::unique_ptr<SearchStrategy> make_random_strategy(const RandomOptions& o, const StrategyContext& ctx);
std::unique_ptr<SearchStrategy> make_evolution_strategy(const EvolutionOptions& o, const StrategyContext& ctx);
std::unique_ptr<SearchStrategy> make_local_strategy(const LocalOptions& o, const StrategyContext& ctx);
std::unique_ptr<SearchStrategy> make_bo_strategy(const BoOptions& o, const StrategyContext& ctx);
std::unique_ptr<SearchStrategy> make_mcts_strategy(const MctsOptions& o, const StrategyContext& ctx);

}  // namespace hwnas
