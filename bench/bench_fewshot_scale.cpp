// Speed of few-shot adaptation (`hwnas calibrate --samples`) against the number of samples, and
// the sample files to time the command with. Not a test.
//
// Samples are made by the project itself, never taken from a published table: random nb201
// architectures (the space's sampler, seeded), each "measured" as the --truth profile's predicted
// latency times log-normal noise (--noise, relative). Adaptation starts from --start.
//
//   ./build/bench_fewshot_scale [--rows 10,30,100,200,400,1000] [--start pixel-3] [--truth jetson-nano]
//                               [--noise 0.05] [--seed 1] [--exact-max N]
//   ./build/bench_fewshot_scale --write samples.csv --rows 1000     # only writes the CSV
//
// Per row count it times adapt_profile (fastest of 3 runs) with the default choice rule (exact leave-one-out up to
// AdaptOptions::exact_loo_max samples, k-fold cross-validation above) and, side by side, with
// exact leave-one-out at every size (what every size used before; --exact-max caps the sizes
// this slow column runs at, default 400), and prints the chosen model and the fitted error.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "bench_main.h"
#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"
#include "hwnas/hw_models/calibration.h"
#include "hwnas/nas/search_space.h"

using namespace hwnas;

namespace {

struct Args {
  std::vector<int> rows{10, 30, 100, 200, 400, 1000};
  std::string start = "pixel-3", truth = "jetson-nano", write;
  double noise = 0.05;
  std::uint64_t seed = 1;
  int exact_max = 400;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) throw UserError(k + ": expected a value");
    const std::string v = argv[++i];
    if (k == "--rows") {
      a.rows.clear();
      std::stringstream ss(v);
      for (std::string x; std::getline(ss, x, ',');) a.rows.push_back(std::stoi(x));
    } else if (k == "--start") a.start = v;
    else if (k == "--truth") a.truth = v;
    else if (k == "--noise") a.noise = std::stod(v);
    else if (k == "--seed") a.seed = std::stoull(v);
    else if (k == "--exact-max") a.exact_max = std::stoi(v);
    else if (k == "--write") a.write = v;
    else throw UserError("unknown option " + k);
  }
  for (int n : a.rows)
    if (n < 1) throw UserError("--rows: expected positive counts");
  return a;
}

// n distinct-draw samples (duplicates allowed: a real file may measure one network twice).
std::vector<LatencySample> make_samples(const SearchSpace& space, const HardwareModel& truth, int n, double noise,
                                        std::uint64_t seed) {
  Rng rng(seed);
  std::vector<LatencySample> out;
  for (int i = 0; i < n; ++i) {
    LatencySample s;
    const Architecture a = space.sample(rng);
    s.arch = space.to_string(a);
    s.layers = space.layers(a);
    s.latency_ms = truth.predict(s.layers, 1, Precision::FP32).latency_ms * std::exp(noise * rng.normal());
    out.push_back(std::move(s));
  }
  return out;
}

int run(int argc, char** argv) {
  const Args a = parse(argc, argv);
  auto space = make_space("nb201");
  const HardwareModel truth(load_device(a.truth));
  if (!a.write.empty()) {
    std::ofstream f(a.write);
    if (!f) throw UserError(a.write + ": cannot write");
    f << "arch_str,latency_ms\n";
    char buf[64];
    for (const auto& s : make_samples(*space, truth, a.rows.back(), a.noise, a.seed)) {
      std::snprintf(buf, sizeof buf, "%.6g", s.latency_ms);
      f << s.arch << "," << buf << "\n";
    }
    std::printf("wrote %d samples (nb201, %s predictions x log-normal noise %.3g, seed %llu) to %s\n", a.rows.back(),
                a.truth.c_str(), a.noise, static_cast<unsigned long long>(a.seed), a.write.c_str());
    return 0;
  }
  const DeviceProfile start = load_device(a.start);
  using clock = std::chrono::steady_clock;
  std::printf("few-shot adaptation of %s to nb201 samples of %s x log-normal noise %.3g (seed %llu)\n", a.start.c_str(),
              a.truth.c_str(), a.noise, static_cast<unsigned long long>(a.seed));
  std::printf("%6s | %9s %8s  %-28s | %9s %8s  %-28s\n", "rows", "default s", "MAPE %", "model chosen",
              "exact s", "MAPE %", "model chosen (exact LOO)");
  for (int n : a.rows) {
    const auto samples = make_samples(*space, truth, n, a.noise, a.seed);
    // Fastest of 3 runs: other processes only add time.
    auto timed = [&](const AdaptOptions& o, double& secs) {
      FitResult r;
      secs = 1e300;
      for (int rep = 0; rep < 3; ++rep) {
        const auto t0 = clock::now();
        r = adapt_profile(start, samples, 1, Precision::FP32, o);
        secs = std::min(secs, std::chrono::duration<double>(clock::now() - t0).count());
      }
      return r;
    };
    auto model = [](const FitReport& r) { return r.choice.substr(0, r.choice.find(" (")); };
    double s_default = 0, s_exact = 0;
    const FitResult d = timed(AdaptOptions{}, s_default);
    std::printf("%6d | %9.3f %8.3f  %-28s |", n, s_default, d.report.mape_after, model(d.report).c_str());
    if (n <= a.exact_max) {
      AdaptOptions exact;
      exact.exact_loo_max = n;
      const FitResult e = timed(exact, s_exact);
      std::printf(" %9.3f %8.3f  %-28s\n", s_exact, e.report.mape_after, model(e.report).c_str());
    } else {
      std::printf(" %9s\n", "(skipped)");
    }
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

constexpr char kUsage[] =
    "Usage: bench_fewshot_scale [--rows 10,30,100,200,400,1000] [--start pixel-3] [--truth jetson-nano]\n                           [--noise 0.05] [--seed 1] [--exact-max N] [--write samples.csv]\n  Time of few-shot adaptation (hwnas calibrate --samples) against the number of samples.\n";

int main(int argc, char** argv) { return bench::guarded_main(run, argc, argv, kUsage); }
