// Search quality and proposal cost of the built-in strategies on the problems of the benchmark
// suite (bench/bench_problems.h).
//
// nb201 problems: objectives over all 15,625 cells (default `synthetic`: a synthetic "error"
// table, expensive, against the parameter count, cheap; the others read the zero-cost-proxy table
// bench/data/nb201_proxies.csv). The true Pareto front is found by enumeration; hypervolumes are
// normalized by the true front's ideal and nadir points (its min/max; #17's definition) with
// reference 1.1, or with --normalize table by the min/max of the whole table (the figures before
// stop 42; docs/strategies.md). Reports, per strategy, the median (over seeds) number of
// evaluations until the front found reaches 95% and 99% of the true hypervolume (with a bootstrap
// 95% interval of the 99% median), and for bo and mcts the time of one ask() (excluding
// evaluation) after 100, 1,000 and 5,000 observations.
//
// The mbv problem cannot be enumerated: it reports the median normalized hypervolume after 50,
// 100, 200 and 400 evaluations instead.
//
//   bench_strategies [--problem synthetic] [--proxies bench/data/nb201_proxies.csv] [--seeds 10]
//                    [--max-evals 4000] [--strategies random,evolution,local,bo,mcts]
//                    [--tables DIR] [--no-timing] [--no-quality] [--encoding wl] [--batch 1]
//                    [--normalize front|table]
//                    [--obs 100,1000,5000] [--reps 50]   (the timing: observations, asks timed; bo and mcts
//                    of --strategies)
// --batch: architectures per ask in the quality runs (told when the whole batch is evaluated).
// --async P: P proposals in flight instead (asynchronous evaluators), the oldest finishing first.
// --encoding sets the surrogate encoding of bo and mcts (strategies.h; default: their default);
// --options '{...}' sets any other strategy option of theirs (run one of them at a time).
// synflow-latency-as-built costs latency as built (dead edges run; cells that deploy the same
// network differ), so its strategies tell such cells apart (SearchSpace::set_as_built);
// --pruned-identity makes them meet one member per pruned class instead, as searches did before.
// --tables writes each objective of an nb201 problem as DIR/<objective>.csv (arch_str,value; one
// row per cell, all 15,625) for the Optuna script.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <string>

#include "bench_problems.h"
#include "hwnas/core/csv.h"
#include "hwnas/search/strategies.h"
#include "bench_main.h"
#include "bench_stats.h"
#include "hwnas/core/source_dir.h"

using namespace hwnas;
using hwnas::bench::median;
using hwnas::bench::split_commas;
using hwnas::testing::Nb201Problem;

namespace {

std::string fmt_evals(double v, int max_evals) {
  if (v > max_evals) return ">" + std::to_string(max_evals);
  char b[32];
  std::snprintf(b, sizeof b, v == std::floor(v) ? "%.0f" : "%.1f", v);  // a median of an even count may end in .5
  return b;
}

// The mbv problem: median normalized hypervolume after fixed budgets (no true front to reach).
int run_mbv(const std::vector<std::string>& names, const nlohmann::json& options, int seeds, int batch_size) {
  const hwnas::bench::MbvProblem problem;
  const std::vector<int> budgets{50, 100, 200, 400};
  std::printf("mbv problem: error stand-in x raspberry-pi-4 latency (cheap); hypervolume normalized by 20,000 random networks\n");
  std::printf("\n%-10s", "strategy");
  for (int b : budgets) std::printf(" %9s%-4d", "HV@", b);
  std::printf(" %10s\n", "seconds");
  for (const auto& name : names) {
    std::vector<std::vector<double>> at(budgets.size());
    const auto t0 = std::chrono::steady_clock::now();
    for (int seed = 0; seed < seeds; ++seed) {
      auto s = make_strategy(name, name == "bo" || name == "mcts" ? options : nlohmann::json(),
                             problem.context(static_cast<std::uint64_t>(seed)));
      ParetoArchive archive;
      int e = 0;
      std::size_t b = 0;
      while (b < budgets.size()) {
        auto asked = s->ask(static_cast<std::size_t>(std::min(batch_size, budgets.back() - e)));
        if (asked.empty()) break;
        std::vector<Observation> done;
        for (auto& a : asked) {
          Observation o{a, problem.objectives(a), true};
          archive.add(e++, o.objectives);
          done.push_back(o);
          if (b < budgets.size() && e == budgets[b]) at[b++].push_back(problem.hypervolume(archive.front_points()));
        }
        s->tell(done);
      }
      for (; b < budgets.size(); ++b) at[b].push_back(problem.hypervolume(archive.front_points()));
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%-10s", name.c_str());
    for (auto& v : at) std::printf(" %13.4f", median(v));
    std::printf(" %10.1f\n", secs);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

constexpr char kUsage[] =
    "Usage: bench_strategies [--problem synthetic|synflow|naswot-latency|synflow-latency-energy|synflow-latency-as-built|mbv]\n"
    "         [--proxies bench/data/nb201_proxies.csv] [--seeds 10] [--max-evals 4000] [--pruned-identity]\n"
    "         [--strategies random,evolution,local,bo,mcts] [--encoding onehot|path|wl|layers] [--batch 1 | --async P]\n"
    "         [--options '{\"initial_random\": 5}']\n"
    "         [--tables DIR] [--no-timing] [--no-quality] [--obs 100,1000,5000] [--reps 50] [--normalize front|table]\n"
    "  Evaluations each strategy needs to reach 95%/99% of the true nb201 hypervolume, and ask() cost;\n"
    "  for mbv, the hypervolume after 50/100/200/400 evaluations.\n";

int main(int argc, char** argv) {
  if (hwnas::bench::wants_help(argc, argv, kUsage)) return 0;
  int seeds = 10, max_evals = 4000, batch_size = 1, async = 0;
  bool timing = true, quality = true, pruned_identity = false;
  std::vector<int> timing_obs{100, 1000, 5000};
  int timing_reps = 50;
  std::string normalize = "front";
  std::string tables, problem_name = "synthetic", proxies = std::string(HWNAS_SOURCE_DIR) + "/bench/data/nb201_proxies.csv";
  nlohmann::json options;  // for bo and mcts: {"encoding": ...} from --encoding
  std::vector<std::string> names{"random", "evolution", "local", "bo", "mcts"};
  for (int i = 1; i < argc; ++i) {
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (!std::strcmp(argv[i], "--seeds")) seeds = std::stoi(next());
    else if (!std::strcmp(argv[i], "--max-evals")) max_evals = std::stoi(next());
    else if (!std::strcmp(argv[i], "--strategies")) names = split_commas(next());
    else if (!std::strcmp(argv[i], "--tables")) tables = next();
    else if (!std::strcmp(argv[i], "--problem")) problem_name = next();
    else if (!std::strcmp(argv[i], "--proxies")) proxies = next();
    else if (!std::strcmp(argv[i], "--no-timing")) timing = false;
    else if (!std::strcmp(argv[i], "--pruned-identity")) pruned_identity = true;
    else if (!std::strcmp(argv[i], "--no-quality")) quality = false;
    else if (!std::strcmp(argv[i], "--normalize")) normalize = next();
    else if (!std::strcmp(argv[i], "--encoding")) options["encoding"] = next();
    else if (!std::strcmp(argv[i], "--options")) {
      const std::string text = next();
      const nlohmann::json more = nlohmann::json::parse(text, nullptr, false);
      if (!more.is_object()) {
        std::fprintf(stderr, "--options: expected a JSON object, got %s\n", text.c_str());
        return 2;
      }
      options.update(more);
    }
    else if (!std::strcmp(argv[i], "--batch")) batch_size = std::stoi(next());
    else if (!std::strcmp(argv[i], "--async")) async = std::stoi(next());
    else if (!std::strcmp(argv[i], "--obs")) {
      timing_obs.clear();
      for (const auto& v : split_commas(next())) timing_obs.push_back(std::stoi(v));
    } else if (!std::strcmp(argv[i], "--reps")) timing_reps = std::stoi(next());
    else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }

  if (problem_name == "mbv") return run_mbv(names, options, seeds, batch_size);
  std::unique_ptr<Nb201Problem> made;
  try {
    made = hwnas::bench::make_nb201_problem(problem_name, proxies, pruned_identity);
  } catch (const UserError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  if (normalize == "front") made->normalize_by_true_front();
  else if (normalize != "table") {
    std::fprintf(stderr, "--normalize: expected front or table, got %s\n", normalize.c_str());
    return 2;
  }
  const Nb201Problem& problem = *made;
  std::string objectives;
  for (const auto& c : problem.columns()) objectives += (objectives.empty() ? "" : " x ") + c.name + (c.cheap ? " (cheap)" : "");
  std::printf("nb201 problem %s: %s\n", problem_name.c_str(), objectives.c_str());
  std::printf("nb201: %zu cells, %zu distinct, true front %zu points, true hypervolume %.6f (normalized by %s, ref 1.1)\n",
              problem.all().size(), problem.distinct(), problem.true_front().size(), problem.true_hypervolume(),
              normalize == "front" ? "the true front's ideal and nadir" : "the whole table's bounds");
  {
    // A floor for any strategy: the fewest true-front points whose hypervolume reaches 99% (greedy
    // by hypervolume gain, which is at most the optimum's count plus rounding for these fronts).
    std::vector<Point> left = problem.true_front(), chosen;
    while (problem.hypervolume(chosen) < 0.99 * problem.true_hypervolume() - 1e-12 && !left.empty()) {
      std::size_t best = 0;
      double best_hv = -1;
      for (std::size_t i = 0; i < left.size(); ++i) {
        chosen.push_back(left[i]);
        const double hv = problem.hypervolume(chosen);
        chosen.pop_back();
        if (hv > best_hv) best_hv = hv, best = i;
      }
      chosen.push_back(left[best]);
      left.erase(left.begin() + static_cast<std::ptrdiff_t>(best));
    }
    std::printf("an oracle evaluating only true-front points (greedy) reaches 99%% after %zu evaluations\n", chosen.size());
  }
  if (!tables.empty()) {
    for (std::size_t col = 0; col < problem.columns().size(); ++col) {
      const std::string path = tables + "/" + problem.columns()[col].name + ".csv";
      std::ofstream f(path);
      f.precision(17);
      f << "arch_str,value\n";
      for (const auto& a : problem.all()) f << csv_escape(problem.space().to_string(a)) << "," << problem.objectives(a)[col] << "\n";
      if (!f) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        return 2;
      }
      std::printf("wrote %s (%zu rows)\n", path.c_str(), problem.all().size());
    }
  }

  if (quality) {
    std::printf("\n%-10s %12s %12s %14s %10s %14s\n", "strategy", "evals->95%", "evals->99%", "HV@200 (med)", "seconds",
                "99%: 95% CI");
    for (const auto& name : names) {
      std::vector<double> to95, to99, hv200;
      const auto t0 = std::chrono::steady_clock::now();
      for (int seed = 0; seed < seeds; ++seed) {
        auto s = make_strategy(name, name == "bo" || name == "mcts" ? options : nlohmann::json(),
                               problem.context(static_cast<std::uint64_t>(seed)));
        ParetoArchive archive;
        double r95 = max_evals + 1, r99 = max_evals + 1, h200 = 0;
        // Synchronous: ask(batch) is evaluated one architecture at a time and told when all of it
        // is done. --async P: P proposals in flight (each asked alone), the oldest finishing first
        // and told at once.
        std::vector<Architecture> pending;
        std::deque<Architecture> flight;
        std::vector<Observation> done;
        std::size_t next = 0;
        for (int e = 0; e < max_evals; ++e) {
          Observation o;
          if (async > 0) {
            while (static_cast<int>(flight.size()) < async) {
              auto asked = s->ask(1);
              if (asked.empty()) break;
              flight.push_back(asked[0]);
            }
            if (flight.empty()) break;
            o = {flight.front(), problem.objectives(flight.front()), true};
            flight.pop_front();
            s->tell({o});
          } else {
            if (next == pending.size()) {
              if (!done.empty()) s->tell(done);
              done.clear();
              pending = s->ask(static_cast<std::size_t>(batch_size));
              next = 0;
              if (pending.empty()) break;
            }
            o = {pending[next], problem.objectives(pending[next]), true};
            ++next;
            done.push_back(o);
          }
          archive.add(e, o.objectives);
          const double hv = problem.hypervolume(archive.front_points()) / problem.true_hypervolume();
          if (e + 1 == 200) h200 = hv;
          if (hv >= 0.95 && r95 > max_evals) r95 = e + 1;
          if (hv >= 0.99 - 1e-12) {
            if (r99 > max_evals) r99 = e + 1;
            if (e + 1 >= 200) break;
          }
        }
        if (r99 <= 200 && h200 == 0) h200 = 1.0;
        to95.push_back(r95);
        to99.push_back(r99);
        hv200.push_back(h200);
      }
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const auto [lo99, hi99] = hwnas::bench::median_interval(to99);  // bootstrap, of the median
      const std::string ci = "[" + fmt_evals(lo99, max_evals) + "," + fmt_evals(hi99, max_evals) + "]";
      std::printf("%-10s %12s %12s %14.4f %10.1f %14s\n", name.c_str(), fmt_evals(median(to95), max_evals).c_str(),
                  fmt_evals(median(to99), max_evals).c_str(), median(hv200), secs, ci.c_str());
      std::fflush(stdout);
    }
  }

  if (timing) {
    // --async P: each timed ask has P - 1 proposals pending (believed by bo and mcts).
    const std::size_t keep = async > 1 ? static_cast<std::size_t>(async - 1) : 0;
    std::printf("\ntime per proposal (ask(1), excluding evaluation; mean of %d asks, each followed by its tell; %zu pending)\n",
                timing_reps, keep);
    std::printf("%-10s", "strategy");
    for (int n_obs : timing_obs) std::printf(" %14s", (std::to_string(n_obs) + " obs (ms)").c_str());
    std::printf("\n");
    for (const std::string name : {"bo", "mcts"}) {
      if (std::find(names.begin(), names.end(), name) == names.end()) continue;
      std::printf("%-10s", name.c_str());
      for (int n_obs : timing_obs) {
        auto s = make_strategy(name, options, problem.context(1));
        // Feed n_obs random distinct observations.
        Rng rng(99);
        std::vector<Architecture> order = problem.all();
        for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.uniform_index(i)]);
        std::vector<Observation> obs;
        std::unordered_set<std::uint64_t> used;
        for (const auto& a : order) {
          if (static_cast<int>(obs.size()) >= n_obs) break;
          if (!used.insert(problem.space().identity_hash(a)).second) continue;
          obs.push_back({a, problem.objectives(a), true});
        }
        s->tell(obs);
        s->ask(1);  // the first ask after a bulk tell fits the hyperparameters on the grid
        std::deque<Architecture> flight;
        while (flight.size() < keep) {
          auto b = s->ask(1);
          if (b.empty()) break;
          flight.push_back(b[0]);
        }
        double total = 0;
        const int reps = timing_reps;
        for (int r = 0; r < reps; ++r) {
          const auto t0 = std::chrono::steady_clock::now();
          auto b = s->ask(1);
          total += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
          if (b.empty()) break;
          flight.push_back(b[0]);
          for (; flight.size() > keep; flight.pop_front()) s->tell({{flight.front(), problem.objectives(flight.front()), true}});
        }
        std::printf(" %14.2f", total / reps);
        std::fflush(stdout);
      }
      std::printf("\n");
    }
  }
  return 0;
}
