// Reading a run directory (config.json, evaluations.jsonl, pareto.json: RunFiles) for the report and
// export. Leniently on purpose: a report is made of any run, also an older or hand-written one
// whose records lack what a resume needs (RunStore's reader, read_evaluation_log, is strict);
// both read the log with the one JSONL reader (core/jsonl.h), which drops a cut-off last line.
#include "hwnas/search/report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/core/jsonl.h"
#include "hwnas/core/read_file.h"
#include "hwnas/search/run_store.h"

namespace hwnas {

namespace fs = std::filesystem;

double RunObjective::transform(double raw) const {
  double x = raw;
  if (log) x = raw > 0 ? std::log10(raw) : NAN;
  return maximize ? -x : x;
}

bool RunEntry::degenerate() const {
  return record.is_object() && record.contains("degenerate") && record["degenerate"] == true;
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

// Calls visit(item, "<file>: key[i]") for each item of config[key], an array when present.
template <class Visit>
void each_item(const nlohmann::json& config, const std::string& key, const std::string& file, Visit visit) {
  if (!config.contains(key)) return;
  const auto& items = config[key];
  if (!items.is_array()) throw UserError(file + ": " + key + ": expected an array");
  for (std::size_t i = 0; i < items.size(); ++i) visit(items[i], file + ": " + key + "[" + std::to_string(i) + "]");
}

}  // namespace

RunData read_run_dir(const std::string& dir) {
  RunData run;
  run.dir = dir;
  const fs::path root(dir);
  if (!fs::is_directory(root)) throw UserError(dir + ": no such run directory");
  const fs::path cfg = RunFiles::config(dir);
  if (!fs::exists(cfg)) throw UserError(dir + ": not a run directory (no config.json)");
  run.config = parse_json(read_file(cfg), cfg.string());
  const std::string cw = cfg.string();
  if (!run.config.is_object()) throw UserError(cw + ": expected a JSON object");
  const auto& sp = run.config.contains("space") ? run.config["space"] : nlohmann::json();
  if (!sp.is_object() || !sp.contains("name") || !sp["name"].is_string())
    throw UserError(cw + ": space.name: expected a string");
  run.space_name = sp["name"].get<std::string>();
  run.space_options = sp.contains("options") ? sp["options"] : nlohmann::json();
  each_item(run.config, "objectives", cw, [&](const nlohmann::json& o, const std::string& p) {
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
    if (o.contains("source")) {
      const auto& src = o["source"];
      if (src.is_string()) r.source = src.get<std::string>();
      else if (src.is_object() && src.size() == 1) r.source = src.begin().key();
    }
    run.objectives.push_back(r);
  });
  each_item(run.config, "constraints", cw, [&](const nlohmann::json& c, const std::string& p) {
    if (!c.is_object() || !c.contains("objective") || !c["objective"].is_string())
      throw UserError(p + ".objective: expected a string");
    RunConstraint k;
    k.objective = c["objective"].get<std::string>();
    for (const char* b : {"min", "max"})
      if (c.contains(b)) {
        if (!c[b].is_number()) throw UserError(p + "." + b + ": expected a number");
        (b[1] == 'i' ? k.min : k.max) = c[b].get<double>();
      }
    run.constraints.push_back(k);
  });
  const fs::path log = RunFiles::log(dir);
  if (fs::exists(log)) {
    run.has_log = true;
    // A last line cut short by a kill is not a finished evaluation (parse_jsonl leaves it out).
    for (const JsonlLine& l : parse_jsonl(read_file(log), log.string()).lines)
      run.evaluations.push_back(entry_from_json(l.value, log.string() + ":" + std::to_string(l.line)));
  }
  const fs::path pareto = RunFiles::front_json(dir);
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
    for (const auto& n : names) run.objectives.push_back({n, false, false, ""});
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

}  // namespace hwnas
