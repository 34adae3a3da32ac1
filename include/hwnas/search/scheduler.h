#pragma once
// Multi-fidelity schedulers: which architecture is evaluated at which fidelity next.
//
// A fidelity is a level of an expensive objective's effort, e.g. the training steps of a `train`
// source (the first F steps of its full schedule) or a column of a learning-curve table. The
// fidelities a scheduler uses are its RUNGS: min_fidelity * eta^k while below max_fidelity, then
// max_fidelity (min 9, max 243, eta 3: 9, 27, 81, 243). An architecture enters at a rung (its
// bracket's base rung), and is PROMOTED to the next rung when it ranks in the best 1/eta of the
// rung it finished, by non-dominated rank and then crowding distance over every objective (the
// cheap ones exact, the expensive ones at that rung's fidelity; MO-ASHA, Schmucker et al. 2021).
// A failed or infeasible evaluation is never promoted.
//
//  - "sh": synchronous successive halving. A bracket asks eta^(R-1) architectures at the lowest
//    rung (R rungs); when every one of a rung has finished, the best n/eta go up. Brackets repeat.
//  - "hyperband": brackets of successive halving that start at every rung in turn, from the
//    lowest (most architectures, cheapest) to the highest (a few, at full fidelity) (Li et al. 2018).
//  - "asha": asynchronous successive halving (Li et al. 2020): whenever an evaluation slot is
//    free, promote an architecture that is in the best 1/eta of its rung and not yet promoted
//    (from the highest rung down), else start a new one at the lowest rung. No waiting for a rung.
//
// The scheduler only decides; the Study (study.h) owns architectures, trials and the log. It
// numbers architectures (entries) in the order they start and reports each finished evaluation.
//
// How to add a scheduler: one SchedulerEntry in the table in scheduler.cpp (or register_scheduler
// from your own code): its name, a line for --help, and either `asynchronous` (ASHA's rule) or a
// `bracket` rule giving each new synchronous bracket's base rung and size. Options are
// SchedulerConfig's (min/max fidelity, eta).
//
// Example:
//   Scheduler s(SchedulerConfig::from_json({{"name", "asha"}, {"min_fidelity", 9}, {"max_fidelity", 243}}, "scheduler"));
//   int rung;  std::size_t k = s.admit(4, &rung);          // 4 new architectures at rungs()[rung]
//   std::size_t e = s.start_entry(rung);  ...  s.finished(e, rung, true, {0.1, -0.8});
//   for (auto job : s.next_promotions(4)) ...             // job.entry at rungs()[job.rung]
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hwnas/core/options.h"

namespace hwnas {

/// The base rung and size of a synchronous bracket (successive halving within it).
struct BracketPlan {
  int s = 0;        // the bracket spans the top s+1 rungs: its base rung is top_rung - s
  double n0 = 1;    // architectures at its base rung (each higher rung keeps 1/eta of them)
};

/// One scheduler kind: the registry's entry (the one place a scheduler is named).
struct SchedulerEntry {
  std::string name;
  std::string summary;        // one line for --help and the docs
  bool asynchronous = false;  // ASHA's rule: promote whenever an architecture is in its rung's best 1/eta
  /// Synchronous schedulers: the plan of the `index`-th bracket opened (0, 1, ...), where s_max is
  /// the top rung's index.
  std::function<BracketPlan(int s_max, int eta, long long index)> bracket;
};

/// Registered scheduler names, built-ins first ("sh", "hyperband", "asha").
std::vector<std::string> scheduler_names();
/// The entry of `name`; unknown -> UserError "PATH.name: unknown scheduler 'x'; did you mean ...".
SchedulerEntry find_scheduler(const std::string& name, const std::string& path = "scheduler");
/// Adds (or replaces) a scheduler; for code outside the library and for tests. Thread-safe.
void register_scheduler(SchedulerEntry entry);
/// Removes a scheduler added by register_scheduler (tests).
void unregister_scheduler(const std::string& name);

struct SchedulerConfig {
  std::string name;        // empty: no scheduler (every evaluation at full fidelity)
  int min_fidelity = 0;
  int max_fidelity = 0;    // 0 in a config: the source's full fidelity (set by SearchConfig)
  int eta = 3;

  template <class S, class V>
  static void fields(S& o, V& v) {
    v("name", o.name, opt::required());  // one of scheduler_names() (validate)
    v("min_fidelity", o.min_fidelity, opt::required());
    v("max_fidelity", o.max_fidelity);
    v("eta", o.eta);
  }

  bool enabled() const { return !name.empty(); }
  /// The fidelities evaluations run at, lowest first (see the top of this file).
  std::vector<int> rungs() const;
  /// Names the field at fault (`path` + ".min_fidelity"); full_fidelity is the source's.
  void validate(const std::string& path) const;
  /// Strict (unknown keys are errors); max_fidelity may be left out.
  static SchedulerConfig from_json(const nlohmann::json& j, const std::string& path);
  nlohmann::json to_json() const;
};

class Scheduler {
 public:
  explicit Scheduler(SchedulerConfig cfg);

  const SchedulerConfig& config() const { return cfg_; }
  const std::vector<int>& rungs() const { return rungs_; }
  int top_rung() const { return static_cast<int>(rungs_.size()) - 1; }

  struct Job {
    std::size_t entry = 0;
    int rung = 0;           // index into rungs()
  };
  /// Up to n promotions that may start now; each is marked started.
  std::vector<Job> next_promotions(std::size_t n);
  /// How many new architectures (up to n) may start now, and at which rung (*rung). 0: wait for
  /// running evaluations (a synchronous bracket's rung is not complete).
  std::size_t admit(std::size_t n, int* rung);
  /// A new architecture starts at `rung` (as admit said); returns its entry number. Call it for
  /// each one that is evaluated; admit() counts only started ones, so proposals that never run (a
  /// duplicate, a rejected candidate) leave their place to the next admit.
  std::size_t start_entry(int rung);
  /// Entry `entry` finished at `rung`: ok with its minimized objective vector, or not ok.
  void finished(std::size_t entry, int rung, bool ok, std::vector<double> objectives);
  /// The proposer has nothing more: a bracket waiting to fill its base rung stops waiting.
  void proposals_exhausted();
  /// Finished evaluations per rung (ok or not).
  std::vector<long long> finished_per_rung() const;

 private:
  struct Entry {
    int base = 0;                 // rung it started at
    int reached = -1;             // highest rung finished
    int running = -1;             // rung being evaluated, -1 none
    std::vector<std::vector<double>> objectives;  // per rung (empty: not ok / not run)
    std::vector<bool> promoted_from;              // per rung
  };
  struct Bracket {               // sh / hyperband
    int base = 0;
    std::vector<std::size_t> target;               // architectures per rung (0 below base)
    std::vector<std::vector<std::size_t>> members;  // entries started at each rung
    std::vector<std::size_t> done;                 // of them, finished
    std::vector<bool> promoted;                    // the rung's best went up (or none could)
  };

  // The entries of `candidates` ranked best first; failed ones left out.
  std::vector<std::size_t> ranked(const std::vector<std::size_t>& candidates, int rung) const;
  void open_bracket();
  bool rung_complete(const Bracket& b, int rung) const;
  void promote_complete_rungs();

  SchedulerConfig cfg_;
  SchedulerEntry kind_;
  std::vector<int> rungs_;
  std::vector<Entry> entries_;
  std::vector<std::vector<std::size_t>> rung_members_;  // asha: entries finished at each rung, in order
  std::vector<long long> finished_count_;
  std::optional<Bracket> bracket_;  // sh / hyperband: the open bracket
  long long brackets_opened_ = 0;
  std::vector<Job> queue_;          // sh / hyperband: promotions decided, not yet handed out
  bool exhausted_ = false;
};

}  // namespace hwnas
