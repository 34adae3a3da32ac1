// Multi-fidelity search at scale, driven by a learning-curve table measured with the `train`
// source (bench/learning_curves.sh): full-fidelity search vs successive halving, Hyperband and
// ASHA, each a real `hwnas search` (run_search) whose `acc` objective is the table at the
// scheduler's fidelity and whose `params` objective is exact. Proposals come in a seeded random
// order from the architectures the table has (a random strategy over the table's pool), so every
// method sees the same candidates and no evaluation fails for a missing row.
//
// Reported per method, mean over seeds: the hypervolume of the full-fidelity front (accuracy,
// params; normalized with the pool's bounds at full fidelity) at the end of the step budget, and
// the training steps each needed to reach the final hypervolume of full-fidelity search (the
// issue's goal: <= 1/3). Also the rank correlation (Spearman) between each rung's accuracy and the
// full-fidelity accuracy over the pool, so users can choose min_fidelity.
//
// --runs scores finished searches (bench/multifidelity_train.sh's) the same way, in training steps
// and in evaluation seconds. With --remeasured FILE.csv, each run's front (chosen by the values
// the search saw) is scored by the values in the file, measured again with another training seed:
// where the seed decides much of the ranking, a front of lucky draws no longer scores twice.
//
// --strategy NAME runs that strategy (bo, mcts, evolution, random) instead of the pool order; it
// needs a table over the whole space, such as --write-synthetic's. --write-synthetic OUT.csv
// writes one, made here: the full-fidelity accuracy of every nb201 cell is the strategy tests'
// synthetic error (tests/search/nb201_problem.h) mapped to 0.55..0.90, and the accuracy at 9, 27
// and 81 steps adds per-cell Gaussian noise of sd NOISE * log(243/f) / log(243/9) (NOISE at 9
// steps, 0 at 243), so rank correlation with the full accuracy falls towards the lowest rung. It
// is a simulation of training noise, not measured curves: it shows what a strategy gains from
// modelling the higher rungs (bo's "fidelity": "highest", BOHB) when low rungs are noisy.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <unistd.h>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_main.h"
#include "bench_problems.h"
#include "bench_stats.h"
#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/core/rank_stats.h"
#include "hwnas/nas/search_space.h"
#include "hwnas/search/config.h"
#include "hwnas/search/controller.h"
#include "hwnas/search/pareto.h"
#include "hwnas/search/report.h"
#include "hwnas/search/run_store.h"
#include "hwnas/search/strategy.h"

namespace fs = std::filesystem;
using namespace hwnas;

namespace {

const char* kUsage =
    "Usage: bench_multifidelity [CURVES.csv] [--seeds N] [--budget FULL_TRAININGS] [--eta E] [--min-fidelity F]\n"
    "                           [--strategy NAME [--options JSON]] [--methods full,sh,hyperband,asha]\n"
    "       bench_multifidelity --runs RUN_DIR... [--remeasured FILE.csv]   (score bench/multifidelity_train.sh's runs)\n"
    "       bench_multifidelity --write-synthetic OUT.csv [--noise SD] [--seed S]   (a simulated table, all nb201 cells)\n"
    "  Full-fidelity search vs sh, hyperband and asha on a learning-curve table (arch_str,steps,val_accuracy),\n"
    "  default bench/data/nb201_fmnist_curves.csv; a step budget of FULL_TRAININGS (default 30) times the\n"
    "  table's full fidelity; N seeds (default 10).\n";

// Proposes the table's architectures in a seeded random order, each once.
class PoolStrategy : public SearchStrategy {
 public:
  PoolStrategy(std::vector<Architecture> pool, std::uint64_t seed) : pool_(std::move(pool)) {
    std::mt19937_64 g(seed);
    std::shuffle(pool_.begin(), pool_.end(), g);
  }
  std::string name() const override { return "pool"; }
  std::vector<Architecture> ask(std::size_t n) override {
    std::vector<Architecture> out;
    while (out.size() < n && next_ < pool_.size()) out.push_back(pool_[next_++]);
    return out;
  }
  void tell(const std::vector<Observation>&) override {}

 private:
  std::vector<Architecture> pool_;
  std::size_t next_ = 0;
};

struct Curve {
  std::vector<double> steps, hv;  // hypervolume of the full-fidelity front after each record
  std::vector<double> seconds;    // --runs: cumulative evaluation seconds ("eval_s") after each record
};

// --remeasured FILE.csv: arch_str and one column per objective measured again (e.g. `acc`, trained
// with another seed); arch_str -> objective name -> raw value.
using Remeasured = std::map<std::string, std::map<std::string, double>>;

Remeasured read_remeasured(const std::string& path) {
  const CsvTable t = read_csv_file(path);
  const std::size_t ac = t.require_column("arch_str");
  if (t.header.size() < 2) throw UserError(path + ": expected arch_str and at least one objective column");
  Remeasured out;
  for (std::size_t r = 0; r < t.rows.size(); ++r)
    for (std::size_t c = 0; c < t.header.size(); ++c)
      if (c != ac) out[t.rows[r][ac]][t.header[c]] = t.number(r, c);
  return out;
}

// One finished search: its method (config.json's scheduler, or "full"), the steps it spent and
// its full-fidelity evaluations (minimized objective vectors, in log order).
struct Scored {
  std::string method;
  std::vector<double> steps;          // cumulative cost after each record
  std::vector<double> seconds;        // cumulative evaluation seconds (the records' "eval_s")
  std::vector<std::optional<Point>> top;  // the record's point when it is an ok evaluation at full fidelity
  // The point the front is scored by: `top`, or with --remeasured the values measured again. The
  // front is still chosen by `top` (what the search saw), so a value that was lucky once does not
  // count twice.
  std::vector<std::optional<Point>> scored_as;
};

Scored read_scored(const std::string& dir, const Remeasured* again = nullptr, const std::string& again_file = "") {
  const RunData run = read_run_dir(dir);
  Scored s;
  int full = 0;
  s.method = "full";
  if (run.config.contains("scheduler")) {
    s.method = run.config["scheduler"].at("name").get<std::string>();
    full = run.config["scheduler"].at("max_fidelity").get<int>();
  }
  double spent = 0, seconds = 0;
  for (const auto& e : run.evaluations) {
    spent += e.record.value("cost", 0.0);
    seconds += e.record.value("eval_s", 0.0);
    s.steps.push_back(spent);
    s.seconds.push_back(seconds);
    std::optional<Point> p, q;
    if (e.status == "ok" && e.record.value("fidelity", 0) == full) {
      Point x, y;
      const std::map<std::string, double>* row = nullptr;
      if (again) {
        const auto it = again->find(e.arch);
        if (it == again->end()) throw UserError(again_file + ": no row for " + e.arch + " (evaluated in " + dir + ")");
        row = &it->second;
      }
      for (const auto& o : run.objectives) {
        const double raw = e.objectives.at(o.name).get<double>();
        x.push_back(o.transform(raw));
        const auto v = row ? row->find(o.name) : std::map<std::string, double>::const_iterator{};
        y.push_back(o.transform(row && v != row->end() ? v->second : raw));
      }
      p = x;
      q = y;
    }
    s.top.push_back(p);
    s.scored_as.push_back(q);
  }
  return s;
}

Curve curve_of(const Scored& s, const Point& lower, const Point& upper) {
  Curve c;
  c.seconds = s.seconds;
  std::vector<std::size_t> members;  // the front as the search saw it (by `top`), scored by `scored_as`
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    if (s.top[i]) {
      members.push_back(i);
      std::vector<Point> seen;
      for (std::size_t m : members) seen.push_back(*s.top[m]);
      std::vector<std::size_t> nd;
      for (int k : non_dominated_indices(seen)) nd.push_back(members[static_cast<std::size_t>(k)]);
      members = nd;
    }
    std::vector<Point> as, front;  // re-measured values may dominate each other
    for (std::size_t m : members) as.push_back(*s.scored_as[m]);
    for (int k : non_dominated_indices(as)) front.push_back(as[static_cast<std::size_t>(k)]);
    c.steps.push_back(s.steps[i]);
    c.hv.push_back(front.empty() ? 0.0 : normalized_hypervolume(front, lower, upper));
  }
  return c;
}

// Final hypervolume per method, and the steps each needed to reach full-fidelity search's final
// hypervolume of the same seed (runs[m][seed]).
void report(const std::map<std::string, std::vector<Curve>>& runs, const std::vector<std::string>& methods) {
  auto spent_to = [](const Curve& c, const std::vector<double>& spent, double target) -> double {
    for (std::size_t i = 0; i < c.hv.size(); ++i)
      if (c.hv[i] >= target - 1e-12) return spent[i];
    return INFINITY;
  };
  auto steps_to = [&](const Curve& c, double target) { return spent_to(c, c.steps, target); };
  const std::vector<Curve>& full = runs.at("full");
  std::printf("%-10s %6s %10s %8s %12s %24s %10s\n", "method", "seeds", "final HV", "HV sd", "steps spent", "steps to full's final HV",
              "reached");
  for (const auto& m : methods) {
    if (!runs.count(m)) continue;
    const std::vector<Curve>& rs = runs.at(m);
    std::vector<double> hv, ratio, spent, seconds, seconds_ratio;
    int reached = 0;
    for (std::size_t s = 0; s < rs.size() && s < full.size(); ++s) {
      const Curve& c = rs[s];
      hv.push_back(c.hv.empty() ? 0.0 : c.hv.back());
      spent.push_back(c.steps.empty() ? 0.0 : c.steps.back());
      const double target = full[s].hv.empty() ? 0.0 : full[s].hv.back();
      const double st = steps_to(c, target);
      if (std::isfinite(st)) {
        ++reached;
        ratio.push_back(st / steps_to(full[s], target));
      }
      if (!c.seconds.empty() && c.seconds.back() > 0) {
        seconds.push_back(c.seconds.back());
        const double sec = spent_to(c, c.seconds, target);
        if (std::isfinite(sec)) seconds_ratio.push_back(sec / spent_to(full[s], full[s].seconds, target));
      }
    }
    const double mean = std::accumulate(hv.begin(), hv.end(), 0.0) / static_cast<double>(hv.size());
    double var = 0;
    for (double x : hv) var += (x - mean) * (x - mean);
    char r[64];
    if (ratio.empty()) std::snprintf(r, sizeof r, "never");
    else std::snprintf(r, sizeof r, "%.3fx (median)", bench::median(ratio));
    std::printf("%-10s %6zu %10.4f %8.4f %12.0f %24s %6d of %zu\n", m.c_str(), hv.size(), mean, std::sqrt(var / hv.size()),
                std::accumulate(spent.begin(), spent.end(), 0.0) / static_cast<double>(spent.size()), r, reached, hv.size());
    if (!seconds.empty())  // runs that logged their evaluation times (--runs)
      std::printf("%-10s %6s evaluation seconds spent %.1f (mean); to full's final HV: %s\n", "", "",
                  std::accumulate(seconds.begin(), seconds.end(), 0.0) / static_cast<double>(seconds.size()),
                  seconds_ratio.empty() ? "never" : (std::to_string(bench::median(seconds_ratio)).substr(0, 5) + "x (median)").c_str());
  }
  std::printf("(steps to full's final HV: the steps a method spent until its full-fidelity front reached the hypervolume that\n"
              " full-fidelity search has at the end, over the steps full-fidelity search spent to get there; median over the\n"
              " seeds that reached it)\n");
}

// --runs: score finished searches against each other; bounds over all their full-fidelity points.
int score_runs(const std::vector<std::string>& dirs, const std::string& remeasured) {
  std::vector<std::pair<Scored, int>> scored;
  std::map<std::string, int> seeds;
  Point lower, upper;
  const std::optional<Remeasured> again =
      remeasured.empty() ? std::nullopt : std::optional<Remeasured>(read_remeasured(remeasured));
  for (const auto& d : dirs) {
    Scored s = read_scored(d, again ? &*again : nullptr, remeasured);
    for (const auto& p : s.scored_as)
      if (p) {
        if (lower.empty()) lower = upper = *p;
        for (std::size_t k = 0; k < p->size(); ++k) lower[k] = std::min(lower[k], (*p)[k]), upper[k] = std::max(upper[k], (*p)[k]);
      }
    const int seed = seeds[s.method]++;
    scored.emplace_back(std::move(s), seed);
  }
  if (lower.empty()) throw UserError("no successful evaluation at full fidelity in the runs given");
  std::map<std::string, std::vector<Curve>> runs;
  for (const auto& [s, seed] : scored) runs[s.method].push_back(curve_of(s, lower, upper));
  if (!runs.count("full")) throw UserError("--runs: give at least one full-fidelity run (a config without a scheduler)");
  std::printf("%zu runs; runs of a method pair with full-fidelity runs in the order given%s\n", dirs.size(),
              again ? "; fronts scored by the values in --remeasured" : "");
  report(runs, {"full", "sh", "hyperband", "asha"});
  return 0;
}

// --write-synthetic: the simulated learning-curve table described at the top.
int write_synthetic(const std::string& out, double noise, std::uint64_t seed) {
  const hwnas::testing::Nb201Problem problem;
  const auto& space = problem.space();
  double lo = 1e300, hi = -1e300;
  for (const auto& a : problem.all()) lo = std::min(lo, problem.error(a)), hi = std::max(hi, problem.error(a));
  const int full = 243;
  std::ofstream f(out);
  if (!f) throw UserError(out + ": cannot write");
  f << "arch_str,steps,val_accuracy\n";
  std::vector<double> acc_full;
  std::map<int, std::vector<double>> acc_at;
  for (const auto& a : problem.all()) {
    const double acc = 0.90 - 0.35 * (problem.error(a) - lo) / (hi - lo);
    acc_full.push_back(acc);
    // Noise per canonical class, so equivalent cells agree as trained ones would.
    Rng rng(Rng::mix(seed ^ space.canonical_hash(a)));
    for (int steps : {9, 27, 81, 243}) {
      const double sd = noise * std::log(static_cast<double>(full) / steps) / std::log(static_cast<double>(full) / 9.0);
      const double v = acc + sd * rng.normal();
      acc_at[steps].push_back(v);
      char line[64];
      std::snprintf(line, sizeof line, ",%d,%.6f\n", steps, v);
      f << space.to_string(a) << line;
    }
  }
  if (!f.flush()) throw UserError(out + ": write failed");
  std::printf("wrote %s: %zu cells x 4 levels; rank correlation with the accuracy at 243 steps (Spearman):", out.c_str(),
              problem.all().size());
  for (int steps : {9, 27, 81}) std::printf("  %d: %.3f", steps, spearman(acc_at[steps], acc_full));
  std::printf("\n");
  return 0;
}

int run(int argc, char** argv) {
  std::string curves = "bench/data/nb201_fmnist_curves.csv";
  int seeds = 10, eta = 3, min_f = 0;
  double budget_full = 30, noise = 0.05;
  std::string strategy = "pool", write_to;
  std::uint64_t synthetic_seed = 0;
  nlohmann::json strategy_options = nlohmann::json::object();
  std::vector<std::string> methods = {"full", "sh", "hyperband", "asha"};
  if (argc > 1 && std::string(argv[1]) == "--runs") {
    std::vector<std::string> dirs;
    std::string remeasured;
    for (int i = 2; i < argc; ++i) {
      if (std::string(argv[i]) != "--remeasured") dirs.push_back(argv[i]);
      else if (i + 1 < argc) remeasured = argv[++i];
      else throw UserError("--remeasured: expected a CSV file");
    }
    if (dirs.empty()) throw UserError("--runs: expected run directories\n" + std::string(kUsage));
    return score_runs(dirs, remeasured);
  }
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw UserError(a + ": expected a value");
      return argv[++i];
    };
    if (a == "--seeds") seeds = std::stoi(next());
    else if (a == "--budget") budget_full = std::stod(next());
    else if (a == "--eta") eta = std::stoi(next());
    else if (a == "--min-fidelity") min_f = std::stoi(next());
    else if (a == "--strategy") strategy = next();
    else if (a == "--options") strategy_options = nlohmann::json::parse(next());
    else if (a == "--methods") methods = bench::split_commas(next());
    else if (a == "--write-synthetic") write_to = next();
    else if (a == "--noise") noise = std::stod(next());
    else if (a == "--seed") synthetic_seed = std::stoull(next());
    else if (!a.empty() && a[0] != '-') curves = a;
    else throw UserError("unknown option " + a + "\n" + kUsage);
  }
  if (!write_to.empty()) {
    if (!(noise >= 0)) throw UserError("--noise: expected a number >= 0");
    return write_synthetic(write_to, noise, synthetic_seed);
  }
  if (seeds < 1 || budget_full <= 0) throw UserError("--seeds and --budget must be positive");
  for (const auto& m : methods)
    if (m != "full" && m != "sh" && m != "hyperband" && m != "asha")
      throw UserError("--methods: unknown method '" + m + "' (known: full, sh, hyperband, asha)");
  if (std::find(methods.begin(), methods.end(), "full") == methods.end())
    throw UserError("--methods: include full (the others are measured against it)");
  curves = fs::absolute(curves).string();

  // The pool, its curves and the bounds of the objectives at full fidelity.
  const CsvTable t = read_csv_file(curves);
  const auto ac = t.column("arch_str"), sc = t.column("steps"), vc = t.column("val_accuracy");
  if (!ac || !sc || !vc) throw UserError(curves + ": expected columns arch_str, steps, val_accuracy");
  auto space = make_space("nb201", nlohmann::json::object());
  std::map<std::string, std::map<int, double>> curve;
  std::set<int> levels;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const int f = static_cast<int>(t.number(r, *sc));
    curve[t.rows[r][*ac]][f] = t.number(r, *vc);
    levels.insert(f);
  }
  const int full = *levels.rbegin();
  if (min_f == 0) min_f = *levels.begin();
  std::vector<Architecture> pool;
  std::vector<double> acc_full;
  std::map<int, std::vector<double>> acc_at;
  double lo_acc = 1e9, hi_acc = -1e9, lo_p = 1e99, hi_p = -1e99;
  for (const auto& [arch, c] : curve) {
    if (!c.count(full)) continue;
    const Architecture a = space->parse(arch);
    pool.push_back(a);
    const double p = std::log10(static_cast<double>(space->count(a).params));
    lo_p = std::min(lo_p, p), hi_p = std::max(hi_p, p);
    lo_acc = std::min(lo_acc, -c.at(full)), hi_acc = std::max(hi_acc, -c.at(full));
    acc_full.push_back(c.at(full));
    for (int f : levels) acc_at[f].push_back(c.count(f) ? c.at(f) : NAN);
  }
  std::printf("pool: %zu architectures with curves at", pool.size());
  for (int f : levels) std::printf(" %d", f);
  std::printf(" steps (%s)\n", curves.c_str());
  std::printf("rank correlation with the accuracy at %d steps (Spearman, over the pool):", full);
  for (int f : levels)
    if (f != full) std::printf("  %d: %.3f", f, spearman(acc_at[f], acc_full));
  std::printf("\n");

  const double budget = budget_full * full;
  const fs::path tmp = fs::temp_directory_path() / ("hwnas_bench_mf_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  if (strategy != "pool" && pool.size() < space->size())
    throw UserError("--strategy " + strategy + ": the table covers " + std::to_string(pool.size()) +
                    " cells, not the whole space; use a table such as --write-synthetic's");
  std::map<std::string, std::vector<Curve>> runs;
  for (int seed = 0; seed < seeds; ++seed)
    for (const auto& m : methods) {
      nlohmann::json j = {
          {"space", {{"name", "nb201"}}},
          {"objectives",
           {{{"name", "acc"}, {"source", {{"table", {{"file", curves}, {"value", "val_accuracy"}, {"fidelity", "steps"}}}}}, {"direction", "maximize"}},
            {{"name", "params"}, {"source", "params"}, {"log", true}}}},
          {"strategy", {{"name", strategy == "pool" ? "random" : strategy}, {"options", strategy_options}}},
          {"budget", {{"steps", budget}}},
          {"batch_size", 4},
          {"seed", seed},
          {"exclude_degenerate", false}};
      if (m != "full") j["scheduler"] = {{"name", m}, {"min_fidelity", min_f}, {"eta", eta}};
      const std::string cfg_path = (tmp / (m + ".json")).string();
      std::ofstream(cfg_path) << j.dump(2);
      const SearchConfig cfg = SearchConfig::from_file(cfg_path);
      SearchOptions so;
      so.quiet = true;
      so.replace = true;
      so.run_dir = (tmp / m).string();
      if (strategy == "pool")
        so.strategy_factory = [&pool, seed](const StrategyContext&) { return std::make_unique<PoolStrategy>(pool, 1000 + seed); };
      run_search(cfg, so);
      // Hypervolume of the full-fidelity front against the steps spent, record by record.
      const Curve c = curve_of(read_scored(so.run_dir), {lo_acc, lo_p}, {hi_acc, hi_p});
      runs[m].push_back(std::move(c));
    }
  fs::remove_all(tmp);

  std::printf("\nstep budget %.0f (%.0f full trainings of %d steps), %d seeds, eta %d, min_fidelity %d, strategy %s %s\n", budget,
              budget_full, full, seeds, eta, min_f, strategy.c_str(), strategy == "pool" ? "" : strategy_options.dump().c_str());
  report(runs, methods);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return hwnas::bench::guarded_main(run, argc, argv, kUsage); }
