#pragma once
// `hwnas scaling doubling`: how fast a quantity doubles over calendar time, per era. In each era
// log2 y is regressed on time in years; the slope is doublings per year and the doubling time is
// 12 / slope months. Its 95% interval comes from the slope's t interval: [12/hi, 12/lo] when the
// slope interval is above 0; when it includes 0 the data are consistent with no growth, so the
// doubling time is unbounded on one side (reported as such, not as a number). A negative slope
// is a halving time (reported as a negative doubling time).
//
// Dates: YYYY-MM-DD (fractional year from the day of the year), YYYY-MM (the first of the
// month), or a decimal year (2017.5). Era boundaries (--breaks) use the same forms; an era is
// [break_i, break_i+1).
//
// Example:
//   DoublingOptions o; o.y = "FLOPs"; o.date = "Date"; o.breaks = {"2010-01-01"};
//   DoublingResult d = doubling_times(read_data_table("ml.csv").table, o);   // d.eras[1].months
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hwnas/analysis/scaling_fit.h"
#include "hwnas/core/csv.h"

namespace hwnas::analysis {

/// A date as a decimal year; nullopt when the text is none of the forms above.
std::optional<double> decimal_year(std::string_view text);

struct DoublingOptions {
  std::string y, date;
  std::vector<std::string> breaks;  // increasing era boundaries
  std::vector<WhereFilter> where;
  FieldSpelling spelling;  // how messages name the options (the CLI: its flags)

  void validate(const std::string& where = "doubling") const;
};

struct Era {
  std::string label;                 // "start .. end" ("-inf .. 2010-01-01")
  double start = 0, end = 0;         // decimal years (-inf / +inf at the ends)
  std::size_t n = 0;
  bool fitted = false;               // false: too few rows, one date only, or y constant (see note)
  double slope = 0;                  // doublings per year (log2 y per year)
  double slope_low = 0, slope_high = 0;  // 95% t interval (n - 2 df); NaN with n = 2
  double months = 0;                 // 12 / slope; NaN when the slope is exactly 0 (printed "none", JSON null)
  /// 95% interval of the doubling time in months; unset bounds are unbounded.
  std::optional<double> months_low, months_high;
  double r_squared = 0;
  std::string note;                  // why an era was not fitted, or how to read its interval
};

struct DoublingResult {
  DoublingOptions options;
  std::string source;
  RowCounts rows;                    // not_number counts unparsable dates too
  std::vector<Era> eras;

  std::string brief() const;
  nlohmann::json to_json() const;
};

DoublingResult doubling_times(const CsvTable& table, const DoublingOptions& options);

}  // namespace hwnas::analysis
