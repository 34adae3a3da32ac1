#pragma once
// A target device (GPU, CPU or accelerator) described as data: the numbers the latency and energy
// models need, each with its unit in its name and its source. Profiles live in
// configs/hardware/<name>.json; see docs/hardware.md for every field.
//
// Example:
//   DeviceProfile p = load_device("a100-sxm");          // or load_device("my/gpu.json")
//   std::cout << p.peak_tflops_fp32 << " TFLOP/s\n";
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hwnas {

enum class DeviceKind { GPU, CPU, Accelerator };
const char* device_kind_name(DeviceKind k);

/// Eager runtimes (PyTorch, LibTorch) launch one kernel per op as built; compiled runtimes
/// (TensorRT, TFLite, XLA, torch.compile) fold BatchNorm into the preceding convolution and fuse
/// activations into their neighbour, and drop constant ops (Zero). Details in docs/hardware.md.
enum class RuntimeKind { Eager, Compiled };
const char* runtime_kind_name(RuntimeKind k);

/// The classes of ops that share an efficiency (fraction of peak) and a per-kernel overhead.
enum class OpClass { ConvDense, Conv1x1, ConvDepthwise, Pooling, Elementwise, Linear };
constexpr int kNumOpClasses = 6;
/// JSON key of a class: "conv_dense", "conv_1x1", "conv_depthwise", "pooling", "elementwise", "linear".
const char* op_class_name(OpClass c);

/// Per-op-class numbers (efficiency or overhead), indexed by OpClass.
struct PerOpClass {
  double conv_dense = 0, conv_1x1 = 0, conv_depthwise = 0, pooling = 0, elementwise = 0, linear = 0;
  double& operator[](OpClass c);
  double operator[](OpClass c) const;
};

/// Measured latency of distinct layer configurations (FBNet / Once-for-All style lookup table),
/// valid for one batch size and precision. Keys come from layer_key() (latency_model.h).
struct LookupTable {
  int batch = 1;
  std::string precision = "fp32";
  double network_overhead_us = 0;            // measured once per inference (framework call)
  std::map<std::string, double> latency_us;  // layer key -> measured latency
  bool empty() const { return latency_us.empty(); }
};

/// Additive per-layer corrections learned by few-shot adaptation (`calibrate --samples`, the
/// structural model): microseconds added to every layer (Identity aside, and layers the lookup
/// table prices) whose key (layer_key()) is listed, for one batch size and precision. Negative
/// values are allowed (they are fitted as a sum over the network); together they never cut a
/// network below a tenth of its latency without them.
struct LayerCorrections {
  int batch = 1;
  std::string precision = "fp32";
  std::map<std::string, double> latency_us;  // layer key -> microseconds added per occurrence
  bool empty() const { return latency_us.empty(); }
};

/// Which network a profile's measurements ran (calibrated profiles): the deployed network with
/// dead edges pruned, or the network as built (every op of the reference code, dead ones too).
enum class MeasuredGraph { Unspecified, Pruned, AsBuilt };
/// "pruned", "as_built" ("" for Unspecified).
const char* measured_graph_name(MeasuredGraph g);

struct DeviceProfile {
  std::string name;
  std::string description;
  DeviceKind kind = DeviceKind::CPU;
  RuntimeKind runtime = RuntimeKind::Eager;
  int threads = 1;  // CPU cores/threads the peak numbers assume (1 for GPUs: informational)

  double peak_tflops_fp32 = 0;  // dense FP32 as frameworks run it (TF32 tensor cores where PyTorch uses them for convolutions)
  double peak_tflops_fp16 = 0;  // dense FP16/BF16 (tensor cores where present)
  double peak_tops_int8 = 0;    // dense INT8
  double memory_bandwidth_gbs = 0;  // DRAM/HBM, GB/s (1e9 bytes)
  double cache_mb = 0;              // last-level on-chip cache (L2 on GPUs), MiB
  double cache_bandwidth_gbs = 0;   // bandwidth when the working set fits in that cache
  double kernel_overhead_us = 0;    // launch/dispatch cost of every kernel
  double network_overhead_us = 0;   // once per inference (framework entry, synchronisation)
  double full_occupancy_outputs = 1;  // output elements a kernel needs to fill the device; fewer
                                      // run proportionally slower (GPU waves); 1 = always full
  PerOpClass efficiency;              // achieved fraction of peak, in (0, 1]
  PerOpClass class_overhead_us;       // extra per-kernel overhead by class (>= 0), usually from calibration

  double energy_pj_per_flop_fp32 = 0, energy_pj_per_flop_fp16 = 0, energy_pj_per_op_int8 = 0;
  double energy_pj_per_dram_byte = 0;
  double static_power_w = 0;  // drawn whenever the device runs an inference (idle/static power)

  int default_batch = 1;
  std::string default_precision = "fp32";
  std::map<std::string, std::string> sources;  // field -> where the number came from

  LookupTable lookup_table;  // optional: measured layers (calibrate --lut)
  LayerCorrections corrections;  // optional: learned by calibrate --samples (structural model)
  MeasuredGraph measured_graph = MeasuredGraph::Unspecified;  // set by calibration

  /// Strict: unknown keys, missing fields, impossible values and fields without a source are
  /// UserErrors "SOURCE: field.path: ...". `source` names the file in messages.
  static DeviceProfile from_json(const nlohmann::json& j, const std::string& source);
  nlohmann::json to_json() const;
  /// Throws UserError "SOURCE: field: ..." when a number is impossible.
  void validate(const std::string& source) const;
};

/// The warning for costing networks with `prune_dead` under a profile calibrated on the other
/// graph; empty when they agree or the profile does not say.
std::string measured_graph_mismatch(const DeviceProfile& p, bool prune_dead);
/// Writes measured_graph_mismatch() to stderr, once per profile name and graph per process.
void warn_measured_graph_mismatch(const DeviceProfile& p, bool prune_dead);

/// The folder of built-in profiles: $HWNAS_PROFILE_DIR when set, else PREFIX/share/hwnas/hardware
/// next to an installed libhwnas.so, else <source>/configs/hardware.
std::string device_profile_dir();
/// A built-in profile by name (configs/hardware/<name>.json) or a path to a .json file (anything
/// containing '/' or ending in .json). Unknown name -> UserError listing the known names.
DeviceProfile load_device(const std::string& name_or_path);
/// Names of the built-in profiles, sorted.
std::vector<std::string> device_names();

}  // namespace hwnas
