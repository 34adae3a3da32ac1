#include "hwnas/analysis/doubling.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>

#include "hwnas/analysis/data_table.h"
#include "hwnas/analysis/ols.h"
#include "hwnas/core/error.h"

namespace hwnas::analysis {

namespace {

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in_month(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

// Reads 1..max_digits digits at text[pos]; advances pos.
std::optional<int> digits(std::string_view text, std::size_t& pos, std::size_t min_digits, std::size_t max_digits) {
  std::size_t start = pos;
  int v = 0;
  while (pos < text.size() && pos - start < max_digits && std::isdigit(static_cast<unsigned char>(text[pos])))
    v = v * 10 + (text[pos++] - '0');
  if (pos - start < min_digits) return std::nullopt;
  return v;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

std::optional<double> decimal_year(std::string_view text) {
  text = trim(text);
  std::size_t pos = 0;
  const auto year = digits(text, pos, 4, 4);
  if (year && pos < text.size() && text[pos] == '-') {
    ++pos;
    const auto month = digits(text, pos, 1, 2);
    if (!month || *month < 1 || *month > 12) return std::nullopt;
    int day = 1;
    if (pos < text.size()) {
      if (text[pos] != '-') return std::nullopt;
      ++pos;
      const auto d = digits(text, pos, 1, 2);
      if (!d || pos != text.size() || *d < 1 || *d > days_in_month(*year, *month)) return std::nullopt;
      day = *d;
    }
    int day_of_year = day;
    for (int m = 1; m < *month; ++m) day_of_year += days_in_month(*year, m);
    return *year + (day_of_year - 1) / (leap(*year) ? 366.0 : 365.0);
  }
  const Cell c = parse_cell(text);
  if (c.kind != CellKind::Number) return std::nullopt;
  return c.value;
}

void DoublingOptions::validate(const std::string& where) const {
  auto f = [&](const char* field) { return spell_field(spelling, field); };
  if (y.empty()) throw UserError(where + ": " + f("y") + ": a column name is required");
  if (date.empty()) throw UserError(where + ": " + f("date") + ": a column name is required");
  if (y == date) throw UserError(where + ": " + f("y") + " and " + f("date") + " name the same column '" + y + "'");
  double last = -std::numeric_limits<double>::infinity();
  for (const auto& b : breaks) {
    const auto t = decimal_year(b);
    if (!t) throw UserError(where + ": " + f("breaks") + ": '" + b + "' is not a date (YYYY-MM-DD, YYYY-MM or a decimal year)");
    if (*t <= last) throw UserError(where + ": " + f("breaks") + ": dates must increase, '" + b + "' does not");
    last = *t;
  }
}

DoublingResult doubling_times(const CsvTable& table, const DoublingOptions& options) {
  options.validate();
  DoublingResult res;
  res.options = options;
  res.source = table.source;
  const std::size_t cy = table.require_column(options.y), cd = table.require_column(options.date);
  RowCounts& rc = res.rows;
  rc.read = table.rows.size();
  const std::vector<std::size_t> kept = filter_rows(table, options.where);
  rc.filtered = rc.read - kept.size();
  std::vector<std::pair<double, double>> points;  // (decimal year, log2 y)
  for (std::size_t r : kept) {
    const Cell yv = parse_cell(table.rows[r][cy]);
    const std::string& dt = table.rows[r][cd];
    if (yv.kind == CellKind::Missing || is_missing(dt)) {
      ++rc.missing;
      continue;
    }
    const auto t = decimal_year(dt);
    if (yv.kind == CellKind::NotNumber || !t) {
      ++rc.not_number;
      if (rc.examples.size() < 5) {
        const std::size_t c = yv.kind == CellKind::NotNumber ? cy : cd;
        rc.examples.push_back(table.where(r) + " column '" + table.header[c] + "': '" + table.rows[r][c] + "'");
      }
      continue;
    }
    if (yv.value <= 0) {
      ++rc.not_positive;
      continue;
    }
    points.emplace_back(*t, std::log2(yv.value));
  }
  rc.used = rc.observations = points.size();

  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> bounds{-inf};
  for (const auto& b : options.breaks) bounds.push_back(*decimal_year(b));
  bounds.push_back(inf);
  for (std::size_t e = 0; e + 1 < bounds.size(); ++e) {
    Era era;
    era.start = bounds[e];
    era.end = bounds[e + 1];
    if (options.breaks.empty())
      era.label = "all";
    else if (e == 0)
      era.label = "before " + options.breaks[0];
    else if (e == options.breaks.size())
      era.label = "from " + options.breaks[e - 1];
    else
      era.label = options.breaks[e - 1] + " to " + options.breaks[e];
    std::vector<double> ts, ls;
    for (const auto& [t, l] : points)
      if (t >= era.start && t < era.end) {
        ts.push_back(t);
        ls.push_back(l);
      }
    era.n = ts.size();
    era.slope_low = era.slope_high = era.months = nan;
    const bool distinct = era.n >= 2 && std::any_of(ts.begin(), ts.end(), [&](double t) { return t != ts[0]; });
    if (!distinct) {
      era.note = era.n == 0 ? "no rows in this era" : "fewer than 2 distinct dates: no trend to fit";
      res.eras.push_back(era);
      continue;
    }
    if (std::all_of(ls.begin(), ls.end(), [&](double l) { return l == ls[0]; })) {
      era.note = options.y + " is the same in every row of this era: no growth, so no doubling time";
      res.eras.push_back(era);
      continue;
    }
    double mean_t = 0;
    for (double t : ts) mean_t += t;
    mean_t /= static_cast<double>(ts.size());
    if (era.n == 2) {
      era.fitted = true;
      era.slope = (ls[1] - ls[0]) / (ts[1] - ts[0]);
      era.r_squared = 1;
      era.months = 12 / era.slope;
      era.note = "2 rows: a line through them, no interval";
      res.eras.push_back(era);
      continue;
    }
    // Centred time keeps the intercept and slope columns far from collinear.
    Eigen::MatrixXd X(static_cast<Eigen::Index>(era.n), 2);
    Eigen::VectorXd y(static_cast<Eigen::Index>(era.n));
    for (std::size_t i = 0; i < era.n; ++i) {
      X(static_cast<Eigen::Index>(i), 0) = 1;
      X(static_cast<Eigen::Index>(i), 1) = ts[i] - mean_t;
      y(static_cast<Eigen::Index>(i)) = ls[i];
    }
    const OlsResult ols = fit_ols(X, y, {"Intercept", "year"});
    const Coefficient& s = ols.coefficients[1];
    era.fitted = true;
    era.slope = s.estimate;
    era.slope_low = s.ci_low;
    era.slope_high = s.ci_high;
    era.r_squared = ols.r_squared;
    era.months = era.slope != 0 ? 12 / era.slope : nan;  // a zero slope: no doubling time (interval below)
    if (era.slope_low > 0 || era.slope_high < 0) {
      // 12 / s decreases in s on each side of 0, so the bounds swap.
      era.months_low = 12 / era.slope_high;
      era.months_high = 12 / era.slope_low;
      if (era.slope < 0) era.note = "y shrinks: a negative doubling time is a halving time";
    } else if (era.slope >= 0) {
      if (era.slope_high > 0) era.months_low = 12 / era.slope_high;
      era.note = "the slope's 95% interval includes 0 (no growth), so the doubling time has no upper bound";
    } else {
      if (era.slope_low < 0) era.months_high = 12 / era.slope_low;
      era.note = "y shrinks, but the slope's 95% interval includes 0 (no decline), so the halving time (a negative "
                 "doubling time) has no upper bound";
    }
    res.eras.push_back(era);
  }
  return res;
}

std::string DoublingResult::brief() const {
  std::string s = "doubling time of " + options.y + " over " + options.date + " (log2 " + options.y +
                  " on years, per era) in " + source + "\n";
  std::size_t w = 5;
  for (const auto& e : eras) w = std::max(w, e.label.size());
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-*s %6s %14s %22s %10s\n", static_cast<int>(w), "era", "rows", "doubling (mo)",
                "95% CI (months)", "R-squared");
  s += buf;
  for (const auto& e : eras) {
    if (!e.fitted) {
      std::snprintf(buf, sizeof buf, "%-*s %6zu   %s\n", static_cast<int>(w), e.label.c_str(), e.n, e.note.c_str());
      s += buf;
      continue;
    }
    std::string ci;
    if (std::isnan(e.slope_low))
      ci = "-";
    else
      ci = (e.months_low ? fmt("%.4g", *e.months_low) : std::string("unbounded")) + " to " +
           (e.months_high ? fmt("%.4g", *e.months_high) : std::string("unbounded"));
    const std::string months = std::isfinite(e.months) ? fmt("%.4g", e.months) : "none";
    std::snprintf(buf, sizeof buf, "%-*s %6zu %14s %22s %10.4g\n", static_cast<int>(w), e.label.c_str(), e.n,
                  months.c_str(), ci.c_str(), e.r_squared);
    s += buf;
    if (!e.note.empty()) s += std::string(w + 1, ' ') + "  " + e.note + "\n";
  }
  s += rows.summary(options.spelling) + "\n";
  for (const auto& e : rows.examples) s += "  not a number or date: " + e + "\n";
  return s;
}

nlohmann::json DoublingResult::to_json() const {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json eras_json = nlohmann::json::array();
  for (const auto& e : eras)
    eras_json.push_back({{"label", e.label},
                         {"start_year", num(e.start)},
                         {"end_year", num(e.end)},
                         {"rows", e.n},
                         {"fitted", e.fitted},
                         {"doublings_per_year", e.fitted ? num(e.slope) : nlohmann::json(nullptr)},
                         {"doublings_per_year_ci95", {num(e.slope_low), num(e.slope_high)}},
                         {"doubling_months", num(e.months)},
                         {"doubling_months_ci95", {opt(e.months_low), opt(e.months_high)}},
                         {"r_squared", e.fitted ? num(e.r_squared) : nlohmann::json(nullptr)},
                         {"note", e.note}});
  return {{"source", source}, {"y", options.y}, {"date", options.date}, {"breaks", options.breaks},
          {"eras", eras_json}, {"rows", rows.to_json()}};
}

}  // namespace hwnas::analysis
