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

double ObjectiveConfig::transform(double raw) const {
  double x = raw;
  if (log) x = raw > 0 ? std::log10(raw) : NAN;
  return maximize ? -x : x;
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

std::string SearchConfig::run_dir() const { return (fs::path(output_dir) / output_name).string(); }

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

  // seed (read before the objectives: a source may use it)
  c.seed = static_cast<std::uint64_t>([&] {
    const long long s = r.get<long long>("seed", 0);
    if (s < 0) throw UserError(r.child("seed") + ": expected a non-negative integer, got " + std::to_string(s));
    return s;
  }());

  // objectives
  const nlohmann::json* objs = r.raw("objectives");
  if (!objs) throw UserError(root + "objectives: required field is missing");
  if (!objs->is_array() || objs->empty()) JsonReader::fail(root + "objectives", "a non-empty array of objectives", *objs);
  ObjectiveContext octx{space.get(), c.base_dir, c.seed};
  for (std::size_t i = 0; i < objs->size(); ++i) {
    const std::string p = root + "objectives[" + std::to_string(i) + "]";
    JsonReader o((*objs)[i], p);
    ObjectiveConfig oc;
    oc.name = o.require<std::string>("name");
    if (oc.name.empty()) throw UserError(o.child("name") + ": expected a non-empty name");
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
    const std::string dir = o.get<std::string>("direction", "minimize");
    if (dir != "minimize" && dir != "maximize")
      throw UserError(o.child("direction") + ": expected \"minimize\" or \"maximize\", got \"" + dir + "\"");
    oc.maximize = dir == "maximize";
    oc.log = o.get<bool>("log", false);
    o.finish();
    c.objectives.push_back(std::move(oc));
  }

  // constraints
  if (const auto* cons = r.raw("constraints")) {
    if (!cons->is_array()) JsonReader::fail(root + "constraints", "an array of constraints", *cons);
    for (std::size_t i = 0; i < cons->size(); ++i) {
      const std::string p = root + "constraints[" + std::to_string(i) + "]";
      JsonReader k((*cons)[i], p);
      ConstraintConfig cc;
      cc.objective = k.require<std::string>("objective");
      cc.objective_index = c.objective_index(cc.objective);
      if (cc.objective_index < 0) {
        std::string known;
        for (const auto& o : c.objectives) known += (known.empty() ? "" : ", ") + o.name;
        throw UserError(k.child("objective") + ": no objective named '" + cc.objective + "' (objectives: " + known + ")");
      }
      if (!k.has("min") && !k.has("max")) throw UserError(p + ": expected \"max\" and/or \"min\"");
      cc.min = k.get<double>("min", cc.min);
      cc.max = k.get<double>("max", cc.max);
      k.finish();
      if (!(cc.min <= cc.max)) throw UserError(p + ": min " + fmt(cc.min) + " is larger than max " + fmt(cc.max));
      c.constraints.push_back(cc);
    }
  }

  c.exclude_degenerate = r.get<bool>("exclude_degenerate", c.exclude_degenerate);

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

  // budget
  {
    const nlohmann::json* b = r.raw("budget");
    if (!b) throw UserError(root + "budget: required field is missing (give \"evaluations\" and/or \"seconds\")");
    JsonReader s(*b, root + "budget");
    if (s.has("evaluations")) {
      c.max_evaluations = s.require<long long>("evaluations");
      if (*c.max_evaluations < 1)
        throw UserError(s.child("evaluations") + ": expected a positive integer, got " + std::to_string(*c.max_evaluations));
    }
    if (s.has("seconds")) {
      c.max_seconds = s.require<double>("seconds");
      if (!(*c.max_seconds > 0) || !std::isfinite(*c.max_seconds))
        throw UserError(s.child("seconds") + ": expected a positive number of seconds, got " + fmt(*c.max_seconds));
    }
    if (s.has("steps")) {
      c.max_steps = s.require<double>("steps");
      if (!(*c.max_steps > 0) || !std::isfinite(*c.max_steps))
        throw UserError(s.child("steps") + ": expected a positive number of steps, got " + fmt(*c.max_steps));
      if (fidelity_objective < 0)
        throw UserError(s.child("steps") + ": no objective reports steps; \"steps\" needs a {\"train\": {...}} objective "
                        "or a learning-curve table ({\"table\": {..., \"fidelity\": COLUMN}})");
    }
    s.finish();
    if (!c.max_evaluations && !c.max_seconds && !c.max_steps)
      throw UserError(root + "budget: expected at least one of \"evaluations\", \"seconds\" and \"steps\"");
  }

  c.parallelism = r.get<int>("parallelism", 1);
  if (c.parallelism < 1 || c.parallelism > 1024)
    throw UserError(r.child("parallelism") + ": expected an integer in 1..1024, got " + std::to_string(c.parallelism));
  c.batch_size = r.get<int>("batch_size", c.parallelism);
  if (c.batch_size < 1 || c.batch_size > 100000)
    throw UserError(r.child("batch_size") + ": expected an integer in 1..100000, got " + std::to_string(c.batch_size));
  c.dispatch = r.get<std::string>("dispatch", c.dispatch);
  if (c.dispatch != "synchronous" && c.dispatch != "asynchronous")
    throw UserError(r.child("dispatch") + ": expected \"synchronous\" or \"asynchronous\", got \"" + c.dispatch + "\"" +
                    did_you_mean(c.dispatch, {"synchronous", "asynchronous"}));

  // output
  c.output_name = fs::path(file).stem().string();
  if (c.output_name.empty() || c.output_name == "<json>") c.output_name = "search";
  if (const auto* out = r.raw("output")) {
    JsonReader s(*out, root + "output");
    c.output_dir = s.get<std::string>("dir", c.output_dir);
    c.output_name = s.get<std::string>("name", c.output_name);
    s.finish();
    if (c.output_dir.empty()) throw UserError(s.child("dir") + ": expected a non-empty folder name");
    if (c.output_name.empty() || c.output_name.find('/') != std::string::npos || c.output_name == "." || c.output_name == "..")
      throw UserError(s.child("name") + ": expected a plain folder name (no '/'), got \"" + c.output_name + "\"");
  }
  r.finish();
  return c;
}

nlohmann::json SearchConfig::to_json() const {
  nlohmann::json j = identity_json();
  nlohmann::json budget = nlohmann::json::object();
  if (max_evaluations) budget["evaluations"] = *max_evaluations;
  if (max_seconds) budget["seconds"] = *max_seconds;
  if (max_steps) budget["steps"] = *max_steps;
  j["budget"] = budget;
  j["parallelism"] = parallelism;
  j["output"] = {{"dir", output_dir}, {"name", output_name}};
  return j;
}

nlohmann::json SearchConfig::identity_json() const {
  nlohmann::json objs = nlohmann::json::array(), cons = nlohmann::json::array();
  for (const auto& o : objectives)
    objs.push_back({{"name", o.name}, {"source", o.source_json()}, {"direction", o.maximize ? "maximize" : "minimize"}, {"log", o.log}});
  for (const auto& k : constraints) {
    nlohmann::json x = {{"objective", k.objective}};
    if (std::isfinite(k.min)) x["min"] = k.min;
    if (std::isfinite(k.max)) x["max"] = k.max;
    cons.push_back(x);
  }
  nlohmann::json j = {{"space", {{"name", space}, {"options", space_options}}},
                      {"objectives", objs},
                      {"constraints", cons},
                      {"exclude_degenerate", exclude_degenerate},
                      {"strategy", {{"name", strategy}, {"options", strategy_options}}},
                      {"batch_size", effective_batch_size()},
                      {"seed", seed}};
  if (dispatch != "synchronous") j["dispatch"] = dispatch;  // runs from before the field keep their identity
  if (scheduler.enabled()) j["scheduler"] = scheduler.to_json();
  return j;
}

}  // namespace hwnas
