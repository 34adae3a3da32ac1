#include "hwnas/search/config.h"

#include <cmath>
#include <filesystem>
#include <sstream>

#include "hwnas/core/error.h"
#include "hwnas/core/suggest.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/nas/spaces/graph_space.h"
#include "hwnas/search/objective.h"
#include "hwnas/search/strategy.h"

namespace hwnas {

namespace fs = std::filesystem;

namespace {

std::string fmt(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

// Errors raised by the space or strategy libraries name only the JSON path ("space.options.x");
// add the file so every config error names both.
template <class F>
auto with_file(const std::string& file, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const UserError& e) {
    throw UserError(file + ": " + e.what());
  }
}


}  // namespace

const char* direction_name(Direction d) { return d == Direction::Maximize ? "maximize" : "minimize"; }

void ObjectiveConfig::check(const std::string& path) const {
  if (name.empty()) throw UserError(path + ".name: expected a non-empty name");
}

double ObjectiveConfig::transform(double raw) const {
  double x = raw;
  if (log) x = raw > 0 ? std::log10(raw) : NAN;
  return maximize() ? -x : x;
}

nlohmann::json ObjectiveConfig::source_json() const {
  if (spec.is_null()) return kind;
  return nlohmann::json{{kind, spec}};
}

std::string ConstraintConfig::violation(double raw) const {
  if (std::isnan(raw)) return {};  // not evaluated (or failed): nothing to check
  if (raw > max) return objective + " = " + fmt(raw) + " > max " + fmt(max);
  if (raw < min) return objective + " = " + fmt(raw) + " < min " + fmt(min);
  return {};
}

int SearchConfig::objective_index(const std::string& name) const {
  for (std::size_t i = 0; i < objectives.size(); ++i)
    if (objectives[i].name == name) return static_cast<int>(i);
  return -1;
}

bool SearchConfig::costs_as_built() const {
  // Only a cheap (hardware) source's value depends on the dead edges: a proxy or training run
  // as built computes the same function as the deployed network, so telling its cells apart would
  // only evaluate that network again (and StrategyCore's dominance skip relies on it).
  for (const auto& o : objectives)
    if (o.cheap && o.spec.is_object() && o.spec.contains("prune_dead") && o.spec["prune_dead"] == false) return true;
  return false;
}

std::string SearchConfig::run_dir() const { return (fs::path(output.dir) / output.name).string(); }

void ConstraintConfig::check(const std::string& path) const {
  if (std::isinf(min) && std::isinf(max)) throw UserError(path + ": expected \"max\" and/or \"min\"");
  if (!(min <= max)) throw UserError(path + ": min " + fmt(min) + " is larger than max " + fmt(max));
}

void BudgetConfig::check(const std::string& path) const {
  if (!evaluations && !seconds && !steps && !gpu_seconds)
    throw UserError(path + ": expected at least one of \"evaluations\", \"seconds\", \"steps\" and \"gpu_seconds\"");
}

void OutputConfig::check(const std::string& path) const {
  const std::string at = path + (path.empty() || path.back() == ' ' ? "" : ".");
  if (dir.empty()) throw UserError(at + "dir: expected a non-empty folder name");
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    throw UserError(at + "name: expected a plain folder name (no '/'), got \"" + name + "\"");
}

SearchConfig SearchConfig::from_file(const std::string& path) { return from_json(read_json_file(path), path); }

SearchConfig SearchConfig::from_file(const std::string& path, const std::vector<std::string>& overrides,
                                     const std::string& source) {
  nlohmann::json j = read_json_file(path);
  if (overrides.empty()) return from_json(j, path);
  if (!j.is_object()) JsonReader::fail(path, "a JSON object", j);
  std::string applied;
  for (const auto& o : overrides) {
    apply_json_override(j, o, source);
    applied += (applied.empty() ? "" : ", ") + o;
  }
  try {
    return from_json(j, path);
  } catch (const UserError& e) {
    throw UserError(std::string(e.what()) + " (the config with " + source + " " + applied + ")");
  }
}

SearchConfig SearchConfig::from_json(const nlohmann::json& j, const std::string& file, const std::string& base_dir) {
  SearchConfig c;
  c.source_file = file;
  c.base_dir = base_dir.empty() ? fs::absolute(fs::path(file)).parent_path().string() : base_dir;
  const std::string root = file + ": ";
  if (!j.is_object()) JsonReader::fail(file, "a JSON object", j);
  JsonReader r(j, root);
  r.raw("$schema");  // allowed, for editors
  // The plain settings (SearchConfig::fields), checked before anything is resolved.
  c.output.name = fs::path(file).stem().string();
  if (c.output.name.empty() || c.output.name == "<json>") c.output.name = "search";
  read_fields(c, r);
  if (!r.has("batch_size")) c.batch_size = c.parallelism;
  validate_options(c, root);

  // space
  {
    const nlohmann::json* sp = r.raw("space");
    if (!sp) throw UserError(root + "space: required field is missing");
    JsonReader s(*sp, root + "space");
    // A built-in space by name, or a space file (docs/spaces.md), relative to the config's folder.
    const nlohmann::json* file = s.raw("file");
    if (file && s.has("name")) throw UserError(s.child("file") + ": give either \"name\" or \"file\", not both");
    if (!file) c.space = s.require<std::string>("name");
    nlohmann::json opts = nlohmann::json::object();
    if (const auto* o = s.raw("options")) opts = *o;
    s.finish();
    std::unique_ptr<SearchSpace> space;
    if (file) {
      std::string f = JsonReader::convert<std::string>(*file, s.child("file"));
      if (f.empty()) throw UserError(s.child("file") + ": expected a path to a space file");
      if (fs::path(f).is_relative()) f = (fs::path(c.base_dir) / f).lexically_normal().string();
      try {
        space = make_space_from_file(f, opts.empty() ? nlohmann::json() : opts);
      } catch (const UserError& e) {
        throw UserError(root + "space.file: " + e.what());
      }
      c.space = space->name();
    } else {
      try {
        space = make_space(c.space, opts);
      } catch (const UserError& e) {
        const std::string msg = e.what();
        throw UserError(root + (msg.rfind("space.", 0) == 0 ? "" : "space.name: ") + msg);
      }
    }
    c.space_options = space->options();
  }
  auto space = make_space(c.space, c.space_options);

  // objectives
  const nlohmann::json* objs = r.raw("objectives");
  if (!objs) throw UserError(root + "objectives: required field is missing");
  if (!objs->is_array() || objs->empty()) JsonReader::fail(root + "objectives", "a non-empty array of objectives", *objs);
  ObjectiveContext octx{space.get(), c.base_dir, c.seed};
  for (std::size_t i = 0; i < objs->size(); ++i) {
    const std::string p = root + "objectives[" + std::to_string(i) + "]";
    JsonReader o((*objs)[i], p);
    ObjectiveConfig oc;
    read_fields(oc, o);
    validate_options(oc, p);
    if (c.objective_index(oc.name) >= 0) throw UserError(o.child("name") + ": objective '" + oc.name + "' is defined twice");
    const nlohmann::json* src = o.raw("source");
    if (!src) throw UserError(o.child("source") + ": required field is missing");
    nlohmann::json spec;
    if (src->is_string()) {
      oc.kind = src->get<std::string>();
    } else if (src->is_object() && src->size() == 1) {
      oc.kind = src->begin().key();
      spec = src->begin().value();
    } else {
      JsonReader::fail(o.child("source"),
                       "\"params\", \"macs\", \"flops\" or an object with one key naming the source "
                       "({\"latency\": {...}}, {\"energy\": {...}}, {\"table\": {...}}, {\"proxy\": NAME}, {\"train\": {...}}, {\"external\": {}})",
                       *src);
    }
    auto source = make_objective_source(oc.kind, spec, o.child("source"), octx);
    oc.spec = source->resolved_spec();
    oc.cheap = source->cheap();
    oc.full_fidelity = source->full_fidelity();
    o.finish();
    c.objectives.push_back(std::move(oc));
  }

  // constraints
  if (const auto* cons = r.raw("constraints")) {
    if (!cons->is_array()) JsonReader::fail(root + "constraints", "an array of constraints", *cons);
    for (std::size_t i = 0; i < cons->size(); ++i) {
      const std::string p = root + "constraints[" + std::to_string(i) + "]";
      ConstraintConfig cc = read_options<ConstraintConfig>((*cons)[i], p);
      cc.objective_index = c.objective_index(cc.objective);
      if (cc.objective_index < 0) {
        std::string known;
        for (const auto& o : c.objectives) known += (known.empty() ? "" : ", ") + o.name;
        throw UserError(p + ".objective: no objective named '" + cc.objective + "' (objectives: " + known + ")");
      }
      c.constraints.push_back(cc);
    }
  }

  // strategy
  if (const auto* st = r.raw("strategy")) {
    JsonReader s(*st, root + "strategy");
    c.strategy = s.get<std::string>("name", c.strategy);
    if (const auto* o = s.raw("options")) c.strategy_options = *o;
    s.finish();
  }
  c.strategy_options = with_file(file, [&] { return resolve_strategy_options(c.strategy, c.strategy_options, "strategy.options"); });
  {
    StrategyContext sctx;  // only to validate the name and options
    sctx.space = space.get();
    sctx.num_objectives = static_cast<int>(c.objectives.size());
    for (const auto& o : c.objectives) sctx.is_cheap.push_back(o.cheap);
    sctx.seed = c.seed;
    sctx.cheap = [n = c.objectives.size()](const Architecture&) { return std::optional<std::vector<double>>(std::vector<double>(n, NAN)); };
    with_file(file, [&] { return make_strategy(c.strategy, c.strategy_options, sctx); });
  }

  // scheduler (after the objectives: its fidelity is one objective's)
  int fidelity_objective = -1;
  std::string fidelity_objectives;
  for (std::size_t i = 0; i < c.objectives.size(); ++i) {
    if (c.objectives[i].full_fidelity > 0) {
      if (fidelity_objective < 0) fidelity_objective = static_cast<int>(i);
      fidelity_objectives += (fidelity_objectives.empty() ? "" : ", ") + c.objectives[i].name;
      if (c.scheduler.max_fidelity == 0) c.scheduler.max_fidelity = c.objectives[i].full_fidelity;
    }
  }
  if (const auto* sc = r.raw("scheduler")) {
    const int full = c.scheduler.max_fidelity;  // the fidelity source's full fidelity (0: none)
    c.scheduler = SchedulerConfig::from_json(*sc, root + "scheduler");
    if (fidelity_objective < 0)
      throw UserError(root + "scheduler: no objective has fidelity levels; a scheduler needs a {\"train\": {...}} objective, "
                      "a {\"table\": {..., \"fidelity\": COLUMN}} learning-curve table or {\"external\": {\"fidelity\": STEPS}}");
    if (fidelity_objectives.find(',') != std::string::npos)
      throw UserError(root + "scheduler: more than one objective has fidelity levels (" + fidelity_objectives +
                      "); a scheduler takes one");
    if (c.scheduler.max_fidelity == 0) c.scheduler.max_fidelity = full;
    if (c.scheduler.max_fidelity > full)
      throw UserError(root + "scheduler.max_fidelity: " + std::to_string(c.scheduler.max_fidelity) + " is more than objective '" +
                      c.objectives[static_cast<std::size_t>(fidelity_objective)].name + "' runs at full fidelity (" +
                      std::to_string(full) + ")");
    c.scheduler.validate(root + "scheduler");
  } else {
    c.scheduler = SchedulerConfig{};
  }

  // budget: "steps" needs an objective that reports them
  if (c.budget.steps && fidelity_objective < 0)
    throw UserError(root + "budget.steps: no objective reports steps; \"steps\" needs a {\"train\": {...}} objective "
                    "or a learning-curve table ({\"table\": {..., \"fidelity\": COLUMN}})");
  // budget: "gpu_seconds" times the expensive objectives hwnas computes; a told value's time is unknown
  if (c.budget.gpu_seconds) {
    bool timed = false;
    for (const auto& o : c.objectives) {
      if (o.kind == "external")
        throw UserError(root + "budget.gpu_seconds: objective '" + o.name + "' is external, and hwnas cannot time what your "
                        "own code computes; use \"evaluations\" or \"seconds\" (wall clock) with external objectives");
      timed = timed || !o.cheap;
    }
    if (!timed)
      throw UserError(root + "budget.gpu_seconds: every objective is cheap (computed exactly, in microseconds), so there is "
                      "no evaluation to time; \"gpu_seconds\" needs an expensive objective such as {\"train\": {...}} or {\"proxy\": NAME}");
  }
  r.finish();
  return c;
}

nlohmann::json SearchConfig::identity_json() const {
  nlohmann::json j = to_json();
  for (const auto& k : kNotIdentity) j.erase(k);
  return j;
}

nlohmann::json SearchConfig::to_json() const {
  nlohmann::json objs = nlohmann::json::array(), cons = nlohmann::json::array();
  for (const auto& o : objectives) {
    nlohmann::json x = write_options(o);
    x["source"] = o.source_json();
    objs.push_back(std::move(x));
  }
  for (const auto& k : constraints) cons.push_back(write_options(k));
  nlohmann::json j = write_options(*this);
  j["batch_size"] = effective_batch_size();
  j["space"] = {{"name", space}, {"options", space_options}};
  j["objectives"] = objs;
  j["constraints"] = cons;
  j["strategy"] = {{"name", strategy}, {"options", strategy_options}};
  if (scheduler.enabled()) j["scheduler"] = scheduler.to_json();
  return j;
}

}  // namespace hwnas
