#pragma once
// Fixtures shared by the config, objective, controller and run-store tests: a table objective
// over all NAS-Bench-201 cells (the synthetic error of nb201_problem.h, written to CSV), configs
// written to scratch files, and an expensive objective kind that counts its calls.
#include <chrono>
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hwnas/core/atomic_file.h"
#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/search/config.h"
#include "hwnas/search/objective.h"
#include "nb201_problem.h"
#include "support/cli.h"

namespace hwnas::testing {

/// Writes `arch_str,error` for every nb201 cell except those `skip` rejects; returns the path.
inline std::string write_error_table(const std::string& path,
                                     const std::function<bool(const Architecture&)>& skip = nullptr) {
  std::string csv = "arch_str,error\n";
  for (const auto& a : problem().all()) {
    if (skip && skip(a)) continue;
    csv += csv_escape(problem().space().to_string(a)) + "," + nlohmann::json(problem().error(a)).dump() + "\n";
  }
  // Atomic: tests in separate processes (ctest -j) share one table file and may rewrite it while
  // another reads it.
  write_file_atomic(path, csv);
  return path;
}

/// A learning-curve table `arch_str,steps,error` for every nb201 cell at steps 9, 27, 81 and 243:
/// at 243 the synthetic error, below it that plus a cell-dependent offset that grows as the steps
/// shrink (so low-fidelity rankings differ from full-fidelity ones). Returns the path.
inline double curve_error(std::size_t i, int f) {
  const double offset = (243.0 / f - 1.0) * 0.0005 * static_cast<double>(1 + (i * 7919) % 13);
  return problem().error(problem().all()[i]) + offset;
}
/// curve_error of an architecture: its own row (equivalent cells have rows of their own).
inline double curve_error(const Architecture& a, int f) {
  static const std::map<std::vector<int>, std::size_t> index = [] {
    std::map<std::vector<int>, std::size_t> m;
    for (std::size_t i = 0; i < problem().all().size(); ++i) m.emplace(problem().all()[i].choices, i);
    return m;
  }();
  return curve_error(index.at(a.choices), f);
}
inline std::string write_curve_table(const std::string& path) {
  std::string csv = "arch_str,steps,error\n";
  const auto& all = problem().all();
  for (std::size_t i = 0; i < all.size(); ++i) {
    const std::string arch = csv_escape(problem().space().to_string(all[i]));
    for (int f : {9, 27, 81, 243})
      csv += arch + "," + std::to_string(f) + "," + nlohmann::json(curve_error(i, f)).dump() + "\n";
  }
  write_file_atomic(path, csv);
  return path;
}

/// A two-objective nb201 config: "err" from the table file (expensive) and "params" (cheap).
inline nlohmann::json table_config(const std::string& table_file, long long evaluations = 40) {
  return {{"space", {{"name", "nb201"}}},
          {"objectives",
           {{{"name", "err"}, {"source", {{"table", {{"file", table_file}, {"value", "error"}}}}}},
            {{"name", "params"}, {"source", "params"}, {"log", true}}}},
          {"strategy", {{"name", "evolution"}, {"options", {{"population", 10}, {"sample_size", 3}}}}},
          {"budget", {{"evaluations", evaluations}}},
          {"parallelism", 2},
          {"batch_size", 4},
          {"seed", 7}};
}

/// Writes `j` to DIR/NAME and reads it back as a config (so errors name that file).
inline SearchConfig config_from(const nlohmann::json& j, const std::string& dir, const std::string& name = "search.json") {
  const std::string path = dir + "/" + name;
  hwnas::test::write_text(path, j.dump(2));
  return SearchConfig::from_file(path);
}

/// The message of the UserError that `f` throws ("" when it does not throw).
template <class F>
std::string user_error(F&& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

/// An expensive objective kind "counting": value = number of decisions equal to 3 (conv3x3) plus
/// 0.01 * decision 0; counts calls and remembers the architectures it saw. Registered while alive.
/// {"counting": {"cheap": true}} makes it a cheap one; {"counting": {"sleep_ms": 20}} makes each
/// evaluation take at least that long (a stand-in for training, for budget.gpu_seconds).
class CountingObjective {
 public:
  CountingObjective() {
    register_objective_source("counting", [this](const nlohmann::json& spec, const std::string& path, const ObjectiveContext&) {
      JsonReader r(spec, path);
      const bool cheap = r.get("cheap", false);
      const int sleep_ms = r.get("sleep_ms", 0);
      r.finish();
      return std::make_unique<Source>(this, cheap, sleep_ms);
    });
  }
  ~CountingObjective() { unregister_objective_source("counting"); }
  int calls() const { return calls_.load(); }
  std::set<std::vector<int>> seen() const {
    std::lock_guard<std::mutex> l(mutex_);
    return seen_;
  }

 private:
  class Source : public ObjectiveSource {
   public:
    Source(CountingObjective* owner, bool cheap, int sleep_ms) : owner_(owner), cheap_(cheap), sleep_ms_(sleep_ms) {}
    std::string kind() const override { return "counting"; }
    bool cheap() const override { return cheap_; }
    nlohmann::json resolved_spec() const override {
      nlohmann::json j = nlohmann::json::object();
      if (cheap_) j["cheap"] = true;
      if (sleep_ms_ > 0) j["sleep_ms"] = sleep_ms_;
      return j;
    }
    ObjectiveValue evaluate(const Candidate& c) const override {
      ++owner_->calls_;
      if (sleep_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
      {
        std::lock_guard<std::mutex> l(owner_->mutex_);
        owner_->seen_.insert(c.arch().choices);
      }
      double v = 0.01 * c.arch().choices[0];
      for (int x : c.arch().choices) v += x == 3;
      return ObjectiveValue::success(v);
    }

   private:
    CountingObjective* owner_;
    bool cheap_;
    int sleep_ms_;
  };
  std::atomic<int> calls_{0};
  mutable std::mutex mutex_;
  std::set<std::vector<int>> seen_;
};

}  // namespace hwnas::testing
