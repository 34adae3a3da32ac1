#pragma once
// The LibTorch half of the hwnas program, loaded on demand. Loading LibTorch costs about 0.6 s
// (relocations and operator registration), so the hwnas executable does not link it: the
// commands that run networks (measure, calibrate --device host, proxy, and search configs with
// proxy or train objectives) load the plugin `hwnas-torch.so` from the executable's folder with
// dlopen and call through this table. Everything else (devices, evaluate, enumerate, export,
// report, scaling, few-shot calibrate) starts without LibTorch.
//
// Example:
//   double ms = hwnas::cli::torch_plugin().measure_latency_ms(graph, options);
#include <memory>
#include <string>

#include "hwnas/hw_models/measure.h"
#include "hwnas/nas/torch_device.h"
#include "hwnas/search/objective_proxy.h"

namespace hwnas::cli {

/// Bumped whenever the table changes; the loader refuses a plugin built for another version.
constexpr int kTorchPluginAbi = 3;

struct TorchPlugin {
  int abi = 0;
  double (*measure_latency_ms)(const ArchGraph& graph, const MeasureOptions& opts) = nullptr;
  void (*set_threads)(int threads) = nullptr;
  /// The sources a search's "proxy" and "train" objectives use (objective_proxy.h): `hwnas proxy`
  /// scores through them, so it gives a search's values.
  std::unique_ptr<ProxySource> (*make_proxy_source)(const ProxySourceOptions& o, const std::string& path) = nullptr;
  std::unique_ptr<TrainSource> (*make_train_source)(const TrainSourceOptions& o, const std::string& path) = nullptr;
  void (*register_proxy_objectives)() = nullptr;
  /// UserError "<where>: ..." when this LibTorch cannot run on the device (CUDA on a CPU-only build).
  void (*require_torch_device)(const TorchDevice& device, const std::string& where) = nullptr;
};

/// Parses a --torch-device flag and checks that the plugin's LibTorch has that device (loading
/// the plugin): the one place the commands that run networks read the flag.
TorchDevice torch_device_from_cli(const std::string& flag_value);

/// The plugin, loaded on first use: $HWNAS_TORCH_PLUGIN if set, else hwnas-torch.so next to the
/// executable. UserError naming the file and the loader's message when it cannot be loaded.
const TorchPlugin& torch_plugin();
/// Whether the plugin loads (false in builds without LibTorch or when the file is missing).
bool torch_plugin_available();
/// Lets configs name the plugin's objective sources (proxy, train): the plugin loads the first
/// time one is named (set_objective_source_loader), so a config without them never pays for it.
void load_torch_objectives_on_demand();

}  // namespace hwnas::cli

/// The plugin's one exported symbol.
extern "C" const hwnas::cli::TorchPlugin* hwnas_torch_plugin();
