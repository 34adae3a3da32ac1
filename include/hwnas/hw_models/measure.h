#pragma once
// Latency measurement on this machine with LibTorch (implemented in hw_models/measure_torch.cpp,
// part of hwnas_torch; this header does not include torch). The network is built with GraphNet,
// in eval mode under NoGradGuard, with torch::set_num_threads(threads), on `device`; after `warmup`
// untimed runs it times `repeats` runs and returns the median. On a CUDA device each timed run is
// bracketed by torch::cuda::synchronize, so the time is the kernels' and not only their launch.
//
// Example:
//   MeasureOptions o;  o.repeats = 20;
//   double ms = measure_latency_ms(space->decode(arch), o);
#include <cstdint>
#include <string>

#include "hwnas/nas/arch_graph.h"
#include <functional>
#include <string>

#include "hwnas/nas/torch_device.h"

namespace hwnas {

struct MeasureOptions {
  int batch = 1;
  int repeats = 20;  // timed runs; the median is reported
  int warmup = 3;    // untimed runs first
  int threads = 1;   // torch::set_num_threads
  std::uint64_t seed = 1;
  TorchDevice device;  // field "torch_device"
  /// "fp32" (on CUDA, cuDNN's default TF32 convolutions) or "fp16" (network and input in half
  /// precision; CUDA only: LibTorch's CPU convolutions have no fp16 kernels).
  std::string precision = "fp32";
  bool channels_last = false;  // NHWC input and convolution weights
  /// UserError naming the field at fault (batch, repeats, warmup, threads, precision,
  /// torch_device) as `field` spells it: the command line passes its flags ("--batch"); by
  /// default the field's own name.
  void validate(const std::function<std::string(const std::string&)>& field = {}) const;
};

/// Median latency of one forward pass of a batch, in ms. Input is N x C x H x W of the graph's input node.
double measure_latency_ms(const ArchGraph& graph, const MeasureOptions& opts);

}  // namespace hwnas
