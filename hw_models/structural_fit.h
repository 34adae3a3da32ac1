#pragma once
// Private to hw_models/: the structural model of few-shot adaptation (fewshot.cpp).
//
// A network's latency is modelled as
//     y = intercept + scale * profile_ms + sum_k count_k * delta_k
// where profile_ms is the starting profile's prediction and count_k the number of layers of kind
// k (layer_key(): op, shapes, kernel, stride, groups) in the network, the inputs of
// BRP-NAS/HELP-style predictors. The fit minimises relative errors plus a ridge penalty that
// pulls every delta towards 0, i.e. towards the profile (the prior): with few samples the model
// stays the scaled profile, with many it learns what each layer kind really costs on the device,
// including ops the profile prices at nothing (a `none` op a compiled runtime still runs). The
// ridge weight is chosen from a fixed grid by exact leave-one-out error (one-standard-error
// rule), which ridge regression gives in closed form (no refits), so 1,000 samples cost about as
// much as 10.
//
// Example:
//   LayerKeyCounts f = layer_key_counts({&a.layers, &b.layers, ...});
//   StructuralFit s = fit_structural(f.counts, profile_ms, measured_ms, rows);
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "hwnas/nas/cost.h"

namespace hwnas {

struct LayerKeyCounts {
  std::vector<std::string> keys;  // column -> layer key
  Eigen::MatrixXd counts;         // networks x keys: layers of that key (Identity layers are not counted)
};
LayerKeyCounts layer_key_counts(const std::vector<const LayerList*>& nets);

struct StructuralFit {
  double intercept_ms = 0, scale = 1, ridge = 0;
  Eigen::VectorXd delta_ms;     // per key of the counts
  std::vector<double> loo_ms;   // exact leave-one-out prediction of each fitted row, in row order
};

/// The ridge weights tried (relative: 1 weighs a delta explaining the whole of a typical network's
/// latency like one sample's relative error of 100%).
const std::vector<double>& structural_ridge_grid();

/// Fits the rows `rows` of counts / profile_ms / measured_ms (all indexed by network), with the
/// largest ridge weight of `ridges` whose leave-one-out error is within one standard error of
/// the lowest.
StructuralFit fit_structural(const Eigen::MatrixXd& counts, const std::vector<double>& profile_ms,
                             const std::vector<double>& measured_ms, const std::vector<std::size_t>& rows,
                             const std::vector<double>& ridges = structural_ridge_grid());

/// The fitted model's latency of network `i`.
double predict_structural(const StructuralFit& f, const Eigen::MatrixXd& counts, const std::vector<double>& profile_ms,
                          std::size_t i);

}  // namespace hwnas
