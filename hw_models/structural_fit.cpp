#include "structural_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "hwnas/core/error.h"
#include "hwnas/hw_models/latency_model.h"

namespace hwnas {

LayerKeyCounts layer_key_counts(const std::vector<const LayerList*>& nets) {
  LayerKeyCounts out;
  std::map<std::string, int> column;
  std::vector<std::vector<std::pair<int, double>>> rows(nets.size());
  for (std::size_t i = 0; i < nets.size(); ++i) {
    std::map<int, double> row;
    for (const LayerCost& l : nets[i]->layers) {
      if (l.kind == OpKind::Identity) continue;
      const std::string key = layer_key(l);
      auto [it, added] = column.emplace(key, static_cast<int>(out.keys.size()));
      if (added) out.keys.push_back(key);
      row[it->second] += 1;
    }
    rows[i].assign(row.begin(), row.end());
  }
  out.counts = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(nets.size()), static_cast<Eigen::Index>(out.keys.size()));
  for (std::size_t i = 0; i < nets.size(); ++i)
    for (auto [c, n] : rows[i]) out.counts(static_cast<Eigen::Index>(i), c) = n;
  return out;
}

const std::vector<double>& structural_ridge_grid() {
  static const std::vector<double> g{1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100};
  return g;
}

StructuralFit fit_structural(const Eigen::MatrixXd& counts, const std::vector<double>& profile_ms,
                             const std::vector<double>& measured_ms, const std::vector<std::size_t>& rows,
                             const std::vector<double>& ridges) {
  HWNAS_CHECK(!rows.empty(), "structural fit without samples");
  const auto n = static_cast<Eigen::Index>(rows.size());
  const Eigen::Index K = counts.cols(), p = K + 2;
  // Columns: intercept, profile prediction, one per layer key. Each row is divided by the
  // measurement, so the fit minimises relative errors (what MAPE scores).
  Eigen::MatrixXd X(n, p);
  Eigen::VectorXd y(n);
  double mean_y = 0;
  Eigen::VectorXd mean_count = Eigen::VectorXd::Zero(K);
  for (Eigen::Index r = 0; r < n; ++r) {
    const std::size_t i = rows[static_cast<std::size_t>(r)];
    const double w = 1.0 / measured_ms[i];
    X(r, 0) = w;
    X(r, 1) = profile_ms[i] * w;
    X.row(r).tail(K) = counts.row(static_cast<Eigen::Index>(i)) * w;
    y(r) = 1.0;
    mean_y += measured_ms[i] / static_cast<double>(n);
    mean_count += counts.row(static_cast<Eigen::Index>(i)).transpose() / static_cast<double>(n);
  }
  // Penalty scale of each delta: its share of a typical network's latency. Intercept and scale
  // are free: the profile's scale is what every other candidate fits too; the prior is on
  // structure. A key no fitted network has gets a nominal scale (its delta stays 0).
  Eigen::VectorXd d2(p);
  d2(0) = d2(1) = 0;
  for (Eigen::Index k = 0; k < K; ++k) {
    const double d = std::max(mean_count(k), 1.0) / mean_y;
    d2(2 + k) = d * d;
  }
  // A tiny ridge on intercept and scale keeps the system definite when they are collinear with
  // the counts (a key in every network).
  const double tiny = 1e-9 * (X.squaredNorm() / static_cast<double>(p) + 1.0);
  // The profile's scale must stay positive (it becomes the profile's speed): a fit that wants it
  // lower is refitted with it held at a floor, a hundredth of the typical measured / predicted.
  std::vector<double> ratio;
  for (std::size_t i : rows) ratio.push_back(measured_ms[i] / std::max(profile_ms[i], 1e-12));
  std::nth_element(ratio.begin(), ratio.begin() + static_cast<long>(ratio.size() / 2), ratio.end());
  const double min_scale = 0.01 * ratio[ratio.size() / 2];
  // Every weight of the grid, then the one-standard-error rule (Breiman et al. 1984; glmnet's
  // lambda.1se): the strongest pull towards the profile whose leave-one-out error is within one
  // standard error of the lowest. Ten samples cannot tell nearby weights apart, and of those the
  // one that trusts the profile most extrapolates best.
  std::vector<StructuralFit> fits;
  std::vector<double> mean_err, se_err;
  for (double lambda : ridges) {
    StructuralFit f;
    f.ridge = lambda;
    f.loo_ms.resize(rows.size());
    Eigen::MatrixXd A = X;
    Eigen::VectorXd b = y;
    for (int attempt = 0; attempt < 2; ++attempt) {
      Eigen::MatrixXd M = A.transpose() * A;
      for (Eigen::Index j = 0; j < p; ++j) M(j, j) += lambda * d2(j) + tiny;
      if (attempt == 1) M(1, 1) += 1.0;  // the scale's column is zero: keep the system definite
      const Eigen::LDLT<Eigen::MatrixXd> ldlt(M);
      const Eigen::VectorXd theta = ldlt.solve(A.transpose() * b);
      if (attempt == 0 && theta(1) < min_scale) {
        // Hold the scale at its floor: its part moves to the target side.
        b = y - min_scale * X.col(1);
        A.col(1).setZero();
        continue;
      }
      f.intercept_ms = theta(0);
      f.scale = attempt == 0 ? theta(1) : min_scale;
      f.delta_ms = theta.tail(K);
      const Eigen::MatrixXd MinvAt = ldlt.solve(A.transpose());  // p x n
      double sum = 0, sum2 = 0;
      for (Eigen::Index r = 0; r < n; ++r) {
        const double h = A.row(r).dot(MinvAt.col(r));
        const double resid = b(r) - A.row(r).dot(theta);  // relative residual of the full fit
        const double loo_resid = resid / std::max(1.0 - h, 1e-9);
        const double yi = measured_ms[rows[static_cast<std::size_t>(r)]];
        f.loo_ms[static_cast<std::size_t>(r)] = yi * (1.0 - loo_resid);
        sum += std::fabs(loo_resid);
        sum2 += loo_resid * loo_resid;
      }
      const double mean = sum / static_cast<double>(n);
      const double var = std::max(0.0, sum2 / static_cast<double>(n) - mean * mean);
      mean_err.push_back(std::isfinite(mean) ? mean : std::numeric_limits<double>::infinity());
      se_err.push_back(std::sqrt(var / static_cast<double>(n)));
      break;
    }
    fits.push_back(std::move(f));
  }
  std::size_t best = 0;
  for (std::size_t k = 1; k < fits.size(); ++k)
    if (mean_err[k] < mean_err[best]) best = k;
  std::size_t chosen = best;
  for (std::size_t k = 0; k < fits.size(); ++k)
    if (fits[k].ridge > fits[chosen].ridge && mean_err[k] <= mean_err[best] + se_err[best]) chosen = k;
  return fits[chosen];
}

double predict_structural(const StructuralFit& f, const Eigen::MatrixXd& counts, const std::vector<double>& profile_ms,
                          std::size_t i) {
  return f.intercept_ms + f.scale * profile_ms[i] + counts.row(static_cast<Eigen::Index>(i)).dot(f.delta_ms);
}

}  // namespace hwnas
