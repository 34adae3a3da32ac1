// hwnas export: one architecture, or the front (or any evaluations) of a run, as arch.json,
// graph.dot, model.py and model.onnx.
#include <filesystem>
#include <iostream>

#include "command.h"
#include "hwnas/core/error.h"
#include "hwnas/nas/export.h"
#include "space_cli.h"
#include "hwnas/search/report.h"

namespace {

namespace fs = std::filesystem;

struct ExportArgs {
  std::string run_dir;
  std::string space = "nb201";
  std::string space_options;
  std::string arch;
  std::string formats = "json,dot,pytorch,onnx";
  std::string out;
  std::string which = "pareto";
  bool keep_dead = false;
  std::uint64_t seed = 0;
};

std::string file_list(const std::vector<std::string>& paths) {
  std::string s;
  for (const auto& p : paths) s += (s.empty() ? "" : ", ") + fs::path(p).filename().string();
  return s;
}

// The objectives of a run entry for arch.json: value, direction and the source (device, units).
nlohmann::json entry_objectives(const hwnas::RunData& run, const hwnas::RunEntry& e) {
  nlohmann::json out = nlohmann::json::object();
  const auto& cfg_objs = run.config.contains("objectives") ? run.config["objectives"] : nlohmann::json::array();
  for (const auto& [name, value] : e.objectives.items()) {
    nlohmann::json o = {{"value", value}};
    for (const auto& c : cfg_objs)
      if (c.is_object() && c.value("name", "") == name)
        for (const char* k : {"direction", "log", "source", "unit"})
          if (c.contains(k)) o[k] = c[k];
    out[name] = o;
  }
  return out;
}

void run_export(const ExportArgs& args, bool space_given, bool options_given) {
  hwnas::ExportOptions opts;
  opts.formats = hwnas::parse_formats(args.formats, "--formats");
  opts.decode.prune_dead = !args.keep_dead;
  opts.seed = args.seed;
  if (args.run_dir.empty()) {
    if (args.arch.empty()) throw hwnas::UserError("export: give a run directory, or --arch with --out");
    if (args.out.empty()) throw hwnas::UserError("--out is required with --arch");
    auto space = hwnas::make_space_from_cli(args.space, args.space_options);
    const hwnas::Architecture a = hwnas::parse_arch_from_cli(*space, args.arch);
    const auto paths = hwnas::export_architecture(*space, a, args.out, opts);
    std::cout << "wrote " << args.out << ": " << file_list(paths) << "\n";
    return;
  }
  if (!args.arch.empty() || !args.out.empty() || space_given || options_given)
    throw hwnas::UserError("export " + args.run_dir +
                           ": --arch, --out, --space and --space-options belong to the single-architecture form; "
                           "a run directory supplies its own");
  const hwnas::RunData run = hwnas::read_run_dir(args.run_dir);
  std::unique_ptr<hwnas::SearchSpace> space;
  try {
    space = hwnas::make_space(run.space_name, run.space_options);
  } catch (const hwnas::UserError& e) {
    throw hwnas::UserError(args.run_dir + "/config.json: space: " + e.what());
  }
  std::vector<const hwnas::RunEntry*> chosen;
  if (args.which == "pareto") {
    if (!run.has_front)
      throw hwnas::UserError(args.run_dir + "/pareto.json: missing (the search has not written a front yet); "
                             "use --which all or --which <id>");
    for (const auto& e : run.front) chosen.push_back(&e);
  } else if (args.which == "all") {
    if (!run.has_log) throw hwnas::UserError(args.run_dir + "/evaluations.jsonl: missing");
    for (const auto& e : run.evaluations)
      if (e.status == "ok") chosen.push_back(&e);
  } else {
    std::int64_t id = 0;
    try {
      std::size_t used = 0;
      id = std::stoll(args.which, &used);
      if (used != args.which.size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      throw hwnas::UserError("--which: expected pareto, all or an evaluation id, got '" + args.which + "'");
    }
    const hwnas::RunEntry* e = hwnas::find_entry(run, id);
    if (!e)
      throw hwnas::UserError("--which " + args.which + ": no evaluation with id " + args.which + " in " + args.run_dir +
                             (run.has_log ? "/evaluations.jsonl" : "/pareto.json"));
    chosen.push_back(e);
  }
  for (const auto* e : chosen) {
    hwnas::Architecture a;
    try {
      a = space->parse(e->arch);
    } catch (const hwnas::UserError& err) {
      throw hwnas::UserError(args.run_dir + ": evaluation " + std::to_string(e->id) + ": " + err.what());
    }
    hwnas::ExportOptions o = opts;
    o.objectives = entry_objectives(run, *e);
    const std::string dir = (fs::path(args.run_dir) / "archs" / std::to_string(e->id)).string();
    const auto paths = hwnas::export_architecture(*space, a, dir, o);
    std::cout << "wrote " << dir << ": " << file_list(paths) << "\n";
  }
  std::cout << "exported " << chosen.size() << " architecture" << (chosen.size() == 1 ? "" : "s") << "\n";
}

void setup_export(CLI::App& root) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = root.add_subcommand(
      "export",
      "Export architectures as arch.json, graph.dot, model.py (PyTorch) and model.onnx.\n"
      "  hwnas export --space S --arch STR --out DIR     one architecture\n"
      "  hwnas export RUN_DIR [--which pareto|all|ID]    a run's front (or more) into RUN_DIR/archs/<id>/");
  cmd->add_option("run_dir", args->run_dir, "run directory of a search (config.json, evaluations.jsonl, pareto.json)");
  auto* sp = cmd->add_option("--space", args->space, "search space: nb201, mbv, or a space file (.json, docs/spaces.md)")->capture_default_str();
  auto* so = cmd->add_option("--space-options", args->space_options, "space options as a JSON object");
  cmd->add_option("--arch", args->arch, "architecture string of the space (single-architecture form)");
  cmd->add_option("--out", args->out, "output folder (created if missing)");
  cmd->add_option("--formats", args->formats, "comma-separated: json,dot,pytorch,onnx (or all)")->capture_default_str();
  cmd->add_option("--which", args->which, "run form: pareto (the front), all (every successful evaluation) or an id")
      ->capture_default_str();
  cmd->add_flag("--keep-dead", args->keep_dead, "export the network as built (do not prune dead edges)");
  cmd->add_option("--seed", args->seed, "seed of the deterministic ONNX weights")->capture_default_str();
  cmd->callback([args, sp, so] { run_export(*args, sp->count() > 0, so->count() > 0); });
}

}  // namespace

HWNAS_COMMAND(setup_export);
