#pragma once
// Rank statistics shared by few-shot model selection (calibration) and the fidelity benchmarks:
// Spearman rho (Pearson of average ranks), Kendall tau-b (ties counted as scipy does) and mean
// absolute percentage error.
//
// Example:
//   double tau = kendall(predicted_ms, measured_ms);  // 1: same order
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace hwnas {

/// Average ranks, 0-based, ties sharing the mean of their positions.
inline std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<std::size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    for (std::size_t k = i; k <= j; ++k) r[idx[k]] = 0.5 * static_cast<double>(i + j);
    i = j + 1;
  }
  return r;
}

inline double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n, mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

inline double spearman(const std::vector<double>& a, const std::vector<double>& b) { return pearson(ranks(a), ranks(b)); }

inline double kendall(const std::vector<double>& a, const std::vector<double>& b) {  // tau-b
  double conc = 0, disc = 0, ta = 0, tb = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = i + 1; j < a.size(); ++j) {
      const double x = a[i] - a[j], y = b[i] - b[j];
      if (x == 0 && y == 0) continue;
      if (x == 0) ++ta;
      else if (y == 0) ++tb;
      else if ((x > 0) == (y > 0)) ++conc;
      else ++disc;
    }
  return (conc - disc) / std::sqrt((conc + disc + ta) * (conc + disc + tb));
}

/// Mean of |pred - meas| / meas, in percent (0 for no values).
inline double mape(const std::vector<double>& pred, const std::vector<double>& meas) {
  double s = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) s += std::fabs(pred[i] - meas[i]) / meas[i];
  return pred.empty() ? 0.0 : 100.0 * s / static_cast<double>(pred.size());
}

}  // namespace hwnas
