#include "hwnas/nas/proxy_evaluator.h"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <torch/torch.h>

#include "hwnas/core/error.h"

namespace hwnas {

ProxyEvaluator::ProxyEvaluator(const SearchSpace& space, const DataSplit* data, ProxyOptions zero_cost, TrainOptions train,
                               int threads)
    : space_(space), data_(data), zero_cost_(std::move(zero_cost)), train_(std::move(train)), threads_(threads) {
  if (threads < 1 || threads > 256) throw UserError("parallelism: expected an integer in 1..256, got " + std::to_string(threads));
  zero_cost_.validate();
  train_.validate();
}

ProxyResult ProxyEvaluator::score_one(const std::string& proxy, const Architecture& a) {
  if (proxy != "train") return score_proxy(proxy, space_, a, data_ ? &data_->train : nullptr, zero_cost_);
  ProxyResult r;
  if (!data_) {
    r.message = "the training proxy needs a dataset";
    return r;
  }
  TrainResult t = train_proxy(space_, a, *data_, train_);
  r.ok = t.ok;
  r.score = t.val_accuracy;
  r.message = t.message;
  r.seconds = t.seconds;
  std::lock_guard<std::mutex> lock(mutex_);
  train_results_[space_.canonical_hash(a)] = std::move(t);
  return r;
}

std::vector<ProxyResult> ProxyEvaluator::score(const std::string& proxy, const std::vector<Architecture>& archs) {
  if (proxy != "train" && !is_proxy(proxy)) {
    std::string known;
    for (const auto& n : proxy_names()) known += n + ", ";
    throw UserError("unknown proxy '" + proxy + "' (known: " + known + "train)");
  }
  std::vector<ProxyResult> out(archs.size());
  std::vector<std::uint64_t> hashes(archs.size());
  std::vector<std::size_t> todo;  // first index of each uncached canonical form
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::map<std::uint64_t, std::size_t> first;
    for (std::size_t i = 0; i < archs.size(); ++i) {
      hashes[i] = space_.canonical_hash(archs[i]);
      if (cache_.count({proxy, hashes[i]}) || first.count(hashes[i])) {
        ++cache_hits_;
        continue;
      }
      first[hashes[i]] = i;
      todo.push_back(i);
    }
  }
  torch::set_num_threads(1);
  std::vector<ProxyResult> fresh(todo.size());
  tbb::task_arena arena(threads_);
  arena.execute([&] {
    tbb::parallel_for(std::size_t{0}, todo.size(), [&](std::size_t k) { fresh[k] = score_one(proxy, archs[todo[k]]); });
  });
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t k = 0; k < todo.size(); ++k) cache_[{proxy, hashes[todo[k]]}] = fresh[k];
  evaluated_ += todo.size();
  for (std::size_t i = 0; i < archs.size(); ++i) out[i] = cache_.at({proxy, hashes[i]});
  return out;
}

const TrainResult* ProxyEvaluator::train_result(const Architecture& a) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = train_results_.find(space_.canonical_hash(a));
  return it == train_results_.end() ? nullptr : &it->second;
}

}  // namespace hwnas
