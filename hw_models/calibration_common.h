#pragma once
// Private to hw_models: what the calibration files share (the few-shot adaptation in fewshot.cpp,
// the per-layer fit in layer_fit.cpp and the calibrate procedure in calibration.cpp).
#include <algorithm>
#include <array>
#include <vector>

#include "hwnas/hw_models/calibration.h"

namespace hwnas::calibration_detail {

constexpr std::array<OpClass, kNumOpClasses> kClasses{OpClass::ConvDense, OpClass::Conv1x1, OpClass::ConvDepthwise,
                                                      OpClass::Pooling,   OpClass::Elementwise, OpClass::Linear};

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

inline double peak_of(const DeviceProfile& p, Precision prec) {
  return prec == Precision::FP32 ? p.peak_tflops_fp32 : prec == Precision::FP16 ? p.peak_tflops_fp16 : p.peak_tops_int8;
}
inline void set_peak(DeviceProfile& p, Precision prec, double v) {
  (prec == Precision::FP32 ? p.peak_tflops_fp32 : prec == Precision::FP16 ? p.peak_tflops_fp16 : p.peak_tops_int8) = v;
}

// Divides every efficiency by its compute multiplier. With `raise_peak` (one multiplier shared by
// all classes) efficiencies that would exceed 1 are capped and the precision's peak raised so the
// fastest class keeps its fitted speed; otherwise (per-class multipliers, where a class whose time
// is all overhead fits a multiplier near 0) they are capped at 1.
inline void apply_compute_multipliers(DeviceProfile& p, Precision prec, const PerOpClass& mult, bool raise_peak) {
  double max_eff = 0;
  PerOpClass eff;
  for (OpClass c : kClasses) {
    eff[c] = p.efficiency[c] / std::max(mult[c], 1e-6);
    max_eff = std::max(max_eff, eff[c]);
  }
  const double raise = raise_peak ? std::max(1.0, max_eff) : 1.0;
  for (OpClass c : kClasses) p.efficiency[c] = std::clamp(eff[c] / raise, 1e-6, 1.0);
  set_peak(p, prec, peak_of(p, prec) * raise);
}

// Divides every class's memory efficiency by its memory-time multiplier; efficiencies that would
// exceed 1 are capped and both bandwidths (DRAM and cache, by one factor) raised so the fastest
// class keeps its fitted speed.
inline void apply_memory_multipliers(DeviceProfile& p, const PerOpClass& mult) {
  double max_eff = 0;
  PerOpClass eff;
  for (OpClass c : kClasses) {
    eff[c] = p.memory_efficiency[c] / std::max(mult[c], 1e-6);
    max_eff = std::max(max_eff, eff[c]);
  }
  const double raise = std::max(1.0, max_eff);
  for (OpClass c : kClasses) p.memory_efficiency[c] = std::clamp(eff[c] / raise, 1e-6, 1.0);
  p.memory_bandwidth_gbs *= raise;
  p.cache_bandwidth_gbs *= raise;
}

// The profile's analytic model (its lookup table, if any, set aside): what a fit adjusts.
inline HardwareModel analytic_model(const DeviceProfile& p) {
  DeviceProfile analytic = p;
  analytic.lookup_table = {};
  return HardwareModel(std::move(analytic));
}

inline std::vector<double> predict_all(const DeviceProfile& p, const std::vector<LatencySample>& s, int batch, Precision prec) {
  const HardwareModel m = analytic_model(p);
  std::vector<double> out;
  for (const auto& x : s) out.push_back(m.predict(x.layers, batch, prec).latency_ms);
  return out;
}

}  // namespace hwnas::calibration_detail
