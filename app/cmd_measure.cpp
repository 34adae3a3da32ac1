// hwnas measure: latency of one architecture measured on this machine with LibTorch.
#include <iostream>

#include "command.h"
#include "torch_plugin.h"
#include "hwnas/core/error.h"
#include "hwnas/hw_models/calibration.h"
#include "hwnas/hw_models/measure.h"
#include "space_cli.h"

namespace {

struct MeasureArgs {
  std::string space = "nb201";
  std::string space_options;
  std::string arch;
  std::string arch_file;  // one architecture per line, measured in one process
  hwnas::MeasureOptions opts;
  bool json = false;
  bool keep_dead = false;
  std::string torch_device = "cpu";
  int rounds = 1;
};

void run_measure(const MeasureArgs& args) {
  if (args.rounds < 1) throw hwnas::UserError("--rounds: expected a positive integer, got " + std::to_string(args.rounds));
  hwnas::MeasureOptions opts = args.opts;
  // The device string first (fp16 is validated against it); that the device is there, later.
  opts.device = hwnas::parse_torch_device(args.torch_device, "--torch-device");
  opts.validate(hwnas::cli::flag_of);
  auto space = hwnas::make_space_from_cli(args.space, args.space_options);
  const std::vector<hwnas::Architecture> archs = hwnas::archs_from_cli(*space, args.arch, args.arch_file);
  hwnas::DecodeOptions decode;
  decode.prune_dead = !args.keep_dead;
  opts.device = hwnas::cli::torch_device_from_cli(args.torch_device);
  std::vector<hwnas::ArchGraph> graphs;
  for (const auto& a : archs) graphs.push_back(space->decode(a, decode));
  // Every network once per round; each reports its fastest round as soon as its last is timed.
  hwnas::fastest_of_rounds(
      graphs, args.rounds,
      [&](const hwnas::ArchGraph& g) { return hwnas::cli::torch_plugin().measure_latency_ms(g, opts); }, nullptr,
      [&](std::size_t i, double ms) {
        const nlohmann::json j{{"space", space->name()},      {"arch", space->to_string(archs[i])},
                               {"latency_ms", ms},            {"batch", opts.batch},
                               {"repeats", opts.repeats},     {"rounds", args.rounds},
                               {"threads", opts.threads},     {"prune_dead", decode.prune_dead},
                               {"torch_device", opts.device.str()}, {"precision", opts.precision},
                               {"channels_last", opts.channels_last}};
        if (!args.arch_file.empty())
          std::cout << j.dump() << std::endl;  // one line per network, as soon as it is measured
        else if (args.json)
          std::cout << j.dump(2) << "\n";
        else
          std::cout << "latency_ms " << ms << "\n";
      });
}

void setup_measure(CLI::App& root) {
  auto args = std::make_shared<MeasureArgs>();
  CLI::App* cmd = root.add_subcommand("measure", "Measure the inference latency of one architecture on this machine (LibTorch, CPU or CUDA)");
  cmd->add_option("--space", args->space, "search space: nb201, mbv, or a space file (.json, docs/spaces.md)")->capture_default_str();
  cmd->add_option("--space-options", args->space_options, "space options as a JSON object");
  cmd->add_option("--arch", args->arch, "architecture string of the space");
  cmd->add_option("--arch-file", args->arch_file,
                  "file of architecture strings, one per line: each measured in turn, one JSON object per line "
                  "(LibTorch and CUDA start once)");
  cmd->add_option("--batch", args->opts.batch, "batch size")->capture_default_str();
  cmd->add_option("--repeats", args->opts.repeats, "timed runs (the median is reported)")->capture_default_str();
  cmd->add_option("--warmup", args->opts.warmup, "untimed runs first")->capture_default_str();
  cmd->add_option("--rounds", args->rounds,
                  "time every network once per round, rounds one after the other, and report each one's fastest "
                  "(noisy machines: interference only adds time)")
      ->capture_default_str();
  cmd->add_option("--threads", args->opts.threads, "LibTorch intra-op threads")->capture_default_str();
  cmd->add_option("--torch-device", args->torch_device,
                  "cpu, cuda or cuda:N (CUDA: synchronized around each timed run)")->capture_default_str();
  cmd->add_option("--precision", args->opts.precision, "fp32, or fp16 (CUDA only)")->capture_default_str();
  cmd->add_flag("--channels-last", args->opts.channels_last, "NHWC input and convolution weights");
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->add_flag("--keep-dead", args->keep_dead, "measure the network as built (do not prune dead edges)");
  cmd->callback([args] { run_measure(*args); });
}

}  // namespace

HWNAS_COMMAND(setup_measure);
