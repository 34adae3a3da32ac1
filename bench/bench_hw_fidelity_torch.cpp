// Fidelity of the hardware latency models against latency measured on this machine with LibTorch
// (1 thread, median of repeats): Kendall tau, Spearman rho and MAPE for the analytic host profile,
// the calibrated profile (analytic and lookup table), few-shot adaptation from 10 networks, and
// MACs as the baseline. Not a test: it reports figures (docs/hardware.md has a table).
//
//   ./build/bench_hw_fidelity_torch [--archs 100] [--repeats 5] [--rounds 3] [--layer-archs 400] [--seed 11]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "hwnas/core/rng.h"
#include "hwnas/hw_models/calibration.h"
#include "hwnas/hw_models/measure.h"

using namespace hwnas;

namespace {

std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<std::size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    for (std::size_t k = i; k <= j; ++k) r[idx[k]] = 0.5 * static_cast<double>(i + j);
    i = j + 1;
  }
  return r;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n, mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

double spearman(const std::vector<double>& a, const std::vector<double>& b) { return pearson(ranks(a), ranks(b)); }

double kendall(const std::vector<double>& a, const std::vector<double>& b) {  // tau-b
  double conc = 0, disc = 0, ta = 0, tb = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = i + 1; j < a.size(); ++j) {
      const double x = a[i] - a[j], y = b[i] - b[j];
      if (x == 0 && y == 0) continue;
      if (x == 0) ++ta;
      else if (y == 0) ++tb;
      else if ((x > 0) == (y > 0)) ++conc;
      else ++disc;
    }
  return (conc - disc) / std::sqrt((conc + disc + ta) * (conc + disc + tb));
}

double mape(const std::vector<double>& pred, const std::vector<double>& meas) {
  double s = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) s += std::fabs(pred[i] - meas[i]) / meas[i];
  return 100.0 * s / static_cast<double>(pred.size());
}

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

int main(int argc, char** argv) {
  int archs = 100, repeats = 5, rounds = 3, layer_archs = 400, shots = 10;
  std::uint64_t seed = 11;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--archs")) archs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--layer-archs")) layer_archs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
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
      graphs.push_back(space->decode(a));
      LatencySample s;
      s.arch = space->to_string(a);
      s.layers = count_costs(graphs.back());
      d.macs.push_back(static_cast<double>(s.layers.totals.macs));
      d.samples.push_back(std::move(s));
    }
    // Interleaved rounds (every architecture once per round, median of `repeats` runs each), then
    // the median over rounds: a burst of load from other processes hits all architectures alike.
    std::vector<std::vector<double>> per_round(static_cast<std::size_t>(archs));
    for (int r = 0; r < rounds; ++r)
      for (int i = 0; i < archs; ++i) per_round[static_cast<std::size_t>(i)].push_back(measure_latency_ms(graphs[static_cast<std::size_t>(i)], mo));
    for (int i = 0; i < archs; ++i) {
      auto& v = per_round[static_cast<std::size_t>(i)];
      std::sort(v.begin(), v.end());
      d.samples[static_cast<std::size_t>(i)].latency_ms = v[v.size() / 2];
    }
    std::fprintf(stderr, "%s: measured %d architectures in %.1f s\n", cs.name.c_str(), archs, seconds_since(t0));
    data.push_back(std::move(d));
  }

  // 2. Calibrate the host profile (its own architectures: seed + 1000).
  const auto t0 = std::chrono::steady_clock::now();
  CalibrationOptions co;
  co.spaces = spaces;
  co.layer_sample_archs = layer_archs;
  co.seed = seed + 1000;
  MeasureOptions lo = mo;
  lo.repeats = std::max(repeats, 9);
  const CalibrationResult cal = calibrate_profile(
      host, co, [&](const ArchGraph& g) { return measure_latency_ms(g, lo); },
      [](const std::string& s) { std::fprintf(stderr, "%s\n", s.c_str()); });
  const double calib_s = seconds_since(t0);
  DeviceProfile calibrated = cal.profile;
  calibrated.lookup_table = {};

  // 3. Table.
  std::printf("\nhost latency fidelity: %d random architectures per space, LibTorch CPU, 1 thread, batch 1, "
              "median over %d interleaved rounds of the median of %d runs\n",
              archs, rounds, repeats);
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
    // Few-shot: adapt host.json on the first `shots` networks, evaluate on the rest.
    const std::vector<LatencySample> train(d.samples.begin(), d.samples.begin() + shots);
    const FitResult fs = adapt_profile(host, train, 1, Precision::FP32);
    const std::vector<double> held_macs(d.macs.begin() + shots, d.macs.end());
    row("  held-out: MACs", held_macs, shots, false);
    row("  held-out: analytic host.json", predict(host, shots), shots, true);
    row("  held-out: few-shot (10) host.json", predict(fs.profile, shots), shots, true);
  }
  return 0;
}
