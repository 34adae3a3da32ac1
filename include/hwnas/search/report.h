#pragma once
// Reading a finished (or running) search's run directory, and the self-contained HTML report.
//
// The report is one file, RUN_DIR/report.html, with no network access and no external scripts:
//  - scatter plots (inline SVG) of every evaluation in the parameters-vs-FLOPs plane (counted
//    exactly from the architecture) and in every pair of the run's objectives; front members
//    highlighted, dominated points faded; log axes where values span more than a decade;
//  - hypervolume over evaluations: the normalized hypervolume (pareto.h's rule: objectives
//    transformed as the search does, log10 then negated when maximized; bounds from pareto.json's
//    normalization when present, else min/max over the log; reference 1.1) of the front of the
//    first k successful evaluations, for every k;
//  - a table of the front, sortable by clicking a column (a few lines of inline JavaScript),
//    linking each member to its exports under archs/<id>/ when they exist;
//  - the constraints and the better direction of each objective; evaluations rejected for
//    breaking a constraint drawn as crosses; the params-vs-FLOPs plane coloured by the first
//    latency objective (else accuracy or proxy);
//  - suggestions (the knee, knee_index(), and the best member per objective) and the `hwnas export`
//    commands for them; a picture of each front member's cell or block chain; members whose log
//    record says "degenerate": true marked and never suggested.
// Reading is report_reader.cpp, the page report.cpp, the drawing report_svg.cpp.
//
// Example:
//   RunData run = read_run_dir("runs/quickstart");
//   write_file_atomic("runs/quickstart/report.html", render_report(run));
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hwnas {

class SearchSpace;

struct RunObjective {
  std::string name;
  bool maximize = false;
  bool log = false;
  std::string source;  // the source kind from config.json: "params", "latency", "proxy", ... ("" unknown)
  /// The value the search minimizes (log10 when `log`, negated when maximized); NaN when undefined.
  double transform(double raw) const;
};

/// A constraint from config.json's "constraints": bounds on one objective's raw value.
struct RunConstraint {
  std::string objective;
  double min = -INFINITY, max = INFINITY;
};

/// One evaluation as read from evaluations.jsonl or pareto.json.
struct RunEntry {
  std::int64_t id = 0;
  std::string arch;
  std::string status = "ok";                           // "ok", "failed", "rejected"
  nlohmann::json objectives = nlohmann::json::object();  // name -> raw value
  nlohmann::json record;                                 // the whole line as read
  /// The record says the network's output does not depend on its input ("degenerate": true).
  bool degenerate() const;
};

struct RunData {
  std::string dir;
  nlohmann::json config;                 // config.json
  std::string space_name;
  nlohmann::json space_options;
  std::vector<RunObjective> objectives;  // config order
  std::vector<RunConstraint> constraints;  // config order
  bool has_log = false, has_front = false;
  std::vector<RunEntry> evaluations;     // evaluations.jsonl, in order (a truncated last line is skipped)
  std::vector<RunEntry> front;           // pareto.json's "front"
  nlohmann::json pareto;                 // pareto.json as read (null when absent)
};

/// Reads RUN_DIR/config.json (required: UserError "<dir>: not a run directory (no config.json)"),
/// and evaluations.jsonl and pareto.json when present. Malformed files -> UserError naming file:line.
RunData read_run_dir(const std::string& dir);

/// The entry with this id: pareto.json's front first, then the log. nullptr when absent.
const RunEntry* find_entry(const RunData& run, std::int64_t id);

/// The knee of a front, as an index into `front` (objective vectors transformed as the search does,
/// all minimized): each objective is normalized to [0, 1] over the front, and the knee is the point
/// with the smallest sum, i.e. the farthest below the hyperplane through the unit points (with two
/// objectives, the line between the two extremes). Ties go to the first. -1 with fewer than three
/// points or fewer than two objectives (every point is then an extreme).
int knee_index(const std::vector<std::vector<double>>& front);

/// The HTML page. `space` (from make_space(run.space_name, run.space_options)) is used to count
/// params and FLOPs of each architecture; nullptr leaves the params-vs-FLOPs plane to the
/// objectives when the run has them.
std::string render_report(const RunData& run, const SearchSpace* space);

/// Reads the run, renders the report and writes RUN_DIR/report.html atomically; returns its path.
std::string write_report(const std::string& dir);

}  // namespace hwnas
