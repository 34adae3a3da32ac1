#include "hwnas/hw_models/device_profile.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <set>

#include "hwnas/core/error.h"
#include "hwnas/core/suggest.h"
#include "hwnas/core/json_reader.h"

namespace hwnas {

namespace {

constexpr std::array<OpClass, kNumOpClasses> kClasses{OpClass::ConvDense, OpClass::Conv1x1, OpClass::ConvDepthwise,
                                                      OpClass::Pooling,   OpClass::Elementwise, OpClass::Linear};

// Numeric fields that must each have an entry in "sources".
const std::vector<std::string>& sourced_fields() {
  static const std::vector<std::string> f{"peak_tflops_fp32",        "peak_tflops_fp16",       "peak_tops_int8",
                                          "memory_bandwidth_gbs",    "cache_mb",               "cache_bandwidth_gbs",
                                          "kernel_overhead_us",      "network_overhead_us",    "full_occupancy_outputs",
                                          "efficiency",              "energy_pj_per_flop_fp32", "energy_pj_per_flop_fp16",
                                          "energy_pj_per_op_int8",   "energy_pj_per_dram_byte", "static_power_w"};
  return f;
}

std::string prefix(const std::string& source) { return source + ": "; }

void check(bool ok, const std::string& source, const std::string& field, const std::string& what, double got) {
  if (ok) return;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", got);
  throw UserError(prefix(source) + field + ": expected " + what + ", got " + buf);
}

PerOpClass read_per_class(JsonReader& parent, const std::string& key, bool required, double fallback) {
  PerOpClass out;
  for (OpClass c : kClasses) out[c] = fallback;
  const nlohmann::json* v = parent.raw(key);
  if (!v) {
    if (required) throw UserError(parent.child(key) + ": required field is missing");
    return out;
  }
  JsonReader r(*v, parent.child(key));
  for (OpClass c : kClasses) out[c] = required ? r.require<double>(op_class_name(c)) : r.get<double>(op_class_name(c), fallback);
  r.finish();
  return out;
}

nlohmann::json per_class_json(const PerOpClass& p) {
  nlohmann::json j = nlohmann::json::object();
  for (OpClass c : kClasses) j[op_class_name(c)] = p[c];
  return j;
}

}  // namespace

const char* device_kind_name(DeviceKind k) {
  switch (k) {
    case DeviceKind::GPU: return "gpu";
    case DeviceKind::CPU: return "cpu";
    case DeviceKind::Accelerator: return "accelerator";
  }
  return "?";
}

const char* runtime_kind_name(RuntimeKind k) { return k == RuntimeKind::Eager ? "eager" : "compiled"; }

const char* op_class_name(OpClass c) {
  switch (c) {
    case OpClass::ConvDense: return "conv_dense";
    case OpClass::Conv1x1: return "conv_1x1";
    case OpClass::ConvDepthwise: return "conv_depthwise";
    case OpClass::Pooling: return "pooling";
    case OpClass::Elementwise: return "elementwise";
    case OpClass::Linear: return "linear";
  }
  return "?";
}

double& PerOpClass::operator[](OpClass c) {
  switch (c) {
    case OpClass::ConvDense: return conv_dense;
    case OpClass::Conv1x1: return conv_1x1;
    case OpClass::ConvDepthwise: return conv_depthwise;
    case OpClass::Pooling: return pooling;
    case OpClass::Elementwise: return elementwise;
    case OpClass::Linear: return linear;
  }
  HWNAS_CHECK(false, "bad OpClass");
}

double PerOpClass::operator[](OpClass c) const { return const_cast<PerOpClass&>(*this)[c]; }

DeviceProfile DeviceProfile::from_json(const nlohmann::json& j, const std::string& source) {
  DeviceProfile p;
  JsonReader r(j, prefix(source));
  p.name = r.require<std::string>("name");
  p.description = r.get<std::string>("description", "");
  const std::string kind = r.require<std::string>("kind");
  if (kind == "gpu") p.kind = DeviceKind::GPU;
  else if (kind == "cpu") p.kind = DeviceKind::CPU;
  else if (kind == "accelerator") p.kind = DeviceKind::Accelerator;
  else throw UserError(r.child("kind") + ": expected \"gpu\", \"cpu\" or \"accelerator\", got \"" + kind + "\"");
  const std::string runtime = r.require<std::string>("runtime");
  if (runtime == "eager") p.runtime = RuntimeKind::Eager;
  else if (runtime == "compiled") p.runtime = RuntimeKind::Compiled;
  else throw UserError(r.child("runtime") + ": expected \"eager\" or \"compiled\", got \"" + runtime + "\"");
  p.threads = r.get<int>("threads", 1);
  p.peak_tflops_fp32 = r.require<double>("peak_tflops_fp32");
  p.peak_tflops_fp16 = r.require<double>("peak_tflops_fp16");
  p.peak_tops_int8 = r.require<double>("peak_tops_int8");
  p.memory_bandwidth_gbs = r.require<double>("memory_bandwidth_gbs");
  p.cache_mb = r.require<double>("cache_mb");
  p.cache_bandwidth_gbs = r.require<double>("cache_bandwidth_gbs");
  p.kernel_overhead_us = r.require<double>("kernel_overhead_us");
  p.network_overhead_us = r.require<double>("network_overhead_us");
  p.full_occupancy_outputs = r.get<double>("full_occupancy_outputs", 1.0);
  p.efficiency = read_per_class(r, "efficiency", true, 0);
  p.class_overhead_us = read_per_class(r, "class_overhead_us", false, 0);
  p.energy_pj_per_flop_fp32 = r.require<double>("energy_pj_per_flop_fp32");
  p.energy_pj_per_flop_fp16 = r.require<double>("energy_pj_per_flop_fp16");
  p.energy_pj_per_op_int8 = r.require<double>("energy_pj_per_op_int8");
  p.energy_pj_per_dram_byte = r.require<double>("energy_pj_per_dram_byte");
  p.static_power_w = r.require<double>("static_power_w");
  p.default_batch = r.get<int>("default_batch", 1);
  p.default_precision = r.get<std::string>("default_precision", "fp32");
  {
    const nlohmann::json* s = r.raw("sources");
    if (!s) throw UserError(r.child("sources") + ": required field is missing (where each number came from)");
    JsonReader sr(*s, r.child("sources"));
    std::vector<std::string> allowed = sourced_fields();
    allowed.insert(allowed.end(), {"class_overhead_us", "threads", "lookup_table", "corrections"});
    for (const auto& f : allowed)
      if (sr.has(f)) p.sources[f] = sr.require<std::string>(f);
    sr.finish();
    for (const auto& f : sourced_fields())
      if (!p.sources.count(f))
        throw UserError(sr.child(f) + ": required field is missing (say where " + f +
                        " came from: a vendor spec sheet, or \"estimate: <reasoning>\")");
  }
  if (const nlohmann::json* t = r.raw("lookup_table")) {
    JsonReader lr(*t, r.child("lookup_table"));
    p.lookup_table.batch = lr.require<int>("batch");
    p.lookup_table.precision = lr.require<std::string>("precision");
    p.lookup_table.network_overhead_us = lr.require<double>("network_overhead_us");
    const nlohmann::json* e = lr.raw("latency_us");
    if (!e || !e->is_object()) throw UserError(lr.child("latency_us") + ": expected an object {layer key: microseconds}");
    for (auto it = e->begin(); it != e->end(); ++it) {
      const double v = JsonReader::convert<double>(it.value(), lr.child("latency_us") + "." + it.key());
      check(std::isfinite(v) && v >= 0, source, "lookup_table.latency_us." + it.key(), "a non-negative number", v);
      p.lookup_table.latency_us[it.key()] = v;
    }
    lr.finish();
    check(p.lookup_table.batch >= 1, source, "lookup_table.batch", "a positive integer", p.lookup_table.batch);
    check(p.lookup_table.network_overhead_us >= 0, source, "lookup_table.network_overhead_us", "a non-negative number",
          p.lookup_table.network_overhead_us);
    if (p.lookup_table.precision != "fp32" && p.lookup_table.precision != "fp16" && p.lookup_table.precision != "int8")
      throw UserError(lr.child("precision") + ": expected \"fp32\", \"fp16\" or \"int8\", got \"" + p.lookup_table.precision + "\"");
  }
  if (const nlohmann::json* t = r.raw("corrections")) {
    JsonReader cr(*t, r.child("corrections"));
    p.corrections.batch = cr.require<int>("batch");
    p.corrections.precision = cr.require<std::string>("precision");
    const nlohmann::json* e = cr.raw("latency_us");
    if (!e || !e->is_object()) throw UserError(cr.child("latency_us") + ": expected an object {layer key: microseconds}");
    for (auto it = e->begin(); it != e->end(); ++it) {
      const double v = JsonReader::convert<double>(it.value(), cr.child("latency_us") + "." + it.key());
      check(std::isfinite(v), source, "corrections.latency_us." + it.key(), "a finite number", v);
      p.corrections.latency_us[it.key()] = v;
    }
    cr.finish();
    check(p.corrections.batch >= 1, source, "corrections.batch", "a positive integer", p.corrections.batch);
    if (p.corrections.precision != "fp32" && p.corrections.precision != "fp16" && p.corrections.precision != "int8")
      throw UserError(cr.child("precision") + ": expected \"fp32\", \"fp16\" or \"int8\", got \"" + p.corrections.precision + "\"");
  }
  if (r.has("measured_graph")) {
    const std::string g = r.require<std::string>("measured_graph");
    if (g == "pruned") p.measured_graph = MeasuredGraph::Pruned;
    else if (g == "as_built") p.measured_graph = MeasuredGraph::AsBuilt;
    else throw UserError(r.child("measured_graph") + ": expected \"pruned\" or \"as_built\", got \"" + g + "\"");
  }
  r.finish();
  p.validate(source);
  return p;
}

void DeviceProfile::validate(const std::string& source) const {
  if (name.empty()) throw UserError(prefix(source) + "name: expected a non-empty string");
  // Beyond the usual checks, every number has a plausible range: a profile saying a device draws
  // 1e308 W, or runs at 1e-300 TFLOP/s, is a typo, and its predictions would overflow to inf.
  auto within = [&](double v, const std::string& field, double lo, double hi, const char* unit) {
    char what[160];
    std::snprintf(what, sizeof what, "a value from %g to %g %s (outside that, no real device)", lo, hi, unit);
    check(v >= lo && v <= hi, source, field, what, v);
  };
  auto positive = [&](double v, const std::string& field, double lo, double hi, const char* unit) {
    check(std::isfinite(v) && v > 0, source, field, "a positive number", v);
    within(v, field, lo, hi, unit);
  };
  auto non_negative = [&](double v, const std::string& field, double hi, const char* unit) {
    check(std::isfinite(v) && v >= 0, source, field, "a non-negative number", v);
    within(v, field, 0, hi, unit);
  };
  check(threads >= 1, source, "threads", "a positive integer", threads);
  within(threads, "threads", 1, 1e5, "threads");
  positive(peak_tflops_fp32, "peak_tflops_fp32", 1e-6, 1e6, "TFLOP/s");
  positive(peak_tflops_fp16, "peak_tflops_fp16", 1e-6, 1e6, "TFLOP/s");
  positive(peak_tops_int8, "peak_tops_int8", 1e-6, 1e6, "TOP/s");
  positive(memory_bandwidth_gbs, "memory_bandwidth_gbs", 1e-6, 1e6, "GB/s");
  non_negative(cache_mb, "cache_mb", 1e6, "MB");
  positive(cache_bandwidth_gbs, "cache_bandwidth_gbs", 1e-6, 1e7, "GB/s");
  non_negative(kernel_overhead_us, "kernel_overhead_us", 1e6, "us");
  non_negative(network_overhead_us, "network_overhead_us", 1e8, "us");
  check(std::isfinite(full_occupancy_outputs) && full_occupancy_outputs >= 1, source, "full_occupancy_outputs",
        "a number >= 1", full_occupancy_outputs);
  within(full_occupancy_outputs, "full_occupancy_outputs", 1, 1e12, "outputs");
  for (OpClass c : kClasses) {
    const double e = efficiency[c];
    const std::string field = std::string("efficiency.") + op_class_name(c);
    check(std::isfinite(e) && e > 0 && e <= 1, source, field, "a fraction of peak in (0, 1]", e);
    within(e, field, 1e-6, 1, "of peak");
    non_negative(class_overhead_us[c], std::string("class_overhead_us.") + op_class_name(c), 1e6, "us");
  }
  non_negative(energy_pj_per_flop_fp32, "energy_pj_per_flop_fp32", 1e6, "pJ");
  non_negative(energy_pj_per_flop_fp16, "energy_pj_per_flop_fp16", 1e6, "pJ");
  non_negative(energy_pj_per_op_int8, "energy_pj_per_op_int8", 1e6, "pJ");
  non_negative(energy_pj_per_dram_byte, "energy_pj_per_dram_byte", 1e6, "pJ");
  non_negative(static_power_w, "static_power_w", 1e5, "W");
  check(default_batch >= 1, source, "default_batch", "a positive integer", default_batch);
  within(default_batch, "default_batch", 1, 1e6, "samples");
  if (default_precision != "fp32" && default_precision != "fp16" && default_precision != "int8")
    throw UserError(prefix(source) + "default_precision: expected \"fp32\", \"fp16\" or \"int8\", got \"" +
                    default_precision + "\"");
  if (!lookup_table.empty()) {
    within(lookup_table.batch, "lookup_table.batch", 1, 1e6, "samples");
    non_negative(lookup_table.network_overhead_us, "lookup_table.network_overhead_us", 1e8, "us");
    for (const auto& [key, us] : lookup_table.latency_us) non_negative(us, "lookup_table.latency_us." + key, 1e9, "us");
  }
  if (!corrections.empty()) {
    within(corrections.batch, "corrections.batch", 1, 1e6, "samples");
    for (const auto& [key, us] : corrections.latency_us)
      check(std::isfinite(us) && std::fabs(us) <= 1e9, source, "corrections.latency_us." + key,
            "a finite number of us, at most 1e9 in magnitude", us);
  }
}

nlohmann::json DeviceProfile::to_json() const {
  nlohmann::json j;
  j["name"] = name;
  if (!description.empty()) j["description"] = description;
  j["kind"] = device_kind_name(kind);
  j["runtime"] = runtime_kind_name(runtime);
  j["threads"] = threads;
  j["peak_tflops_fp32"] = peak_tflops_fp32;
  j["peak_tflops_fp16"] = peak_tflops_fp16;
  j["peak_tops_int8"] = peak_tops_int8;
  j["memory_bandwidth_gbs"] = memory_bandwidth_gbs;
  j["cache_mb"] = cache_mb;
  j["cache_bandwidth_gbs"] = cache_bandwidth_gbs;
  j["kernel_overhead_us"] = kernel_overhead_us;
  j["network_overhead_us"] = network_overhead_us;
  j["full_occupancy_outputs"] = full_occupancy_outputs;
  j["efficiency"] = per_class_json(efficiency);
  j["class_overhead_us"] = per_class_json(class_overhead_us);
  j["energy_pj_per_flop_fp32"] = energy_pj_per_flop_fp32;
  j["energy_pj_per_flop_fp16"] = energy_pj_per_flop_fp16;
  j["energy_pj_per_op_int8"] = energy_pj_per_op_int8;
  j["energy_pj_per_dram_byte"] = energy_pj_per_dram_byte;
  j["static_power_w"] = static_power_w;
  j["default_batch"] = default_batch;
  j["default_precision"] = default_precision;
  j["sources"] = sources;
  if (!lookup_table.empty()) {
    j["lookup_table"] = {{"batch", lookup_table.batch},
                         {"precision", lookup_table.precision},
                         {"network_overhead_us", lookup_table.network_overhead_us},
                         {"latency_us", lookup_table.latency_us}};
  }
  if (!corrections.empty())
    j["corrections"] = {
        {"batch", corrections.batch}, {"precision", corrections.precision}, {"latency_us", corrections.latency_us}};
  if (measured_graph != MeasuredGraph::Unspecified) j["measured_graph"] = measured_graph_name(measured_graph);
  return j;
}

const char* measured_graph_name(MeasuredGraph g) {
  switch (g) {
    case MeasuredGraph::Pruned: return "pruned";
    case MeasuredGraph::AsBuilt: return "as_built";
    case MeasuredGraph::Unspecified: break;
  }
  return "";
}

std::string measured_graph_mismatch(const DeviceProfile& p, bool prune_dead) {
  if (p.measured_graph == MeasuredGraph::Unspecified) return "";
  if ((p.measured_graph == MeasuredGraph::Pruned) == prune_dead) return "";
  return std::string("warning: device ") + p.name + " was calibrated on networks " +
         (prune_dead ? "as built (every op, dead edges too)" : "with dead edges pruned") + " but networks are costed " +
         (prune_dead ? "with dead edges pruned; add --keep-dead (\"prune_dead\": false in a search config) to cost them as built"
                     : "as built; drop --keep-dead (\"prune_dead\": true in a search config) to cost them pruned");
}

void warn_measured_graph_mismatch(const DeviceProfile& p, bool prune_dead) {
  const std::string w = measured_graph_mismatch(p, prune_dead);
  if (w.empty()) return;
  static std::mutex mu;
  static std::set<std::string> said;
  std::lock_guard<std::mutex> lock(mu);
  if (said.insert(w).second) std::cerr << w << "\n";
}

std::string device_profile_dir() {
  if (const char* env = std::getenv("HWNAS_PROFILE_DIR"); env && *env) return env;
  // An installed libhwnas.so (cmake --install) finds its profiles in PREFIX/share/hwnas/hardware;
  // the build tree and the static libraries use the source tree's.
  static const std::string installed = [] {
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void*>(&device_profile_dir), &info) != 0 && info.dli_fname) {
      std::error_code ec;
      const std::filesystem::path p = std::filesystem::path(info.dli_fname).parent_path() / ".." / "share" / "hwnas" / "hardware";
      if (std::filesystem::is_directory(p, ec)) return std::filesystem::weakly_canonical(p, ec).string();
    }
    return std::string();
  }();
  return installed.empty() ? std::string(HWNAS_SOURCE_DIR) + "/configs/hardware" : installed;
}

std::vector<std::string> device_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(device_profile_dir(), ec)) {
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

DeviceProfile load_device(const std::string& name_or_path) {
  const bool is_path = name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".json");
  std::string path = name_or_path;
  if (!is_path) {
    const std::vector<std::string> names = device_names();
    if (std::find(names.begin(), names.end(), name_or_path) == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      throw UserError("unknown device '" + name_or_path + "'" + did_you_mean(name_or_path, names) + " (known devices: " + known +
                      "; or give a path to a profile .json file)");
    }
    path = device_profile_dir() + "/" + name_or_path + ".json";
  }
  const nlohmann::json j = read_json_file(path);
  return DeviceProfile::from_json(j, path);
}

}  // namespace hwnas
