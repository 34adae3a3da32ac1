// Run directory reading and the self-contained HTML report (inline SVG, inline JS for sorting).
#include "hwnas/search/report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <sstream>

#include "hwnas/core/atomic_file.h"
#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/core/read_file.h"
#include "hwnas/nas/search_space.h"
#include "hwnas/search/pareto.h"

namespace hwnas {

namespace fs = std::filesystem;

double RunObjective::transform(double raw) const {
  double x = raw;
  if (log) x = raw > 0 ? std::log10(raw) : NAN;
  return maximize ? -x : x;
}

namespace {

std::string read_file(const fs::path& p) { return read_whole_file(p.string()); }

RunEntry entry_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw UserError(where + ": expected a JSON object");
  RunEntry e;
  if (!j.contains("id") || !j["id"].is_number_integer()) throw UserError(where + ": \"id\": expected an integer");
  e.id = j["id"].get<std::int64_t>();
  if (!j.contains("arch") || !j["arch"].is_string()) throw UserError(where + ": \"arch\": expected a string");
  e.arch = j["arch"].get<std::string>();
  if (j.contains("status")) {
    if (!j["status"].is_string()) throw UserError(where + ": \"status\": expected a string");
    e.status = j["status"].get<std::string>();
  }
  if (j.contains("objectives")) {
    if (!j["objectives"].is_object()) throw UserError(where + ": \"objectives\": expected an object");
    for (const auto& [k, v] : j["objectives"].items())
      if (!v.is_number()) throw UserError(where + ": \"objectives." + k + "\": expected a number");
    e.objectives = j["objectives"];
  }
  e.record = j;
  return e;
}

}  // namespace

RunData read_run_dir(const std::string& dir) {
  RunData run;
  run.dir = dir;
  const fs::path root(dir);
  if (!fs::is_directory(root)) throw UserError(dir + ": no such run directory");
  const fs::path cfg = root / "config.json";
  if (!fs::exists(cfg)) throw UserError(dir + ": not a run directory (no config.json)");
  run.config = parse_json(read_file(cfg), cfg.string());
  const std::string cw = cfg.string();
  if (!run.config.is_object()) throw UserError(cw + ": expected a JSON object");
  const auto& sp = run.config.contains("space") ? run.config["space"] : nlohmann::json();
  if (!sp.is_object() || !sp.contains("name") || !sp["name"].is_string())
    throw UserError(cw + ": space.name: expected a string");
  run.space_name = sp["name"].get<std::string>();
  run.space_options = sp.contains("options") ? sp["options"] : nlohmann::json();
  if (run.config.contains("objectives")) {
    const auto& objs = run.config["objectives"];
    if (!objs.is_array()) throw UserError(cw + ": objectives: expected an array");
    for (std::size_t i = 0; i < objs.size(); ++i) {
      const auto& o = objs[i];
      const std::string p = cw + ": objectives[" + std::to_string(i) + "]";
      if (!o.is_object() || !o.contains("name") || !o["name"].is_string()) throw UserError(p + ".name: expected a string");
      RunObjective r;
      r.name = o["name"].get<std::string>();
      if (o.contains("direction")) {
        const auto d = o["direction"];
        if (d != "minimize" && d != "maximize") throw UserError(p + ".direction: expected \"minimize\" or \"maximize\"");
        r.maximize = d == "maximize";
      }
      if (o.contains("log")) {
        if (!o["log"].is_boolean()) throw UserError(p + ".log: expected a boolean");
        r.log = o["log"].get<bool>();
      }
      run.objectives.push_back(r);
    }
  }
  const fs::path log = root / "evaluations.jsonl";
  if (fs::exists(log)) {
    run.has_log = true;
    const std::string text = read_file(log);
    std::size_t pos = 0;
    int line_no = 0;
    while (pos < text.size()) {
      const std::size_t nl = text.find('\n', pos);
      ++line_no;
      if (nl == std::string::npos) break;  // a write cut short by a kill: not a finished evaluation
      const std::string line = text.substr(pos, nl - pos);
      pos = nl + 1;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const std::string where = log.string() + ":" + std::to_string(line_no);
      run.evaluations.push_back(entry_from_json(parse_json(line, log.string(), static_cast<std::size_t>(line_no)), where));
    }
  }
  const fs::path pareto = root / "pareto.json";
  if (fs::exists(pareto)) {
    run.has_front = true;
    const std::string pw = pareto.string();
    run.pareto = parse_json(read_file(pareto), pw);
    if (!run.pareto.is_object() || !run.pareto.contains("front") || !run.pareto["front"].is_array())
      throw UserError(pw + ": front: expected an array");
    const auto& f = run.pareto["front"];
    for (std::size_t i = 0; i < f.size(); ++i)
      run.front.push_back(entry_from_json(f[i], pw + ": front[" + std::to_string(i) + "]"));
  }
  // Objectives not named in the config (an older or hand-written run): take them from the values.
  if (run.objectives.empty()) {
    std::vector<std::string> names;
    auto collect = [&](const std::vector<RunEntry>& v) {
      for (const auto& e : v)
        for (const auto& [k, x] : e.objectives.items())
          if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
    };
    collect(run.evaluations);
    collect(run.front);
    for (const auto& n : names) run.objectives.push_back({n, false, false});
  }
  return run;
}

const RunEntry* find_entry(const RunData& run, std::int64_t id) {
  for (const auto& e : run.front)
    if (e.id == id) return &e;
  for (const auto& e : run.evaluations)
    if (e.id == id) return &e;
  return nullptr;
}

namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string fmt(double v, int digits = 4) {
  if (!std::isfinite(v)) return "–";
  std::ostringstream s;
  const double a = std::abs(v);
  if (a >= 1e12) s << std::setprecision(digits) << v;  // plain scientific beyond giga
  else if (a >= 1e9) s << std::setprecision(digits) << v / 1e9 << "G";
  else if (a >= 1e6) s << std::setprecision(digits) << v / 1e6 << "M";
  else if (a >= 1e4) s << std::setprecision(digits) << v / 1e3 << "k";
  else s << std::setprecision(digits) << v;
  return s.str();
}

std::string num(double v) {  // exact-enough number for attributes (sorting) and coordinates
  std::ostringstream s;
  s << std::setprecision(10) << v;
  return s.str();
}
std::string px(double v) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << v;
  return s.str();
}

// One plotted quantity: a column of values per point (NaN = missing).
struct Column {
  std::string name;
  std::vector<double> values;
};

struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  void fit(const std::vector<double>& vs) {
    double mn = INFINITY, mx = -INFINITY;
    for (double v : vs)
      if (std::isfinite(v)) mn = std::min(mn, v), mx = std::max(mx, v);
    if (!std::isfinite(mn)) mn = 0, mx = 1;
    log = mn > 0 && mx / mn > 10.0;
    if (log) {
      lo = std::log10(mn);
      hi = std::log10(mx);
    } else {
      lo = mn;
      hi = mx;
    }
    if (hi - lo < 1e-12 * std::max(1.0, std::abs(hi))) {
      const double pad = log ? 0.5 : std::max(std::abs(lo) * 0.1, 0.5);
      lo -= pad;
      hi += pad;
    }
    const double m = (hi - lo) * 0.05;
    lo -= m;
    hi += m;
  }
  double unit(double v) const { return ((log ? std::log10(v) : v) - lo) / (hi - lo); }
  std::vector<double> ticks() const {
    std::vector<double> t;
    if (log) {
      // At most about 6 labelled decades: over a wide range, every k-th power of ten.
      const int every = std::max(1, static_cast<int>(std::ceil((hi - lo) / 6.0)));
      for (int e = static_cast<int>(std::floor(lo)); e <= static_cast<int>(std::ceil(hi)); ++e)
        for (int m : {1, 2, 5}) {
          if (e % every != 0) continue;
          const double v = m * std::pow(10.0, e);
          if (std::log10(v) >= lo && std::log10(v) <= hi && (m == 1 || hi - lo < 2.5)) t.push_back(v);
        }
      return t;
    }
    const double raw = (hi - lo) / 5;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 5.0, 10.0})
      if (m * mag >= raw) {
        step = m * mag;
        break;
      }
    for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) t.push_back(std::abs(v) < 1e-12 * step ? 0 : v);
    return t;
  }
};

constexpr double kW = 460, kH = 340, kL = 70, kR = 15, kT = 15, kB = 50;

std::string scatter(const Column& x, const Column& y, const std::vector<bool>& on_front, const std::vector<std::string>& titles,
                    const std::string& id) {
  Axis ax, ay;
  ax.fit(x.values);
  ay.fit(y.values);
  const double pw = kW - kL - kR, ph = kH - kT - kB;
  auto X = [&](double v) { return kL + ax.unit(v) * pw; };
  auto Y = [&](double v) { return kT + (1 - ay.unit(v)) * ph; };
  std::ostringstream s;
  s << "<figure class=\"plot\" id=\"" << esc(id) << "\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kW
    << "\" height=\"" << kH << "\" viewBox=\"0 0 " << kW << " " << kH << "\" role=\"img\">\n";
  s << "<rect x=\"" << kL << "\" y=\"" << kT << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" fill=\"#fafafa\" stroke=\"#999\"/>\n";
  for (double t : ax.ticks()) {
    const double gx = X(t);
    s << "<line x1=\"" << px(gx) << "\" y1=\"" << kT << "\" x2=\"" << px(gx) << "\" y2=\"" << kT + ph
      << "\" stroke=\"#e4e4e4\"/><text x=\"" << px(gx) << "\" y=\"" << kT + ph + 15
      << "\" text-anchor=\"middle\" class=\"tick\">" << esc(fmt(t, 3)) << "</text>\n";
  }
  for (double t : ay.ticks()) {
    const double gy = Y(t);
    s << "<line x1=\"" << kL << "\" y1=\"" << px(gy) << "\" x2=\"" << kL + pw << "\" y2=\"" << px(gy)
      << "\" stroke=\"#e4e4e4\"/><text x=\"" << kL - 5 << "\" y=\"" << px(gy + 4)
      << "\" text-anchor=\"end\" class=\"tick\">" << esc(fmt(t, 3)) << "</text>\n";
  }
  s << "<text x=\"" << kL + pw / 2 << "\" y=\"" << kH - 10 << "\" text-anchor=\"middle\" class=\"label\">"
    << esc(x.name) << (ax.log ? " (log)" : "") << "</text>\n";
  s << "<text transform=\"translate(14," << kT + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\" class=\"label\">"
    << esc(y.name) << (ay.log ? " (log)" : "") << "</text>\n";
  // Dominated points first, so the front is drawn on top.
  for (int pass = 0; pass < 2; ++pass)
    for (std::size_t i = 0; i < x.values.size(); ++i) {
      if (on_front[i] != (pass == 1)) continue;
      const double vx = x.values[i], vy = y.values[i];
      if (!std::isfinite(vx) || !std::isfinite(vy)) continue;
      if ((ax.log && vx <= 0) || (ay.log && vy <= 0)) continue;
      s << "<circle cx=\"" << px(X(vx)) << "\" cy=\"" << px(Y(vy)) << "\" r=\"" << (pass ? 4 : 2.5) << "\" class=\""
        << (pass ? "front" : "dominated") << "\"><title>" << esc(titles[i]) << "</title></circle>\n";
    }
  s << "</svg><figcaption>" << esc(y.name) << " vs " << esc(x.name) << "</figcaption></figure>\n";
  return s.str();
}

std::string line_plot(const std::vector<double>& ys, const std::string& xname, const std::string& yname) {
  Axis ax, ay;
  std::vector<double> xs(ys.size());
  for (std::size_t i = 0; i < ys.size(); ++i) xs[i] = static_cast<double>(i + 1);
  ax.fit(xs);
  ax.log = false;
  ax.lo = 0;
  ax.hi = std::max<double>(1, static_cast<double>(ys.size()));
  ay.fit(ys);
  if (ay.log) ay.fit({0, 1}), ay.lo = 0, ay.hi = *std::max_element(ys.begin(), ys.end()) * 1.05 + 1e-12, ay.log = false;
  const double pw = kW - kL - kR, ph = kH - kT - kB;
  auto X = [&](double v) { return kL + ax.unit(v) * pw; };
  auto Y = [&](double v) { return kT + (1 - ay.unit(v)) * ph; };
  std::ostringstream s;
  s << "<figure class=\"plot\" id=\"hypervolume\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kW
    << "\" height=\"" << kH << "\" viewBox=\"0 0 " << kW << " " << kH << "\" role=\"img\">\n";
  s << "<rect x=\"" << kL << "\" y=\"" << kT << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" fill=\"#fafafa\" stroke=\"#999\"/>\n";
  for (double t : ax.ticks())
    s << "<text x=\"" << px(X(t)) << "\" y=\"" << kT + ph + 15 << "\" text-anchor=\"middle\" class=\"tick\">"
      << esc(fmt(t, 4)) << "</text>\n";
  for (double t : ay.ticks())
    s << "<line x1=\"" << kL << "\" y1=\"" << px(Y(t)) << "\" x2=\"" << kL + pw << "\" y2=\"" << px(Y(t))
      << "\" stroke=\"#e4e4e4\"/><text x=\"" << kL - 5 << "\" y=\"" << px(Y(t) + 4)
      << "\" text-anchor=\"end\" class=\"tick\">" << esc(fmt(t, 3)) << "</text>\n";
  s << "<polyline class=\"hv\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"";
  for (std::size_t i = 0; i < ys.size(); ++i) {
    // A step: the value holds until the next evaluation.
    s << px(X(static_cast<double>(i))) << "," << px(Y(ys[i])) << " " << px(X(static_cast<double>(i + 1))) << ","
      << px(Y(ys[i])) << " ";
  }
  s << "\"/>\n<text x=\"" << kL + pw / 2 << "\" y=\"" << kH - 10 << "\" text-anchor=\"middle\" class=\"label\">"
    << esc(xname) << "</text>\n<text transform=\"translate(14," << kT + ph / 2
    << ") rotate(-90)\" text-anchor=\"middle\" class=\"label\">" << esc(yname) << "</text>\n";
  s << "</svg><figcaption>" << esc(yname) << " over " << esc(xname) << "</figcaption></figure>\n";
  return s.str();
}

const char* kStyle = R"(body{font-family:system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
.plots{display:flex;flex-wrap:wrap;gap:12px}.plot{margin:0}figcaption{text-align:center;font-size:.85em;color:#555}
circle.front{fill:#d62728;stroke:#7a1010;stroke-width:.8}circle.dominated{fill:#1f77b4;opacity:.25}
.tick{font-size:10px;fill:#555}.label{font-size:12px;fill:#222}
table{border-collapse:collapse;font-size:.85em}th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
td.arch{text-align:left;font-family:monospace}th{background:#eee;cursor:pointer;user-select:none}
th.asc::after{content:" \25B2"}th.desc::after{content:" \25BC"}.meta td{text-align:left}
)";

// Sort the table by the clicked column: numbers by data-v, text otherwise; a second click reverses.
const char* kScript = R"(document.querySelectorAll('table.sortable').forEach(function(t){
var hs=t.querySelectorAll('th');hs.forEach(function(h,c){h.addEventListener('click',function(){
var asc=!h.classList.contains('asc');hs.forEach(function(o){o.classList.remove('asc','desc')});h.classList.add(asc?'asc':'desc');
var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows);rows.sort(function(x,y){
var a=x.cells[c],d=y.cells[c],va=a.dataset.v,vd=d.dataset.v,r;
if(va!==undefined&&vd!==undefined){r=parseFloat(va)-parseFloat(vd)}else{r=a.textContent.localeCompare(d.textContent)}
return asc?r:-r});rows.forEach(function(r){b.appendChild(r)})})})});
)";

}  // namespace

std::string render_report(const RunData& run, const SearchSpace* space) {
  // Points: every successful evaluation of the log; without a log, the front itself.
  const std::vector<RunEntry>& pts = run.has_log ? run.evaluations : run.front;
  std::vector<const RunEntry*> ok;
  for (const auto& e : pts)
    if (e.status == "ok") ok.push_back(&e);
  const std::size_t n = ok.size(), d = run.objectives.size();
  auto raw = [&](const RunEntry& e, const std::string& name) {
    return e.objectives.contains(name) ? e.objectives[name].get<double>() : NAN;
  };
  // Front membership: pareto.json's ids when present, else non-dominated over all objectives.
  std::vector<bool> on_front(n, false);
  std::vector<Point> tp(n, Point(d));
  std::vector<int> complete;
  for (std::size_t i = 0; i < n; ++i) {
    bool all = true;
    for (std::size_t k = 0; k < d; ++k) {
      tp[i][k] = run.objectives[k].transform(raw(*ok[i], run.objectives[k].name));
      all = all && std::isfinite(tp[i][k]);
    }
    if (all) complete.push_back(static_cast<int>(i));
  }
  std::vector<const RunEntry*> front_entries;
  if (run.has_front) {
    for (const auto& f : run.front) {
      front_entries.push_back(&f);
      for (std::size_t i = 0; i < n; ++i)
        if (ok[i]->id == f.id) on_front[i] = true;
    }
  } else {
    std::vector<Point> cp;
    for (int i : complete) cp.push_back(tp[static_cast<std::size_t>(i)]);
    for (int j : non_dominated_indices(cp)) {
      on_front[static_cast<std::size_t>(complete[static_cast<std::size_t>(j)])] = true;
      front_entries.push_back(ok[static_cast<std::size_t>(complete[static_cast<std::size_t>(j)])]);
    }
  }

  // Columns: the objectives, plus exact params and FLOPs when the run does not have them.
  std::vector<Column> cols;
  for (const auto& o : run.objectives) {
    Column c{o.name, {}};
    for (const auto* e : ok) c.values.push_back(raw(*e, o.name));
    cols.push_back(std::move(c));
  }
  auto find_col = [&](const std::string& name) -> int {
    for (std::size_t i = 0; i < cols.size(); ++i)
      if (cols[i].name == name) return static_cast<int>(i);
    return -1;
  };
  std::map<std::int64_t, std::pair<double, double>> counted;  // id -> params, flops
  auto count = [&](const RunEntry& e) -> std::pair<double, double> {
    auto it = counted.find(e.id);
    if (it != counted.end()) return it->second;
    std::pair<double, double> v{NAN, NAN};
    try {
      const CostTotals t = space->count(space->parse(e.arch));
      v = {static_cast<double>(t.params), static_cast<double>(t.flops)};
    } catch (const UserError&) {
      // An architecture of another space or options: leave it out of the counted plane.
    }
    counted[e.id] = v;
    return v;
  };
  const std::size_t num_objective_cols = cols.size();
  int pcol = find_col("params"), fcol = find_col("flops");
  if (space && (pcol < 0 || fcol < 0)) {
    Column p{"params (counted)", {}}, f{"flops (counted)", {}};
    for (const auto* e : ok) {
      const auto [pv, fv] = count(*e);
      p.values.push_back(pv);
      f.values.push_back(fv);
    }
    if (pcol < 0) pcol = static_cast<int>(cols.size()), cols.push_back(std::move(p));
    if (fcol < 0) fcol = static_cast<int>(cols.size()), cols.push_back(std::move(f));
  }

  std::vector<std::string> titles;
  for (const auto* e : ok) {
    std::string t = "id " + std::to_string(e->id) + ": " + e->arch;
    for (const auto& c : cols) {
      const std::size_t i = titles.size();
      t += "\n" + c.name + " = " + fmt(c.values[i], 6);
    }
    titles.push_back(t);
  }

  std::ostringstream h;
  const std::string title = "hwnas report: " + fs::path(run.dir).lexically_normal().filename().string();
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << esc(title)
    << "</title>\n<style>" << kStyle << "</style></head><body>\n<h1>" << esc(title) << "</h1>\n";
  h << "<table class=\"meta\"><tr><td>space</td><td>" << esc(run.space_name) << " "
    << esc(run.space_options.is_null() ? "" : run.space_options.dump()) << "</td></tr>\n<tr><td>objectives</td><td>";
  for (std::size_t k = 0; k < d; ++k)
    h << (k ? ", " : "") << esc(run.objectives[k].name) << " (" << (run.objectives[k].maximize ? "max" : "min")
      << (run.objectives[k].log ? ", log" : "") << ")";
  std::size_t failed = 0;
  for (const auto& e : pts) failed += e.status != "ok";
  h << "</td></tr>\n<tr><td>evaluations</td><td>" << pts.size() << " (" << n << " ok, " << failed
    << " failed or rejected)</td></tr>\n<tr><td>Pareto front</td><td>" << front_entries.size() << " architectures</td></tr>\n";
  if (run.pareto.is_object() && run.pareto.contains("hypervolume") && run.pareto["hypervolume"].is_number())
    h << "<tr><td>hypervolume (search)</td><td>" << num(run.pareto["hypervolume"].get<double>()) << "</td></tr>\n";
  h << "</table>\n";

  h << "<h2>Pareto fronts</h2>\n<p>Red: the Pareto front over all objectives; faded blue: dominated "
       "evaluations. Hover a point for its architecture.</p>\n<div class=\"plots\">\n";
  if (n == 0) h << "<p>No successful evaluations yet.</p>\n";
  if (n > 0) {
    std::vector<std::pair<int, int>> pairs;
    if (pcol >= 0 && fcol >= 0) pairs.push_back({pcol, fcol});
    for (std::size_t a = 0; a < num_objective_cols; ++a)
      for (std::size_t b = a + 1; b < num_objective_cols; ++b) {
        const std::pair<int, int> p{static_cast<int>(a), static_cast<int>(b)};
        if ((p.first == pcol && p.second == fcol) || (p.first == fcol && p.second == pcol)) continue;
        pairs.push_back(p);
      }
    // A run with one objective: plot it against the counted params.
    if (num_objective_cols == 1 && pcol >= 0 && pcol != 0) pairs.push_back({pcol, 0});
    int k = 0;
    for (auto [a, b] : pairs)
      h << scatter(cols[static_cast<std::size_t>(a)], cols[static_cast<std::size_t>(b)], on_front, titles,
                   "plot-" + std::to_string(k++));
  }
  h << "</div>\n";

  // Hypervolume of the front of the first k evaluations (in log order).
  if (run.has_log && !complete.empty() && d > 0) {
    std::vector<Point> cp;
    for (int i : complete) cp.push_back(tp[static_cast<std::size_t>(i)]);
    ObjectiveBounds b = bounds_of(cp);
    std::string source = "min/max over the evaluations";
    if (run.pareto.is_object() && run.pareto.contains("normalization") && run.pareto["normalization"].is_object()) {
      const auto& nm = run.pareto["normalization"];
      if (nm.contains("lower") && nm.contains("upper") && nm["lower"].is_array() && nm["lower"].size() == d &&
          nm["upper"].is_array() && nm["upper"].size() == d) {
        b.lower = nm["lower"].get<Point>();
        b.upper = nm["upper"].get<Point>();
        source = "pareto.json's normalization";
      }
    }
    ParetoArchive archive;
    std::vector<double> hv;
    double current = 0;
    std::size_t next = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (next < complete.size() && complete[next] == static_cast<int>(i)) {
        ++next;
        if (archive.add(ok[i]->id, tp[i])) current = normalized_hypervolume(archive.front_points(), b.lower, b.upper);
      }
      hv.push_back(current);
    }
    h << "<h2>Hypervolume over evaluations</h2>\n<p>Normalized hypervolume (bounds: " << esc(source)
      << "; reference point " << kHypervolumeReference << " per objective) of the front of the first k successful "
      << "evaluations. Final: <b id=\"final-hv\">" << num(hv.back()) << "</b>.</p>\n<div class=\"plots\">"
      << line_plot(hv, "successful evaluations", "hypervolume") << "</div>\n";
  }

  // The front as a sortable table.
  h << "<h2>Pareto front</h2>\n<p>Click a column to sort. Exports: <code>hwnas export " << esc(run.dir)
    << "</code> writes <code>archs/&lt;id&gt;/</code>.</p>\n<table class=\"sortable\" id=\"front\"><thead><tr><th>id</th>";
  for (const auto& o : run.objectives) h << "<th>" << esc(o.name) << "</th>";
  const bool add_params = space && find_col("params (counted)") >= 0, add_flops = space && find_col("flops (counted)") >= 0;
  if (add_params) h << "<th>params (counted)</th>";
  if (add_flops) h << "<th>flops (counted)</th>";
  h << "<th>architecture</th><th>exports</th></tr></thead>\n<tbody>\n";
  for (const auto* e : front_entries) {
    h << "<tr class=\"front-row\"><td data-v=\"" << e->id << "\">" << e->id << "</td>";
    for (const auto& o : run.objectives) {
      const double v = raw(*e, o.name);
      h << "<td" << (std::isfinite(v) ? " data-v=\"" + num(v) + "\"" : std::string()) << " title=\"" << num(v) << "\">"
        << esc(fmt(v, 5)) << "</td>";
    }
    const auto [pv, fv] = add_params || add_flops ? count(*e) : std::pair<double, double>{NAN, NAN};
    if (add_params) h << "<td data-v=\"" << num(pv) << "\">" << esc(fmt(pv, 5)) << "</td>";
    if (add_flops) h << "<td data-v=\"" << num(fv) << "\">" << esc(fmt(fv, 5)) << "</td>";
    h << "<td class=\"arch\">" << esc(e->arch) << "</td><td>";
    const std::string rel = "archs/" + std::to_string(e->id) + "/";
    if (fs::is_directory(fs::path(run.dir) / rel)) {
      h << "<a href=\"" << rel << "\">" << rel << "</a>";
      for (const char* f : {"arch.json", "graph.dot", "model.py", "model.onnx"})
        if (fs::exists(fs::path(run.dir) / rel / f)) h << " <a href=\"" << rel << f << "\">" << f << "</a>";
    } else {
      h << "not exported";
    }
    h << "</td></tr>\n";
  }
  h << "</tbody></table>\n<script>\n" << kScript << "</script>\n</body></html>\n";
  return h.str();
}

std::string write_report(const std::string& dir) {
  const RunData run = read_run_dir(dir);
  if (!run.has_log && !run.has_front)
    throw UserError(dir + ": no evaluations.jsonl and no pareto.json: nothing to report");
  std::unique_ptr<SearchSpace> space;
  try {
    space = make_space(run.space_name, run.space_options);
  } catch (const UserError& e) {
    throw UserError(dir + "/config.json: space: " + e.what());
  }
  const std::string path = (fs::path(dir) / "report.html").string();
  write_file_atomic(path, render_report(run, space.get()));
  return path;
}

}  // namespace hwnas
