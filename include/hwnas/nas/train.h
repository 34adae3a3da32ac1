#pragma once
// Short-training accuracy proxy: train a reduced copy of the network for a few hundred steps on
// real data and report validation accuracy and the loss curve. Deterministic for a seed (run it
// with one LibTorch thread). Checkpoints give several fidelity levels from one run, so a
// strategy can use successive halving. No LibTorch in this header; see nas/torch/train.cpp.
//
// Example:
//   TrainOptions o;  o.steps = 200;  o.reduce = {{"channels", 8}, {"cells_per_stage", 1}};
//   TrainResult r = train_proxy(space, arch, data, o);
//   if (r.ok) std::printf("val acc %.3f\n", r.val_accuracy);
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hwnas/nas/dataset.h"
#include "hwnas/nas/search_space.h"
#include "hwnas/nas/torch_device.h"

namespace hwnas {

struct TrainOptions {
  int steps = 200;                  // optimizer steps at the largest fidelity
  std::vector<int> checkpoints;     // extra steps at which validation accuracy is measured (fidelities)
  int batch_size = 64;
  std::string optimizer = "sgd";    // sgd (momentum, nesterov) | adam
  double lr = 0.05;                 // peak learning rate, cosine-annealed to 0 over `steps`
  double momentum = 0.9;
  double weight_decay = 5e-4;
  int validation_images = 1000;     // evaluated from the validation split, in order
  std::uint64_t seed = 0;
  bool prune_dead = true;
  /// Space options overriding the searched space's to make the reduced copy, e.g.
  /// {"channels": 8, "cells_per_stage": 1, "input_size": 16} for nb201. The architecture is
  /// carried over through its string form. "auto" (the default) picks default_reduction().
  nlohmann::json reduce = "auto";
  int loss_every = 10;              // loss curve: mean training loss over each block of steps
  TorchDevice device;               // "torch_device": where the network, its batches and the optimizer live
  /// "precision": fp32, or automatic mixed precision (LibTorch autocast) in bf16 (CPU or CUDA) or
  /// fp16 (CUDA only; no loss scaling, so very small gradients may underflow).
  std::string precision = "fp32";

  template <class S, class V>
  static void fields(S& o, V& v) {
    v("steps", o.steps, opt::in(1, 1e6));
    v("checkpoints", o.checkpoints);  // steps in 1..steps (check)
    v("batch_size", o.batch_size, opt::in(1, 4096));
    v("optimizer", o.optimizer, opt::one_of({"sgd", "adam"}));
    v("lr", o.lr, opt::in(1e-8, 10));
    v("momentum", o.momentum, opt::in(0, 0.9999));
    v("weight_decay", o.weight_decay, opt::in(0, 1));
    v("validation_images", o.validation_images, opt::in(1, 1e7));
    v("seed", o.seed);
    v("prune_dead", o.prune_dead);
    v("reduce", o.reduce);  // an object or "auto" (check)
    v("loss_every", o.loss_every, opt::in(1, 1e6));
    v("torch_device", o.device);
    v("precision", o.precision, opt::one_of({"fp32", "fp16", "bf16"}));
  }
  void check(const std::string& path) const;  // rules across fields
  void validate(const std::string& path = "train") const;
  static TrainOptions from_json(const nlohmann::json& j, const std::string& path);
  nlohmann::json to_json() const;
};

struct TrainResult {
  bool ok = false;
  std::string message;                      // why it failed (NaN loss, network failed, bad data)
  double val_accuracy = 0.0;                // at `steps`
  std::vector<std::pair<int, double>> accuracy_at;  // (step, validation accuracy) per checkpoint
  std::vector<double> loss_curve;           // mean training loss per `loss_every` steps
  double seconds = 0.0;
  nlohmann::json to_json() const;
};

/// The reduction "auto" stands for: nb201 {"channels": 8, "cells_per_stage": 1}; other spaces none.
nlohmann::json default_reduction(const std::string& space_name);
/// The reduced space a TrainOptions describes (the space itself when `reduce` is empty).
std::unique_ptr<SearchSpace> reduced_space(const SearchSpace& space, const nlohmann::json& reduce);

TrainResult train_proxy(const SearchSpace& space, const Architecture& arch, const DataSplit& data, const TrainOptions& opts);

/// Training that stops at a step and continues later (multi-fidelity: a promoted architecture
/// goes on from its checkpoint). The schedule spans opts.steps whatever the stops, and stopping
/// to validate changes nothing, so run_to(27) after run_to(9) gives what run_to(27) gives alone.
/// train_proxy is one run_to(opts.steps). `data` must outlive the session. Not thread-safe.
///
/// Example:
///   TrainSession s(space, arch, data, opts);          // opts.steps = 243
///   double low = s.run_to(9).val_accuracy, more = s.run_to(27).val_accuracy;   // 27 steps in all
class TrainSession {
 public:
  TrainSession(const SearchSpace& space, const Architecture& arch, const DataSplit& data, TrainOptions opts);
  ~TrainSession();
  TrainSession(const TrainSession&) = delete;
  TrainSession& operator=(const TrainSession&) = delete;
  /// Steps trained so far.
  int step() const;
  /// Trains on to `step` (step() < step <= opts.steps) and validates there: val_accuracy at
  /// `step`, accuracy_at the checkpoints passed, the loss curve and seconds of this part. A
  /// session that failed (NaN loss) keeps failing with the same message.
  TrainResult run_to(int step);

  /// CHECKPOINTS ON DISK (a killed multi-fidelity run continues a promoted architecture from its
  /// lower rung): save() writes the weights, the optimizer's state, the minibatch generator and
  /// the loss-curve block to `path` (through a temporary file renamed into place, so a kill never
  /// leaves half a file). A session that has not trained, or has failed, is not saved (false).
  bool save(const std::string& path) const;
  /// Loads a checkpoint into a session that has not trained yet. A session restored at step S
  /// trains on exactly as the saved one would have (tested: bit-identical accuracies). False,
  /// leaving this session untouched, when the file is missing, unreadable, or was saved for
  /// another architecture or other options.
  bool restore(const std::string& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hwnas
