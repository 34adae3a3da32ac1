#pragma once
// Analytic latency and energy of a network on a device: per counted layer a roofline estimate
// (compute at the op class's efficiency vs. memory traffic at cache/DRAM bandwidth, whichever is
// larger) plus a per-kernel overhead, with the fusion a compiled runtime does; energy is dynamic
// (FLOPs and DRAM bytes) plus static power times latency. A profile with a lookup table of
// measured layers uses those measurements instead. The rules are in docs/hardware.md.
//
// Example:
//   HardwareModel m(load_device("rtx-4090"));
//   HwPrediction p = m.predict(space->layers(arch), /*batch=*/1, Precision::FP16);
//   std::cout << p.latency_ms << " ms, " << p.energy_mj << " mJ\n";
#include <string>
#include <vector>

#include "hwnas/hw_models/device_profile.h"
#include "hwnas/nas/cost.h"

namespace hwnas {

enum class Precision { FP32, FP16, INT8 };
/// "fp32", "fp16" (or "bf16"), "int8"; anything else -> UserError listing the choices.
Precision parse_precision(const std::string& text);
std::string precision_name(Precision p);
int bytes_per_element(Precision p);

struct LayerPrediction {
  std::string name;
  OpKind kind = OpKind::Identity;
  double latency_ms = 0, energy_mj = 0;
  /// true when the layer launches no kernel of its own: folded or fused into a neighbour of its
  /// op chain by a compiled runtime (its cost is part of that neighbour's), or a constant/no-op.
  bool fused_into_previous = false;
  int kernels = 0;          // kernels launched (an eager n-input Add launches n-1)
  double compute_ms = 0;    // roofline compute side (0 for layers served by the lookup table)
  double memory_ms = 0;     // roofline memory side
  double overhead_ms = 0;   // kernel launch/dispatch overheads
  bool from_lookup_table = false;
};

struct HwPrediction {
  double latency_ms = 0, energy_mj = 0;
  double dynamic_energy_mj = 0;  // energy_mj = dynamic_energy_mj + static_power_w * latency_ms
  int kernels = 0;
  std::vector<LayerPrediction> layers;  // filled when predict(..., with_layers = true)
};

/// The class an op is charged to: Conv2d by shape (groups == channels > 1: depthwise, 1x1,
/// dense), pools, Linear, everything else elementwise.
OpClass op_class_of(const LayerCost& l);
/// Key of a layer configuration for lookup tables, e.g. "conv2d 16x32x32>32x16x16 k3 s2 g1".
std::string layer_key(const LayerCost& l);

/// The model's terms of one layer before efficiencies and overheads are applied (for calibration).
struct LayerTerms {
  OpClass cls = OpClass::Elementwise;
  int kernels = 0;            // 0: fused or free
  double peak_compute_ms = 0; // FLOPs at 100% of peak (occupancy and channel tile included)
  double memory_ms = 0;       // bytes at cache/DRAM bandwidth (occupancy included)
  double flops = 0, dram_bytes = 0;
  bool fused = false;
};

class HardwareModel {
 public:
  explicit HardwareModel(DeviceProfile p);
  const DeviceProfile& profile() const { return p_; }

  /// Latency and energy of one inference of `batch` samples. Throws UserError when batch < 1.
  HwPrediction predict(const LayerList& layers, int batch, Precision precision, bool with_layers = false) const;
  /// Per-layer terms (same length and order as layers.layers), ignoring the lookup table.
  std::vector<LayerTerms> terms(const LayerList& layers, int batch, Precision precision) const;
  /// Latency of one layer from its terms with this profile's efficiencies and overheads.
  double layer_latency_ms(const LayerTerms& t) const;

 private:
  DeviceProfile p_;
  bool lut_fp32_ = false, lut_fp16_ = false, lut_int8_ = false;
};

}  // namespace hwnas
