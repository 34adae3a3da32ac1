#pragma once
// `hwnas scaling powerlaw`: y = a * x^b fitted by least squares on log10 y = log10 a + b log10 x,
// with bootstrap percentile 95% intervals for a and b (rows resampled with replacement, the same
// intervals for the same seed). Rows with x or y missing, not a number or not positive are
// dropped and counted.
//
// Example:
//   PowerLawOptions o; o.y = "flops"; o.x = "params"; o.seed = 7;
//   PowerLawFit f = fit_power_law(read_data_table("models.csv").table, o);   // f.b, f.b_ci
#include <cstdint>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "hwnas/analysis/scaling_fit.h"
#include "hwnas/core/csv.h"

namespace hwnas::analysis {

struct PowerLawOptions {
  std::string y, x;
  int bootstrap = 1000;       // resamples; 0 = no intervals
  std::uint64_t seed = 0;
  std::vector<WhereFilter> where;
  FieldSpelling spelling;  // how messages name the options (the CLI: its flags)

  void validate(const std::string& where = "powerlaw") const;
};

struct PowerLawFit {
  PowerLawOptions options;
  std::string source;
  RowCounts rows;
  double a = 0, b = 0;        // y = a x^b
  double r_squared = 0;       // of the fit on log10 scale
  /// 2.5% and 97.5% bootstrap percentiles (linear interpolation between order statistics, as
  /// numpy.percentile); NaN when bootstrap = 0.
  std::pair<double, double> a_ci, b_ci;
  int resamples_used = 0;     // resamples whose x values were not all equal (others are skipped)

  std::string brief() const;
  nlohmann::json to_json() const;
};

PowerLawFit fit_power_law(const CsvTable& table, const PowerLawOptions& options);

/// The q-quantile (0 <= q <= 1) of values by linear interpolation (numpy's default); sorts a copy.
double percentile(std::vector<double> values, double q);

}  // namespace hwnas::analysis
