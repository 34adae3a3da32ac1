#pragma once
// Shared by the subcommands that report hardware predictions (evaluate, enumerate): the
// --device (repeatable), --batch and --precision options, and the resolved models.
// Without --batch/--precision each device uses its profile's default_batch/default_precision.
//
// Example:
//   add_device_cli_options(*cmd, args->hw);           // in setup
//   DeviceColumns hw(args.hw);  csv += hw.row(layers); // in the callback
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hwnas/hw_models/latency_model.h"

namespace hwnas {

struct DeviceCliOptions {
  std::vector<std::string> devices;  // names or paths
  std::optional<int> batch;          // absent: each profile's default_batch
  std::string precision;             // empty: each profile's default_precision
};

template <class App>
void add_device_cli_options(App& cmd, DeviceCliOptions& o) {
  cmd.add_option("--device", o.devices, "hardware profile (name from `hwnas devices` or a .json path); repeatable");
  cmd.add_option("--batch", o.batch, "batch size for the hardware models (default: each profile's default_batch)");
  cmd.add_option("--precision", o.precision, "fp32, fp16/bf16 or int8 (default: each profile's default_precision)");
}

/// The models of the --device options, loaded once. UserError naming --device/--batch/--precision:
/// a batch below 1, an unknown precision, or --batch/--precision without any --device (they
/// would be silently ignored).
class DeviceColumns {
 public:
  /// `prune_dead`: how the networks are costed; a profile calibrated on the other graph warns
  /// (stderr, once).
  explicit DeviceColumns(const DeviceCliOptions& o, bool prune_dead = true);
  bool empty() const { return models_.empty(); }
  /// ",D_latency_ms,D_energy_mj" per device.
  std::string header() const;
  /// ",latency,energy" per device.
  std::string row(const LayerList& layers) const;
  struct Entry {
    std::string name;  // the profile's name; "NAME@SOURCE" when two profiles share a name
    HardwareModel model;
    int batch;
    Precision precision;
    std::string source;  // the --device argument: a shipped name or a file
  };
  const std::vector<Entry>& entries() const { return models_; }

 private:
  std::vector<Entry> models_;
};

/// Adds "latency_ms" and "energy_mj" objects keyed by device name (and "hardware": batch,
/// precision and kernel count per device) when devices were given.
void add_device_predictions_json(const DeviceColumns& hw, const LayerList& layers, nlohmann::json& j);
/// Text lines "latency_ms[D]  x" and "energy_mj[D]  y".
void print_device_predictions(const DeviceColumns& hw, const LayerList& layers, std::ostream& os);

}  // namespace hwnas
