// hwnas search: run a multi-objective search from a JSON config (or resume a killed one).
#include <filesystem>
#include <optional>
#include <iostream>

#include "command.h"
#include "mpi.h"
#include "torch_plugin.h"
#include "hwnas/core/error.h"
#include "hwnas/search/config.h"
#include "hwnas/search/controller.h"
#include "hwnas/search/report.h"

namespace {

struct SearchArgs {
  std::string config;
  std::string resume;
  std::vector<std::string> sets;
  std::string out;
  bool force = false;
  bool quiet = false;
  double eval_timeout = 0;
};

// Rank 0 tells the evaluator ranks to stop however the search ends.
struct StopEvaluators {
  ~StopEvaluators() { hwnas::cli::mpi_stop_evaluators(); }
};

void run(const SearchArgs& args) {
  const hwnas::cli::MpiWorld& world = hwnas::cli::mpi_world();
  std::optional<StopEvaluators> stop;
  if (world.distributed() && world.rank == 0) stop.emplace();
  if (!(args.eval_timeout >= 0)) throw hwnas::UserError("--eval-timeout: expected seconds >= 0 (0: no limit)");
  // The "proxy" and "train" objective sources live in the LibTorch plugin; without it a config
  // that names them gets the usual unknown-source error.
  hwnas::cli::load_torch_objectives_on_demand();
  if (args.force && !args.resume.empty())
    throw hwnas::UserError("--force replaces a run and --resume continues one: give one of them");
  hwnas::SearchConfig cfg = hwnas::SearchConfig::from_file(args.config, args.sets, "--set");
  if (!args.out.empty()) {
    // --out DIR is output.dir/output.name in one: the run directory itself.
    const std::filesystem::path out = std::filesystem::path(args.out).lexically_normal();
    const std::string name = (out.has_filename() ? out : out.parent_path()).filename().string();
    if (name.empty() || name == "." || name == "..")
      throw hwnas::UserError("--out " + args.out + ": expected a run directory such as runs/my-run");
    const std::filesystem::path parent = (out.has_filename() ? out : out.parent_path()).parent_path();
    cfg.output.dir = parent.empty() ? "." : parent.string();
    cfg.output.name = name;
  }
  if (world.distributed() && world.rank > 0) {
    hwnas::cli::mpi_serve(cfg);  // an evaluator: rank 0 owns the run directory
    return;
  }
  hwnas::SearchOptions opts;
  if (world.distributed()) {
    opts.backend = [&](const hwnas::Study&) { return hwnas::cli::make_mpi_backend(cfg, args.eval_timeout); };
    if (!args.quiet)
      std::cerr << "search: " << world.size - 1 << " evaluator rank(s) x " << cfg.parallelism << " thread(s), "
                << cfg.dispatch << " dispatch\n";
  }
  opts.resume_dir = args.resume;
  opts.replace = args.force;
  opts.quiet = args.quiet;
  const hwnas::SearchSummary s = hwnas::run_search(cfg, opts);
  std::cout << (args.quiet ? s.brief() + "\n" : s.full());
  // The report is a view of the run directory, which is complete now; a report that cannot be
  // written does not undo the search.
  try {
    const std::string report = hwnas::write_report(s.run_dir);
    if (!args.quiet) std::cout << "report: " << report << "\n";
  } catch (const hwnas::UserError& e) {
    std::cerr << "warning: report not written: " << e.what() << "\n";
  }
}

void setup_search(CLI::App& root) {
  auto args = std::make_shared<SearchArgs>();
  CLI::App* cmd = root.add_subcommand("search", "Run a multi-objective architecture search from a JSON config");
  cmd->add_option("config", args->config, "search config (see configs/schema.json, docs/search.md)")->required();
  cmd->add_option("--resume", args->resume, "continue the run in this run directory (same config; budget may grow)");
  cmd->add_option("--set", args->sets,
                  "override a config field by JSON path, e.g. --set seed=3 --set budget.evaluations=200 "
                  "--set objectives[1].log=true (VALUE is JSON, else a string); repeatable")
      ->allow_extra_args(false);
  cmd->add_option("--out", args->out, "the run directory (instead of output.dir/output.name), e.g. runs/x");
  cmd->add_flag("--force", args->force, "replace an earlier run in the run directory (its log, front, report and exports)");
  cmd->add_flag("--quiet", args->quiet, "no progress output; print only the one-line summary");
  cmd->add_option("--eval-timeout", args->eval_timeout,
                  "under mpirun: abort the job when an evaluator rank has not returned a trial in this many seconds (0: no limit)");
  cmd->callback([args] { run(*args); });
}

}  // namespace

HWNAS_COMMAND(setup_search);
