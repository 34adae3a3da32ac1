#pragma once
// The rank statistics the fidelity benchmarks report (defined once, in the library), and the
// small helpers the search benchmarks share (median over seeds, comma lists).
#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "hwnas/core/rank_stats.h"

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

/// "a,b,c" -> {"a", "b", "c"}.
inline std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string x;
  while (std::getline(ss, x, ',')) out.push_back(x);
  return out;
}

}  // namespace hwnas::bench
