// hwnas measure: latency of one architecture measured on this machine with LibTorch.
#include <iostream>

#include "command.h"
#include "torch_plugin.h"
#include "hwnas/core/error.h"
#include "hwnas/hw_models/measure.h"
#include "hwnas/nas/space_cli.h"

namespace {

struct MeasureArgs {
  std::string space = "nb201";
  std::string space_options;
  std::string arch;
  hwnas::MeasureOptions opts;
  bool json = false;
  bool keep_dead = false;
};

void run_measure(const MeasureArgs& args) {
  args.opts.validate();
  auto space = hwnas::make_space_from_cli(args.space, args.space_options);
  const hwnas::Architecture a = hwnas::parse_arch_from_cli(*space, args.arch);
  hwnas::DecodeOptions decode;
  decode.prune_dead = !args.keep_dead;
  const double ms = hwnas::cli::torch_plugin().measure_latency_ms(space->decode(a, decode), args.opts);
  if (args.json) {
    std::cout << nlohmann::json{{"space", space->name()},      {"arch", space->to_string(a)},
                                {"latency_ms", ms},            {"batch", args.opts.batch},
                                {"repeats", args.opts.repeats}, {"threads", args.opts.threads},
                                {"prune_dead", decode.prune_dead}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "latency_ms " << ms << "\n";
  }
}

void setup_measure(CLI::App& root) {
  auto args = std::make_shared<MeasureArgs>();
  CLI::App* cmd = root.add_subcommand("measure", "Measure the inference latency of one architecture on this machine (LibTorch, CPU)");
  cmd->add_option("--space", args->space, "search space: nb201, mbv, or a space file (.json, docs/spaces.md)")->capture_default_str();
  cmd->add_option("--space-options", args->space_options, "space options as a JSON object");
  cmd->add_option("--arch", args->arch, "architecture string of the space")->required();
  cmd->add_option("--batch", args->opts.batch, "batch size")->capture_default_str();
  cmd->add_option("--repeats", args->opts.repeats, "timed runs (the median is reported)")->capture_default_str();
  cmd->add_option("--warmup", args->opts.warmup, "untimed runs first")->capture_default_str();
  cmd->add_option("--threads", args->opts.threads, "LibTorch intra-op threads")->capture_default_str();
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->add_flag("--keep-dead", args->keep_dead, "measure the network as built (do not prune dead edges)");
  cmd->callback([args] { run_measure(*args); });
}

}  // namespace

HWNAS_COMMAND(setup_measure);
