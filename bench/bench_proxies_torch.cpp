// Benchmark (not a test): time per architecture of every zero-cost proxy on nb201 (default
// options, 3x32x32 input), one LibTorch thread, Fashion-MNIST minibatches of 64 (gray images
// repeated over 3 channels and resized to 32x32), drawn as a search's proxy objective and
// `hwnas proxy` draw them (the sources of objective_proxy.h). Also checks every score is finite.
// Usage: build/bench_proxies_torch [architectures]   (default 20 random nb201 architectures)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <torch/torch.h>

#include "hwnas/nas/proxy.h"
#include "hwnas/search/objective_proxy.h"
#include "hwnas/nas/spaces/nb201.h"
#include "bench_main.h"

using namespace hwnas;

constexpr char kUsage[] =
    "Usage: bench_proxies_torch [ARCHITECTURES]\n  Time per architecture of every zero-cost proxy on random nb201 networks (default 20), one LibTorch thread.\n";

int main(int argc, char** argv) {
  if (hwnas::bench::wants_help(argc, argv, kUsage)) return 0;
  const int n = argc > 1 ? std::atoi(argv[1]) : 20;
  torch::set_num_threads(1);
  Nb201Space space(Nb201Options{});
  Rng rng(2026);
  std::vector<Architecture> archs;
  for (int i = 0; i < n; ++i) archs.push_back(space.sample(rng));
  std::printf("%-10s %12s %12s %10s\n", "proxy", "median s", "max s", "failed");
  for (const auto& p : proxy_names()) {
    const auto source = make_proxy_source(ProxySourceOptions::from_json({{"name", p}, {"batch_size", 64}}, p, 0));
    std::vector<double> secs;
    int failed = 0;
    for (const auto& a : archs) {
      const ProxyResult r = source->score(Candidate(space, a));
      secs.push_back(r.seconds);
      failed += !r.ok;
    }
    std::sort(secs.begin(), secs.end());
    std::printf("%-10s %12.3f %12.3f %10d\n", p.c_str(), secs[secs.size() / 2], secs.back(), failed);
  }
  return 0;
}
