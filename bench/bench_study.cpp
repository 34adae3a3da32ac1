// The cost of an ask/tell round trip in C++ (hwnas::Study): ask(1), tell_values with a stand-in
// accuracy and write_front (when the front changed), for N trials, on nb201 with "acc" external and params exact. Prints the mean
// time per trial over the first and the last 100 trials, per strategy, as JSON lines.
// bench/python_ask_tell.py runs the same loop through the Python module and compares.
//
//   ./build/bench_study --trials 1000 --strategies random,evolution,bo,mcts
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_main.h"
#include "hwnas/core/error.h"
#include "hwnas/search/config.h"
#include "hwnas/search/study.h"

using namespace hwnas;

namespace {

constexpr char kUsage[] =
    "Usage: bench_study [--trials N] [--strategies a,b,...] [--dir DIR]\n"
    "  C++ ask(1)+tell round trips of hwnas::Study: mean ms per trial over the first and last 100 trials.\n";

// The stand-in accuracy: the same function as bench/python_ask_tell.py's (FNV-1a of the arch text).
double fake_acc(const std::string& arch) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : arch) h = (h ^ c) * 1099511628211ull;
  return static_cast<double>(h % 1000) / 1000.0;
}

int run(int argc, char** argv) {
  long long trials = 1000;
  std::string strategies = "random,evolution,bo,mcts", dir = "/tmp/bench_study";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) throw UserError(a + ": expected a value");
    if (a == "--trials") trials = std::atoll(argv[++i]);
    else if (a == "--strategies") strategies = argv[++i];
    else if (a == "--dir") dir = argv[++i];
    else throw UserError("unknown option " + a);
  }
  if (trials < 200) throw UserError("--trials: expected at least 200");
  std::stringstream list(strategies);
  for (std::string name; std::getline(list, name, ',');) {
    const nlohmann::json cfg = {{"space", {{"name", "nb201"}}},
                                {"objectives",
                                 {{{"name", "acc"}, {"source", "external"}, {"direction", "maximize"}},
                                  {{"name", "params"}, {"source", "params"}}}},
                                {"strategy", {{"name", name}}},
                                {"budget", {{"evaluations", trials}}},
                                {"seed", 0}};
    std::filesystem::remove_all(dir);
    Study study(SearchConfig::from_json(cfg, "<bench>"), {.dir = dir});
    std::vector<double> ms;
    for (long long i = 0; i < trials; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto got = study.ask(1).trials;
      if (got.empty()) break;
      study.tell_values(got[0].id, {{"acc", fake_acc(got[0].text)}});
      study.write_front(false);  // as the controller does after each round, and the Python module after each call
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    if (ms.size() < 200) throw UserError(name + ": only " + std::to_string(ms.size()) + " trials");
    double first = 0, last = 0;
    for (std::size_t i = 0; i < 100; ++i) first += ms[i] / 100, last += ms[ms.size() - 100 + i] / 100;
    std::cout << nlohmann::json{{"strategy", name}, {"trials", ms.size()}, {"first100_ms", first}, {"last100_ms", last}}.dump() << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return bench::guarded_main(run, argc, argv, kUsage); }
