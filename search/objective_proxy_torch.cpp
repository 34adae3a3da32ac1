// Proxy and short-training objective sources (see include/hwnas/search/objective_proxy.h; their
// options are read in objective_proxy.cpp). In hwnas_torch because they call the LibTorch proxies;
// this file itself includes no LibTorch header.
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include "hwnas/core/error.h"
#include "hwnas/nas/proxy.h"
#include "hwnas/nas/torch_device.h"
#include "hwnas/nas/train.h"
#include "hwnas/search/objective.h"
#include "hwnas/search/objective_proxy.h"

namespace hwnas {

void set_torch_threads(int threads);  // nas/torch/threads.cpp

namespace {

// The datasets the sources of this process read, each loaded once and shared (a search with two
// proxy objectives, or `hwnas proxy --proxy naswot,snip`, reads its files once).
std::shared_ptr<const DataSplit> shared_dataset(const DatasetOptions& o) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const DataSplit>> loaded;
  const std::string key = o.to_json().dump();
  std::lock_guard<std::mutex> lock(mutex);  // one load at a time: they all read the same files
  if (auto p = loaded[key].lock()) return p;
  auto p = std::make_shared<const DataSplit>(load_dataset(o));
  loaded[key] = p;
  return p;
}

// The dataset a source reads, loaded on first use (sources are called from many threads).
class LazyData {
 public:
  explicit LazyData(DatasetOptions o) : opts_(std::move(o)) {}
  const DataSplit& get() const {
    std::call_once(once_, [&] {
      try {
        data_ = shared_dataset(opts_);
      } catch (const UserError& e) {
        error_ = e.what();
      }
    });
    if (!error_.empty()) throw UserError(error_);
    return *data_;
  }

 private:
  DatasetOptions opts_;
  mutable std::once_flag once_;
  mutable std::shared_ptr<const DataSplit> data_;
  mutable std::string error_;
};

class ZeroCostSource : public ProxySource {
 public:
  explicit ZeroCostSource(ProxySourceOptions o) : opts_(std::move(o)), data_(opts_.dataset) {}
  std::string kind() const override { return "proxy"; }
  bool cheap() const override { return false; }
  nlohmann::json resolved_spec() const override { return opts_.to_json(); }
  const ProxySourceOptions& options() const override { return opts_; }
  ProxyResult score(const Candidate& c) const override {
    const ImageSet* data = proxy_needs_data(opts_.name) ? &data_.get().train : nullptr;
    return score_proxy(opts_.name, c.space(), c.arch(), data, opts_.proxy);
  }
  ObjectiveValue evaluate(const Candidate& c) const override {
    const ProxyResult r = score(c);
    return r.ok ? ObjectiveValue::success(r.score) : ObjectiveValue::failure(opts_.name + ": " + r.message);
  }

 private:
  ProxySourceOptions opts_;
  LazyData data_;
};

class ShortTrainingSource : public TrainSource {
 public:
  ShortTrainingSource(TrainSourceOptions o, std::string checkpoint_dir)
      : opts_(std::move(o)), data_(opts_.dataset), checkpoint_dir_(std::move(checkpoint_dir)) {}
  std::string kind() const override { return "train"; }
  bool cheap() const override { return false; }
  nlohmann::json resolved_spec() const override { return opts_.to_json(); }
  const TrainSourceOptions& options() const override { return opts_; }
  int full_fidelity() const override { return opts_.train.steps; }
  TrainResult train(const Candidate& c) const override { return train_proxy(c.space(), c.arch(), data_.get(), opts_.train); }
  ObjectiveValue evaluate(const Candidate& c) const override {
    const TrainResult r = train(c);
    const int steps = opts_.train.steps;
    return r.ok ? ObjectiveValue::success(r.val_accuracy, steps) : ObjectiveValue::failure("train: " + r.message, steps);
  }
  // The first `fidelity` steps of the full schedule. A session stopped at `from` goes on from
  // there: kept in memory from an earlier rung of this process, or else read back from the run's
  // checkpoints/ folder (a resumed run). Without one (no checkpoint folder, a session evicted by
  // the memory cap and not on disk), training starts over and gives the same value at a higher cost.
  ObjectiveValue evaluate_at(const Candidate& c, int fidelity, int from) const override {
    const int steps = opts_.train.steps;
    if (fidelity >= steps && from == 0) return evaluate(c);
    std::unique_ptr<TrainSession> s;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (auto it = sessions_.find(c.text()); it != sessions_.end()) {
        if (from > 0 && it->second->step() == from) s = std::move(it->second);
        sessions_.erase(it);
      }
    }
    if (!s && from > 0 && !checkpoint_dir_.empty()) {
      auto restored = std::make_unique<TrainSession>(c.space(), c.arch(), data_.get(), opts_.train);
      if (restored->restore(checkpoint_path(c)) && restored->step() == from) s = std::move(restored);
    }
    const int start = s ? s->step() : 0;
    if (!s) s = std::make_unique<TrainSession>(c.space(), c.arch(), data_.get(), opts_.train);
    const TrainResult r = s->run_to(std::min(fidelity, steps));
    const double cost = std::min(fidelity, steps) - start;
    if (!r.ok) return ObjectiveValue::failure("train: " + r.message, cost);
    if (fidelity < steps) {
      if (!checkpoint_dir_.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(checkpoint_dir_, ec);
        s->save(checkpoint_path(c));  // best effort: without it a resumed run retrains from scratch
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (sessions_.size() >= kMaxSessions) {  // the oldest goes
        while (!order_.empty() && !sessions_.count(order_.front())) order_.pop_front();
        if (!order_.empty()) {
          sessions_.erase(order_.front());
          order_.pop_front();
        }
      }
      sessions_[c.text()] = std::move(s);
      order_.push_back(c.text());
    } else if (!checkpoint_dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove(checkpoint_path(c), ec);  // fully trained: nothing continues from it
    }
    return ObjectiveValue::success(r.val_accuracy, cost);
  }

 private:
  // One file per architecture, its latest stopped session (the file records the architecture and
  // the options, and a mismatch is not restored).
  std::string checkpoint_path(const Candidate& c) const {
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.pt", static_cast<unsigned long long>(c.arch().hash()));
    return (std::filesystem::path(checkpoint_dir_) / name).string();
  }

  // Stopped sessions kept for promotions: a reduced nb201 copy is a few thousand weights, and
  // the cap bounds a large space's memory (an evicted one is read back from its checkpoint file,
  // or retrains from the start).
  static constexpr std::size_t kMaxSessions = 256;
  TrainSourceOptions opts_;
  LazyData data_;
  std::string checkpoint_dir_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::unique_ptr<TrainSession>> sessions_;
  mutable std::deque<std::string> order_;
};

}  // namespace

std::unique_ptr<ProxySource> make_proxy_source(const ProxySourceOptions& o, const std::string& path) {
  require_torch_device(o.proxy.device, path + ".torch_device");
  return std::make_unique<ZeroCostSource>(o);
}

std::unique_ptr<TrainSource> make_train_source(const TrainSourceOptions& o, const std::string& path,
                                               const std::string& checkpoint_dir) {
  require_torch_device(o.train.device, path + ".torch_device");
  return std::make_unique<ShortTrainingSource>(o, checkpoint_dir);
}

namespace {

std::unique_ptr<ObjectiveSource> make_zero_cost(const nlohmann::json& spec, const std::string& path, const ObjectiveContext& ctx) {
  set_torch_threads(1);  // workers run architectures in parallel, one LibTorch thread each
  return make_proxy_source(ProxySourceOptions::from_json(spec, path, ctx.seed), path);
}

std::unique_ptr<ObjectiveSource> make_train(const nlohmann::json& spec, const std::string& path, const ObjectiveContext& ctx) {
  set_torch_threads(1);  // workers run architectures in parallel, one LibTorch thread each
  return make_train_source(TrainSourceOptions::from_json(spec, path, ctx.seed), path, ctx.checkpoint_dir);
}

}  // namespace

void register_proxy_objectives() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_objective_source("proxy", make_zero_cost);
    register_objective_source("train", make_train);
  });
}

}  // namespace hwnas
