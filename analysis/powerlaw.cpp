#include "hwnas/analysis/powerlaw.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"

namespace hwnas::analysis {

void PowerLawOptions::validate(const std::string& where) const {
  auto f = [&](const char* field) { return spell_field(spelling, field); };
  if (y.empty()) throw UserError(where + ": " + f("y") + ": a column name is required");
  if (x.empty()) throw UserError(where + ": " + f("x") + ": a column name is required");
  if (x == y) throw UserError(where + ": " + f("x") + " and " + f("y") + " name the same column '" + x + "'");
  if (bootstrap < 0) throw UserError(where + ": " + f("bootstrap") + ": expected 0 or more resamples, got " + std::to_string(bootstrap));
}

double percentile(std::vector<double> values, double q) {
  HWNAS_CHECK(!values.empty(), "percentile of no values");
  HWNAS_CHECK(q >= 0 && q <= 1, "percentile needs q in [0, 1]");
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

namespace {
// Least-squares line through (x, y) with centred sums; false when all x are equal.
bool line_fit(const std::vector<double>& x, const std::vector<double>& y, double& intercept, double& slope) {
  const double n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  if (!(sxx > 0)) return false;
  slope = sxy / sxx;
  intercept = my - slope * mx;
  return true;
}
}  // namespace

PowerLawFit fit_power_law(const CsvTable& table, const PowerLawOptions& options) {
  options.validate();
  PowerLawFit f;
  f.options = options;
  f.source = table.source;
  const std::size_t cy = table.require_column(options.y), cx = table.require_column(options.x);
  const std::vector<XYRow> rows = numeric_rows(table, cx, cy, true, options.where, f.rows);
  f.rows.used = f.rows.observations = rows.size();
  const std::string context = table.source + ": " + options.y + " = a * " + options.x + "^b";
  std::vector<double> lx, ly;
  for (const auto& r : rows) {
    lx.push_back(std::log10(r.x));
    ly.push_back(std::log10(r.y));
  }
  if (rows.size() < 3)
    throw UserError(context + ": need at least 3 rows with positive numbers, got " + std::to_string(rows.size()) + " (" +
                    f.rows.summary(options.spelling) + ")");
  double intercept = 0, slope = 0;
  if (!line_fit(lx, ly, intercept, slope))
    throw UserError(context + ": every row has the same " + options.x + "; a power law needs at least 2 distinct values");
  f.a = std::pow(10.0, intercept);
  f.b = slope;
  auto overflow = [&](const char* what, double log10_value) {
    char buf[160];
    std::snprintf(buf, sizeof buf, ": %s = 10^%.6g is beyond double precision (1.8e308); rescale %s or %s (another unit)",
                  what, log10_value, options.x.c_str(), options.y.c_str());
    return UserError(context + buf);
  };
  if (!std::isfinite(f.a) || f.a == 0) throw overflow("a", intercept);
  double my = 0;
  for (double v : ly) my += v;
  my /= static_cast<double>(ly.size());
  double ssr = 0, tss = 0;
  for (std::size_t i = 0; i < lx.size(); ++i) {
    const double e = ly[i] - (intercept + slope * lx[i]);
    ssr += e * e;
    tss += (ly[i] - my) * (ly[i] - my);
  }
  f.r_squared = tss > 0 ? 1 - ssr / tss : 1.0;

  const double nan = std::numeric_limits<double>::quiet_NaN();
  f.a_ci = f.b_ci = {nan, nan};
  if (options.bootstrap > 0) {
    Rng rng(options.seed);
    std::vector<double> as, bs, bx(lx.size()), by(ly.size());
    for (int k = 0; k < options.bootstrap; ++k) {
      for (std::size_t i = 0; i < lx.size(); ++i) {
        const std::size_t j = rng.uniform_index(lx.size());
        bx[i] = lx[j];
        by[i] = ly[j];
      }
      double ia = 0, sb = 0;
      if (!line_fit(bx, by, ia, sb)) continue;  // all the same x: no slope in this resample
      as.push_back(std::pow(10.0, ia));
      bs.push_back(sb);
    }
    f.resamples_used = static_cast<int>(bs.size());
    if (!bs.empty()) {
      f.a_ci = {percentile(as, 0.025), percentile(as, 0.975)};
      f.b_ci = {percentile(bs, 0.025), percentile(bs, 0.975)};
      for (double a : {f.a_ci.first, f.a_ci.second})
        if (!std::isfinite(a) || a == 0)
          throw UserError(context + ": a bound of a's bootstrap interval is beyond double precision (1.8e308); rescale " +
                          options.x + " or " + options.y + " (another unit)");
    }
  }
  return f;
}

std::string PowerLawFit::brief() const {
  char buf[512];
  std::string s;
  std::snprintf(buf, sizeof buf, "%s = a * %s^b   (least squares on log10, %zu rows of %s)\n", options.y.c_str(),
                options.x.c_str(), rows.observations, source.c_str());
  s += buf;
  if (options.bootstrap > 0 && resamples_used > 0) {
    std::snprintf(buf, sizeof buf, "a = %.6g   95%% CI %.6g to %.6g\nb = %.6g   95%% CI %.6g to %.6g\n", a, a_ci.first,
                  a_ci.second, b, b_ci.first, b_ci.second);
    s += buf;
    std::snprintf(buf, sizeof buf, "(bootstrap percentile intervals, %d of %d resamples, seed %llu)\n", resamples_used,
                  options.bootstrap, static_cast<unsigned long long>(options.seed));
    s += buf;
  } else {
    std::snprintf(buf, sizeof buf, "a = %.6g\nb = %.6g\n", a, b);
    s += buf;
  }
  std::snprintf(buf, sizeof buf, "R-squared (log10 scale) %.6g\n", r_squared);
  s += buf;
  s += rows.summary(options.spelling) + "\n";
  for (const auto& e : rows.examples) s += "  not a number: " + e + "\n";
  return s;
}

nlohmann::json PowerLawFit::to_json() const {
  auto num = [](double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); };
  return {{"source", source},
          {"y", options.y},
          {"x", options.x},
          {"a", a},
          {"b", b},
          {"r_squared_log10", r_squared},
          {"a_ci95", {num(a_ci.first), num(a_ci.second)}},
          {"b_ci95", {num(b_ci.first), num(b_ci.second)}},
          {"bootstrap", options.bootstrap},
          {"bootstrap_used", resamples_used},
          {"seed", options.seed},
          {"rows", rows.to_json()}};
}

}  // namespace hwnas::analysis
