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
#include "hwnas/core/source_dir.h"

namespace hwnas {

namespace {

constexpr std::array<OpClass, kNumOpClasses> kClasses{OpClass::ConvDense, OpClass::Conv1x1, OpClass::ConvDepthwise,
                                                      OpClass::Pooling,   OpClass::Elementwise, OpClass::Linear};

std::string prefix(const std::string& source) { return source + ": "; }

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// The keys of fields carrying a devopt::Sourced mark.
struct SourcedKeys {
  std::vector<std::string> required, allowed;
  template <class F, class... C>
  void operator()(const char* key, const F&, const C&... checks) {
    (add(key, checks), ...);
  }
  void add(const char* key, const devopt::Sourced& s) {
    (s.required ? required : allowed).push_back(key);
  }
  template <class C>
  void add(const char*, const C&) {}
};

const SourcedKeys& sourced_keys() {
  static const SourcedKeys keys = [] {
    SourcedKeys k;
    const DeviceProfile p;
    DeviceProfile::fields(p, k);
    k.allowed.insert(k.allowed.begin(), k.required.begin(), k.required.end());
    return k;
  }();
  return keys;
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

namespace devopt {

void Range::check(const std::string& where, double v) const {
  if (!(std::isfinite(v) && (min_open ? v > min : v >= min) && v <= max))
    throw UserError(where + ": expected " + rule + ", got " + number(v));
  // Beyond the rule, every number has a plausible range: a profile saying a device draws 1e308 W,
  // or runs at 1e-300 TFLOP/s, is a typo, and its predictions would overflow to inf.
  if (unit && !(v >= lo && v <= hi)) {
    char what[160];
    std::snprintf(what, sizeof what, "a value from %g to %g %s (outside that, no real device)", lo, hi, unit);
    throw UserError(where + ": expected " + what + ", got " + number(v));
  }
}

void Range::check(const std::string& where, const PerOpClass& v) const {
  for (OpClass c : kClasses) check(where + "." + op_class_name(c), v[c]);
}

void Range::add_schema(nlohmann::json& s, bool integral) const {
  if (s.value("type", "") == "object") {  // a map or a PerOpClass: its values
    if (s.contains("properties"))
      for (auto& [key, sub] : s["properties"].items()) add_schema(sub, integral);
    if (s.contains("additionalProperties") && s["additionalProperties"].is_object()) add_schema(s["additionalProperties"], integral);
    return;
  }
  const double low = unit ? std::max(lo, min) : min, high = unit ? std::min(hi, max) : max;
  auto bound = [&](double v) { return integral ? nlohmann::json(static_cast<long long>(v)) : nlohmann::json(v); };
  if (min_open && low <= min) s["exclusiveMinimum"] = bound(min);
  else s["minimum"] = bound(low);
  s["maximum"] = bound(high);
}

}  // namespace devopt

PerOpClass OptionCodec<PerOpClass>::read(JsonReader& r, const std::string& key, const PerOpClass& fallback) {
  const nlohmann::json* v = r.raw(key);
  if (!v) return fallback;
  PerOpClass out;
  JsonReader cr(*v, r.child(key));
  for (OpClass c : kClasses) out[c] = cr.get<double>(op_class_name(c), fallback[c]);
  cr.finish();
  return out;
}

PerOpClass OptionCodec<PerOpClass>::require(JsonReader& r, const std::string& key) {
  const nlohmann::json* v = r.raw(key);
  if (!v) throw UserError(r.child(key) + ": required field is missing");
  PerOpClass out;
  JsonReader cr(*v, r.child(key));
  for (OpClass c : kClasses) out[c] = cr.require<double>(op_class_name(c));
  cr.finish();
  return out;
}

nlohmann::json OptionCodec<PerOpClass>::write(const PerOpClass& p) {
  nlohmann::json j = nlohmann::json::object();
  for (OpClass c : kClasses) j[op_class_name(c)] = p[c];
  return j;
}

nlohmann::json OptionCodec<PerOpClass>::schema() {
  nlohmann::json properties = nlohmann::json::object();
  for (OpClass c : kClasses) properties[op_class_name(c)] = {{"type", "number"}};
  return {{"type", "object"}, {"additionalProperties", false}, {"properties", properties}};
}

const std::vector<std::string>& DeviceProfile::sourced_fields() { return sourced_keys().required; }
const std::vector<std::string>& DeviceProfile::may_be_sourced_fields() { return sourced_keys().allowed; }

DeviceProfile DeviceProfile::from_json(const nlohmann::json& j, const std::string& source) {
  DeviceProfile p;
  try {
    read_fields(p, j, prefix(source));
  } catch (const UserError& e) {
    // The first problem in field order; a missing `sources` gets the hint of what it holds.
    const std::string missing = prefix(source) + "sources: required field is missing";
    if (std::string(e.what()) == missing) throw UserError(missing + " (where each number came from)");
    throw;
  }
  // Every sourced field says where its number came from; other keys are typos.
  const std::string at = prefix(source) + "sources.";
  const std::vector<std::string>& allowed = may_be_sourced_fields();
  for (const auto& [field, text] : p.sources)
    if (std::find(allowed.begin(), allowed.end(), field) == allowed.end()) {
      std::vector<std::string> sorted = allowed;
      std::sort(sorted.begin(), sorted.end());
      std::string known;
      for (const auto& f : sorted) known += (known.empty() ? "" : ", ") + f;
      throw UserError(at + field + ": unknown key" + did_you_mean(field, allowed) + " (expected one of: " + known + ")");
    }
  for (const auto& f : sourced_fields())
    if (!p.sources.count(f))
      throw UserError(at + f + ": required field is missing (say where " + f +
                      " came from: a vendor spec sheet, or \"estimate: <reasoning>\")");
  p.validate(source);
  return p;
}

void DeviceProfile::check(const std::string& path) const {
  const std::string at = path + (path.empty() || path.back() == ' ' ? "" : ".");  // as JsonReader::child
  if (name.empty()) throw UserError(at + "name: expected a non-empty string");
}

void DeviceProfile::validate(const std::string& source) const { validate_options(*this, prefix(source)); }

nlohmann::json DeviceProfile::to_json() const { return write_options(*this); }

nlohmann::json DeviceProfile::json_schema() {
  nlohmann::json s = options_schema<DeviceProfile>();
  nlohmann::json& src = s["properties"]["sources"];
  src["additionalProperties"] = false;
  for (const auto& f : may_be_sourced_fields()) src["properties"][f] = {{"type", "string"}};
  src["required"] = sourced_fields();
  src.erase("default");
  return s;
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
