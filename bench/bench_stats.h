#pragma once
// The rank statistics the fidelity benchmarks report (defined once, in the library), and the
// small helpers the search benchmarks share (median over seeds and its bootstrap interval, comma
// lists).
#include <algorithm>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "hwnas/core/rank_stats.h"
#include "hwnas/core/rng.h"

namespace hwnas::bench {

using hwnas::kendall;
using hwnas::mape;
using hwnas::pearson;
using hwnas::ranks;
using hwnas::spearman;

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Bootstrap 95% percentile interval of the median of v (1,000 resamples with replacement from a
/// fixed seed, so the same values give the same interval).
inline std::pair<double, double> median_interval(const std::vector<double>& v) {
  if (v.empty()) return {0, 0};
  hwnas::Rng rng(0x626f6f74ULL);
  std::vector<double> meds, draw(v.size());
  for (int r = 0; r < 1000; ++r) {
    for (double& x : draw) x = v[rng.uniform_index(v.size())];
    meds.push_back(median(draw));
  }
  std::sort(meds.begin(), meds.end());
  return {meds[25], meds[974]};
}

/// "a,b,c" -> {"a", "b", "c"}.
inline std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string x;
  while (std::getline(ss, x, ',')) out.push_back(x);
  return out;
}

}  // namespace hwnas::bench
