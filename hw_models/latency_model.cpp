#include "hwnas/hw_models/latency_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "hwnas/core/error.h"

namespace hwnas {

namespace {

// How far back/forward to look for the neighbour of a layer in its op chain: the spaces emit a
// chain's layers close together (an interleaved skip or shortcut edge at most in between).
constexpr int kChainWindow = 4;

std::string_view chain_of(const std::string& name) {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? std::string_view() : std::string_view(name).substr(0, dot);
}

// The previous / next layer of the same op chain within the window, or -1.
int chain_neighbour(const std::vector<LayerCost>& ls, int i, int step) {
  const std::string_view c = chain_of(ls[i].name);
  if (c.empty()) return -1;
  for (int k = 1; k <= kChainWindow; ++k) {
    const int j = i + step * k;
    if (j < 0 || j >= static_cast<int>(ls.size())) return -1;
    if (chain_of(ls[j].name) == c) return j;
  }
  return -1;
}

bool is_activation(OpKind k) { return k == OpKind::ReLU || k == OpKind::ReLU6 || k == OpKind::HSwish; }

// Does a compiled runtime run this layer inside a neighbour's kernel (or drop it)?
bool fused_when_compiled(const std::vector<LayerCost>& ls, int i) {
  const OpKind k = ls[i].kind;
  if (k == OpKind::Zero || k == OpKind::Identity) return true;  // constant / no-op
  if (k == OpKind::BatchNorm) {
    const int prev = chain_neighbour(ls, i, -1);
    return prev >= 0 && ls[prev].kind == OpKind::Conv2d;  // folded into the conv's weights
  }
  if (is_activation(k)) {
    const int prev = chain_neighbour(ls, i, -1);
    if (prev >= 0) return ls[prev].kind == OpKind::Conv2d || ls[prev].kind == OpKind::BatchNorm;  // epilogue
    const int next = chain_neighbour(ls, i, +1);
    return next >= 0 && ls[next].kind == OpKind::Conv2d;  // pre-activation: applied as the conv loads its input
  }
  return false;
}

double peak_flops(const DeviceProfile& p, Precision prec) {
  switch (prec) {
    case Precision::FP32: return p.peak_tflops_fp32 * 1e12;
    case Precision::FP16: return p.peak_tflops_fp16 * 1e12;
    case Precision::INT8: return p.peak_tops_int8 * 1e12;
  }
  return 0;
}

double energy_pj_per_flop(const DeviceProfile& p, Precision prec) {
  switch (prec) {
    case Precision::FP32: return p.energy_pj_per_flop_fp32;
    case Precision::FP16: return p.energy_pj_per_flop_fp16;
    case Precision::INT8: return p.energy_pj_per_op_int8;
  }
  return 0;
}

}  // namespace

Precision parse_precision(const std::string& text) {
  if (text == "fp32") return Precision::FP32;
  if (text == "fp16" || text == "bf16") return Precision::FP16;
  if (text == "int8") return Precision::INT8;
  throw UserError("unknown precision '" + text + "' (expected fp32, fp16, bf16 or int8)");
}

std::string precision_name(Precision p) {
  switch (p) {
    case Precision::FP32: return "fp32";
    case Precision::FP16: return "fp16";
    case Precision::INT8: return "int8";
  }
  return "?";
}

int bytes_per_element(Precision p) { return p == Precision::FP32 ? 4 : p == Precision::FP16 ? 2 : 1; }

OpClass op_class_of(const LayerCost& l) {
  switch (l.kind) {
    case OpKind::Conv2d:
      if (l.groups > 1 && l.groups == l.input.c) return OpClass::ConvDepthwise;
      return l.kernel == 1 ? OpClass::Conv1x1 : OpClass::ConvDense;
    case OpKind::AvgPool:
    case OpKind::MaxPool:
    case OpKind::GlobalAvgPool: return OpClass::Pooling;
    case OpKind::Linear: return OpClass::Linear;
    default: return OpClass::Elementwise;
  }
}

std::string layer_key(const LayerCost& l) {
  auto shape = [](const TensorShape& s) {
    return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
  };
  std::string k = std::string(op_kind_name(l.kind)) + " " + shape(l.input) + ">" + shape(l.output);
  switch (l.kind) {
    case OpKind::Conv2d:
      k += " k" + std::to_string(l.kernel) + " s" + std::to_string(l.stride) + " g" + std::to_string(l.groups);
      if (l.dilation != 1) k += " d" + std::to_string(l.dilation);
      break;
    case OpKind::AvgPool:
    case OpKind::MaxPool: k += " k" + std::to_string(l.kernel) + " s" + std::to_string(l.stride); break;
    case OpKind::Add:
    case OpKind::Concat: k += " n" + std::to_string(l.num_inputs); break;
    default: break;
  }
  return k;
}

HardwareModel::HardwareModel(DeviceProfile p) : p_(std::move(p)) {
  if (!p_.lookup_table.empty()) {
    const std::string& t = p_.lookup_table.precision;
    lut_fp32_ = t == "fp32";
    lut_fp16_ = t == "fp16";
    lut_int8_ = t == "int8";
  }
}

std::vector<LayerTerms> HardwareModel::terms(const LayerList& list, int batch, Precision precision) const {
  if (batch < 1) throw UserError("batch: expected a positive integer, got " + std::to_string(batch));
  const auto& ls = list.layers;
  std::vector<LayerTerms> out(ls.size());
  const double peak = peak_flops(p_, precision);
  const double bpe = bytes_per_element(precision);
  const double cache_bytes = p_.cache_mb * 1024.0 * 1024.0;
  const double dram_bps = p_.memory_bandwidth_gbs * 1e9, cache_bps = p_.cache_bandwidth_gbs * 1e9;
  const bool compiled = p_.runtime == RuntimeKind::Compiled;
  const double B = batch;
  for (std::size_t i = 0; i < ls.size(); ++i) {
    const LayerCost& l = ls[i];
    LayerTerms& t = out[i];
    t.cls = op_class_of(l);
    if (l.kind == OpKind::Identity || (compiled && fused_when_compiled(ls, static_cast<int>(i)))) {
      t.fused = true;
      continue;
    }
    double flops = B * static_cast<double>(l.flops);
    double act_elems = B * static_cast<double>(l.input_elements + l.output_elements);
    t.kernels = 1;
    if (l.kind == OpKind::Add && !compiled) {
      // Eager sums pairwise: n-1 kernels, each reading two tensors and writing one.
      t.kernels = std::max(1, l.num_inputs - 1);
      act_elems = B * static_cast<double>(l.output_elements) * 3.0 * t.kernels;
    }
    const double bytes = bpe * (act_elems + static_cast<double>(l.weight_elements));
    const double dram_fraction = bytes <= cache_bytes ? 0.0 : 1.0 - cache_bytes / bytes;
    const double occupancy = std::min(1.0, B * static_cast<double>(l.output_elements) / p_.full_occupancy_outputs);
    double tile_use = 1.0;  // of the arithmetic: memory traffic does not depend on it
    if (t.cls == OpClass::ConvDense || t.cls == OpClass::Conv1x1) {
      // Implicit GEMM: a group's output channels are the N side of the matrix unit's tile; a narrow
      // layer leaves most of each tile idle, whatever the batch.
      const double per_group = static_cast<double>(l.output.c) / std::max(1, l.groups);
      tile_use = std::min(1.0, per_group / p_.conv_channel_tile);
    }
    t.flops = flops;
    t.dram_bytes = bytes * dram_fraction;
    t.peak_compute_ms = 1e3 * flops / (peak * occupancy * tile_use);
    t.memory_ms = 1e3 * bytes * (dram_fraction / dram_bps + (1.0 - dram_fraction) / cache_bps) / occupancy;
  }
  return out;
}

double HardwareModel::layer_latency_ms(const LayerTerms& t) const {
  if (t.kernels == 0) return 0.0;
  const double compute = t.peak_compute_ms / p_.efficiency[t.cls];
  const double memory = t.memory_ms / p_.memory_efficiency[t.cls];
  return std::max(compute, memory) + t.kernels * 1e-3 * (p_.kernel_overhead_us + p_.class_overhead_us[t.cls]);
}

HwPrediction HardwareModel::predict(const LayerList& list, int batch, Precision precision, bool with_layers) const {
  const std::vector<LayerTerms> ts = terms(list, batch, precision);
  const bool use_lut = batch == p_.lookup_table.batch &&
                       ((precision == Precision::FP32 && lut_fp32_) || (precision == Precision::FP16 && lut_fp16_) ||
                        (precision == Precision::INT8 && lut_int8_));
  const bool use_corrections = !p_.corrections.empty() && batch == p_.corrections.batch &&
                               p_.corrections.precision == precision_name(precision);
  const double pj_flop = energy_pj_per_flop(p_, precision);
  HwPrediction out;
  double uncorrected_ms = 0, corrected_ms = 0;  // the corrected layers' latency before and after
  if (with_layers) out.layers.reserve(ts.size());
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const LayerTerms& t = ts[i];
    double latency = 0;
    bool from_lut = false;
    if (t.kernels > 0 && use_lut) {
      auto it = p_.lookup_table.latency_us.find(layer_key(list.layers[i]));
      if (it != p_.lookup_table.latency_us.end()) {
        latency = it->second * 1e-3;
        from_lut = true;
      }
    }
    if (!from_lut) latency = layer_latency_ms(t);
    if (use_corrections && !from_lut && list.layers[i].kind != OpKind::Identity) {
      auto it = p_.corrections.latency_us.find(layer_key(list.layers[i]));
      if (it != p_.corrections.latency_us.end()) {
        uncorrected_ms += latency;
        latency += it->second * 1e-3;  // a layer may go negative: corrections are fitted as a sum
        corrected_ms += latency;
      }
    }
    const double dynamic = 1e-9 * (t.flops * pj_flop + t.dram_bytes * p_.energy_pj_per_dram_byte);  // pJ -> mJ
    out.latency_ms += latency;
    out.dynamic_energy_mj += dynamic;
    out.kernels += t.kernels;
    if (with_layers) {
      LayerPrediction lp;
      lp.name = list.layers[i].name;
      lp.kind = list.layers[i].kind;
      lp.latency_ms = latency;
      lp.energy_mj = dynamic + p_.static_power_w * latency;  // W * ms = mJ
      lp.fused_into_previous = t.kernels == 0;
      lp.kernels = t.kernels;
      lp.from_lookup_table = from_lut;
      if (!from_lut && t.kernels > 0) {
        lp.compute_ms = t.peak_compute_ms / p_.efficiency[t.cls];
        lp.memory_ms = t.memory_ms / p_.memory_efficiency[t.cls];
        lp.overhead_ms = latency - std::max(lp.compute_ms, lp.memory_ms);
      }
      out.layers.push_back(std::move(lp));
    }
  }
  out.latency_ms += 1e-3 * (use_lut ? p_.lookup_table.network_overhead_us : p_.network_overhead_us);
  // Far outside the networks they were fitted to, corrections may not cut a network below a
  // tenth of its latency without them.
  const double without_ms = out.latency_ms - corrected_ms + uncorrected_ms;
  if (out.latency_ms < 0.1 * without_ms) out.latency_ms = 0.1 * without_ms;
  out.energy_mj = out.dynamic_energy_mj + p_.static_power_w * out.latency_ms;
  // Validated profiles keep both finite for any real network; a profile built in code may not.
  if (!std::isfinite(out.latency_ms) || !std::isfinite(out.energy_mj)) {
    char buf[96];
    std::snprintf(buf, sizeof buf, " is not a finite number (latency %g ms, energy %g mJ)", out.latency_ms, out.energy_mj);
    throw UserError("device " + p_.name + ": the predicted " +
                    (std::isfinite(out.latency_ms) ? std::string("energy") : std::string("latency")) + buf +
                    " at batch " + std::to_string(batch) + ": the profile has an absurd value (check " +
                    (std::isfinite(out.latency_ms) ? "static_power_w and the energy_pj_* fields"
                                                   : "the peaks, bandwidths, efficiencies and overheads") +
                    ")");
  }
  return out;
}

}  // namespace hwnas
