// Benchmark (not a test): how well each zero-cost proxy ranks nb201 architectures the way the
// short-training proxy does. For N random nb201 architectures (default 100): validation accuracy
// of the short-training proxy at its default budget (200 SGD steps of batch 64 on Fashion-MNIST,
// reduced copy C=8, N=1, 1,000 validation images), every zero-cost proxy on the full network with
// a search's defaults (batch 64 from the first 2,048 shuffled training images), and the Spearman
// and Kendall correlation of each with the training accuracy. The architectures are scored by a
// search (run_search, the objective sources of objective_proxy.h) that proposes exactly them, so
// the values are those a search and `hwnas proxy` give; THREADS architectures run in parallel,
// one LibTorch thread each.
// Usage: build/bench_proxy_fidelity_torch [N] [THREADS]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

#include "bench_main.h"
#include "bench_stats.h"
#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"
#include "hwnas/nas/proxy.h"
#include "hwnas/nas/spaces/nb201.h"
#include "hwnas/search/controller.h"
#include "hwnas/search/objective_proxy.h"
#include "hwnas/search/run_store.h"

using namespace hwnas;
using namespace hwnas::bench;

namespace {

constexpr char kUsage[] =
    "Usage: bench_proxy_fidelity_torch [N] [THREADS]\n  Spearman/Kendall of each zero-cost proxy against short training on N random nb201 networks (default 100, 2 threads).\n";

// Proposes the given architectures in one round, then nothing.
class Fixed : public SearchStrategy {
 public:
  explicit Fixed(std::vector<Architecture> archs) : archs_(std::move(archs)) {}
  std::string name() const override { return "fixed"; }
  std::vector<Architecture> ask(std::size_t) override { return done_++ ? std::vector<Architecture>{} : archs_; }
  void tell(const std::vector<Observation>&) override {}

 private:
  std::vector<Architecture> archs_;
  int done_ = 0;
};

int parse_count(const char* text, const char* what, int lo, int hi) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end || v < lo || v > hi)
    throw UserError(std::string(what) + ": expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got '" + text + "'");
  return static_cast<int>(v);
}

int run(int argc, char** argv) {
  const int n = argc > 1 ? parse_count(argv[1], "N", 3, 15625) : 100;
  const int threads = argc > 2 ? parse_count(argv[2], "THREADS", 1, 256) : 2;
  register_proxy_objectives();
  Nb201Space space(Nb201Options{});
  Rng rng(2026);
  std::vector<Architecture> archs;
  std::set<std::uint64_t> seen;
  while (static_cast<int>(archs.size()) < n) {
    const Architecture a = space.sample(rng);
    if (seen.insert(space.canonical_hash(a)).second) archs.push_back(a);
  }
  // Objective 0 is the training accuracy (defaults: 200 steps, reduce "auto", seed 1 for the
  // weights and the 80/20 split); then one objective per zero-cost proxy.
  nlohmann::json objectives = {{{"name", "train"}, {"source", {{"train", nlohmann::json::object()}}}, {"direction", "maximize"}}};
  for (const auto& p : proxy_names())
    objectives.push_back({{"name", p}, {"source", {{"proxy", {{"name", p}, {"batch_size", 64}}}}}, {"direction", "maximize"}});
  const nlohmann::json j = {{"space", {{"name", "nb201"}}},
                            {"objectives", objectives},
                            {"exclude_degenerate", false},
                            {"budget", {{"evaluations", n}}},
                            {"parallelism", threads},
                            {"batch_size", n},
                            {"seed", 1}};
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("hwnas_bench_proxy_fidelity_" + std::to_string(::getpid()))).string();
  SearchOptions o;
  o.quiet = true;
  o.run_dir = dir;
  o.replace = true;
  o.strategy_factory = [&](const StrategyContext&) { return std::make_unique<Fixed>(archs); };
  const SearchSummary summary = run_search(SearchConfig::from_json(j, "<bench>"), o);
  std::vector<std::string> names{"train"};
  for (const auto& p : proxy_names()) names.push_back(p);
  const LogContents log = read_evaluation_log(dir + "/evaluations.jsonl", names);
  std::filesystem::remove_all(dir);
  // One column per objective, one entry per architecture; a failed value is NaN.
  std::vector<std::vector<double>> col(names.size());
  for (const auto& rec : log.records)
    for (std::size_t k = 0; k < names.size(); ++k) col[k].push_back(rec.raw.size() > k ? rec.raw[k] : NAN);
  std::vector<double> acc = col[0];
  for (double& a : acc)
    if (!std::isfinite(a)) a = 0;  // a failed training ranks as accuracy 0
  auto failed = [](const std::vector<double>& v) {
    return static_cast<int>(std::count_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }));
  };
  const double acc_min = *std::min_element(acc.begin(), acc.end()), acc_max = *std::max_element(acc.begin(), acc.end());
  std::printf("%zu distinct random nb201 architectures, %d workers, %.1f s wall; training accuracy range %.3f..%.3f\n",
              log.records.size(), threads, summary.seconds, acc_min, acc_max);
  std::printf("%-22s %9s %9s %7s\n", "proxy", "spearman", "kendall", "failed");
  std::printf("%-22s %9s %9s %7d\n", "train (reference)", "1", "1", failed(col[0]));
  std::vector<std::vector<double>> for_vote;
  for (std::size_t k = 1; k < names.size(); ++k) {
    std::vector<double> s = col[k];
    for (double& x : s)
      if (!std::isfinite(x)) x = -INFINITY;  // a failed proxy ranks last
    if (names[k] == "synflow" || names[k] == "naswot" || names[k] == "jacob_cov") for_vote.push_back(s);
    std::printf("%-22s %9.3f %9.3f %7d\n", names[k].c_str(), pearson(ranks(s), ranks(acc)), kendall(s, acc), failed(col[k]));
  }
  const std::vector<double> vote = rank_vote(for_vote);
  std::printf("%-22s %9.3f %9.3f %7s\n", "vote(synflow,naswot,jc)", pearson(ranks(vote), ranks(acc)), kendall(vote, acc), "-");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return guarded_main(run, argc, argv, kUsage); }
