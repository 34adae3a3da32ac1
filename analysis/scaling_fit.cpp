#include "hwnas/analysis/scaling_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "hwnas/analysis/data_table.h"
#include "hwnas/core/error.h"

namespace hwnas::analysis {

SplitMulti parse_split_multi(const std::string& text, const std::string& where) {
  if (text == "first") return SplitMulti::First;
  if (text == "drop") return SplitMulti::Drop;
  if (text == "explode") return SplitMulti::Explode;
  throw UserError(where + ": expected first, drop or explode, got '" + text + "'");
}

std::string to_string(SplitMulti s) {
  switch (s) {
    case SplitMulti::First: return "first";
    case SplitMulti::Drop: return "drop";
    case SplitMulti::Explode: return "explode";
  }
  return "?";
}

WhereFilter WhereFilter::parse(const std::string& text, const std::string& where) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UserError(where + ": expected COLUMN=VALUE, got '" + text + "'");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

std::vector<std::size_t> filter_rows(const CsvTable& t, const std::vector<WhereFilter>& where) {
  // column index -> accepted values
  std::vector<std::pair<std::size_t, std::set<std::string>>> groups;
  for (const auto& f : where) {
    const std::size_t c = t.require_column(f.column);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == c; });
    if (it == groups.end()) {
      groups.push_back({c, {}});
      it = groups.end() - 1;
    }
    it->second.insert(std::string(trim(f.value)));
  }
  std::vector<std::size_t> kept;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    bool ok = true;
    for (const auto& [c, values] : groups) ok = ok && values.count(std::string(trim(t.rows[r][c]))) > 0;
    if (ok) kept.push_back(r);
  }
  return kept;
}

void ScalingFitOptions::validate(const std::string& where) const {
  auto f = [&](const char* field) { return spell_field(spelling, field); };
  if (y.empty()) throw UserError(where + ": " + f("y") + ": a column name is required");
  if (x.empty()) throw UserError(where + ": " + f("x") + ": a column name is required");
  if (x == y) throw UserError(where + ": " + f("x") + " and " + f("y") + " name the same column '" + x + "'");
  if (!by.empty() && (by == x || by == y))
    throw UserError(where + ": " + f("by") + " names the column '" + by + "', which is already " + f("x") + " or " + f("y"));
  for (const auto& w : this->where)
    if (w.column.empty()) throw UserError(where + ": " + f("where") + ": empty column name");
}

std::string RowCounts::summary(const FieldSpelling& spelling) const {
  std::string s = "rows: " + std::to_string(read) + " read";
  if (filtered) s += ", " + std::to_string(filtered) + " filtered out by " + spell_field(spelling, "where");
  s += ", " + std::to_string(dropped()) + " dropped";
  std::vector<std::string> why;
  if (missing) why.push_back(std::to_string(missing) + " missing");
  if (not_number) why.push_back(std::to_string(not_number) + " not a number");
  if (not_positive) why.push_back(std::to_string(not_positive) + " not positive (log scale)");
  if (multi_dropped) why.push_back(std::to_string(multi_dropped) + " with several categories (" + spell_field(spelling, "split_multi") + " drop)");
  if (!why.empty()) {
    s += " (";
    for (std::size_t i = 0; i < why.size(); ++i) s += (i ? ", " : "") + why[i];
    s += ")";
  }
  s += ", " + std::to_string(used) + " used";
  if (observations != used) s += " as " + std::to_string(observations) + " observations";
  if (multi_split) s += "; " + std::to_string(multi_split) + " with several categories kept";
  return s;
}

nlohmann::json RowCounts::to_json() const {
  return {{"read", read},
          {"filtered", filtered},
          {"dropped", {{"total", dropped()}, {"missing", missing}, {"not_number", not_number},
                       {"not_positive", not_positive}, {"multi_category", multi_dropped}}},
          {"multi_category_kept", multi_split},
          {"used", used},
          {"observations", observations},
          {"examples", examples}};
}

namespace {

std::vector<std::string> split_categories(std::string_view cell) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= cell.size()) {
    const std::size_t comma = std::min(cell.find(',', pos), cell.size());
    const std::string_view piece = trim(cell.substr(pos, comma - pos));
    if (!piece.empty() && std::find(out.begin(), out.end(), piece) == out.end()) out.emplace_back(piece);
    pos = comma + 1;
  }
  return out;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

nlohmann::json coef_json(const Coefficient& c) {
  return {{"term", c.term}, {"coef", c.estimate}, {"std_err", c.std_err}, {"statistic", c.statistic},
          {"p_value", c.p_value}, {"ci_low", c.ci_low}, {"ci_high", c.ci_high}};
}

}  // namespace

std::vector<XYRow> numeric_rows(const CsvTable& table, std::size_t cx, std::size_t cy, bool positive,
                                const std::vector<WhereFilter>& where, RowCounts& rc) {
  rc.read = table.rows.size();
  const std::vector<std::size_t> kept = filter_rows(table, where);
  rc.filtered = rc.read - kept.size();
  std::vector<XYRow> out;
  for (std::size_t r : kept) {
    const Cell yv = parse_cell(table.rows[r][cy]), xv = parse_cell(table.rows[r][cx]);
    if (yv.kind == CellKind::Missing || xv.kind == CellKind::Missing) {
      ++rc.missing;
      continue;
    }
    if (yv.kind == CellKind::NotNumber || xv.kind == CellKind::NotNumber) {
      ++rc.not_number;
      if (rc.examples.size() < 5) {
        const std::size_t c = yv.kind == CellKind::NotNumber ? cy : cx;
        rc.examples.push_back(table.where(r) + " column '" + table.header[c] + "': '" + table.rows[r][c] + "'");
      }
      continue;
    }
    if (positive && (yv.value <= 0 || xv.value <= 0)) {
      ++rc.not_positive;
      continue;
    }
    out.push_back({xv.value, yv.value, r});
  }
  return out;
}

ScalingFit fit_scaling(const CsvTable& table, const ScalingFitOptions& options) {
  options.validate();
  ScalingFit fit;
  fit.options = options;
  fit.source = table.source;
  const std::size_t cy = table.require_column(options.y), cx = table.require_column(options.x);
  const std::size_t cb = options.by.empty() ? 0 : table.require_column(options.by);
  const bool has_by = !options.by.empty();
  RowCounts& rc = fit.rows;

  struct Obs {
    double x, y;
    std::string level;
  };
  std::vector<Obs> obs;
  for (const XYRow& r : numeric_rows(table, cx, cy, options.log, options.where, rc)) {
    const double x = options.log ? std::log10(r.x) : r.x;
    const double y = options.log ? std::log10(r.y) : r.y;
    if (!has_by) {
      obs.push_back({x, y, {}});
      ++rc.used;
      continue;
    }
    const std::string& cell = table.rows[r.row][cb];
    std::vector<std::string> cats = is_missing(cell) ? std::vector<std::string>{} : split_categories(cell);
    if (cats.empty()) {
      ++rc.missing;
      continue;
    }
    if (cats.size() > 1) {
      if (options.split_multi == SplitMulti::Drop) {
        ++rc.multi_dropped;
        continue;
      }
      ++rc.multi_split;
      if (options.split_multi == SplitMulti::First) cats.resize(1);
    }
    for (auto& c : cats) obs.push_back({x, y, std::move(c)});
    ++rc.used;
  }
  rc.observations = obs.size();

  std::string context = table.source + ": " + fit.model();
  if (obs.empty())
    throw UserError(context + ": no rows left to fit (" + rc.summary(options.spelling) + ")");
  // Every level needs two distinct x values for its own slope.
  std::set<std::string> level_set;
  for (const auto& o : obs) level_set.insert(o.level);
  fit.levels.assign(level_set.begin(), level_set.end());
  if (!has_by) fit.levels.clear();
  for (const auto& level : has_by ? fit.levels : std::vector<std::string>{""}) {
    std::set<double> xs;
    std::size_t n = 0;
    for (const auto& o : obs)
      if (o.level == level) {
        xs.insert(o.x);
        ++n;
      }
    if (xs.size() < 2) {
      const std::string what = has_by ? "level '" + level + "' of " + options.by + " has " : "the data have ";
      throw UserError(context + ": " + what + std::to_string(n) + " row(s) with " + std::to_string(xs.size()) +
                      " distinct " + options.x + " value(s); a slope needs at least 2" +
                      (has_by ? " (leave the level out with " + spell_field(options.spelling, "where") + ", or merge it)" : ""));
    }
  }

  // Columns in patsy's order for `y ~ x * by`: Intercept, by dummies, x, x:by interactions.
  const std::size_t k_levels = has_by ? fit.levels.size() - 1 : 0;
  const std::size_t p = 2 + 2 * k_levels;
  std::vector<std::string> terms{"Intercept"};
  for (std::size_t l = 1; l <= k_levels; ++l) terms.push_back(options.by + "[T." + fit.levels[l] + "]");
  terms.push_back(options.x);
  for (std::size_t l = 1; l <= k_levels; ++l) terms.push_back(options.x + ":" + options.by + "[T." + fit.levels[l] + "]");
  const auto n = static_cast<Eigen::Index>(obs.size());
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(n, static_cast<Eigen::Index>(p));
  Eigen::VectorXd y(n);
  const auto xcol = static_cast<Eigen::Index>(1 + k_levels);
  for (Eigen::Index i = 0; i < n; ++i) {
    const Obs& o = obs[static_cast<std::size_t>(i)];
    X(i, 0) = 1;
    X(i, xcol) = o.x;
    y(i) = o.y;
    if (!has_by) continue;
    const auto l = static_cast<Eigen::Index>(std::lower_bound(fit.levels.begin(), fit.levels.end(), o.level) - fit.levels.begin());
    if (l == 0) continue;
    X(i, l) = 1;
    X(i, xcol + l) = o.x;
  }
  try {
    fit.ols = fit_ols(X, y, terms, options.robust ? CovType::HC1 : CovType::NonRobust);
  } catch (const UserError& e) {
    throw UserError(context + ": " + e.what());
  }
  if (fit.ols.exact)
    throw UserError(context + ": every residual is 0 (" + options.y + " is an exact linear function of " +
                    options.x + (has_by ? " within each level" : "") +
                    "): the standard errors are 0, so t statistics and p-values are undefined");
  // What the report prints beyond the table: per-level slopes and the equal-slopes test.
  auto finite = [&](double v, const std::string& what) {
    if (!std::isfinite(v))
      throw UserError(context + ": " + what + " is not finite: the values are too large or too far apart for double "
                      "precision; rescale the columns or fit logarithms (" + spell_field(options.spelling, "log") + ")");
  };
  if (has_by) {
    for (std::size_t l = 0; l < fit.levels.size(); ++l) {
      Eigen::VectorXd w = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(p));
      w(xcol) = 1;
      if (l > 0) w(xcol + static_cast<Eigen::Index>(l)) = 1;
      fit.level_slopes.push_back(fit.ols.combination(fit.levels[l], w));
      const Coefficient& c = fit.level_slopes.back();
      for (double v : {c.estimate, c.std_err, c.statistic, c.p_value, c.ci_low, c.ci_high})
        finite(v, "the slope within " + options.by + " = " + fit.levels[l]);
    }
    if (fit.levels.size() > 1) {
      std::vector<std::string> inter;
      for (std::size_t l = 1; l < fit.levels.size(); ++l)
        inter.push_back(options.x + ":" + options.by + "[T." + fit.levels[l] + "]");
      const auto t = fit.ols.joint_test(inter);
      finite(t.statistic, "the equal-slopes test statistic");
      finite(t.p_value, "the equal-slopes test p-value");
    }
  }
  return fit;
}

std::string ScalingFit::model() const {
  const auto& o = options;
  const std::string y = o.log ? "log10(" + o.y + ")" : o.y;
  const std::string x = o.log ? "log10(" + o.x + ")" : o.x;
  return y + " ~ " + x + (o.by.empty() ? "" : " * " + o.by);
}

std::string ScalingFit::brief() const {
  std::string s = "OLS " + model() + " on " + source + "\n";
  const std::string what = options.log ? "% more " + options.y + " per 1% more " + options.x
                                       : options.y + " per unit of " + options.x;
  if (level_slopes.empty()) {
    const Coefficient& b = ols.coef(options.x);
    s += "slope " + fmt("%.6g", b.estimate) + " " + what + " (95% CI " + fmt("%.6g", b.ci_low) + " to " +
         fmt("%.6g", b.ci_high) + ")\n";
  } else {
    s += "slope (" + what + ") within each " + options.by + ":\n";
    std::size_t w = 0;
    for (const auto& c : level_slopes) w = std::max(w, c.term.size());
    for (std::size_t l = 0; l < level_slopes.size(); ++l) {
      const Coefficient& c = level_slopes[l];
      char buf[256];
      std::snprintf(buf, sizeof buf, "  %-*s %10.6g  (std err %.4g, 95%% CI %.6g to %.6g)%s\n", static_cast<int>(w),
                    c.term.c_str(), c.estimate, c.std_err, c.ci_low, c.ci_high, l == 0 ? "  reference" : "");
      s += buf;
    }
    if (levels.size() > 1) {
      std::vector<std::string> inter;
      for (std::size_t l = 1; l < levels.size(); ++l) inter.push_back(options.x + ":" + options.by + "[T." + levels[l] + "]");
      const auto t = ols.joint_test(inter);
      char buf[256];
      if (t.f)
        std::snprintf(buf, sizeof buf, "equal slopes across %s: F(%g, %g) = %.4g, p = %.4g\n", options.by.c_str(), t.df1,
                      t.df2, t.statistic, t.p_value);
      else
        std::snprintf(buf, sizeof buf, "equal slopes across %s: chi2(%g) = %.4g, p = %.4g\n", options.by.c_str(), t.df1,
                      t.statistic, t.p_value);
      s += buf;
    }
  }
  s += "R-squared " + fmt("%.6g", ols.r_squared) + ", adj. R-squared " + fmt("%.6g", ols.adj_r_squared) + ", " +
       std::to_string(ols.nobs) + " observations\n";
  s += rows.summary(options.spelling) + "\n";
  return s;
}

std::string ScalingFit::report() const {
  std::string s = "OLS " + model() + "    data: " + source + "\n";
  s += "covariance: " + to_string(ols.cov_type) +
       (ols.uses_t ? " (t distribution, " + fmt("%g", ols.df_resid) + " residual df)"
                   : " (heteroskedasticity-consistent; normal distribution for p-values and intervals)");
  if (!levels.empty()) s += "    reference level: " + options.by + " = " + levels[0];
  s += "\n\n" + ols.table() + "\n";
  s += "Observations: " + std::to_string(ols.nobs) + "    R-squared: " + fmt("%.6g", ols.r_squared) +
       "    Adj. R-squared: " + fmt("%.6g", ols.adj_r_squared) + "\n";
  // brief() minus its first line (the model) and the R-squared line already shown.
  const std::string b = brief();
  std::size_t start = b.find('\n') + 1;
  std::string rest;
  for (std::size_t pos = start; pos < b.size();) {
    const std::size_t nl = b.find('\n', pos);
    const std::string line = b.substr(pos, nl - pos + 1);
    if (line.rfind("R-squared", 0) != 0 && line.rfind("rows:", 0) != 0) rest += line;
    pos = nl + 1;
  }
  s += rest;
  s += rows.summary(options.spelling) + "\n";
  for (const auto& e : rows.examples) s += "  not a number: " + e + "\n";
  return s;
}

nlohmann::json ScalingFit::to_json() const {
  nlohmann::json terms = nlohmann::json::array(), slopes = nlohmann::json::array();
  for (const auto& c : ols.coefficients) terms.push_back(coef_json(c));
  for (const auto& c : level_slopes) {
    auto j = coef_json(c);
    j.erase("term");
    j["level"] = c.term;
    slopes.push_back(j);
  }
  nlohmann::json j = {{"source", source},
                      {"model", model()},
                      {"y", options.y},
                      {"x", options.x},
                      {"log10", options.log},
                      {"cov_type", to_string(ols.cov_type)},
                      {"distribution", ols.uses_t ? "t" : "normal"},
                      {"nobs", ols.nobs},
                      {"df_resid", ols.df_resid},
                      {"df_model", ols.df_model},
                      {"r_squared", ols.r_squared},
                      {"adj_r_squared", ols.adj_r_squared},
                      {"terms", terms},
                      {"rows", rows.to_json()}};
  if (!options.by.empty()) {
    j["by"] = options.by;
    j["levels"] = levels;
    j["reference"] = levels.empty() ? "" : levels[0];
    j["split_multi"] = to_string(options.split_multi);
    j["level_slopes"] = slopes;
    if (levels.size() > 1) {
      std::vector<std::string> inter;
      for (std::size_t l = 1; l < levels.size(); ++l) inter.push_back(options.x + ":" + options.by + "[T." + levels[l] + "]");
      const auto t = ols.joint_test(inter);
      j["equal_slopes_test"] = {{"distribution", t.f ? "F" : "chi2"}, {"statistic", t.statistic}, {"df1", t.df1},
                                {"df2", t.df2}, {"p_value", t.p_value}};
    }
  }
  return j;
}

}  // namespace hwnas::analysis
