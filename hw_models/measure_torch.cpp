// LibTorch latency measurement (the only hw_models file that includes torch).
#include <algorithm>
#include <chrono>
#include <vector>

#include "hwnas/core/error.h"
#include "hwnas/hw_models/measure.h"
#include "hwnas/nas/torch_builder.h"
#include "../nas/torch/device.h"

namespace hwnas {

double measure_latency_ms(const ArchGraph& graph, const MeasureOptions& opts) {
  opts.validate();
  const torch::Device device = to_torch_device(opts.device, "torch_device");
  torch::set_num_threads(opts.threads);
  torch::NoGradGuard no_grad;
  GraphNet net(graph);
  init_deterministic(*net, opts.seed);
  const torch::Dtype dtype = opts.precision == "fp16" ? torch::kHalf : torch::kFloat32;
  net->to(device, dtype);
  net->eval();
  const TensorShape in = graph.node(graph.input()).shape;
  torch::Tensor x = torch::randn({opts.batch, in.c, in.h, in.w}).to(device, dtype);
  if (opts.channels_last) {  // cuDNN's tensor-core kernels prefer NHWC; a NHWC input keeps NHWC through the network
    x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    for (auto& p : net->parameters())
      if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
  }
  // Warm-up also lets cuDNN pick its algorithms and the CUDA caching allocator fill.
  for (int i = 0; i < opts.warmup; ++i) net->forward(x);
  std::vector<double> times;
  times.reserve(static_cast<std::size_t>(opts.repeats));
  for (int i = 0; i < opts.repeats; ++i) {
    synchronize_device(opts.device);  // nothing queued before the clock starts
    const auto t0 = std::chrono::steady_clock::now();
    torch::Tensor y = net->forward(x);
    synchronize_device(opts.device);  // a CUDA forward returns when launched, not when done
    const auto t1 = std::chrono::steady_clock::now();
    times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::nth_element(times.begin(), times.begin() + static_cast<long>(times.size() / 2), times.end());
  return times[times.size() / 2];
}

}  // namespace hwnas
