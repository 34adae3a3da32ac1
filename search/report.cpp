// The self-contained HTML report: the page, its table and suggestions (inline SVG from report_svg.cpp,
// inline JS for sorting). Reading the run directory is report_reader.cpp.
#include "hwnas/search/report.h"
#include "hwnas/search/run_store.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "hwnas/core/atomic_file.h"
#include "hwnas/core/error.h"
#include "hwnas/nas/search_space.h"
#include "hwnas/nas/spaces/nb201.h"
#include "hwnas/search/pareto.h"
#include "hwnas/search/scheduler.h"
#include "report_svg.h"

namespace hwnas {

namespace fs = std::filesystem;

namespace {

const char* kStyle = R"(body{font-family:system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
.plots{display:flex;flex-wrap:wrap;gap:12px}.plot{margin:0}figcaption{text-align:center;font-size:.85em;color:#555}
circle.front{fill:#d62728;stroke:#7a1010;stroke-width:.8}circle.dominated{fill:#1f77b4;opacity:.25}
circle.front[style]{stroke:#000;stroke-width:1.2}circle.dominated[style]{opacity:.45}
circle.degenerate{stroke:#000;stroke-width:2;opacity:1}path.rejected{stroke:#888;stroke-width:1.2;fill:none}
line.constraint{stroke:#9467bd;stroke-width:1.2;stroke-dasharray:5 3}
.op{font-size:11px;font-family:monospace}.node{font-size:11px;fill:#222}
.archs{display:flex;flex-wrap:wrap;gap:14px}.arch{margin:0;border:1px solid #ddd;padding:4px}
.degenerate-badge{background:#222;color:#fff;border-radius:3px;padding:0 4px;font-size:.85em}
td.notes{text-align:left;white-space:nowrap}pre.command{background:#f4f4f4;padding:6px 10px;overflow-x:auto}.rule{font-size:.85em;color:#555}
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

int knee_index(const std::vector<std::vector<double>>& front) {
  if (front.size() < 3 || front[0].size() < 2) return -1;
  const std::size_t d = front[0].size();
  std::vector<double> lo(d, INFINITY), hi(d, -INFINITY);
  for (const auto& p : front)
    for (std::size_t k = 0; k < d; ++k) lo[k] = std::min(lo[k], p[k]), hi[k] = std::max(hi[k], p[k]);
  int best = -1;
  double best_sum = INFINITY;
  for (std::size_t i = 0; i < front.size(); ++i) {
    double sum = 0;
    for (std::size_t k = 0; k < d; ++k) sum += hi[k] > lo[k] ? (front[i][k] - lo[k]) / (hi[k] - lo[k]) : 0.0;
    if (sum < best_sum) best_sum = sum, best = static_cast<int>(i);
  }
  return best;
}

namespace {

using report_svg::esc;
using report_svg::fmt;
using report_svg::num;

// A word a POSIX shell passes through unchanged, else the word in single quotes.
std::string shell_word(const std::string& s) {
  const bool plain = !s.empty() && s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                       "0123456789_./-+:=,@%") == std::string::npos;
  if (plain) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// "lat ≤ 15", "0.5 ≤ acc", "1 ≤ lat ≤ 9".
std::string constraint_text(const RunConstraint& k) {
  std::string t;
  if (std::isfinite(k.min)) t += fmt(k.min, 6) + " ≤ ";
  t += k.objective;
  if (std::isfinite(k.max)) t += " ≤ " + fmt(k.max, 6);
  return t;
}

const char* kDegenerateNote =
    "Degenerate: the network's output does not depend on its input (for example a cell whose every path is "
    "<code>none</code>, or that reduces to a constant). Its costs are real but it cannot learn anything; it is "
    "marked with a black ring in the plots and left out of the suggestions.";

}  // namespace

namespace {

int fidelity_of(const RunEntry& e) {
  if (!e.record.is_object() || !e.record.contains("fidelity") || !e.record["fidelity"].is_number_integer()) return 0;
  return e.record["fidelity"].get<int>();
}

// A multi-fidelity run's rungs, from config.json's scheduler and the log: per fidelity, the
// evaluations, the successful ones and the best value of the objective that has fidelity levels.
struct RungRow {
  int fidelity = 0;
  long long evaluations = 0, ok = 0;
  double best = NAN;
};
std::vector<RungRow> rung_rows(const RunData& run) {
  std::vector<RungRow> rows;
  if (!run.has_log || !run.config.is_object() || !run.config.contains("scheduler")) return rows;
  try {
    for (int f : SchedulerConfig::from_json(run.config["scheduler"], run.dir + "/config.json: scheduler").rungs())
      rows.push_back({f});
  } catch (const UserError&) {
    return {};  // a scheduler this version cannot read: no rung table
  }
  // The objective with fidelity levels (a config has one): a train or learning-curve table source.
  const RunObjective* leveled = nullptr;
  for (const auto& o : run.objectives)
    if (o.source == "train" || o.source == "table") leveled = leveled ? leveled : &o;
  for (const auto& e : run.evaluations) {
    const int f = fidelity_of(e);
    for (auto& r : rows)
      if (r.fidelity == f && e.status != "rejected") {
        ++r.evaluations;
        if (e.status != "ok") continue;
        ++r.ok;
        if (leveled && e.objectives.contains(leveled->name) && e.objectives[leveled->name].is_number()) {
          const double v = e.objectives[leveled->name].get<double>();
          if (std::isnan(r.best) || (leveled->maximize ? v > r.best : v < r.best)) r.best = v;
        }
      }
  }
  return rows;
}

}  // namespace

std::string render_report(const RunData& run, const SearchSpace* space) {
  using report_svg::Column;
  using report_svg::PointKind;
  // Points: every successful evaluation of the log; without a log, the front itself. Evaluations
  // rejected for breaking a constraint are drawn too (as crosses) where their values exist. A
  // multi-fidelity run (config.json's "scheduler") plots its evaluations at the highest fidelity,
  // the ones its front is made of; the rungs get a table of their own.
  const std::vector<RungRow> rungs = rung_rows(run);
  std::vector<RunEntry> at_top;
  if (!rungs.empty())
    for (const auto& e : run.evaluations)
      if (fidelity_of(e) == rungs.back().fidelity) at_top.push_back(e);
  const std::vector<RunEntry>& pts = !rungs.empty() ? at_top : run.has_log ? run.evaluations : run.front;
  std::vector<const RunEntry*> ok, rejected;
  for (const auto& e : pts) {
    if (e.status == "ok") ok.push_back(&e);
    if (e.status == "rejected") rejected.push_back(&e);
  }
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
  // The plotted points: the ok evaluations, then the rejected ones.
  std::vector<const RunEntry*> plotted = ok;
  plotted.insert(plotted.end(), rejected.begin(), rejected.end());
  report_svg::ScatterPoints sp;
  for (std::size_t i = 0; i < plotted.size(); ++i) {
    sp.kind.push_back(i >= n ? PointKind::Rejected : on_front[i] ? PointKind::Front : PointKind::Dominated);
    sp.degenerate.push_back(plotted[i]->degenerate());
  }

  // Columns: the objectives (with their direction and constraint bounds), plus exact params and
  // FLOPs when the run does not have them.
  std::vector<Column> cols;
  for (const auto& o : run.objectives) {
    Column c{o.name, {}, o.maximize ? "higher" : "lower"};
    for (const auto& k : run.constraints)
      if (k.objective == o.name) c.min = std::max(c.min, k.min), c.max = std::min(c.max, k.max);
    for (const auto* e : plotted) c.values.push_back(raw(*e, o.name));
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
    Column p{"params (counted)", {}, ""}, f{"flops (counted)", {}, ""};
    for (const auto* e : plotted) {
      const auto [pv, fv] = count(*e);
      p.values.push_back(pv);
      f.values.push_back(fv);
    }
    if (pcol < 0) pcol = static_cast<int>(cols.size()), cols.push_back(std::move(p));
    if (fcol < 0) fcol = static_cast<int>(cols.size()), cols.push_back(std::move(f));
  }
  // The colour of the params-vs-FLOPs plane: the first latency objective, else the first accuracy
  // or proxy objective, else the first objective that is neither axis.
  int ccol = -1;
  for (const char* kinds : {"latency", "table train proxy"})
    for (std::size_t k = 0; k < d && ccol < 0; ++k) {
      const std::string& src = run.objectives[k].source;
      if (!src.empty() && std::string(kinds).find(src) != std::string::npos) ccol = static_cast<int>(k);
    }
  for (std::size_t k = 0; k < d && ccol < 0; ++k)
    if (static_cast<int>(k) != pcol && static_cast<int>(k) != fcol) ccol = static_cast<int>(k);
  if (ccol == pcol || ccol == fcol) ccol = -1;

  for (std::size_t i = 0; i < plotted.size(); ++i) {
    const RunEntry& e = *plotted[i];
    std::string t = "id " + std::to_string(e.id) + ": " + e.arch;
    for (const auto& c : cols) t += "\n" + c.name + " = " + fmt(c.values[i], 6);
    if (sp.kind[i] == PointKind::Rejected) t += "\nrejected: " + e.record.value("message", std::string("breaks a constraint"));
    if (sp.degenerate[i]) t += "\ndegenerate: the output does not depend on the input";
    sp.title.push_back(t);
  }

  // Suggestions: the knee and the best member per objective, among the front members that are
  // not degenerate and have every objective.
  std::vector<const RunEntry*> candidates;
  std::vector<Point> cand_points;
  for (const auto* e : front_entries) {
    if (e->degenerate()) continue;
    Point p(d);
    bool all = true;
    for (std::size_t k = 0; k < d; ++k) {
      p[k] = run.objectives[k].transform(raw(*e, run.objectives[k].name));
      all = all && std::isfinite(p[k]);
    }
    if (!all) continue;
    candidates.push_back(e);
    cand_points.push_back(p);
  }
  std::vector<std::pair<std::string, const RunEntry*>> suggestions;  // reason, member
  if (const int knee = knee_index(cand_points); knee >= 0)
    suggestions.push_back({"knee", candidates[static_cast<std::size_t>(knee)]});
  for (std::size_t k = 0; k < d && !candidates.empty(); ++k) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < candidates.size(); ++i)
      if (cand_points[i][k] < cand_points[best][k]) best = i;
    suggestions.push_back({"best " + run.objectives[k].name, candidates[best]});
  }
  std::vector<std::string> notes(front_entries.size());  // the suggestions each front member is
  for (std::size_t i = 0; i < front_entries.size(); ++i)
    for (const auto& [why, e] : suggestions)
      if (e == front_entries[i]) notes[i] += (notes[i].empty() ? "" : ", ") + why;

  std::size_t failed = 0, degenerate = 0, degenerate_front = 0;
  for (const auto& e : pts) failed += e.status == "failed", degenerate += e.degenerate();
  for (const auto* e : front_entries) degenerate_front += e->degenerate();
  const std::string dir_word = shell_word(run.dir);
  auto arrow = [](const RunObjective& o) { return o.maximize ? "↑" : "↓"; };
  auto values_text = [&](const RunEntry& e) {
    std::string t;
    for (const auto& o : run.objectives) t += (t.empty() ? "" : ", ") + o.name + " " + fmt(raw(e, o.name), 4);
    return t;
  };

  std::ostringstream h;
  const std::string title = "hwnas report: " + fs::path(run.dir).lexically_normal().filename().string();
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << esc(title)
    << "</title>\n<style>" << kStyle << "</style></head><body>\n<h1>" << esc(title) << "</h1>\n";
  h << "<table class=\"meta\"><tr><td>space</td><td>" << esc(run.space_name) << " "
    << esc(run.space_options.is_null() ? "" : run.space_options.dump()) << "</td></tr>\n<tr><td>objectives</td><td>";
  for (std::size_t k = 0; k < d; ++k) {
    const auto& o = run.objectives[k];
    h << (k ? ", " : "") << "<span class=\"objective\">" << esc(o.name) << " " << arrow(o) << " ("
      << (o.maximize ? "maximized: higher is better" : "minimized: lower is better") << (o.log ? ", log" : "")
      << ")</span>";
  }
  h << "</td></tr>\n<tr><td>constraints</td><td>";
  if (run.constraints.empty()) h << "none";
  for (std::size_t i = 0; i < run.constraints.size(); ++i) {
    const auto& k = run.constraints[i];
    h << (i ? ", " : "") << "<span class=\"constraint\">" << esc(constraint_text(k)) << "</span>";
  }
  h << "</td></tr>\n<tr><td>evaluations</td><td>" << pts.size() << " (" << n << " ok, " << failed << " failed, "
    << rejected.size() << " rejected by a constraint)</td></tr>\n<tr><td>Pareto front</td><td>" << front_entries.size()
    << " architectures</td></tr>\n";
  if (degenerate > 0)
    h << "<tr><td>degenerate</td><td>" << degenerate << (degenerate == 1 ? " evaluation, " : " evaluations, ") << degenerate_front
      << " on the front</td></tr>\n";
  if (run.pareto.is_object() && run.pareto.contains("hypervolume") && run.pareto["hypervolume"].is_number())
    h << "<tr><td>hypervolume (search)</td><td>" << num(run.pareto["hypervolume"].get<double>()) << "</td></tr>\n";
  h << "</table>\n";

  if (!rungs.empty()) {
    std::string leveled;
    for (const auto& o : run.objectives)
      if (leveled.empty() && (o.source == "train" || o.source == "table")) leveled = o.name;
    h << "<h2>Rungs</h2>\n<p>Multi-fidelity search (" << esc(run.config["scheduler"].value("name", std::string()))
      << "): how many architectures were evaluated at each fidelity. The plots, the front and the hypervolume are those "
         "of the evaluations at the highest fidelity, "
      << rungs.back().fidelity << ".</p>\n<table id=\"rungs\"><tr><th>fidelity</th><th>evaluations</th><th>ok</th><th>best "
      << esc(leveled) << "</th></tr>\n";
    for (const auto& r : rungs)
      h << "<tr><td>" << r.fidelity << "</td><td>" << r.evaluations << "</td><td>" << r.ok << "</td><td>"
        << (std::isnan(r.best) ? std::string("-") : num(r.best)) << "</td></tr>\n";
    h << "</table>\n";
  }

  h << "<h2>Suggestions</h2>\n";
  if (suggestions.empty()) {
    h << "<p>No suggestions: no front member has every objective" << (degenerate_front ? " and is not degenerate" : "")
      << ".</p>\n";
  } else {
    h << "<ul id=\"suggestions\">\n";
    for (const auto& [why, e] : suggestions)
      h << "<li class=\"suggestion\" data-id=\"" << e->id << "\"><b>" << esc(why) << "</b>: <a href=\"#arch-" << e->id
        << "\">id " << e->id << "</a>: " << esc(values_text(*e)) << "</li>\n";
    h << "</ul>\n<p class=\"rule\">Knee: each objective transformed as the search does (log10 where the config says "
         "log, negated where maximized) and normalized to [0, 1] over the front; the knee is the member with the "
         "smallest sum, the one farthest below the line between the two extremes (with more objectives, the "
         "hyperplane through the unit points). Needs three members. Best: the member with the best value of one "
         "objective. Degenerate members are never suggested.</p>\n";
  }

  h << "<h2>Next steps</h2>\n<p>Export the whole front (arch.json, graph.dot, model.py, model.onnx into "
    << esc(run.dir) << "/archs/&lt;id&gt;/):</p>\n<pre class=\"command\">hwnas export " << esc(dir_word)
    << " --formats json,dot,pytorch,onnx</pre>\n";
  if (!suggestions.empty()) {
    h << "<p>or only the suggested members:</p>\n<pre class=\"command\">";
    std::vector<std::int64_t> done;
    for (const auto& [why, e] : suggestions) {
      if (std::find(done.begin(), done.end(), e->id) != done.end()) continue;
      done.push_back(e->id);
      h << "hwnas export " << esc(dir_word) << " --which " << e->id << " --formats json,dot,pytorch,onnx\n";
    }
    h << "</pre>\n";
  }
  h << "<p>Then <code>hwnas report " << esc(dir_word) << "</code> again links the exports from the table.</p>\n";

  h << "<h2>Pareto fronts</h2>\n<p>Red: the Pareto front over all objectives; faded blue: dominated "
       "evaluations (in a plot coloured by a third quantity: large outlined points, small faded points)";
  if (!rejected.empty()) h << "; grey crosses: rejected for breaking a constraint (dashed lines: the bounds)";
  if (degenerate > 0) h << "; black ring: degenerate";
  h << ". Hover a point for its architecture.</p>\n";
  if (degenerate > 0) h << "<p class=\"degenerate-note\">" << kDegenerateNote << "</p>\n";
  h << "<div class=\"plots\">\n";
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
    for (auto [a, b] : pairs) {
      const bool plane = a == pcol && b == fcol;
      h << report_svg::scatter(cols[static_cast<std::size_t>(a)], cols[static_cast<std::size_t>(b)], sp,
                               "plot-" + std::to_string(k++),
                               plane && ccol >= 0 ? &cols[static_cast<std::size_t>(ccol)] : nullptr);
    }
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
      << report_svg::line_plot(hv, "successful evaluations", "hypervolume") << "</div>\n";
  }

  // The front as a sortable table.
  h << "<h2>Pareto front</h2>\n<p>Click a column to sort; ↓: lower is better, ↑: higher is better. Exports: "
       "<code>hwnas export "
    << esc(dir_word) << "</code> writes <code>archs/&lt;id&gt;/</code>.</p>\n<table class=\"sortable\" id=\"front\"><thead><tr><th>id</th>";
  for (const auto& o : run.objectives) {
    h << "<th title=\"" << (o.maximize ? "higher" : "lower") << " is better";
    for (const auto& k : run.constraints)
      if (k.objective == o.name) h << "; constraint " << esc(constraint_text(k));
    h << "\">" << esc(o.name) << " " << arrow(o) << "</th>";
  }
  const bool add_params = space && find_col("params (counted)") >= 0, add_flops = space && find_col("flops (counted)") >= 0;
  if (add_params) h << "<th>params (counted)</th>";
  if (add_flops) h << "<th>flops (counted)</th>";
  h << "<th>notes</th><th>architecture</th><th>exports</th></tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < front_entries.size(); ++i) {
    const RunEntry* e = front_entries[i];
    h << "<tr class=\"front-row" << (e->degenerate() ? " degenerate" : "") << "\"><td data-v=\"" << e->id << "\">" << e->id
      << "</td>";
    for (const auto& o : run.objectives) {
      const double v = raw(*e, o.name);
      h << "<td" << (std::isfinite(v) ? " data-v=\"" + num(v) + "\"" : std::string()) << " title=\"" << num(v) << "\">"
        << esc(fmt(v, 5)) << "</td>";
    }
    const auto [pv, fv] = add_params || add_flops ? count(*e) : std::pair<double, double>{NAN, NAN};
    if (add_params) h << "<td data-v=\"" << num(pv) << "\">" << esc(fmt(pv, 5)) << "</td>";
    if (add_flops) h << "<td data-v=\"" << num(fv) << "\">" << esc(fmt(fv, 5)) << "</td>";
    h << "<td class=\"notes\">";
    if (e->degenerate())
      h << "<span class=\"degenerate-badge\" title=\"the output does not depend on the input\">degenerate</span>"
        << (notes[i].empty() ? "" : " ");
    h << esc(notes[i]) << "</td><td class=\"arch\"><a href=\"#arch-" << e->id << "\">" << esc(e->arch) << "</a></td><td>";
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
  h << "</tbody></table>\n";
  if (degenerate_front > 0) h << "<p class=\"degenerate-note\">" << kDegenerateNote << "</p>\n";

  // A picture of each front member.
  if (space && !front_entries.empty()) {
    h << "<h2>Front architectures</h2>\n<p>";
    if (const auto* nb = dynamic_cast<const Nb201Space*>(space))
      h << "The cell of each member, repeated " << nb->opts().cells_per_stage
        << " times in each of the 3 stages. Data flows from left to right; grey dashed: <code>none</code> (no "
           "connection); faded dashed: an edge the deployed network prunes (its output never reaches the cell "
           "output).";
    else
      h << "The searchable blocks of each member, one row per stage.";
    h << "</p>\n<div class=\"archs\">\n";
    for (std::size_t i = 0; i < front_entries.size(); ++i) {
      const RunEntry* e = front_entries[i];
      std::string picture;
      try {
        picture = report_svg::arch_picture(*space, space->parse(e->arch));
      } catch (const UserError&) {
        // Not an architecture of this space: no picture.
      }
      if (picture.empty()) continue;
      h << "<figure class=\"arch" << (e->degenerate() ? " degenerate" : "") << "\" id=\"arch-" << e->id << "\">" << picture
        << "<figcaption>id " << e->id << (notes[i].empty() ? "" : " (" + esc(notes[i]) + ")")
        << (e->degenerate() ? " <span class=\"degenerate-badge\">degenerate</span>" : "") << "<br>"
        << esc(values_text(*e)) << "</figcaption></figure>\n";
    }
    h << "</div>\n";
  }
  h << "<script>\n" << kScript << "</script>\n</body></html>\n";
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
  const std::string path = RunFiles::report(dir);
  write_file_atomic(path, render_report(run, space.get()));
  return path;
}

}  // namespace hwnas
