#include "hwnas/search/controller.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <limits>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/search/objective.h"
#include "hwnas/search/pareto.h"
#include "hwnas/search/strategy.h"

namespace hwnas {

std::string to_string(StopReason r) {
  switch (r) {
    case StopReason::EvaluationBudget: return "evaluation budget reached";
    case StopReason::TimeBudget: return "time budget reached";
    case StopReason::SpaceExhausted: return "search space exhausted";
    case StopReason::StrategyStalled: return "the strategy kept proposing evaluated architectures";
    case StopReason::Interrupted: return "interrupted";
  }
  return "?";
}

namespace {

std::string num(double v, int precision = 6) {
  std::ostringstream s;
  s << std::setprecision(precision) << v;
  return s.str();
}

// Runs f(i) for i in [0, n) on the arena's threads; each i writes only its own slot.
template <class F>
void parallel_indices(tbb::task_arena& arena, int threads, std::size_t n, F&& f) {
  if (threads <= 1 || n <= 1) {
    for (std::size_t i = 0; i < n; ++i) f(i);
    return;
  }
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 1), [&](const tbb::blocked_range<std::size_t>& r) {
      for (std::size_t i = r.begin(); i != r.end(); ++i) f(i);
    });
  });
}

// The state of one run: the records of this run's sequence and its front.
class Run {
 public:
  Run(const SearchConfig& cfg, const SearchOptions& opts)
      : cfg_(cfg),
        opts_(opts),
        space_(make_space(cfg.space, cfg.space_options)),
        objectives_(cfg, *space_),
        arena_(cfg.parallelism),
        out_(opts.progress ? opts.progress : &std::cerr) {
    for (const auto& o : cfg.objectives) names_.push_back(o.name);
    interactive_ = opts.interactive ? *opts.interactive : ::isatty(STDERR_FILENO) == 1;
    const std::string dir = !opts.resume_dir.empty() ? opts.resume_dir : !opts.run_dir.empty() ? opts.run_dir : cfg.run_dir();
    if (!opts.resume_dir.empty()) {
      LogContents log;
      store_.emplace(RunStore::resume(dir, cfg, &log));
      for (const auto& w : log.warnings) warn("warning: " + w);
      check_log_belongs(log);
      for (std::size_t i = 0; i < log.records.size(); ++i) {
        logged_.emplace(log.records[i].hash, i);
        next_id_ = std::max(next_id_, log.records[i].id + 1);
        elapsed_offset_ = std::max(elapsed_offset_, log.records[i].elapsed_s);
      }
      log_records_ = std::move(log.records);
    } else {
      store_.emplace(RunStore::create(dir, cfg, opts.replace));
    }
    summary_.run_dir = dir;
    summary_.objective_names = names_;
    lower_.assign(names_.size(), std::numeric_limits<double>::infinity());
    upper_.assign(names_.size(), -std::numeric_limits<double>::infinity());
  }

  // Every logged record must be an architecture of this space, as this space writes and hashes it:
  // a record from another config's log (another space or options) is refused, naming its line.
  void check_log_belongs(const LogContents& log) const {
    for (std::size_t i = 0; i < log.records.size(); ++i) {
      const EvaluationRecord& r = log.records[i];
      const std::string where = store_->log_path() + ":" + std::to_string(log.lines[i]);
      std::string why;
      try {
        const Architecture a = space_->parse(r.arch);
        if (a.choices != r.decisions) why = "its decisions do not match its arch";
        else if (space_->canonical_hash(a) != r.hash) why = "its hash is not this space's hash of its arch";
      } catch (const UserError& e) {
        why = std::string("its arch is not of this space (") + e.what() + ")";
      }
      if (!why.empty())
        throw UserError(where + ": record id " + std::to_string(r.id) + " does not belong to this run: " + why +
                        "; refusing to resume");
    }
  }

  SearchSummary run() {
    StrategyContext ctx;
    ctx.space = space_.get();
    ctx.num_objectives = static_cast<int>(names_.size());
    ctx.is_cheap = objectives_.cheap_mask();
    ctx.cheap = objectives_.strategy_cheap(*space_);
    ctx.seed = cfg_.seed;
    auto strategy = opts_.strategy_factory ? opts_.strategy_factory(ctx)
                                           : make_strategy(cfg_.strategy, cfg_.strategy_options, ctx);
    HWNAS_CHECK(strategy != nullptr, "strategy factory returned null");
    const std::size_t batch = static_cast<std::size_t>(cfg_.effective_batch_size());
    int stalls = 0;
    for (;;) {
      if (cfg_.max_evaluations && summary_.evaluations >= *cfg_.max_evaluations) {
        summary_.stop_reason = StopReason::EvaluationBudget;
        break;
      }
      if (cfg_.max_seconds && elapsed() >= *cfg_.max_seconds) {
        summary_.stop_reason = StopReason::TimeBudget;
        break;
      }
      const std::vector<Architecture> proposed = strategy->ask(batch);
      if (proposed.empty()) {
        summary_.stop_reason = StopReason::SpaceExhausted;
        break;
      }
      const std::vector<Observation> told = round(proposed);
      if (told.empty()) {
        if (++stalls >= 100) {
          summary_.stop_reason = StopReason::StrategyStalled;
          break;
        }
      } else {
        stalls = 0;
        strategy->tell(told);
      }
      write_front(false);
      progress(false);
      if (opts_.keep_going && !opts_.keep_going(summary_.evaluations)) {
        summary_.stop_reason = StopReason::Interrupted;
        break;
      }
    }
    write_front(true);
    progress(true);
    const std::size_t unused = log_records_.size() - replayed_hashes_.size();
    if (!log_records_.empty() && unused > 0)
      warn("warning: " + std::to_string(unused) + " logged evaluation(s) were not proposed again on replay; they stay in " +
           store_->log_path() + " but are not part of this run's front");
    summary_.seconds = session_seconds();
    return summary_;
  }

 private:
  enum class Kind { Duplicate, Replay, Rejected, Evaluate };
  struct Item {
    Architecture arch;
    std::uint64_t hash = 0;
    Kind kind = Kind::Evaluate;
    std::size_t log_index = 0;   // Replay
    ObjectiveSet::Result values;  // Rejected / Evaluate
  };

  double session_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  double elapsed() const { return elapsed_offset_ + session_seconds(); }

  // One round: classify, evaluate, log and count the proposals in order. Returns what the
  // strategy is told.
  std::vector<Observation> round(const std::vector<Architecture>& proposed) {
    std::vector<Item> items(proposed.size());
    std::unordered_set<std::uint64_t> in_round;
    std::vector<std::size_t> need_cheap;
    for (std::size_t i = 0; i < proposed.size(); ++i) {
      Item& it = items[i];
      it.arch = proposed[i];
      it.hash = space_->canonical_hash(it.arch);
      if (seen_.count(it.hash) || !in_round.insert(it.hash).second) {
        it.kind = Kind::Duplicate;
      } else if (auto l = logged_.find(it.hash); l != logged_.end()) {
        it.kind = Kind::Replay;
        it.log_index = l->second;
      } else {
        need_cheap.push_back(i);
      }
    }
    parallel_indices(arena_, cfg_.parallelism, need_cheap.size(), [&](std::size_t k) {
      Item& it = items[need_cheap[k]];
      it.values = objectives_.evaluate_cheap(Candidate(*space_, it.arch));
      if (it.values.failure.empty() && !objectives_.cheap_rejection(it.values).empty()) it.kind = Kind::Rejected;
    });

    // Keep the prefix of the round that fits the evaluation budget.
    const long long remaining = cfg_.max_evaluations ? *cfg_.max_evaluations - summary_.evaluations
                                                     : std::numeric_limits<long long>::max();
    long long counted = 0;
    std::size_t keep = 0;
    for (; keep < items.size(); ++keep) {
      const Item& it = items[keep];
      const bool c = it.kind == Kind::Evaluate || (it.kind == Kind::Replay && counts(log_records_[it.log_index]));
      if (c && counted == remaining) break;
      if (c) ++counted;
    }
    items.resize(keep);

    std::vector<std::size_t> expensive;
    for (std::size_t i = 0; i < items.size(); ++i)
      if (items[i].kind == Kind::Evaluate && items[i].values.failure.empty() && objectives_.has_expensive())
        expensive.push_back(i);
    parallel_indices(arena_, cfg_.parallelism, expensive.size(), [&](std::size_t k) {
      Item& it = items[expensive[k]];
      it.values = objectives_.evaluate_expensive(Candidate(*space_, it.arch), it.values);
    });

    std::vector<Observation> told;
    for (Item& it : items) {
      if (it.kind == Kind::Duplicate) {
        ++summary_.duplicates;
        continue;
      }
      EvaluationRecord rec;
      if (it.kind == Kind::Replay) {
        rec = log_records_[it.log_index];
        replayed_hashes_.insert(it.hash);
        ++summary_.replayed;
      } else {
        rec.id = next_id_++;
        rec.arch = space_->to_string(it.arch);
        rec.decisions = it.arch.choices;
        rec.hash = it.hash;
        rec.raw = it.values.raw;
        rec.degenerate = it.values.degenerate;
        if (it.kind == Kind::Rejected) {
          rec.status = EvalStatus::Rejected;
          rec.message = objectives_.cheap_rejection(it.values);
        } else if (!it.values.failure.empty()) {
          rec.status = EvalStatus::Failed;
          rec.message = it.values.failure;
        } else if (std::string why = objectives_.expensive_violation(it.values.raw); !why.empty()) {
          rec.status = EvalStatus::Rejected;  // evaluated (and counted), but infeasible
          rec.message = why;
        }
        rec.elapsed_s = elapsed();
        store_->append(rec);  // durable before it counts
      }
      seen_.insert(it.hash);
      Observation obs;
      obs.arch = it.arch;
      obs.ok = rec.status == EvalStatus::Ok;
      obs.objectives = obs.ok ? objectives_.transform(rec.raw) : std::vector<double>(names_.size(), NAN);
      count(rec, obs);
      records_.push_back(std::move(rec));
      told.push_back(std::move(obs));
    }
    return told;
  }

  // Whether a record counts as an evaluation: everything but a rejection before evaluation (a
  // cheap constraint, or an excluded degenerate network).
  bool counts(const EvaluationRecord& rec) const {
    if (rec.status != EvalStatus::Rejected) return true;
    return objectives_.cheap_rejection({rec.raw, {}, rec.degenerate}).empty();
  }

  void count(const EvaluationRecord& rec, const Observation& obs) {
    if (counts(rec)) {
      ++summary_.evaluations;
      if (rec.status == EvalStatus::Failed) ++summary_.failed;
      if (rec.status == EvalStatus::Rejected) ++summary_.infeasible;
    } else {
      ++summary_.rejected;
    }
    if (!obs.ok) return;
    for (std::size_t i = 0; i < names_.size(); ++i) {
      lower_[i] = std::min(lower_[i], obs.objectives[i]);
      upper_[i] = std::max(upper_[i], obs.objectives[i]);
    }
    if (archive_.add(static_cast<std::int64_t>(records_.size()), obs.objectives)) front_changed_ = true;
    bounds_changed_ = true;
  }

  // Writes pareto.json/.csv when the front or its normalization changed (always at the end).
  void write_front(bool final) {
    if (!final && !front_changed_ && !bounds_changed_) return;
    front_changed_ = bounds_changed_ = false;
    std::vector<std::pair<Point, std::int64_t>> members;
    for (const auto& m : archive_.members()) members.push_back({m.objectives, m.id});
    std::sort(members.begin(), members.end());
    std::vector<Point> pts;
    summary_.front.clear();
    for (const auto& [p, idx] : members) {
      pts.push_back(p);
      summary_.front.push_back(records_[static_cast<std::size_t>(idx)]);
    }
    summary_.hypervolume = pts.empty() ? 0.0 : normalized_hypervolume(pts, lower_, upper_);

    nlohmann::json objs = nlohmann::json::array(), front = nlohmann::json::array();
    for (const auto& o : cfg_.objectives)
      objs.push_back({{"name", o.name}, {"direction", o.maximize ? "maximize" : "minimize"}, {"log", o.log}});
    std::string csv = "id,arch";
    for (const auto& n : names_) csv += "," + csv_escape(n);
    csv += ",hash\n";
    for (const auto& r : summary_.front) {
      nlohmann::json j = r.to_json(names_);
      j.erase("elapsed_s");  // the front of a run must not depend on timing
      j.erase("status");
      j.erase("message");
      front.push_back(j);
      csv += std::to_string(r.id) + "," + csv_escape(r.arch);
      for (double v : r.raw) csv += "," + nlohmann::json(v).dump();
      csv += "," + hash_hex(r.hash) + "\n";
    }
    nlohmann::json norm = nullptr;
    if (!pts.empty()) norm = {{"lower", lower_}, {"upper", upper_}, {"reference", kHypervolumeReference}};
    const nlohmann::json doc = {{"space", cfg_.space},
                                {"objectives", objs},
                                {"hypervolume", summary_.hypervolume},
                                {"normalization", norm},
                                {"front", front}};
    std::string text = doc.dump(2) + "\n";
    if (text == last_front_text_ && !final) return;
    store_->write_front(text, csv);
    last_front_text_ = std::move(text);
  }

  std::string best_values() const {
    std::string s;
    for (std::size_t i = 0; i < names_.size() && lower_[i] <= upper_[i]; ++i) {
      double best = lower_[i];  // minimized, transformed: undo for display
      if (cfg_.objectives[i].maximize) best = -best;
      if (cfg_.objectives[i].log) best = std::pow(10.0, best);
      s += (s.empty() ? "" : ", ") + names_[i] + " " + num(best, 4);
    }
    return s;
  }

  void progress(bool final) {
    if (opts_.quiet) return;
    const long long n = summary_.evaluations;
    std::string line = std::to_string(n);
    if (cfg_.max_evaluations) line += "/" + std::to_string(*cfg_.max_evaluations);
    line += " evaluations, front " + std::to_string(archive_.size()) + ", hypervolume " + num(summary_.hypervolume, 4);
    const std::string best = best_values();
    if (!best.empty()) line += ", best " + best;
    line += " (" + num(session_seconds(), 3) + " s)";
    if (interactive_) {
      *out_ << "\r\033[K" << line << (final ? "\n" : "") << std::flush;
      return;
    }
    // Not a terminal: a line at every tenth of the budget (or every 30 s), and at the end.
    const long long step = cfg_.max_evaluations ? std::max<long long>(1, *cfg_.max_evaluations / 10) : 0;
    const bool due = final ? n != last_logged_ : (step > 0 && n / step != last_logged_ / step) || session_seconds() - last_log_time_ >= 30;
    if (!due) return;
    *out_ << "search: " << line << "\n" << std::flush;
    last_logged_ = n;
    last_log_time_ = session_seconds();
  }

  void warn(const std::string& w) {
    summary_.warnings.push_back(w);
    if (!opts_.quiet) *out_ << w << "\n" << std::flush;
  }

  const SearchConfig& cfg_;
  const SearchOptions& opts_;
  std::unique_ptr<SearchSpace> space_;
  ObjectiveSet objectives_;
  tbb::task_arena arena_;
  std::ostream* out_;
  bool interactive_ = false;
  std::vector<std::string> names_;
  std::optional<RunStore> store_;
  std::vector<EvaluationRecord> log_records_;              // a resumed run's log
  std::unordered_map<std::uint64_t, std::size_t> logged_;  // canonical hash -> log_records_ index
  std::unordered_set<std::uint64_t> replayed_hashes_;
  std::unordered_set<std::uint64_t> seen_;                 // canonical hashes of this run's records
  std::vector<EvaluationRecord> records_;                  // this run's sequence
  std::int64_t next_id_ = 0;
  double elapsed_offset_ = 0;
  ParetoArchive archive_;                                  // ids index records_
  Point lower_, upper_;
  bool front_changed_ = false, bounds_changed_ = false;
  std::string last_front_text_;
  long long last_logged_ = -1;
  double last_log_time_ = 0;
  SearchSummary summary_;
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
  s << ", " << num(seconds, 4) << " s\n";
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
