#pragma once
// The ask loop shared by the model-based strategies (bo, mcts): an initial design until
// `initial_random` observations (uniform draws, or with `spread` the space-filling design over the
// cheap objectives of StrategyCore::spread_new), then the surrogate is refreshed once per ask and
// the strategy's own proposal is taken, falling back to a random new architecture when it has none.
//
// Many proposals in flight (asynchronous dispatch to hundreds or thousands of evaluators): one
// refresh of the model serves q = proposals_per_refresh proposals (0: automatic, q = in flight /
// 32, at least 1). The strategy then picks q at once from one candidate search (propose_many) and
// hands out the ones not asked for yet from a queue before it refreshes again. A proposal made
// with P results still pending then also misses at most P/32 results already told, and the
// controller spends one model refresh per q proposals instead of one per proposal. With q = 1
// (fewer than 64 in flight, and every synchronous round) this is the one-refresh-per-ask loop.
//
// Pending proposals are believed (Kriging believer): at each refresh the most recent kMaxBelieved
// in flight, and within one ask each proposal before the next, count as observed at their
// predicted means, on the front and in the surrogate's GPs (Surrogate::believe).
#include <algorithm>
#include <deque>
#include <optional>
#include <vector>

#include "acquisition.h"
#include "common.h"
#include "hwnas/search/pareto.h"
#include "surrogate.h"

namespace hwnas::detail {

/// Proposals served by one model refresh: `option` when >= 1, else max(1, in_flight / 32).
inline std::size_t proposals_per_refresh(int option, std::size_t in_flight) {
  if (option >= 1) return static_cast<std::size_t>(option);
  return std::max<std::size_t>(1, in_flight / 32);
}

/// Uniform draws per pick of the "spread" initial design (StrategyCore::spread_new).
constexpr int kDesignCandidates = 100;

/// Pending proposals believed at a refresh, at most (each costs O(max_points^2)).
constexpr std::size_t kMaxBelieved = 32;

/// A pending proposal as if observed at its predicted mean (the Kriging believer of Ginsbourger
/// et al. 2010): its mean joins the front, and the surrogate's GPs are conditioned on it.
inline void believe(StrategyCore& core, Surrogate& surrogate, FastFront& front, const Architecture& a) {
  Point cheap;
  if (core.admissible(a, &cheap)) front.add(surrogate.believe(core, a, cheap));
}

template <class Propose, class ProposeMany>
std::vector<Architecture> model_based_ask(std::size_t n, int initial_random, bool spread, int per_refresh, int num_objectives,
                                          StrategyCore& core, Surrogate& surrogate, std::deque<Architecture>& queue,
                                          Propose&& propose, ProposeMany&& propose_many) {
  std::vector<Architecture> out;
  while (out.size() < n && !queue.empty()) {  // picked by an earlier refresh, already marked proposed
    out.push_back(std::move(queue.front()));
    queue.pop_front();
    // In flight from now, so that a refresh below believes it, as it would had it been asked alone.
    core.handed_out(out.back());
  }
  const std::size_t queued = out.size();
  bool model_ready = false;
  FastFront front;
  auto refresh = [&] {
    if (model_ready) return;
    surrogate.update(core);
    front = FastFront(core.normalized_front(), Point(num_objectives, kHypervolumeReference));
    // Proposals still being evaluated (asynchronous dispatch) count as observed at their predicted
    // means, on the front and in the surrogate (the most recent kMaxBelieved of them).
    for (const Architecture& a : core.in_flight_archs(kMaxBelieved)) believe(core, surrogate, front, a);
    model_ready = true;
  };
  const bool modelled = static_cast<int>(core.observations().size()) >= initial_random;
  if (out.size() < n && modelled) {
    const std::size_t q = proposals_per_refresh(per_refresh, core.in_flight());
    if (q > 1) {
      refresh();
      for (Architecture& a : propose_many(front, std::max(q, n - out.size()))) {
        if (out.size() < n) out.push_back(std::move(a));
        else queue.push_back(std::move(a));
      }
    }
  }
  while (out.size() < n) {
    std::optional<Architecture> a;
    if (modelled) {
      refresh();
      a = propose(front);
    }
    if (!a) a = modelled || !spread ? core.random_new() : core.spread_new(kDesignCandidates);
    if (!a) break;
    out.push_back(std::move(*a));
    // The next proposal of this refresh sees this one as observed at its predicted mean.
    if (modelled && out.size() < n) believe(core, surrogate, front, out.back());
  }
  for (std::size_t i = queued; i < out.size(); ++i) core.handed_out(out[i]);  // the queued ones already are
  return out;
}

}  // namespace hwnas::detail
