// Entry point of hwnas-torch.so (see app/torch_plugin.h): the LibTorch functions the hwnas
// program calls, in one table.
#include "../torch_plugin.h"

#include "hwnas/search/objective_proxy.h"

namespace hwnas {
void set_torch_threads(int threads);  // nas/torch/threads.cpp
}

extern "C" __attribute__((visibility("default"))) const hwnas::cli::TorchPlugin* hwnas_torch_plugin() {
  static const hwnas::cli::TorchPlugin table = [] {
    hwnas::cli::TorchPlugin t;
    t.abi = hwnas::cli::kTorchPluginAbi;
    t.measure_latency_ms = &hwnas::measure_latency_ms;
    t.set_threads = &hwnas::set_torch_threads;
    t.make_proxy_source = &hwnas::make_proxy_source;
    t.make_train_source = [](const hwnas::TrainSourceOptions& o, const std::string& path) {
      return hwnas::make_train_source(o, path);  // `hwnas proxy` keeps no checkpoints
    };
    t.register_proxy_objectives = &hwnas::register_proxy_objectives;
    t.require_torch_device = &hwnas::require_torch_device;
    return t;
  }();
  return &table;
}
