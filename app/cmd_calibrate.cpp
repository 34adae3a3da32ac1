// hwnas calibrate: fit a device profile to measurements, either micro-benchmarks on this machine
// (--device host) or a CSV of measured whole networks from any device (--samples).
#include <filesystem>
#include <iostream>
#include <sstream>

#include "command.h"
#include "torch_plugin.h"
#include "hwnas/core/atomic_file.h"
#include "hwnas/core/error.h"
#include "hwnas/hw_models/calibration.h"
#include "hwnas/hw_models/device_profile.h"
#include "hwnas/hw_models/measure.h"
#include "space_cli.h"

namespace {

struct CalibrateArgs {
  std::string device;
  std::string out;
  std::string samples;
  std::string space = "nb201";
  std::string space_options;
  int batch = 1;
  std::string precision = "fp32";
  int threads = 1;
  int repeats = 15;
  int layer_archs = 400;
  int network_archs = 12;
  int rounds = 2;
  bool no_lut = false;
  bool keep_dead = false;
  std::uint64_t seed = 7;
  std::string torch_device;  // empty: not given (cpu)
};

void write_profile(const hwnas::DeviceProfile& p, const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && parent == "runs") std::filesystem::create_directories(parent);
  hwnas::write_file_atomic(path, p.to_json().dump(2) + "\n");  // temp file + rename: never half-written
}

void print_warnings(const hwnas::FitReport& r) {
  for (const auto& w : r.warnings) std::cerr << "warning: " << w << "\n";
}

void run_calibrate(const CalibrateArgs& args) {
  const hwnas::Precision precision = hwnas::parse_precision(args.precision);
  // Every count, whichever mode uses it: a 0 is a mistake even where the mode ignores the option.
  for (const auto& [flag, v] : {std::pair<const char*, int>{"--batch", args.batch}, {"--threads", args.threads},
                                {"--repeats", args.repeats}, {"--layer-archs", args.layer_archs},
                                {"--network-archs", args.network_archs}, {"--rounds", args.rounds}})
    if (v < 1) throw hwnas::UserError(std::string(flag) + ": expected a positive integer, got " + std::to_string(v));
  // Parsed before anything runs, so a typo fails fast in either mode.
  const hwnas::TorchDevice torch_device =
      hwnas::parse_torch_device(args.torch_device.empty() ? "cpu" : args.torch_device, "--torch-device");
  const hwnas::DeviceProfile start = hwnas::load_device(args.device);
  const std::string out = args.out.empty() ? "runs/" + start.name + "-calibrated.json" : args.out;
  if (!args.samples.empty()) {
    if (!args.torch_device.empty())
      throw hwnas::UserError("--torch-device: --samples fits measurements already made and runs no network; "
                             "measure them with `hwnas measure --torch-device " + args.torch_device + "`");
    auto space = hwnas::make_space_from_cli(args.space, args.space_options);
    hwnas::DecodeOptions decode;
    decode.prune_dead = !args.keep_dead;
    const auto samples = hwnas::read_latency_samples(args.samples, *space, 10, decode);
    const hwnas::FitResult fit = hwnas::adapt_profile(start, samples, args.batch, precision);
    print_warnings(fit.report);
    // Beyond 1000x either way the samples are in another unit, not from another device.
    for (const auto& [name, v] : fit.report.parameters)
      if (name.find("scale") != std::string::npos && (v > 1e3 || v < 1e-3)) {
        std::ostringstream os;
        os << args.samples << ": the adaptation multiplied the profile's times by " << name << " = " << v
           << ": more than 1000x either way is no real device (latencies in another unit than ms?); nothing written";
        throw hwnas::UserError(os.str());
      }
    hwnas::DeviceProfile p = fit.profile;
    p.measured_graph = args.keep_dead ? hwnas::MeasuredGraph::AsBuilt : hwnas::MeasuredGraph::Pruned;
    const std::string how = "adapted: hwnas calibrate --samples " + args.samples + " (" +
                            std::to_string(samples.size()) + " networks)";
    hwnas::mark_calibrated_sources(p, how);
    p.validate(args.samples + ": the profile adapted to these samples");  // no absurd value is written
    write_profile(p, out);
    std::cout << "few-shot adaptation of " << start.name << ": " << fit.report.brief() << "\nwritten to " << out << "\n";
    return;
  }
  if (!torch_device.cuda && (start.kind != hwnas::DeviceKind::CPU || start.name != "host"))
    throw hwnas::UserError("--device " + args.device +
                           ": measurement calibration times layers on this machine's CPU, so it refines only the 'host' "
                           "profile; for a GPU here add --torch-device cuda; for another device give --samples "
                           "measured.csv (columns arch_str, latency_ms)");
  if (torch_device.cuda && start.kind != hwnas::DeviceKind::GPU)
    throw hwnas::UserError("--device " + args.device + ": --torch-device " + args.torch_device +
                           " times layers on this machine's GPU, so it refines a GPU profile (e.g. --device h100-sxm), "
                           "not a CPU one");
  hwnas::MeasureOptions mo;
  mo.batch = args.batch;
  mo.threads = args.threads;
  mo.repeats = args.repeats;
  mo.validate(hwnas::cli::flag_of);
  hwnas::CalibrationOptions co;
  co.batch = args.batch;
  co.precision = precision;
  co.layer_sample_archs = args.layer_archs;
  co.network_archs = args.network_archs;
  co.rounds = args.rounds;
  co.lookup_table = !args.no_lut;
  co.prune_dead = !args.keep_dead;
  co.seed = args.seed;
  if (precision != hwnas::Precision::FP32)
    throw hwnas::UserError("--precision: measurement calibration runs LibTorch in fp32");
  const hwnas::cli::TorchPlugin& torch = hwnas::cli::torch_plugin();  // error naming the plugin if absent
  mo.device = hwnas::cli::torch_device_from_cli(torch_device.str());
  const hwnas::CalibrationResult res = hwnas::calibrate_profile(
      start, co, [&](const hwnas::ArchGraph& g) { return torch.measure_latency_ms(g, mo); },
      [](const std::string& s) { std::cerr << s << "\n"; });
  print_warnings(res.layer_fit);
  print_warnings(res.network_fit);
  write_profile(res.profile, out);
  std::cout << "calibrated " << start.name << ": " << res.layers_measured << " layers, " << res.networks_measured
            << " networks\nlayer fit: " << res.layer_fit.brief() << "\nnetwork fit: " << res.network_fit.brief()
            << "\nwritten to " << out << " (use it with --device " << out << ")\n";
}

void setup_calibrate(CLI::App& root) {
  auto args = std::make_shared<CalibrateArgs>();
  CLI::App* cmd = root.add_subcommand(
      "calibrate", "Fit a device profile: micro-benchmarks on this machine (--device host) or measured networks (--samples)");
  cmd->add_option("--device", args->device, "profile name or path to a profile .json")->required();
  cmd->add_option("--out", args->out, "where to write the calibrated profile (default runs/<device>-calibrated.json)");
  cmd->add_option("--samples", args->samples, "CSV of measured networks: columns arch_str, latency_ms (>= 10 rows)");
  cmd->add_option("--space", args->space, "search space of the --samples architectures")->capture_default_str();
  cmd->add_option("--space-options", args->space_options, "space options as a JSON object");
  cmd->add_option("--batch", args->batch, "batch size the measurements used")->capture_default_str();
  cmd->add_option("--precision", args->precision, "fp32, fp16 or int8")->capture_default_str();
  cmd->add_option("--threads", args->threads, "LibTorch threads for micro-benchmarks")->capture_default_str();
  cmd->add_option("--torch-device", args->torch_device,
                  "where micro-benchmarks run: cpu (default; refines 'host') or cuda[:N] (refines a GPU profile)");
  cmd->add_option("--repeats", args->repeats, "timed runs per micro-benchmark (median)")->capture_default_str();
  cmd->add_option("--layer-archs", args->layer_archs, "architectures per space whose distinct layers are timed")
      ->capture_default_str();
  cmd->add_option("--network-archs", args->network_archs, "whole networks per space timed for the network fit")
      ->capture_default_str();
  cmd->add_option("--rounds", args->rounds,
                  "time every layer and network once per round, keep the fastest (noisy machines)")
      ->capture_default_str();
  cmd->add_flag("--no-lut", args->no_lut, "do not store the measured layers as a lookup table");
  cmd->add_flag("--keep-dead", args->keep_dead,
                "the networks were (--samples) or are to be (host) measured as built, dead edges and `none` ops "
                "included; the profile records it");
  cmd->add_option("--seed", args->seed, "seed for the sampled architectures")->capture_default_str();
  cmd->callback([args] { run_calibrate(*args); });
}

}  // namespace

HWNAS_COMMAND(setup_calibrate);
