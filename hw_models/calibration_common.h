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

// Divides each class's efficiency (compute or memory, a fraction of a peak) by its multiplier.
// With `raise_peak`, efficiencies that would exceed 1 are capped and the returned factor (>= 1) is
// what the peak must be multiplied by so the fastest class keeps its fitted speed; without it (per-
// class multipliers, where a class whose time is all overhead fits a multiplier near 0) they are
// capped at 1 and the factor is 1.
inline double divide_efficiencies(PerOpClass& efficiency, const PerOpClass& mult, bool raise_peak) {
  double max_eff = 0;
  PerOpClass eff;
  for (OpClass c : kClasses) {
    eff[c] = efficiency[c] / std::max(mult[c], 1e-6);
    max_eff = std::max(max_eff, eff[c]);
  }
  const double raise = raise_peak ? std::max(1.0, max_eff) : 1.0;
  for (OpClass c : kClasses) efficiency[c] = std::clamp(eff[c] / raise, 1e-6, 1.0);
  return raise;
}

// Compute-time multipliers: the efficiencies and the precision's peak FLOP rate.
inline void apply_compute_multipliers(DeviceProfile& p, Precision prec, const PerOpClass& mult, bool raise_peak) {
  set_peak(p, prec, peak_of(p, prec) * divide_efficiencies(p.efficiency, mult, raise_peak));
}

// Memory-time multipliers: the memory efficiencies and both bandwidths (DRAM and cache, by one factor).
inline void apply_memory_multipliers(DeviceProfile& p, const PerOpClass& mult) {
  const double raise = divide_efficiencies(p.memory_efficiency, mult, true);
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
