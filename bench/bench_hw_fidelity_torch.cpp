// Fidelity of the hardware latency models against latency measured on this machine with LibTorch
// (1 thread, median of repeats): Kendall tau, Spearman rho and MAPE for the analytic host profile,
// the calibrated profile (analytic and lookup table), few-shot adaptation from 10 networks (mean
// over random draws, scored on the held-out rest), and MACs as the baseline. Not a test: it
// reports figures (docs/hardware.md has a table).
//
//   ./build/bench_hw_fidelity_torch [--archs 100] [--repeats 5] [--rounds 4] [--layer-archs 400] [--seed 11]
//                                   [--draws 20] [--save DIR | --load DIR] [--keep-dead]
//
// --keep-dead measures, calibrates on and costs every network as built (a `none` edge runs as a
// Zero op, dead branches run), as `hwnas measure --keep-dead` does; the default prunes dead edges.
// --save DIR writes the measured networks as DIR/<space>.csv (arch_str,latency_ms: the format
// `hwnas calibrate --samples` reads); --load DIR reuses such files instead of measuring again (the
// architectures are still drawn from the seed and must match the files row by row).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "bench_fewshot.h"
#include "bench_main.h"
#include "bench_stats.h"
#include "hwnas/core/atomic_file.h"
#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"
#include "hwnas/hw_models/calibration.h"
#include "hwnas/hw_models/measure.h"

using namespace hwnas;
using namespace hwnas::bench;

namespace {

struct Row {
  std::string model;
  double tau, rho, mape;  // mape < 0: not applicable
};

struct SpaceData {
  std::string name;
  std::vector<LatencySample> samples;  // measured
  std::vector<double> macs;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int run(int argc, char** argv) {
  int archs = 100, repeats = 5, rounds = 4, layer_archs = 400, shots = 10, draws = 20;
  std::uint64_t seed = 11;
  std::string save_dir, load_dir;
  DecodeOptions decode;  // --keep-dead: every network measured, calibrated on and costed as built
  for (int i = 1; i < argc; i += 2) {
    if (!std::strcmp(argv[i], "--keep-dead")) {
      decode.prune_dead = false;
      --i;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s: expected a value\n", argv[i]);
      return 2;
    }
    if (!std::strcmp(argv[i], "--archs")) archs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--layer-archs")) layer_archs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--save")) save_dir = argv[i + 1];
    else if (!std::strcmp(argv[i], "--draws")) draws = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--load")) load_dir = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  MeasureOptions mo;
  mo.repeats = repeats;
  mo.threads = 1;
  const std::vector<CalibrationSpace> spaces{{"nb201", nullptr}, {"mbv", {{"resolutions", {96, 128}}}}};
  const DeviceProfile host = load_device("host");

  // 1. Measure the evaluation architectures.
  std::vector<SpaceData> data;
  for (const auto& cs : spaces) {
    auto space = make_space(cs.name, cs.options);
    Rng rng(seed);
    SpaceData d;
    d.name = cs.name;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<ArchGraph> graphs;
    for (int i = 0; i < archs; ++i) {
      const Architecture a = space->sample(rng);
      graphs.push_back(space->decode(a, decode));
      LatencySample s;
      s.arch = space->to_string(a);
      s.layers = count_costs(graphs.back());
      d.macs.push_back(static_cast<double>(s.layers.totals.macs));
      d.samples.push_back(std::move(s));
    }
    if (!load_dir.empty()) {
      const std::string path = load_dir + "/" + cs.name + ".csv";
      const std::vector<LatencySample> loaded = read_latency_samples(path, *space, archs, decode);
      for (int i = 0; i < archs; ++i) {
        const auto k = static_cast<std::size_t>(i);
        if (loaded.at(k).arch != d.samples[k].arch)
          throw UserError(path + ": row " + std::to_string(i + 1) + " is " + loaded[k].arch + ", expected " +
                          d.samples[k].arch + " (same --archs and --seed as the run that saved it?)");
        d.samples[k].latency_ms = loaded[k].latency_ms;
      }
      std::fprintf(stderr, "%s: %d measured architectures read from %s\n", cs.name.c_str(), archs, path.c_str());
      data.push_back(std::move(d));
      continue;
    }
    // Interleaved rounds (every architecture once per round, median of `repeats` runs each), then
    // the fastest round: interference from other processes or VMs only adds time, and a slow
    // stretch hits a different architecture in each round. The spread between rounds is printed.
    std::vector<std::vector<double>> per_round(static_cast<std::size_t>(archs));
    for (int r = 0; r < rounds; ++r)
      for (int i = 0; i < archs; ++i) per_round[static_cast<std::size_t>(i)].push_back(measure_latency_ms(graphs[static_cast<std::size_t>(i)], mo));
    std::vector<double> spread;
    for (int i = 0; i < archs; ++i) {
      auto& v = per_round[static_cast<std::size_t>(i)];
      std::sort(v.begin(), v.end());
      d.samples[static_cast<std::size_t>(i)].latency_ms = v.front();
      spread.push_back(v.back() / v.front() - 1);
    }
    std::sort(spread.begin(), spread.end());
    std::fprintf(stderr, "%s: slowest/fastest round - 1: median %.1f%%, max %.1f%%\n", cs.name.c_str(),
                 100 * spread[spread.size() / 2], 100 * spread.back());
    std::fprintf(stderr, "%s: measured %d architectures in %.1f s\n", cs.name.c_str(), archs, seconds_since(t0));
    if (!save_dir.empty()) {
      std::string csv = "arch_str,latency_ms\n";
      char buf[64];
      for (const auto& s : d.samples) {
        std::snprintf(buf, sizeof buf, ",%.6g\n", s.latency_ms);
        csv += csv_escape(s.arch) + buf;
      }
      write_file_atomic(save_dir + "/" + cs.name + ".csv", csv);
    }
    data.push_back(std::move(d));
  }

  // 2. Calibrate the host profile (its own architectures: seed + 1000).
  const auto t0 = std::chrono::steady_clock::now();
  CalibrationOptions co;
  co.spaces = spaces;
  co.layer_sample_archs = layer_archs;
  co.seed = seed + 1000;
  co.rounds = rounds;
  co.prune_dead = decode.prune_dead;
  MeasureOptions lo = mo;
  lo.repeats = std::max(repeats, 9);
  const CalibrationResult cal = calibrate_profile(
      host, co, [&](const ArchGraph& g) { return measure_latency_ms(g, lo); },
      [](const std::string& s) { std::fprintf(stderr, "%s\n", s.c_str()); });
  const double calib_s = seconds_since(t0);
  DeviceProfile calibrated = cal.profile;
  calibrated.lookup_table = {};

  // 3. Table.
  std::printf("\nhost latency fidelity: %d random architectures per space (%s), LibTorch CPU, 1 thread, batch 1, "
              "fastest of %d interleaved rounds of the median of %d runs\n",
              archs, decode.prune_dead ? "dead edges pruned" : "as built", rounds, repeats);
  std::printf("calibration: %d layers + %d networks timed in %.0f s\n\n", cal.layers_measured, cal.networks_measured,
              calib_s);
  std::printf("%-34s %-6s %8s %8s %8s %8s\n", "model", "space", "n", "kendall", "spearman", "MAPE%");
  for (const auto& d : data) {
    std::vector<double> meas;
    for (const auto& s : d.samples) meas.push_back(s.latency_ms);
    auto predict = [&](const DeviceProfile& p, std::size_t from) {
      HardwareModel m(p);
      std::vector<double> out;
      for (std::size_t i = from; i < d.samples.size(); ++i) out.push_back(m.predict(d.samples[i].layers, 1, Precision::FP32).latency_ms);
      return out;
    };
    auto row = [&](const std::string& name, const std::vector<double>& pred, std::size_t from, bool with_mape) {
      const std::vector<double> m(meas.begin() + static_cast<long>(from), meas.end());
      std::printf("%-34s %-6s %8zu %8.3f %8.3f ", name.c_str(), d.name.c_str(), pred.size(), kendall(pred, m),
                  spearman(pred, m));
      if (with_mape) std::printf("%8.1f\n", mape(pred, m));
      else std::printf("%8s\n", "-");
    };
    row("MACs (baseline)", d.macs, 0, false);
    row("analytic, host.json (no measurement)", predict(host, 0), 0, true);
    row("calibrated analytic", predict(calibrated, 0), 0, true);
    row("lookup table (calibrated)", predict(cal.profile, 0), 0, true);
    // Few-shot: adapt host.json on `shots` random networks, score the rest; mean over `draws` draws.
    const FewShotReport f = few_shot_draws(host, d.samples, d.macs, shots, draws, seed + 7, 1, Precision::FP32);
    auto held = [&](const std::string& name, const HeldOutScore& h, bool with_mape) {
      std::printf("%-34s %-6s %8d %8.3f %8.3f ", name.c_str(), d.name.c_str(), f.held_out, h.tau, h.rho);
      if (with_mape) std::printf("%8.1f\n", h.mape);
      else std::printf("%8s\n", "-");
    };
    std::printf("held-out (mean of %d draws of %d networks to adapt on):\n", draws, shots);
    held("  MACs", f.macs, false);
    held("  analytic host.json", f.profile, true);
    held("  op-count least squares", f.op_count, true);
    held("  few-shot, one time scale", f.global, true);
    held("  few-shot, per-class terms", f.terms, true);
    held("  few-shot, structural", f.structure, true);
    held("  few-shot, chosen by leave-one-out", f.automatic, true);
  }
  return 0;
}

constexpr char kUsage[] =
    "Usage: bench_hw_fidelity_torch [--archs 100] [--repeats 5] [--rounds 4] [--layer-archs 400] [--seed 11]\n                               [--draws 20] [--save DIR | --load DIR] [--keep-dead]\n  Hardware models against latency measured on this machine with LibTorch.\n";

int main(int argc, char** argv) { return hwnas::bench::guarded_main(run, argc, argv, kUsage); }
