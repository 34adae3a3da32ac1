#include "hwnas/search/controller.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <map>
#include <limits>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/search/objective.h"
#include "hwnas/search/pareto.h"
#include "hwnas/search/strategy.h"
#include "hwnas/search/backend.h"
#include "hwnas/search/study.h"

namespace hwnas {

std::string to_string(StopReason r) {
  switch (r) {
    case StopReason::EvaluationBudget: return "evaluation budget reached";
    case StopReason::TimeBudget: return "time budget reached";
    case StopReason::SpaceExhausted: return "search space exhausted";
    case StopReason::StrategyStalled: return "the strategy kept proposing evaluated architectures";
    case StopReason::Interrupted: return "interrupted";
    case StopReason::StepBudget: return "step budget reached";
    case StopReason::GpuSecondsBudget: return "GPU-second budget reached";
  }
  return "?";
}

namespace {

std::string num(double v, int precision = 6) {
  std::ostringstream s;
  s << std::setprecision(precision) << v;
  return s.str();
}

// A search: the study's ask/tell loop with the expensive objectives evaluated on this process's
// threads, and the progress output.
class Run {
 public:
  Run(const SearchConfig& cfg, const SearchOptions& opts)
      : cfg_(cfg), opts_(opts), out_(opts.progress ? opts.progress : &std::cerr) {
    for (std::size_t i = 0; i < cfg.objectives.size(); ++i)
      if (cfg.objectives[i].kind == "external")
        throw UserError(cfg.source_file + ": objectives[" + std::to_string(i) + "] '" + cfg.objectives[i].name +
                        "' is external: its values come from your own code, so `hwnas search` cannot run this config; "
                        "drive it with `hwnas ask`/`hwnas tell` or the Python module (docs/ask_tell.md)");
    interactive_ = opts.interactive ? *opts.interactive : ::isatty(STDERR_FILENO) == 1;
    StudyOptions so;
    so.dir = !opts.resume_dir.empty() ? opts.resume_dir : !opts.run_dir.empty() ? opts.run_dir : cfg.run_dir();
    so.resume = !opts.resume_dir.empty();
    so.replace = opts.replace;
    so.strategy_factory = opts.strategy_factory;
    study_.emplace(cfg, so);
    for (const auto& w : study_->warnings()) warn(w);
  }

  SearchSummary run() {
    Study& study = *study_;
    std::unique_ptr<EvaluationBackend> backend =
        opts_.backend ? opts_.backend(study) : make_local_backend(study, cfg_.parallelism);
    HWNAS_CHECK(backend != nullptr && backend->slots() > 0, "evaluation backend without slots");
    if (cfg_.dispatch == "asynchronous") run_asynchronous(*backend);
    else run_synchronous(*backend);
    study.write_front(true);
    progress(true);
    if (const std::size_t unused = study.unused_log_records(); unused > 0)
      warn("warning: " + std::to_string(unused) + " logged evaluation(s) were not proposed again on replay; they stay in " +
           study.dir() + "/evaluations.jsonl but are not part of this run's front");
    const StudyCounts& c = study.counts();
    summary_.run_dir = study.dir();
    for (const auto& o : cfg_.objectives) summary_.objective_names.push_back(o.name);
    summary_.evaluations = c.evaluations;
    summary_.failed = c.failed;
    summary_.infeasible = c.infeasible;
    summary_.rejected = c.rejected;
    summary_.duplicates = c.duplicates;
    summary_.replayed = c.replayed;
    summary_.steps = c.steps;
    summary_.eval_s = c.eval_s;
    summary_.rungs = study.rungs();
    summary_.front = study.front();
    summary_.hypervolume = study.hypervolume();
    summary_.seconds = session_seconds();
    return summary_;
  }


  // Rounds of batch_size: submit a round, wait for all of it, tell it in proposal order.
  void run_synchronous(EvaluationBackend& backend) {
    Study& study = *study_;
    const std::size_t batch = static_cast<std::size_t>(cfg_.effective_batch_size());
    for (;;) {
      if (cfg_.budget.evaluations && study.counts().evaluations >= *cfg_.budget.evaluations) {
        summary_.stop_reason = StopReason::EvaluationBudget;
        return;
      }
      if (cfg_.budget.seconds && study.elapsed_seconds() >= *cfg_.budget.seconds) {
        summary_.stop_reason = StopReason::TimeBudget;
        return;
      }
      if (study.steps_spent()) {
        summary_.stop_reason = StopReason::StepBudget;
        return;
      }
      if (study.gpu_seconds_spent()) {
        summary_.stop_reason = StopReason::GpuSecondsBudget;
        return;
      }
      const Study::Asked asked = study.ask(batch);
      std::map<std::int64_t, EvaluationBackend::Finished> done;
      for (const Trial& t : asked.trials) backend.submit(t);
      while (done.size() < asked.trials.size())
        for (auto& f : backend.wait_any()) done.emplace(f.id, std::move(f));
      std::exception_ptr error;
      for (const Trial& t : asked.trials) {  // proposal order, whatever the completion order
        EvaluationBackend::Finished& f = done.at(t.id);
        if (f.result) study.tell(t.id, *f.result);
        else if (!error) error = f.error;
      }
      // Input no candidate gets past (a missing dataset): stop, with what finished logged.
      if (error) std::rethrow_exception(error);
      if (asked.trials.empty() && asked.exhausted) {
        summary_.stop_reason = StopReason::SpaceExhausted;
        return;
      }
      if (asked.trials.empty() && asked.stalled) {
        summary_.stop_reason = StopReason::StrategyStalled;
        return;
      }
      study.write_front(false);
      progress(false);
      if (opts_.keep_going && !opts_.keep_going(study.counts().evaluations)) {
        summary_.stop_reason = StopReason::Interrupted;
        return;
      }
    }
  }

  // A trial asked the moment a slot frees, told when it finishes. A resumed run first re-submits
  // the trials its journal has pending.
  void run_asynchronous(EvaluationBackend& backend) {
    Study& study = *study_;
    // Group commit: the lines of one turn of this loop (its tells, commits and asks) are flushed
    // one by one, so a killed process loses none, and made durable with one fsync per file before
    // the loop waits again, instead of three per trial.
    study.defer_sync(true);
    struct Durable {
      Study& s;
      ~Durable() {
        try {
          s.defer_sync(false);
        } catch (...) {  // already unwinding, or the disk failed: the next open reports it
        }
      }
    } durable{study};
    std::size_t in_flight = 0;
    for (const Trial& t : study.pending()) {
      backend.submit(t);
      ++in_flight;
    }
    std::optional<StopReason> no_more;  // why nothing more is asked; in-flight trials still finish
    for (;;) {
      while (!no_more && in_flight < backend.slots()) {
        if (cfg_.budget.seconds && study.elapsed_seconds() >= *cfg_.budget.seconds) {
          no_more = StopReason::TimeBudget;
          break;
        }
        const Study::Asked asked = study.ask(1);
        if (asked.trials.empty() && asked.waiting) break;  // a synchronous rung: ask again after a tell
        if (asked.trials.empty()) {
          no_more = asked.exhausted      ? StopReason::SpaceExhausted
                    : asked.stalled      ? StopReason::StrategyStalled
                    : study.steps_spent() ? StopReason::StepBudget
                    : study.gpu_seconds_spent() ? StopReason::GpuSecondsBudget
                                         : StopReason::EvaluationBudget;
          break;
        }
        backend.submit(asked.trials[0]);
        ++in_flight;
      }
      if (in_flight == 0) {
        summary_.stop_reason = no_more.value_or(StopReason::EvaluationBudget);
        return;
      }
      std::exception_ptr error;
      study.sync();
      for (auto& f : backend.wait_any()) {  // completion order
        --in_flight;
        if (f.result) study.tell(f.id, *f.result);
        else if (!error) error = f.error;
      }
      if (error) std::rethrow_exception(error);
      study.write_front(false);
      progress(false);
      if (opts_.keep_going && !opts_.keep_going(study.counts().evaluations)) {
        summary_.stop_reason = StopReason::Interrupted;
        return;
      }
    }
  }

 private:
  double session_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  void progress(bool final) {
    if (opts_.quiet) return;
    const long long n = study_->counts().evaluations;
    // Decide first: the line's hypervolume is not free, and asynchronous dispatch comes here after
    // every finished trial. A terminal gets a rewritten line at most 5 times a second; a log file a
    // line at every tenth of the budget (or every 30 s), and at the end.
    const long long step = cfg_.budget.evaluations ? std::max<long long>(1, *cfg_.budget.evaluations / 10) : 0;
    const double now = session_seconds();
    const bool due = interactive_ ? final || now - last_log_time_ >= 0.2
                     : final      ? n != last_logged_
                                  : (step > 0 && n / step != last_logged_ / step) || now - last_log_time_ >= 30;
    if (!due) return;
    std::string line = std::to_string(n);
    if (cfg_.budget.evaluations) line += "/" + std::to_string(*cfg_.budget.evaluations);
    line += " evaluations, front " + std::to_string(study_->front_size()) + ", hypervolume " + num(study_->hypervolume(), 4);
    const std::string best = study_->best_values();
    if (!best.empty()) line += ", best " + best;
    line += " (" + num(now, 3) + " s)";
    last_logged_ = n;
    last_log_time_ = now;
    if (interactive_) {
      *out_ << "\r\033[K" << line << (final ? "\n" : "") << std::flush;
      return;
    }
    *out_ << "search: " << line << "\n" << std::flush;
  }

  void warn(const std::string& w) {
    summary_.warnings.push_back(w);
    if (!opts_.quiet) *out_ << w << "\n" << std::flush;
  }

  const SearchConfig& cfg_;
  const SearchOptions& opts_;
  std::ostream* out_;
  bool interactive_ = false;
  std::optional<Study> study_;
  SearchSummary summary_;
  long long last_logged_ = -1;
  double last_log_time_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace

SearchSummary run_search(const SearchConfig& cfg, const SearchOptions& opts) {
  Run run(cfg, opts);
  return run.run();
}

std::string SearchSummary::brief() const {
  std::ostringstream s;
  s << "stopped: " << to_string(stop_reason) << "; " << evaluations << " evaluations, " << front.size()
    << " on the Pareto front, hypervolume " << num(hypervolume, 6);
  return s.str();
}

std::string SearchSummary::full() const {
  std::ostringstream s;
  s << brief() << "\n";
  s << "evaluations " << evaluations << " (" << failed << " failed, " << infeasible
    << " breaking a constraint on an expensive objective), rejected before evaluation (cheap constraints, "
       "degenerate networks) "
    << rejected
    << ", duplicates skipped " << duplicates;
  if (replayed > 0) s << ", replayed from the log " << replayed;
  if (steps > 0) s << ", steps " << num(steps, 10);
  if (eval_s > 0) s << ", evaluation time " << num(eval_s, 4) << " s, wall";
  s << ", " << num(seconds, 4) << " s\n";
  if (!rungs.empty()) {
    s << "rungs (fidelity: evaluations):";
    for (const auto& [f, n] : rungs) s << " " << f << ": " << n;
    s << "; the front is taken at fidelity " << rungs.back().first << "\n";
  }
  if (!front.empty()) {
    s << "\nPareto front (" << front.size() << "):\n";
    s << std::left << std::setw(6) << "id";
    for (const auto& n : objective_names) s << " " << std::setw(14) << n;
    s << " arch\n";
    for (const auto& r : front) {
      s << std::setw(6) << r.id;
      for (double v : r.raw) s << " " << std::setw(14) << num(v, 6);
      s << " " << r.arch << "\n";
    }
  }
  s << "\nrun directory: " << run_dir << " (config.json, evaluations.jsonl, pareto.json, pareto.csv)\n";
  return s.str();
}

}  // namespace hwnas
