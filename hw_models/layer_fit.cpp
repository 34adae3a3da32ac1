// Fitting a profile to per-layer measurements (fit_layer_measurements).
#include "hwnas/hw_models/calibration.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "hwnas/core/csv.h"
#include "hwnas/core/rank_stats.h"
#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"
#include "structural_fit.h"
#include "calibration_common.h"

namespace hwnas {

using namespace calibration_detail;

namespace {

constexpr double kMaxBandwidthMove = 8.0;

// Weighted multiplier fit: minimise sum_i ((y_i - F_i s) / y_i)^2 + w^2 sum_j (s_j - 1)^2, s >= 0.
Eigen::VectorXd fit_multipliers(const Eigen::MatrixXd& F, const Eigen::VectorXd& y, double prior_weight) {
  const Eigen::Index n = F.rows(), m = F.cols();
  Eigen::MatrixXd A(n + m, m);
  Eigen::VectorXd b(n + m);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double w = 1.0 / std::max(y(i), 1e-9);
    A.row(i) = F.row(i) * w;
    b(i) = y(i) * w;
  }
  A.bottomRows(m) = Eigen::MatrixXd::Identity(m, m) * prior_weight;
  b.tail(m).setConstant(prior_weight);
  return nnls(A, b);
}

}  // namespace

FitResult fit_layer_measurements(const DeviceProfile& start, const std::vector<LayerMeasurement>& ms, int batch,
                                 Precision precision, double prior_weight) {
  FitResult res;
  res.profile = start;
  res.profile.lookup_table = {};
  res.report.samples = static_cast<int>(ms.size());
  if (ms.empty()) return res;
  std::vector<double> measured;
  for (const auto& m : ms) measured.push_back(std::max(m.latency_us, 0.05) * 1e-3);
  auto predict_layers = [&](const DeviceProfile& p) {
    HardwareModel m(p);
    std::vector<double> out;
    for (const auto& x : ms) {
      LayerList one;
      one.layers.push_back(x.layer);
      const auto ts = m.terms(one, batch, precision);
      out.push_back(std::max(m.layer_latency_ms(ts[0]), 1e-9));
    }
    return out;
  };
  res.report.mape_before = mape(predict_layers(res.profile), measured);
  // Columns: 6 compute multipliers, 6 per-class overheads (multipliers of 1 us), 1 memory multiplier.
  constexpr int kCols = 2 * kNumOpClasses + 1;
  for (int it = 0; it < 5; ++it) {
    HardwareModel m(res.profile);
    const DeviceProfile& p = m.profile();
    Eigen::MatrixXd F = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(ms.size()), kCols);
    Eigen::VectorXd y(static_cast<Eigen::Index>(ms.size()));
    std::array<double, kNumOpClasses> overhead_now{};
    for (int c = 0; c < kNumOpClasses; ++c)
      overhead_now[c] = std::max(1e-3, 1e-3 * (p.kernel_overhead_us + p.class_overhead_us[kClasses[c]]));  // ms
    for (std::size_t i = 0; i < ms.size(); ++i) {
      LayerList one;
      one.layers.push_back(ms[i].layer);
      const LayerTerms t = m.terms(one, batch, precision)[0];
      const auto row = static_cast<Eigen::Index>(i);
      y(row) = measured[i];
      if (t.kernels == 0) continue;
      const int c = static_cast<int>(t.cls);
      const double compute = t.peak_compute_ms / p.efficiency[t.cls];
      const double memory = t.memory_ms / p.memory_efficiency[t.cls];
      if (compute >= memory) F(row, c) = compute;
      else F(row, 2 * kNumOpClasses) = memory;
      F(row, kNumOpClasses + c) = t.kernels * overhead_now[c];
    }
    const Eigen::VectorXd s = fit_multipliers(F, y, prior_weight);
    DeviceProfile next = p;
    PerOpClass mult;
    PerOpClass overhead_us;
    for (int c = 0; c < kNumOpClasses; ++c) {
      mult[kClasses[c]] = s(c);
      overhead_us[kClasses[c]] = 1e3 * s(kNumOpClasses + c) * overhead_now[c];
    }
    apply_compute_multipliers(next, precision, mult, false);
    // The bandwidths move by one factor, kept within kMaxBandwidthMove of the starting profile's:
    // where per-kernel overhead explains the layers' times (small layers on a GPU), the memory
    // column carries no information and an unbounded factor would drift without limit.
    // No memory-bound layer: nothing to fit, the bandwidth stays.
    const double moved = start.memory_bandwidth_gbs / p.memory_bandwidth_gbs;  // the factor so far
    const double sm = F.col(2 * kNumOpClasses).isZero()
                          ? 1.0
                          : std::clamp(s(2 * kNumOpClasses) * moved, 1.0 / kMaxBandwidthMove, kMaxBandwidthMove) / moved;
    next.memory_bandwidth_gbs /= sm;
    next.cache_bandwidth_gbs /= sm;
    double base = overhead_us[kClasses[0]];
    for (OpClass c : kClasses) base = std::min(base, overhead_us[c]);
    next.kernel_overhead_us = base;
    for (OpClass c : kClasses) next.class_overhead_us[c] = overhead_us[c] - base;
    res.profile = next;
  }
  res.report.mape_after = mape(predict_layers(res.profile), measured);
  for (OpClass c : kClasses) {
    res.report.parameters.push_back({std::string("efficiency.") + op_class_name(c), res.profile.efficiency[c]});
    res.report.parameters.push_back(
        {std::string("overhead_us.") + op_class_name(c), res.profile.kernel_overhead_us + res.profile.class_overhead_us[c]});
  }
  res.report.parameters.push_back({"memory_bandwidth_gbs", res.profile.memory_bandwidth_gbs});
  // An efficiency at its cap means the layers ran faster than the peak allows: the fit could not
  // follow them, and what is fitted later (the network adaptation) scales to make up for it.
  std::array<bool, kNumOpClasses> measured_class{};
  {
    const HardwareModel m(res.profile);
    for (const auto& x : ms) {
      LayerList one;
      one.layers.push_back(x.layer);
      const LayerTerms t = m.terms(one, batch, precision)[0];
      if (t.kernels > 0) measured_class[static_cast<int>(t.cls)] = true;
    }
  }
  for (OpClass c : kClasses)
    if (measured_class[static_cast<int>(c)] && res.profile.efficiency[c] >= 1.0 - 1e-9)
      res.report.warnings.push_back(std::string("efficiency.") + op_class_name(c) +
                                    " hit its bound of 1.0: the measured layers ran faster than the profile's " +
                                    precision_name(precision) + " peak allows (peak too low?), and the fit is suspect");
  const double moved = res.profile.memory_bandwidth_gbs / start.memory_bandwidth_gbs;
  if (moved >= kMaxBandwidthMove * (1 - 1e-9) || moved <= (1 + 1e-9) / kMaxBandwidthMove) {
    std::ostringstream w;
    w << "memory_bandwidth_gbs hit its bound (" << kMaxBandwidthMove << "x " << (moved > 1 ? "above" : "below")
      << " the profile's " << start.memory_bandwidth_gbs << " GB/s): the layers' times do not follow the bytes they "
      << "move (per-kernel overhead dominates them?), and the fitted bandwidth is suspect";
    res.report.warnings.push_back(w.str());
  }
  return res;
}

}  // namespace hwnas
