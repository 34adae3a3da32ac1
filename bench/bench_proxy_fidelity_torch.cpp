// Benchmark (not a test): how well each zero-cost proxy ranks nb201 architectures the way the
// short-training proxy does. For N random nb201 architectures (default 100): validation accuracy
// of the short-training proxy at its default budget (200 SGD steps of batch 64 on Fashion-MNIST,
// reduced copy C=8, N=1, 1,000 validation images), every zero-cost proxy on the full network, the
// Spearman and Kendall correlation of each with the training accuracy, and seconds per
// architecture. Runs architectures in parallel (ProxyEvaluator, 1 LibTorch thread per worker).
// Usage: build/bench_proxy_fidelity_torch [N] [threads]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <set>
#include <vector>

#include "bench_stats.h"
#include "hwnas/nas/proxy_evaluator.h"
#include "hwnas/nas/spaces/nb201.h"
#include "bench_main.h"

using namespace hwnas;
using namespace hwnas::bench;

constexpr char kUsage[] =
    "Usage: bench_proxy_fidelity_torch [N] [THREADS]\n  Spearman/Kendall of each zero-cost proxy against short training on N random nb201 networks (default 100, 2 threads).\n";

int main(int argc, char** argv) {
  if (hwnas::bench::wants_help(argc, argv, kUsage)) return 0;
  const int n = argc > 1 ? std::atoi(argv[1]) : 100;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  Nb201Space space(Nb201Options{});
  DatasetOptions d;
  d.validation_fraction = 0.2;
  d.seed = 1;
  const DataSplit data = load_dataset(d);
  ProxyOptions zc;
  zc.batch_size = 64;
  TrainOptions tr;  // defaults: 200 steps, reduce "auto"
  ProxyEvaluator ev(space, &data, zc, tr, threads);
  Rng rng(2026);
  std::vector<Architecture> archs;
  std::set<std::uint64_t> seen;
  while (static_cast<int>(archs.size()) < n) {
    const Architecture a = space.sample(rng);
    if (seen.insert(space.canonical_hash(a)).second) archs.push_back(a);
  }
  const auto train = ev.score("train", archs);
  std::vector<double> acc;
  std::vector<double> train_secs;
  for (const auto& r : train) acc.push_back(r.score), train_secs.push_back(r.seconds);
  std::sort(train_secs.begin(), train_secs.end());
  const double acc_min = *std::min_element(acc.begin(), acc.end()), acc_max = *std::max_element(acc.begin(), acc.end());
  std::printf("%d distinct random nb201 architectures, %d workers; training accuracy range %.3f..%.3f\n", n, threads,
              acc_min, acc_max);
  std::printf("%-22s %9s %9s %12s %7s\n", "proxy", "spearman", "kendall", "median s/arch", "failed");
  std::printf("%-22s %9s %9s %12.3f %7d\n", "train (reference)", "1", "1", train_secs[train_secs.size() / 2],
              static_cast<int>(std::count_if(train.begin(), train.end(), [](const ProxyResult& r) { return !r.ok; })));
  std::vector<std::vector<double>> for_vote;
  for (const auto& p : proxy_names()) {
    const auto res = ev.score(p, archs);
    std::vector<double> s, secs;
    int failed = 0;
    for (const auto& r : res) s.push_back(r.ok ? r.score : -INFINITY), secs.push_back(r.seconds), failed += !r.ok;
    std::sort(secs.begin(), secs.end());
    if (p == "synflow" || p == "naswot" || p == "jacob_cov") for_vote.push_back(s);
    std::printf("%-22s %9.3f %9.3f %12.3f %7d\n", p.c_str(), pearson(ranks(s), ranks(acc)), kendall(s, acc),
                secs[secs.size() / 2], failed);
  }
  const std::vector<double> vote = rank_vote(for_vote);
  std::printf("%-22s %9.3f %9.3f %12s %7s\n", "vote(synflow,naswot,jc)", pearson(ranks(vote), ranks(acc)), kendall(vote, acc), "-", "-");
  return 0;
}
