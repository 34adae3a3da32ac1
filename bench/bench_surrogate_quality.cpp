// Surrogate quality by encoding, without running searches: the surrogate of `bo`/`mcts`
// (detail::Surrogate with default options: its GP's hyperparameters chosen on the grid, targets
// clipped at the outlier fence) is updated with n random architectures of a table
// and ranks held-back ones; the figure is Spearman's rho of predicted vs true values, median over
// seeds. One architecture per canonical class (a search evaluates each class once), a random
// member of it (a search meets classes through arbitrary members).
//
// Tables:
//   synthetic   the error table of bench_strategies (tests/search/nb201_problem.h); project-made
//   flops       hwnas's FLOP count of the deployed (pruned) network; project-made
//   synflow, naswot  zero-cost proxy scores of every class (bench/data/nb201_proxies.csv, made by
//               `hwnas proxy`; log(1 + synflow)); project-made
//   latency     hwnas's predicted latency on its raspberry-pi-4 and jetson-nano profiles (the
//               `latency` source of a search); project-made
//   hwnasbench  a published HW-NAS-Bench latency column (bench/data/hwnasbench_nb201.csv,
//               measured as built): VALIDATION ONLY, never used to choose defaults
//
//   bench_surrogate_quality [--seeds 10] [--test 500] [--n 25,50,100] [--encodings onehot,path,wl,layers]
//                           [--models gp,ensemble]   (the surrogate model: bo/mcts option "model")
//                           [--data bench/data/hwnasbench_nb201.csv] [--latency cifar10_raspi4_latency]
//                           [--proxies bench/data/nb201_proxies.csv] [--gp '{"linear_weights": [0]}']
//                           [--fence 3]   (the bo/mcts option outlier_fence; 0: off)
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <unordered_map>

#include "bench_problems.h"
#include "bench_main.h"
#include "bench_stats.h"
#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/core/rank_stats.h"
#include "hwnas/search/encoding.h"
#include "hwnas/search/gp.h"
#include "hwnas/search/strategies.h"
#include "../search/strategies/surrogate.h"  // the strategies' surrogate: private to them
#include "hwnas/core/source_dir.h"

using namespace hwnas;
using hwnas::bench::median;
using hwnas::bench::split_commas;

namespace {

struct Table {
  std::string name;
  std::vector<Architecture> archs;  // one per canonical class
  std::vector<double> values;
};

Table dedupe(const std::string& name, const SearchSpace& space, const std::vector<Architecture>& archs,
             const std::vector<double>& values) {
  // Classes in order of first appearance; the member is drawn at random (reservoir sampling),
  // as a search meets classes through arbitrary members, not their canonical vectors.
  Table t{name, {}, {}};
  std::unordered_map<std::uint64_t, std::size_t> slot;
  std::vector<int> seen;
  Rng rng(0x6d656d626572ULL);
  for (std::size_t i = 0; i < archs.size(); ++i) {
    auto [it, fresh] = slot.emplace(space.canonical_hash(archs[i]), t.archs.size());
    if (fresh) {
      t.archs.push_back(archs[i]);
      t.values.push_back(values[i]);
      seen.push_back(1);
    } else if (rng.uniform_index(static_cast<std::uint64_t>(++seen[it->second])) == 0) {
      t.archs[it->second] = archs[i];
      t.values[it->second] = values[i];
    }
  }
  return t;
}

// Spearman's rho on `test` held-back architectures after the strategies' surrogate (model `gp`
// or `ensemble`, as bo/mcts build it from `opts`) is updated with `n` results, one seed. Values
// are told as a minimized objective, as the search problems tell them.
double rho(const Table& t, const SearchSpace& space, const BoOptions& opts, int n, int test, std::uint64_t seed) {
  std::vector<std::size_t> order(t.archs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  Rng rng(Rng::mix(seed ^ 0x73757272ULL));
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.uniform_index(i)]);
  StrategyContext ctx;
  ctx.space = &space;
  ctx.num_objectives = 1;
  ctx.is_cheap = {false};
  ctx.seed = seed;
  detail::StrategyCore core(ctx, opts.max_retries, opts.enumerate_limit, 0);
  std::vector<Observation> told;
  for (int i = 0; i < n; ++i) told.push_back({t.archs[order[i]], {t.values[order[i]]}, true});
  core.record(told);
  detail::Surrogate surrogate(opts, space);
  surrogate.update(core);
  std::vector<Architecture> held;
  std::vector<double> truth;
  for (int i = n; i < n + test && i < static_cast<int>(order.size()); ++i) {
    held.push_back(t.archs[order[i]]);
    truth.push_back(t.values[order[i]]);
  }
  Eigen::MatrixXd mean, sd;
  surrogate.predict(core, held, std::vector<Point>(held.size(), Point{std::nan("")}), mean, sd);
  return spearman(std::vector<double>(mean.data(), mean.data() + mean.rows()), truth);
}

int run(int argc, char** argv) {
  int seeds = 10, test = 500;
  std::vector<int> ns{25, 50, 100};
  std::vector<std::string> encodings = encoding_names();
  std::vector<std::string> models{"gp"};
  std::string data = std::string(HWNAS_SOURCE_DIR) + "/bench/data/hwnasbench_nb201.csv";
  std::string latency = "cifar10_raspi4_latency";
  std::string proxies = std::string(HWNAS_SOURCE_DIR) + "/bench/data/nb201_proxies.csv";
  GpOptions gp_opts;
  double fence = BoOptions().outlier_fence;
  for (int i = 1; i < argc; ++i) {
    if (i + 1 >= argc) throw UserError(std::string(argv[i]) + " needs a value");
    const std::string v = argv[++i];
    if (!std::strcmp(argv[i - 1], "--seeds")) seeds = std::stoi(v);
    else if (!std::strcmp(argv[i - 1], "--test")) test = std::stoi(v);
    else if (!std::strcmp(argv[i - 1], "--n")) {
      ns.clear();
      for (const auto& x : split_commas(v)) ns.push_back(std::stoi(x));
    } else if (!std::strcmp(argv[i - 1], "--encodings")) encodings = split_commas(v);
    else if (!std::strcmp(argv[i - 1], "--models")) models = split_commas(v);
    else if (!std::strcmp(argv[i - 1], "--data")) data = v;
    else if (!std::strcmp(argv[i - 1], "--latency")) latency = v;
    else if (!std::strcmp(argv[i - 1], "--proxies")) proxies = v;
    else if (!std::strcmp(argv[i - 1], "--fence")) fence = std::stod(v);
    else if (!std::strcmp(argv[i - 1], "--gp")) {
      const nlohmann::json j = nlohmann::json::parse(v, nullptr, false);
      if (j.is_discarded()) throw UserError("--gp: expected a JSON object, got " + v);
      gp_opts = GpOptions::from_json(j, "--gp");
    } else throw UserError(std::string("unknown option ") + argv[i - 1]);
  }
  for (const auto& e : encodings) check_encoding_name("--encodings", e);
  for (const auto& m : models) {  // the strategies' own option checks (model name, fence range)
    BoOptions probe;
    probe.model = m;
    probe.outlier_fence = fence;
    probe.validate("--models/--fence");
  }

  const hwnas::testing::Nb201Problem problem;
  const SearchSpace& space = problem.space();
  std::vector<Table> tables;
  {
    std::vector<double> err, flops;
    for (const auto& a : problem.all()) {
      err.push_back(problem.error(a));
      flops.push_back(static_cast<double>(space.count(a).flops));
    }
    tables.push_back(dedupe("synthetic", space, problem.all(), err));
    tables.push_back(dedupe("flops", space, problem.all(), flops));
    const hwnas::bench::ProxyTable zc(proxies, space);
    for (const std::string p : {"synflow", "naswot"}) {
      std::vector<double> v;
      for (const auto& a : problem.all()) {
        const double x = zc.score(space, a, p);
        v.push_back(p == "synflow" ? -std::log1p(x) : -x);  // minimized, as bench_strategies tells them
      }
      tables.push_back(dedupe(p == "synflow" ? "-log synflow" : "-naswot", space, problem.all(), v));
    }
    for (const std::string dev : {"raspberry-pi-4", "jetson-nano"}) {
      const auto f = hwnas::bench::hardware_column(space, "latency", dev);
      std::vector<double> v;
      for (const auto& a : problem.all()) v.push_back(f(a));
      tables.push_back(dedupe("hwnas " + dev + " latency", space, problem.all(), v));
    }
  }
  {
    const CsvTable csv = read_csv_file(data);
    const std::size_t arch_col = csv.require_column("arch_str"), lat_col = csv.require_column(latency);
    std::vector<Architecture> archs;
    std::vector<double> lat;
    for (std::size_t r = 0; r < csv.rows.size(); ++r) {
      archs.push_back(space.parse(csv.rows[r][arch_col]));
      lat.push_back(csv.number(r, lat_col));
    }
    tables.push_back(dedupe("hwnasbench:" + latency + " (validation)", space, archs, lat));
  }

  std::printf("Spearman rho of surrogate predictions on %d held-back nb201 classes, median of %d seeds (outlier_fence %g)\n",
              test, seeds, fence);
  for (const Table& t : tables) {
    std::printf("\n%s: %zu classes\n%-8s", t.name.c_str(), t.archs.size(), "n");
    for (const auto& m : models)
      for (const auto& e : encodings) std::printf(" %9s", (models.size() > 1 ? m + ":" + e : e).c_str());
    std::printf("\n");
    for (int n : ns) {
      std::printf("%-8d", n);
      for (const auto& m : models)
        for (const auto& enc : encodings) {
          BoOptions opts;  // the surrogate of bo and mcts (surrogate_fields)
          opts.encoding = enc;
          opts.model = m;
          opts.gp = gp_opts;
          opts.outlier_fence = fence;
          std::vector<double> r;
          for (int s = 0; s < seeds; ++s) r.push_back(rho(t, space, opts, n, test, static_cast<std::uint64_t>(s)));
          std::printf(" %9.3f", median(r));
        }
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace

constexpr char kUsage[] =
    "Usage: bench_surrogate_quality [--seeds 10] [--test 500] [--n 25,50,100] [--encodings onehot,path,wl,layers]\n"
    "         [--models gp,ensemble]\n"
    "                               [--data bench/data/hwnasbench_nb201.csv] [--latency cifar10_raspi4_latency]\n"
    "                               [--proxies bench/data/nb201_proxies.csv] [--gp JSON (GpOptions)] [--fence 3]\n"
    "  Spearman rho of the bo/mcts GP per encoding after n observations, on held-back nb201 architectures:\n"
    "  synthetic, FLOPs, log-synflow, naswot and predicted-latency tables (project-made) and a published HW-NAS-Bench latency column (validation only).\n";

int main(int argc, char** argv) { return hwnas::bench::guarded_main(run, argc, argv, kUsage); }
