#pragma once
// A target device (GPU, CPU or accelerator) described as data: the numbers the latency and energy
// models need, each with its unit in its name and its source. Profiles live in
// configs/hardware/<name>.json; see docs/hardware.md for every field. Each field is listed once, in
// DeviceProfile::fields() (core/options.h): reading, writing, checks and the schema come from it.
//
// Example:
//   DeviceProfile p = load_device("a100-sxm");          // or load_device("my/gpu.json")
//   std::cout << p.peak_tflops_fp32 << " TFLOP/s\n";
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hwnas/core/options.h"

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

/// Per-op-class numbers (efficiency or overhead), indexed by OpClass. In JSON an object keyed by
/// op_class_name() (OptionCodec<PerOpClass> below, not a field list: `efficiency` needs every
/// class, `class_overhead_us` defaults each to 0, and a nested field list cannot differ by field).
struct PerOpClass {
  double conv_dense = 0, conv_1x1 = 0, conv_depthwise = 0, pooling = 0, elementwise = 0, linear = 0;
  double& operator[](OpClass c);
  double operator[](OpClass c) const;
};

inline bool all_ones(const PerOpClass& p) {
  return p.conv_dense == 1 && p.conv_1x1 == 1 && p.conv_depthwise == 1 && p.pooling == 1 && p.elementwise == 1 &&
         p.linear == 1;
}

/// Field checks of device numbers (DeviceProfile::fields()): a basic rule, "expected a positive
/// number, got -1", then the range real devices fall in, "expected a value from 0 to 100000 W
/// (outside that, no real device), got 1e+308". They apply to a number, to each value of a
/// map<string, double> (PATH.KEY) and to each class of a PerOpClass (PATH.conv_dense).
namespace devopt {
struct Range {
  const char* rule;                  // "a positive number"
  double min;                        // the rule: finite, min < v (min_open) or min <= v, v <= max
  bool min_open;
  double max;
  double lo, hi;                     // the plausible range [lo, hi] in unit (unit nullptr: none)
  const char* unit;

  void check(const std::string& where, double v) const;
  void check(const std::string& where, const PerOpClass& v) const;
  template <class T>
  void check(const std::string& where, const std::map<std::string, T>& m) const {
    for (const auto& [k, v] : m) check(where + "." + k, v);
  }
  void add_schema(nlohmann::json& s, bool integral) const;

  // Found by argument-dependent lookup from core/options.h's field checks and schema.
  template <class T>
  friend void check_one(const std::string& where, const T& v, const Range& c) {
    if constexpr (std::is_arithmetic_v<T>) c.check(where, static_cast<double>(v));
    else c.check(where, v);
  }
  friend void add_schema_check(nlohmann::json& s, const Range& c, bool integral) { c.add_schema(s, integral); }
};
inline constexpr double kInf = std::numeric_limits<double>::infinity();
/// > 0, and in [lo, hi] unit.
inline Range positive(double lo, double hi, const char* unit) { return {"a positive number", 0, true, kInf, lo, hi, unit}; }
/// >= 0, and at most hi unit.
inline Range non_negative(double hi, const char* unit) { return {"a non-negative number", 0, false, kInf, 0, hi, unit}; }
/// A count >= 1, at most hi unit.
inline Range count(double hi, const char* unit) { return {"a positive integer", 1, false, kInf, 1, hi, unit}; }
/// >= 1, at most hi unit.
inline Range at_least_one(double hi, const char* unit) { return {"a number >= 1", 1, false, kInf, 1, hi, unit}; }
/// An achieved fraction of peak.
inline Range fraction_of_peak() { return {"a fraction of peak in (0, 1]", 0, true, 1, 1e-6, 1, "of peak"}; }
/// Microseconds of either sign, at most 1e9 in magnitude.
inline Range signed_us() { return {"a finite number of us, at most 1e9 in magnitude", -1e9, false, 1e9, -1e9, 1e9, nullptr}; }

/// Marks a field whose origin `sources` gives: required (every profile says where the number came
/// from) or allowed (calibration fills it in). DeviceProfile::sourced_fields() lists them.
struct Sourced {
  bool required;
};
inline Sourced sourced() { return {true}; }
inline Sourced may_be_sourced() { return {false}; }
}  // namespace devopt

/// Precisions a table or default may name.
inline opt::OneOf precision_names() { return opt::one_of({"fp32", "fp16", "int8"}); }

/// Measured latency of distinct layer configurations (FBNet / Once-for-All style lookup table),
/// valid for one batch size and precision. Keys come from layer_key() (latency_model.h).
struct LookupTable {
  int batch = 1;
  std::string precision = "fp32";
  double network_overhead_us = 0;            // measured once per inference (framework call)
  std::map<std::string, double> latency_us;  // layer key -> measured latency
  bool empty() const { return latency_us.empty(); }

  template <class S, class V>
  static void fields(S& o, V& v) {
    v("batch", o.batch, opt::required(), devopt::count(1e6, "samples"));
    v("precision", o.precision, opt::required(), precision_names());
    v("network_overhead_us", o.network_overhead_us, opt::required(), devopt::non_negative(1e8, "us"));
    v("latency_us", o.latency_us, opt::required(), devopt::non_negative(1e9, "us"));
  }
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

  template <class S, class V>
  static void fields(S& o, V& v) {
    v("batch", o.batch, opt::required(), devopt::count(1e6, "samples"));
    v("precision", o.precision, opt::required(), precision_names());
    v("latency_us", o.latency_us, opt::required(), devopt::signed_us());
  }
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
  double conv_channel_tile = 1;  // output channels (per group) a dense or 1x1 convolution needs to fill
                                 // the matrix unit's tile; fewer run proportionally slower; 1 = off
  PerOpClass efficiency;              // achieved fraction of peak, in (0, 1]
  PerOpClass class_overhead_us;       // extra per-kernel overhead by class (>= 0), usually from calibration
  /// Achieved fraction of the memory bandwidth by class, in (0, 1]; 1 unless few-shot
  /// calibration learned a memory time per op class.
  PerOpClass memory_efficiency{1, 1, 1, 1, 1, 1};

  double energy_pj_per_flop_fp32 = 0, energy_pj_per_flop_fp16 = 0, energy_pj_per_op_int8 = 0;
  double energy_pj_per_dram_byte = 0;
  double static_power_w = 0;  // drawn whenever the device runs an inference (idle/static power)

  int default_batch = 1;
  std::string default_precision = "fp32";
  std::map<std::string, std::string> sources;  // field -> where the number came from

  LookupTable lookup_table;  // optional: measured layers (calibrate --lut)
  LayerCorrections corrections;  // optional: learned by calibrate --samples (structural model)
  MeasuredGraph measured_graph = MeasuredGraph::Unspecified;  // set by calibration

  /// Every field, once: its key, checks (ranges in docs/hardware.md) and whether `sources` must
  /// (devopt::sourced) or may (devopt::may_be_sourced) say where it came from.
  template <class S, class V>
  static void fields(S& o, V& v) {
    using namespace devopt;
    v("name", o.name, opt::required());  // non-empty (check)
    v("description", o.description, opt::written_if(!o.description.empty()));
    v("kind", o.kind, opt::required());
    v("runtime", o.runtime, opt::required());
    v("threads", o.threads, count(1e5, "threads"), may_be_sourced());
    v("peak_tflops_fp32", o.peak_tflops_fp32, opt::required(), positive(1e-6, 1e6, "TFLOP/s"), sourced());
    v("peak_tflops_fp16", o.peak_tflops_fp16, opt::required(), positive(1e-6, 1e6, "TFLOP/s"), sourced());
    v("peak_tops_int8", o.peak_tops_int8, opt::required(), positive(1e-6, 1e6, "TOP/s"), sourced());
    v("memory_bandwidth_gbs", o.memory_bandwidth_gbs, opt::required(), positive(1e-6, 1e6, "GB/s"), sourced());
    v("cache_mb", o.cache_mb, opt::required(), non_negative(1e6, "MB"), sourced());
    v("cache_bandwidth_gbs", o.cache_bandwidth_gbs, opt::required(), positive(1e-6, 1e7, "GB/s"), sourced());
    v("kernel_overhead_us", o.kernel_overhead_us, opt::required(), non_negative(1e6, "us"), sourced());
    v("network_overhead_us", o.network_overhead_us, opt::required(), non_negative(1e8, "us"), sourced());
    v("full_occupancy_outputs", o.full_occupancy_outputs, at_least_one(1e12, "outputs"), sourced());
    v("conv_channel_tile", o.conv_channel_tile, opt::written_if(o.conv_channel_tile != 1), at_least_one(1e5, "channels"),
      may_be_sourced());
    v("efficiency", o.efficiency, opt::required(), fraction_of_peak(), sourced());
    v("class_overhead_us", o.class_overhead_us, non_negative(1e6, "us"), may_be_sourced());
    v("memory_efficiency", o.memory_efficiency, opt::written_if(!all_ones(o.memory_efficiency)), fraction_of_peak(),
      may_be_sourced());
    v("energy_pj_per_flop_fp32", o.energy_pj_per_flop_fp32, opt::required(), non_negative(1e6, "pJ"), sourced());
    v("energy_pj_per_flop_fp16", o.energy_pj_per_flop_fp16, opt::required(), non_negative(1e6, "pJ"), sourced());
    v("energy_pj_per_op_int8", o.energy_pj_per_op_int8, opt::required(), non_negative(1e6, "pJ"), sourced());
    v("energy_pj_per_dram_byte", o.energy_pj_per_dram_byte, opt::required(), non_negative(1e6, "pJ"), sourced());
    v("static_power_w", o.static_power_w, opt::required(), non_negative(1e5, "W"), sourced());
    v("default_batch", o.default_batch, count(1e6, "samples"));
    v("default_precision", o.default_precision, precision_names());
    v("sources", o.sources, opt::required());  // keys: the sourced fields (from_json checks them)
    v("lookup_table", o.lookup_table, opt::written_if(!o.lookup_table.empty()), may_be_sourced());
    v("corrections", o.corrections, opt::written_if(!o.corrections.empty()), may_be_sourced());
    v("measured_graph", o.measured_graph, opt::written_if(o.measured_graph != MeasuredGraph::Unspecified));
  }
  /// Rules beyond single fields (a non-empty name); validate() passes `path` "SOURCE: ".
  void check(const std::string& path) const;

  /// Strict: unknown keys, missing fields, impossible values and fields without a source are
  /// UserErrors "SOURCE: field.path: ...". `source` names the file in messages.
  static DeviceProfile from_json(const nlohmann::json& j, const std::string& source);
  nlohmann::json to_json() const;
  /// Throws UserError "SOURCE: field: ..." when a number is impossible (`sources` is checked by
  /// from_json only: profiles built in code need not say where their numbers came from).
  void validate(const std::string& source) const;

  /// The keys `sources` must have (fields marked devopt::sourced()), and those it may have.
  static const std::vector<std::string>& sourced_fields();
  static const std::vector<std::string>& may_be_sourced_fields();
  /// JSON-schema fragment of a profile file (options_schema, with the keys of `sources`).
  static nlohmann::json json_schema();
};

template <>
struct OptionCodec<DeviceKind> : EnumOptionCodec<DeviceKind, device_kind_name, 0, 2> {};
template <>
struct OptionCodec<RuntimeKind> : EnumOptionCodec<RuntimeKind, runtime_kind_name, 0, 1> {};
template <>
struct OptionCodec<MeasuredGraph> : EnumOptionCodec<MeasuredGraph, measured_graph_name, 1, 2> {};  // not Unspecified

/// A PerOpClass field: {class name: number}; given, its classes are required when the field is
/// (efficiency), else each defaults to the field's default (class_overhead_us).
template <>
struct OptionCodec<PerOpClass> {
  static PerOpClass read(JsonReader& r, const std::string& key, const PerOpClass& fallback);
  static PerOpClass require(JsonReader& r, const std::string& key);
  static nlohmann::json write(const PerOpClass& p);
  static nlohmann::json schema();
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
