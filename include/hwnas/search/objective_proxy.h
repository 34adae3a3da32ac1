#pragma once
// Accuracy-proxy objective sources for search configs (expensive objectives):
//   {"name": "synflow", "source": {"proxy": "synflow"}, "direction": "maximize", "log": true}
//   {"name": "acc", "source": {"proxy": {"name": "naswot", "batch_size": 64, "dataset": {"name": "fashion-mnist"}}}}
//   {"name": "acc", "source": {"train": {"steps": 200, "reduce": "auto", "dataset": {"name": "fashion-mnist"}}}, "direction": "maximize"}
// Both take "torch_device" ("cpu", "cuda", "cuda:N"; include/hwnas/nas/torch_device.h).
//
// These sources are the one way hwnas scores an architecture with a proxy: a search's objective,
// `hwnas proxy` (which turns its flags into the same options) and the benchmarks all build a
// ProxySource or TrainSource from ProxySourceOptions / TrainSourceOptions, so they give the same
// score for the same architecture, seed and options. Many architectures are scored in parallel,
// once per canonical form, by a search (controller.h), not by a second evaluator.
//
// The sources live in hwnas_torch (LibTorch), so they are added to the objective-source table by
// a call rather than listed in search/objective.cpp; the hwnas program calls
// register_proxy_objectives at start-up. This header includes no LibTorch header; the options
// structs are read and written in hwnas_core (search/objective_proxy.cpp).
//
// Example:
//   ProxySourceOptions o = ProxySourceOptions::from_json({{"name", "naswot"}, {"batch_size", 16}}, "proxy", 0);
//   std::unique_ptr<ProxySource> src = make_proxy_source(o);
//   ProxyResult r = src->score(Candidate(space, arch));   // what a search logs as the objective's value
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "hwnas/nas/dataset.h"
#include "hwnas/nas/proxy.h"
#include "hwnas/nas/train.h"
#include "hwnas/search/objective.h"

namespace hwnas {

/// A zero-cost proxy objective with every default filled in: the one options struct of the proxy,
/// its minibatch options and the dataset the minibatch is drawn from.
struct ProxySourceOptions {
  std::string name = "synflow";  // a zero-cost proxy (proxy_names())
  ProxyOptions proxy;            // batch_size, seed, prune_dead, torch_device
  DatasetOptions dataset = proxy_dataset_defaults(ProxyOptions{});  // proxy_dataset_defaults(proxy), then the keys the spec gives

  template <class S, class V>
  static void fields(S& o, V& v) {
    const bool data = proxy_needs_data(o.name);  // a data-free proxy's config (and arch.json) names no dataset
    v("name", o.name, opt::required());
    v("batch_size", o.proxy.batch_size, opt::written_if(data));  // ProxyOptions::validate (check)
    v("seed", o.proxy.seed);
    v("prune_dead", o.proxy.prune_dead);
    v("torch_device", o.proxy.device);
    v("dataset", o.dataset, opt::written_if(data));
  }
  void check(const std::string& path) const;  // a known proxy; ProxyOptions::validate

  /// `spec`: a proxy name, or {"name", "batch_size", "seed", "prune_dead", "torch_device",
  /// "dataset"} (unknown keys are errors). `seed` is the default of "seed" (the search's seed).
  /// Does not check that the device is there (require_torch_device, in the factory).
  static ProxySourceOptions from_json(const nlohmann::json& spec, const std::string& path, std::uint64_t seed);
  /// The resolved spec (what a run's config.json records); a data-free proxy names no dataset.
  nlohmann::json to_json() const;
};

/// The short-training objective's options: TrainOptions and the dataset it trains on.
struct TrainSourceOptions {
  TrainOptions train;
  DatasetOptions dataset = train_dataset_defaults(0);  // train_dataset_defaults(train.seed), then the keys the spec gives

  template <class S, class V>
  static void fields(S& o, V& v) {
    TrainOptions::fields(o.train, v);  // TrainOptions' keys, at the same level
    v("dataset", o.dataset);
  }

  /// `spec`: TrainOptions' keys and "dataset"; null means every default. `seed` is the default of
  /// "seed".
  static TrainSourceOptions from_json(const nlohmann::json& spec, const std::string& path, std::uint64_t seed);
  nlohmann::json to_json() const;
};

/// `defaults` with the keys `j` gives (j may be null: the defaults), validated with `path`.
DatasetOptions dataset_with_defaults(const nlohmann::json* j, const std::string& path, DatasetOptions defaults);

/// A {"proxy": ...} source. Its dataset is loaded once, on the first score() that needs it, and
/// shared with every source of this process that reads the same dataset. Thread-safe.
class ProxySource : public ObjectiveSource {
 public:
  /// The full result (the score, or why it failed, and the seconds spent scoring); evaluate() is
  /// this as an objective value. A dataset that cannot be loaded is a UserError.
  virtual ProxyResult score(const Candidate& c) const = 0;
  virtual const ProxySourceOptions& options() const = 0;
};

/// A {"train": ...} source (multi-fidelity: its fidelity is training steps). Thread-safe.
class TrainSource : public ObjectiveSource {
 public:
  /// The full result (validation accuracy, curve, seconds) of a run of train.steps steps;
  /// evaluate() is its val_accuracy as an objective value.
  virtual TrainResult train(const Candidate& c) const = 0;
  virtual const TrainSourceOptions& options() const = 0;
};

/// The sources the "proxy" and "train" kinds make (hwnas_torch). UserError when the device is
/// not there.
std::unique_ptr<ProxySource> make_proxy_source(const ProxySourceOptions& o, const std::string& path = "proxy");
/// `checkpoint_dir` (ObjectiveContext::checkpoint_dir): where stopped sessions are also written, so
/// that a resumed run continues them; empty: memory only.
std::unique_ptr<TrainSource> make_train_source(const TrainSourceOptions& o, const std::string& path = "train",
                                               const std::string& checkpoint_dir = "");

/// Adds the "proxy" and "train" kinds to the objective sources (idempotent, thread-safe).
void register_proxy_objectives();

}  // namespace hwnas
