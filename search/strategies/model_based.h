#pragma once
// The ask loop shared by the model-based strategies (bo, mcts): random proposals until
// `initial_random` observations, then the surrogate is refreshed once per ask and the strategy's
// own proposal is taken, falling back to a random new architecture when it has none.
#include <optional>
#include <vector>

#include "acquisition.h"
#include "common.h"
#include "hwnas/search/pareto.h"
#include "surrogate.h"

namespace hwnas::detail {

template <class Propose>
std::vector<Architecture> model_based_ask(std::size_t n, int initial_random, int num_objectives, StrategyCore& core,
                                          Surrogate& surrogate, Propose&& propose) {
  std::vector<Architecture> out;
  bool model_ready = false;
  FastFront front;
  while (out.size() < n) {
    std::optional<Architecture> a;
    if (static_cast<int>(core.observations().size()) >= initial_random) {
      if (!model_ready) {
        surrogate.update(core);
        front = FastFront(core.normalized_front(), Point(num_objectives, kHypervolumeReference));
        model_ready = true;
      }
      a = propose(front);
    }
    if (!a) a = core.random_new();
    if (!a) break;
    out.push_back(std::move(*a));
  }
  return out;
}

}  // namespace hwnas::detail
