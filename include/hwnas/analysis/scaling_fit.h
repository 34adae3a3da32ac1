#pragma once
// `hwnas scaling fit`: how one quantity grows with another, optionally per category. Ordinary
// least squares of y on x (both log10 with `log`, so the slope is an elasticity: % more y per 1%
// more x), with a categorical factor in treatment coding and its interaction with x:
//
//   y = b0 + b1 x + sum_L (c_L D_L + d_L x D_L) + e,   D_L = 1 when the row's level is L
//
// The reference level is the alphabetically first (byte order, as patsy sorts); the terms are
// named and ordered as statsmodels/patsy names them for `y ~ x * by`:
//   Intercept, Domain[T.Language], Domain[T.Vision], Parameters, Parameters:Domain[T.Language], ...
//
// Rows are taken in four steps, each counted: --where filters, then rows whose x or y is
// missing, not a number, or (with log) not positive are dropped, then the --by cell (missing, or
// several comma-separated categories handled by --split-multi).
//
// Example:
//   ScalingFitOptions o; o.y = "FLOPs"; o.x = "Parameters"; o.by = "Domain"; o.log = true;
//   ScalingFit f = fit_scaling(read_data_table("models.csv").table, o);  std::cout << f.report();
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hwnas/analysis/ols.h"
#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"

namespace hwnas::analysis {

/// A --by cell holding several comma-separated categories ("Vision,Language"):
///   First    keep the row under its first category
///   Drop     drop the row (counted)
///   Explode  one row per category (the row's x and y repeated)
enum class SplitMulti { First, Drop, Explode };
SplitMulti parse_split_multi(const std::string& text, const std::string& where);  // UserError if unknown
std::string to_string(SplitMulti s);

/// A row filter COL=VALUE: the cell, trimmed, equals VALUE exactly.
struct WhereFilter {
  std::string column, value;
  /// Parses "COL=VALUE" (split at the first '='); UserError naming `where` otherwise.
  static WhereFilter parse(const std::string& text, const std::string& where = "where");
};

/// Rows kept by a list of filters: filters on different columns must all hold; several filters on
/// the same column are alternatives (--where Domain=Vision --where Domain=Audio keeps both).
/// Returns the kept row indices; UserError when a filter names a missing column.
std::vector<std::size_t> filter_rows(const CsvTable& t, const std::vector<WhereFilter>& where);

struct ScalingFitOptions {
  std::string y, x;            // column names (required)
  std::string by;              // categorical column; empty = no factor
  bool log = false;            // log10 both y and x
  std::vector<WhereFilter> where;
  bool robust = false;         // HC1 covariance (normal-distribution inference)
  SplitMulti split_multi = SplitMulti::First;
  FieldSpelling spelling;  // how messages name the options (the CLI: its flags, "--by")

  /// UserError naming the option at fault as `spelling` spells it (prefix `where`, e.g. "scaling fit").
  void validate(const std::string& where = "scaling_fit") const;
};

/// Why rows did not enter the fit. Counts are of rows of the file (before --split-multi explode).
struct RowCounts {
  std::size_t read = 0;              // data rows in the file
  std::size_t filtered = 0;          // removed by --where
  std::size_t missing = 0;           // x or y (or the --by cell) empty / NA
  std::size_t not_number = 0;        // x or y not a finite number
  std::size_t not_positive = 0;      // x or y <= 0 under log
  std::size_t multi_dropped = 0;     // several categories with --split-multi drop
  std::size_t multi_split = 0;       // rows with several categories that were kept (first/explode)
  std::size_t used = 0;              // rows of the file in the fit
  std::size_t observations = 0;      // rows of the regression (more than `used` with explode)
  /// The first few rows dropped as not a number, "FILE:LINE column 'x': 'abc'", for the report.
  std::vector<std::string> examples;

  std::size_t dropped() const { return missing + not_number + not_positive + multi_dropped; }
  std::string summary(const FieldSpelling& spelling = {}) const;  // one line; options named by `spelling`
  nlohmann::json to_json() const;
};

struct ScalingFit {
  ScalingFitOptions options;
  std::string source;
  RowCounts rows;
  std::vector<std::string> levels;   // sorted; levels[0] is the reference (empty without --by)
  OlsResult ols;
  /// The slope of y on x within each level (b_x + d_L) with its inference; one per level.
  std::vector<Coefficient> level_slopes;

  std::string model() const;         // "log10(FLOPs) ~ log10(Parameters) * Domain"
  std::string brief() const;         // a few lines: model, slope(s), R-squared, rows
  std::string report() const;        // the full table with the row accounting
  nlohmann::json to_json() const;
};

ScalingFit fit_scaling(const CsvTable& table, const ScalingFitOptions& options);

/// A numeric (x, y) pair of one row of a file.
struct XYRow {
  double x = 0, y = 0;
  std::size_t row = 0;  // index into CsvTable::rows
};
/// The shared first steps of the scaling analyses: applies `where`, reads columns `cx` and `cy`
/// of each kept row as numbers, drops (and counts in `rows`) those missing, not a number, or not
/// positive when `positive`, and returns the rest in file order. Fills read, filtered, missing,
/// not_number, not_positive and examples; the caller fills used and observations.
std::vector<XYRow> numeric_rows(const CsvTable& table, std::size_t cx, std::size_t cy, bool positive,
                                const std::vector<WhereFilter>& where, RowCounts& rows);

}  // namespace hwnas::analysis
