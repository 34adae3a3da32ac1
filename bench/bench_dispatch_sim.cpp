// Dispatch beyond this machine: the real controller (hwnas::Study: strategy, cheap objectives,
// dedup, fsynced log, front) driven by a discrete-event simulation of W evaluators. Evaluation
// times are drawn from a log-normal distribution (median --median seconds, sigma --sigma); the
// controller's own time per ask and tell is measured on this machine and charged to the simulated
// clock, so a controller that cannot keep up shows as idle evaluators.
//
// Problem: the mbv space (too large to exhaust), a stand-in error (smooth in log MACs and
// parameters, plus a per-architecture hash term) told as an external objective, against MACs
// (cheap, exact). Synchronous: rounds of W (batch_size = W). Asynchronous: a trial asked as soon as
// an evaluator frees. Reports per strategy and W: evaluator utilisation (busy time / (W x
// makespan)), the controller's seconds, and the hypervolume reached with the budget (common
// normalization), synchronous and asynchronous side by side.
//
//   ./build/bench_dispatch_sim --workers 8,64,512,4096 --strategies evolution,bo,mcts --median 18 --sigma 0.5
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <queue>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench_main.h"
#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"
#include "hwnas/nas/search_space.h"
#include "hwnas/search/config.h"
#include "hwnas/search/pareto.h"
#include "hwnas/search/study.h"

using namespace hwnas;

namespace {

constexpr char kUsage[] =
    "Usage: bench_dispatch_sim [--workers 8,64,512,4096] [--strategies evolution,bo,mcts] [--median 18] [--sigma 0.5]\n"
    "                   [--rounds 2] [--min-budget 512] [--seed 0] [--async-only]\n"
    "  Simulated evaluators driven by the real controller: utilisation and hypervolume, synchronous vs asynchronous.\n"
    "  Budget per run: max(--min-budget, --rounds x workers) evaluations.\n";

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string x; std::getline(in, x, ',');) out.push_back(x);
  return out;
}

double hash01(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return static_cast<double>(h % 100000) / 100000.0;
}

// The stand-in error of an mbv network from its exact totals: more MACs and parameters help with
// diminishing returns; the hash term makes equal-cost networks differ.
double stand_in_error(const Trial& t, double macs, double params) {
  return 0.6 - 0.05 * std::log10(macs) - 0.03 * std::log10(params) + 0.08 * hash01(t.text);
}

struct Outcome {
  double utilisation = 0;          // busy / (W x makespan), the final drain included
  double steady_utilisation = 0;   // the same up to the last dispatch (before the budget's drain)
  double makespan_s = 0, controller_s = 0, hypervolume = 0;
  long long evaluations = 0;
  std::vector<std::pair<double, double>> trace;  // (simulated time, hypervolume) every 64 evaluations and at the end
  /// Simulated seconds until the hypervolume first reached `hv` (infinity when it never did).
  double time_to(double hv) const {
    for (const auto& [t, h] : trace)
      if (h >= hv) return t;
    return INFINITY;
  }
};

Outcome simulate(const std::string& strategy, int workers, bool async, double median, double sigma, long long budget,
                 std::uint64_t seed, const Point& lower, const Point& upper) {
  const std::string dir = "/tmp/bench_dispatch_sim";
  std::filesystem::remove_all(dir);
  const nlohmann::json cfg = {{"space", {{"name", "mbv"}}},
                              {"objectives",
                               {{{"name", "err"}, {"source", "external"}},
                                {{"name", "macs"}, {"source", "macs"}, {"log", true}},
                                {{"name", "params"}, {"source", "params"}, {"log", true}}}},
                              {"strategy", {{"name", strategy}}},
                              {"budget", {{"evaluations", budget}}},
                              {"batch_size", workers},
                              {"dispatch", async ? "asynchronous" : "synchronous"},
                              {"seed", seed}};
  Study study(SearchConfig::from_json(cfg, "<sim>"), {.dir = dir});
  std::mt19937_64 rng(seed * 7919 + static_cast<std::uint64_t>(workers));
  std::lognormal_distribution<double> duration(std::log(median), sigma);
  Outcome o;
  double t = 0, busy = 0, last_dispatch = 0;
  std::vector<std::pair<double, double>> spans;  // (start, end) of every evaluation
  auto timed = [&](auto&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    o.controller_s += s;
    t += s;  // the controller is one thread: while it works, nothing is dispatched
  };
  auto hypervolume_now = [&] {
    std::vector<Point> pts;
    for (const auto& r : study.front()) pts.push_back({r.raw[0], std::log10(r.raw[1]), std::log10(r.raw[2])});
    return pts.empty() ? 0.0 : normalized_hypervolume(pts, lower, upper);
  };
  long long told = 0;
  auto tell = [&](const Trial& tr) {
    study.tell_values(tr.id, {{"err", stand_in_error(tr, tr.cheap.raw[1], tr.cheap.raw[2])}});
    ++told;
  };
  // Outside the controller's charged time: the bench's own bookkeeping.
  auto sample = [&] {
    if (told % 64 == 0) o.trace.push_back({t, hypervolume_now()});
  };
  if (!async) {
    for (;;) {
      std::vector<Trial> round;
      timed([&] { round = study.ask(static_cast<std::size_t>(workers)).trials; });
      if (round.empty()) break;
      double longest = 0;
      last_dispatch = t;
      for (std::size_t i = 0; i < round.size(); ++i) {
        const double d = duration(rng);
        busy += d;
        spans.push_back({t, t + d});
        longest = std::max(longest, d);
      }
      t += longest;
      timed([&] {
        for (const Trial& tr : round) tell(tr);
        study.write_front(false);
      });
      o.trace.push_back({t, hypervolume_now()});
    }
  } else {
    using Event = std::pair<double, std::size_t>;  // finish time, index into `running`
    std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
    std::vector<Trial> running;
    bool more = true;
    auto dispatch_one = [&] {
      std::vector<Trial> got;
      timed([&] { got = study.ask(1).trials; });
      if (got.empty()) {
        more = false;
        return;
      }
      const double d = duration(rng);
      busy += d;
      spans.push_back({t, t + d});
      last_dispatch = t;
      running.push_back(got[0]);
      events.push({t + d, running.size() - 1});
    };
    while (more && static_cast<int>(events.size()) < workers) dispatch_one();
    while (!events.empty()) {
      const Event e = events.top();
      events.pop();
      t = std::max(t, e.first);
      timed([&] {
        tell(running[e.second]);
        study.write_front(false);
      });
      sample();
      if (more) dispatch_one();
    }
  }
  o.makespan_s = t;
  o.utilisation = busy / (static_cast<double>(workers) * t);
  double busy_before = 0;
  for (const auto& [a, b] : spans) busy_before += std::max(0.0, std::min(b, last_dispatch) - a);
  o.steady_utilisation = last_dispatch > 0 ? busy_before / (static_cast<double>(workers) * last_dispatch) : 0;
  o.evaluations = study.counts().evaluations;
  o.hypervolume = hypervolume_now();
  o.trace.push_back({t, o.hypervolume});
  return o;
}

int run(int argc, char** argv) {
  std::vector<int> workers{8, 64, 512, 4096};
  std::vector<std::string> strategies{"evolution", "bo", "mcts"};
  double median = 18, sigma = 0.5;
  long long rounds = 2, min_budget = 512;
  std::uint64_t seed = 0;
  bool async_only = false;  // skip the synchronous runs (bo and mcts take minutes there at 4,096 workers)
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--async-only") {
      async_only = true;
      continue;
    }
    if (i + 1 >= argc) throw UserError(a + ": expected a value");
    const std::string v = argv[++i];
    if (a == "--workers") {
      workers.clear();
      for (const auto& w : split(v)) workers.push_back(std::stoi(w));
    } else if (a == "--strategies") strategies = split(v);
    else if (a == "--median") median = std::stod(v);
    else if (a == "--sigma") sigma = std::stod(v);
    else if (a == "--rounds") rounds = std::stoll(v);
    else if (a == "--min-budget") min_budget = std::stoll(v);
    else if (a == "--seed") seed = std::stoull(v);
    else throw UserError("unknown option " + a);
  }
  // Common normalization: the objectives' range over 4,000 random mbv networks.
  auto space = make_space("mbv");
  Rng rng(123);
  Point lower(3, INFINITY), upper(3, -INFINITY);
  for (int i = 0; i < 4000; ++i) {
    const Architecture a = space->sample(rng);
    const CostTotals c = space->count(a);
    Trial t;
    t.text = space->to_string(a);
    const Point p{stand_in_error(t, static_cast<double>(c.macs), static_cast<double>(c.params)), std::log10(static_cast<double>(c.macs)),
                  std::log10(static_cast<double>(c.params))};
    for (int k = 0; k < 3; ++k) lower[k] = std::min(lower[k], p[k]), upper[k] = std::max(upper[k], p[k]);
  }
  std::printf("evaluation times: log-normal, median %.3g s, sigma %.2g\n", median, sigma);
  std::printf("utilisation: overall (with the final drain) / up to the last dispatch\n");
  std::printf("time to HV: simulated seconds until the hypervolume first reached 99%% of the synchronous run's final one\n");
  std::printf("| strategy | workers | budget | sync utilisation | async utilisation | sync controller s | async controller s | sync HV | async HV | async/sync HV | time to HV sync / async |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& s : strategies)
    for (int w : workers) {
      const long long budget = std::max(min_budget, rounds * w);
      const Outcome sync = async_only ? Outcome{} : simulate(s, w, false, median, sigma, budget, seed, lower, upper);
      const Outcome async = simulate(s, w, true, median, sigma, budget, seed, lower, upper);
      const double target = 0.99 * sync.hypervolume;
      std::printf("| %s | %d | %lld | %.1f%% / %.1f%% | %.1f%% / %.1f%% | %.2f | %.2f | %.4f | %.4f | %.3f | %.0f / %.0f |\n", s.c_str(), w,
                  budget, 100 * sync.utilisation, 100 * sync.steady_utilisation, 100 * async.utilisation,
                  100 * async.steady_utilisation, sync.controller_s, async.controller_s, sync.hypervolume, async.hypervolume,
                  async.hypervolume / sync.hypervolume, sync.time_to(target), async.time_to(target));
      std::fflush(stdout);
    }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return bench::guarded_main(run, argc, argv, kUsage); }
