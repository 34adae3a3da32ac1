// Proxy and short-training objective sources (see include/hwnas/search/objective_proxy.h). In
// hwnas_torch because they call the LibTorch proxies; this file itself includes no LibTorch header.
#include <deque>
#include <map>
#include <memory>
#include <mutex>

#include "hwnas/core/error.h"
#include "hwnas/core/suggest.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/nas/proxy.h"
#include "hwnas/nas/torch_device.h"
#include "hwnas/nas/train.h"
#include "hwnas/search/objective.h"
#include "hwnas/search/objective_proxy.h"

namespace hwnas {

void set_torch_threads(int threads);  // nas/torch/threads.cpp

namespace {

// The dataset a source reads, loaded once on first use (sources are called from many threads).
class LazyData {
 public:
  explicit LazyData(DatasetOptions o) : opts_(std::move(o)) {}
  const DataSplit& get() const {
    std::call_once(once_, [&] {
      try {
        data_ = load_dataset(opts_);
      } catch (const UserError& e) {
        error_ = e.what();
      }
    });
    if (!error_.empty()) throw UserError(error_);
    return data_;
  }

 private:
  DatasetOptions opts_;
  mutable std::once_flag once_;
  mutable DataSplit data_;
  mutable std::string error_;
};

class ZeroCostSource : public ObjectiveSource {
 public:
  ZeroCostSource(std::string proxy, ProxyOptions opts, DatasetOptions data, nlohmann::json spec)
      : proxy_(std::move(proxy)), opts_(opts), data_(std::move(data)), spec_(std::move(spec)) {}
  std::string kind() const override { return "proxy"; }
  bool cheap() const override { return false; }
  nlohmann::json resolved_spec() const override { return spec_; }
  ObjectiveValue evaluate(const Candidate& c) const override {
    const ProxyResult r = score_proxy(proxy_, c.space(), c.arch(), proxy_needs_data(proxy_) ? &data_.get().train : nullptr, opts_);
    return r.ok ? ObjectiveValue::success(r.score) : ObjectiveValue::failure(proxy_ + ": " + r.message);
  }

 private:
  std::string proxy_;
  ProxyOptions opts_;
  LazyData data_;
  nlohmann::json spec_;
};

class TrainSource : public ObjectiveSource {
 public:
  TrainSource(TrainOptions opts, DatasetOptions data, nlohmann::json spec)
      : opts_(std::move(opts)), data_(std::move(data)), spec_(std::move(spec)) {}
  std::string kind() const override { return "train"; }
  bool cheap() const override { return false; }
  nlohmann::json resolved_spec() const override { return spec_; }
  int full_fidelity() const override { return opts_.steps; }
  ObjectiveValue evaluate(const Candidate& c) const override {
    const TrainResult r = train_proxy(c.space(), c.arch(), data_.get(), opts_);
    return r.ok ? ObjectiveValue::success(r.val_accuracy, opts_.steps) : ObjectiveValue::failure("train: " + r.message, opts_.steps);
  }
  // The first `fidelity` steps of the full schedule. A session stopped at `from` (kept from an
  // earlier rung of this process) goes on from there; without one, training starts over (a resumed
  // run, or a session evicted by the cap) and gives the same value at a higher cost.
  ObjectiveValue evaluate_at(const Candidate& c, int fidelity, int from) const override {
    if (fidelity >= opts_.steps && from == 0) return evaluate(c);
    std::unique_ptr<TrainSession> s;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (auto it = sessions_.find(c.text()); it != sessions_.end()) {
        if (from > 0 && it->second->step() == from) s = std::move(it->second);
        sessions_.erase(it);
      }
    }
    const int start = s ? s->step() : 0;
    if (!s) s = std::make_unique<TrainSession>(c.space(), c.arch(), data_.get(), opts_);
    const TrainResult r = s->run_to(std::min(fidelity, opts_.steps));
    const double cost = std::min(fidelity, opts_.steps) - start;
    if (!r.ok) return ObjectiveValue::failure("train: " + r.message, cost);
    if (fidelity < opts_.steps) {
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
    }
    return ObjectiveValue::success(r.val_accuracy, cost);
  }

 private:
  // Stopped sessions kept for promotions: a reduced nb201 copy is a few thousand weights, and
  // the cap bounds a large space's memory (an evicted one retrains from the start).
  static constexpr std::size_t kMaxSessions = 256;
  TrainOptions opts_;
  LazyData data_;
  nlohmann::json spec_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::unique_ptr<TrainSession>> sessions_;
  mutable std::deque<std::string> order_;
};

// `defaults` with the keys the config gives.
DatasetOptions dataset_from(const nlohmann::json* j, const std::string& path, DatasetOptions defaults) {
  DatasetOptions d = std::move(defaults);
  if (j) {
    DatasetOptions given = DatasetOptions::from_json(*j, path);
    // Keys the user did not give keep this source's defaults.
    if (j->contains("name")) d.name = given.name;
    if (j->contains("dir")) d.dir = given.dir;
    if (j->contains("train_files")) d.train_files = given.train_files;
    if (j->contains("subset")) d.subset = given.subset;
    if (j->contains("validation_fraction")) d.validation_fraction = given.validation_fraction;
    if (j->contains("seed")) d.seed = given.seed;
    if (j->contains("normalize")) d.normalize = given.normalize;
    d.synthetic_size = given.synthetic_size;
    d.synthetic_classes = given.synthetic_classes;
    d.synthetic_channels = given.synthetic_channels;
    d.synthetic_resolution = given.synthetic_resolution;
  }
  d.validate(path);
  return d;
}

std::unique_ptr<ObjectiveSource> make_zero_cost(const nlohmann::json& spec, const std::string& path,
                                                const ObjectiveContext& ctx) {
  set_torch_threads(1);  // workers run architectures in parallel, one LibTorch thread each
  ProxyOptions o;
  o.seed = ctx.seed;
  std::string name;
  const nlohmann::json* data = nullptr;
  nlohmann::json data_copy;
  if (spec.is_string()) {
    name = spec.get<std::string>();
  } else {
    JsonReader r(spec, path);
    name = r.require<std::string>("name");
    o.batch_size = r.get("batch_size", o.batch_size);
    o.seed = static_cast<std::uint64_t>(r.get<long long>("seed", static_cast<long long>(o.seed)));
    o.prune_dead = r.get("prune_dead", o.prune_dead);
    o.device = parse_torch_device(r.get<std::string>("torch_device", o.device.str()), path + ".torch_device");
    if (const auto* d = r.raw("dataset")) data_copy = *d, data = &data_copy;
    r.finish();
    o.validate(path);
    require_torch_device(o.device, path + ".torch_device");
  }
  if (!is_proxy(name)) {
    std::string known;
    for (const auto& n : proxy_names()) known += (known.empty() ? "" : ", ") + n;
    throw UserError(path + (spec.is_string() ? "" : ".name") + ": unknown proxy '" + name + "'" + did_you_mean(name, proxy_names()) + " (known: " + known + ")");
  }
  if (!proxy_needs_data(name) && data)
    throw UserError(path + ".dataset: " + name + " is data-free (no minibatch is read); remove \"dataset\"");
  DatasetOptions d = dataset_from(data, path + ".dataset", proxy_dataset_defaults(o));
  nlohmann::json resolved = {
      {"name", name}, {"seed", o.seed}, {"prune_dead", o.prune_dead}, {"torch_device", o.device.str()}};
  if (proxy_needs_data(name)) {  // a data-free proxy's config (and arch.json) names no dataset
    resolved["batch_size"] = o.batch_size;
    resolved["dataset"] = d.to_json();
  }
  return std::make_unique<ZeroCostSource>(name, o, d, resolved);
}

std::unique_ptr<ObjectiveSource> make_train(const nlohmann::json& spec, const std::string& path, const ObjectiveContext& ctx) {
  set_torch_threads(1);  // workers run architectures in parallel, one LibTorch thread each
  nlohmann::json options = spec.is_null() ? nlohmann::json::object() : spec;
  if (!options.is_object()) JsonReader::fail(path, "an object of training options", options);
  const nlohmann::json data = options.contains("dataset") ? options["dataset"] : nlohmann::json(nullptr);
  options.erase("dataset");
  if (!options.contains("seed")) options["seed"] = ctx.seed;
  const TrainOptions t = TrainOptions::from_json(options, path);
  require_torch_device(t.device, path + ".torch_device");
  DatasetOptions d = dataset_from(data.is_null() ? nullptr : &data, path + ".dataset", train_dataset_defaults(t.seed));
  nlohmann::json resolved = t.to_json();
  resolved["dataset"] = d.to_json();
  return std::make_unique<TrainSource>(t, d, resolved);
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
