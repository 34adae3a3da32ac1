#pragma once
// Parallel, cached evaluation of accuracy proxies over many architectures. Workers run under a
// TBB arena of `threads` threads with LibTorch intra-op threads set to 1, so architectures, not
// ops, are parallel. Results are cached by (proxy, canonical hash): an equivalent architecture is
// scored once. Every result depends only on the architecture and the seed, so the order in which
// workers finish never changes a result. No LibTorch in this header.
//
// Example:
//   ProxyEvaluator ev(*space, &data, zero_cost_options, train_options, 2);
//   std::vector<ProxyResult> r = ev.score("synflow", archs);
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hwnas/nas/proxy.h"
#include "hwnas/nas/train.h"

namespace hwnas {

class ProxyEvaluator {
 public:
  /// `data` may be null when only data-free proxies are used. `proxy` names accepted by score():
  /// every zero-cost proxy and "train" (the short-training proxy's validation accuracy).
  ProxyEvaluator(const SearchSpace& space, const DataSplit* data, ProxyOptions zero_cost, TrainOptions train, int threads);
  std::vector<ProxyResult> score(const std::string& proxy, const std::vector<Architecture>& archs);
  /// The full training result behind a cached "train" score (nullptr when not trained).
  const TrainResult* train_result(const Architecture& a) const;
  std::size_t evaluated() const { return evaluated_; }
  std::size_t cache_hits() const { return cache_hits_; }

 private:
  ProxyResult score_one(const std::string& proxy, const Architecture& a);
  const SearchSpace& space_;
  const DataSplit* data_;
  ProxyOptions zero_cost_;
  TrainOptions train_;
  int threads_;
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::uint64_t>, ProxyResult> cache_;
  std::map<std::uint64_t, TrainResult> train_results_;
  std::size_t evaluated_ = 0, cache_hits_ = 0;
};

}  // namespace hwnas
