#include "hwnas/search/study.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>
#include <unordered_map>
#include <set>
#include <unordered_set>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/core/suggest.h"
#include "hwnas/nas/search_space.h"
#include "hwnas/search/pareto.h"
#include "hwnas/search/scheduler.h"

namespace hwnas {

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

}  // namespace

struct Study::Impl {
  // What evaluations spend of the budgets in compute: budget.steps and budget.gpu_seconds.
  struct Spend {
    double steps = 0;    // fidelity units (EvaluationRecord::cost)
    double seconds = 0;  // seconds the expensive objectives took (EvaluationRecord::eval_s)
    Spend& operator+=(const Spend& o) {
      steps += o.steps;
      seconds += o.seconds;
      return *this;
    }
    Spend& operator-=(const Spend& o) {
      steps -= o.steps;
      seconds -= o.seconds;
      return *this;
    }
    bool some_left() const { return steps > 0 && seconds > 0; }  // as a budget left: both
  };
  static Spend spent(const EvaluationRecord& r) { return {r.cost, r.eval_s}; }

  // One proposal of an open batch that is not a duplicate.
  struct Item {
    Architecture arch;
    std::uint64_t hash = 0;
    bool trial = false;       // handed out for evaluation (else finished at ask: rejected, failed, replayed)
    bool finished = false;
    bool logged = false;      // its record is in evaluations.jsonl
    EvaluationRecord rec;     // when finished
    ObjectiveSet::Result cheap;
    int fidelity = 0;         // with a scheduler: the level it is evaluated at
    int from = 0;             // a promotion: the level it finished before
    int rung = -1;            // with a scheduler: index of `fidelity` in its rungs
    std::size_t entry = kNoEntry;  // its scheduler entry (trials and replayed evaluations)
    Spend expected;           // what a pending trial is expected to spend (budget.steps, budget.gpu_seconds)
  };
  static constexpr std::size_t kNoEntry = static_cast<std::size_t>(-1);
  struct OpenBatch {
    std::vector<Item> items;
    std::size_t unfinished = 0;
    bool has_trials = false;
    bool promotion = false;      // one promoted architecture: not a strategy ask, not told to it
    std::size_t log_cursor = 0;  // items before it are logged
  };
  // What the scheduler knows of an architecture it tracks.
  struct Entry {
    Architecture arch;
    std::uint64_t hash = 0;
    ObjectiveSet::Result cheap;
    int fidelity = 0;  // the highest level it finished
  };
  using LogKey = std::pair<std::uint64_t, int>;  // (canonical hash, fidelity)

  // Logs the finished records of a batch in proposal order, up to its first unfinished trial: a
  // rejected candidate waits for the trials proposed before it, so a search's log is in id order.
  // A told trial is logged at once (tell), even out of order: a told value is never lost.
  void log_in_order(OpenBatch& b) {
    while (b.log_cursor < b.items.size()) {
      Item& it = b.items[b.log_cursor];
      if (!it.logged) {
        if (!it.finished) break;
        store->append(it.rec);  // durable before it counts
        ++log_size;
        it.logged = true;
      }
      ++b.log_cursor;
    }
  }

  SearchConfig cfg;
  StudyOptions opts;
  std::unique_ptr<SearchSpace> space;
  std::unique_ptr<ObjectiveSet> objectives;
  mutable tbb::task_arena arena;
  std::vector<std::string> names;
  std::vector<std::string> warnings;
  std::optional<RunStore> store;
  std::unique_ptr<SearchStrategy> strategy;
  bool journaling = false;   // external objectives: asks and commits go to trials.jsonl
  bool replaying = false;    // re-running the journal: commits come from it

  std::vector<EvaluationRecord> log_records;              // a resumed run's log
  std::map<LogKey, std::size_t> logged;                   // (hash, fidelity) -> log_records index
  std::set<LogKey> replayed_keys;
  std::unique_ptr<Scheduler> scheduler;                   // multi-fidelity (cfg.scheduler)
  std::vector<Entry> entries;                             // by scheduler entry number
  Spend open_spend;                                       // expected spend of pending trials
  bool strategy_exhausted = false;
  struct Finished {
    std::size_t entry;
    int rung;
    bool ok;
    std::vector<double> objectives;
  };
  std::vector<Finished> deferred;                         // replayed results for the next ask
  std::map<std::size_t, Finished> journal_deferred;       // journal replay: by log line, fed in log order
  std::size_t log_size = 0;                               // records in evaluations.jsonl
  std::unordered_set<std::uint64_t> seen;                 // committed, finished or pending
  ObjectiveSet::CheapMemo cheap_memo;                     // the strategy's cheap look-ups not proposed yet
  std::vector<EvaluationRecord> records;                  // committed, in commit order
  std::map<std::int64_t, OpenBatch> open;                 // by batch number
  std::map<std::int64_t, std::pair<std::int64_t, std::size_t>> pending;  // trial id -> (batch, item)
  std::int64_t next_id = 0;
  std::int64_t next_batch = 0;
  long long open_counted = 0;                             // counted items of open batches
  double elapsed_offset = 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

  StudyCounts counts;
  ParetoArchive archive;                                  // ids index `records`
  Point lower, upper;
  bool front_changed = false, bounds_changed = false;
  std::string last_front_text;
  mutable std::optional<double> hypervolume;              // of the current front, when computed
  std::chrono::steady_clock::time_point last_front_write;  // epoch: never written

  Impl(SearchConfig c, const StudyOptions& o) : cfg(std::move(c)), opts(o), arena(std::max(1, cfg.parallelism)) {
    space = make_space(cfg.space, cfg.space_options);
    space->set_as_built(cfg.costs_as_built());
    objectives = std::make_unique<ObjectiveSet>(cfg, *space, RunStore::checkpoint_dir(opts.dir));
    for (const auto& ob : cfg.objectives) names.push_back(ob.name);
    journaling = objectives->has_external() || cfg.dispatch == "asynchronous";
    if (cfg.scheduler.enabled()) scheduler = std::make_unique<Scheduler>(cfg.scheduler);
    lower.assign(names.size(), std::numeric_limits<double>::infinity());
    upper.assign(names.size(), -std::numeric_limits<double>::infinity());
  }

  double elapsed() const {
    return elapsed_offset + std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  // Whether a record counts as an evaluation: everything but a rejection before evaluation (a
  // cheap constraint, or an excluded degenerate network).
  bool counts_as_evaluation(const EvaluationRecord& rec) const {
    if (rec.status != EvalStatus::Rejected) return true;
    return objectives->cheap_rejection({rec.raw, {}, rec.degenerate}).empty();
  }

  // Every logged record must be an architecture of this space, as this space writes and hashes it:
  // a record from another config's log (another space or options) is refused, naming its line.
  void check_log_belongs(const LogContents& log) const {
    for (std::size_t i = 0; i < log.records.size(); ++i) {
      const EvaluationRecord& r = log.records[i];
      const std::string where = store->log_path() + ":" + std::to_string(log.lines[i]);
      std::string why;
      try {
        const Architecture a = space->parse(r.arch);
        if (a.choices != r.decisions) why = "its decisions do not match its arch";
        else if (space->identity_hash(a) != r.hash)
          why = space->as_built() && space->canonical_hash(a) == r.hash
                    ? "its hash is the deployed network's, but this config costs an objective as built, which hashes "
                      "networks as built (a log written before hwnas told them apart; start a new run)"
                    : "its hash is not this space's hash of its arch";
      } catch (const UserError& e) {
        why = std::string("its arch is not of this space (") + e.what() + ")";
      }
      if (!why.empty())
        throw UserError(where + ": record id " + std::to_string(r.id) + " does not belong to this run: " + why +
                        "; refusing to resume");
    }
  }

  void open_store() {
    if (opts.resume) {
      LogContents log;
      store.emplace(RunStore::resume(opts.dir, cfg, &log, opts.lock_wait_s));
      for (const auto& w : log.warnings) warnings.push_back("warning: " + w);
      check_log_belongs(log);
      for (std::size_t i = 0; i < log.records.size(); ++i) {
        logged.emplace(LogKey{log.records[i].hash, log.records[i].fidelity}, i);
        next_id = std::max(next_id, log.records[i].id + 1);
        elapsed_offset = std::max(elapsed_offset, log.records[i].elapsed_s);
      }
      log_records = std::move(log.records);
      log_size = log_records.size();
    } else {
      store.emplace(RunStore::create(opts.dir, cfg, opts.replace, opts.lock_wait_s));
    }
  }

  void make_strategy_now() {
    StrategyContext ctx;
    ctx.space = space.get();
    ctx.num_objectives = static_cast<int>(names.size());
    ctx.is_cheap = objectives->cheap_mask();
    ctx.cheap = objectives->strategy_cheap(*space, &cheap_memo);
    ctx.seed = cfg.seed;
    strategy = opts.strategy_factory ? opts.strategy_factory(ctx) : make_strategy(cfg.strategy, cfg.strategy_options, ctx);
    HWNAS_CHECK(strategy != nullptr, "strategy factory returned null");
  }

  EvaluationRecord new_record(const Item& it, std::int64_t id, const ObjectiveSet::Result& r) const {
    EvaluationRecord rec;
    rec.id = id;
    rec.arch = space->to_string(it.arch);
    rec.decisions = it.arch.choices;
    rec.hash = it.hash;
    rec.raw = r.raw;
    rec.degenerate = r.degenerate;
    rec.fidelity = it.fidelity;
    rec.cost = r.cost;
    rec.eval_s = r.eval_s;
    if (std::string why = objectives->cheap_rejection(r); r.failure.empty() && !why.empty()) {
      rec.status = EvalStatus::Rejected;
      rec.message = why;
    } else if (!r.failure.empty()) {
      rec.status = EvalStatus::Failed;
      rec.message = r.failure;
    } else if (std::string why2 = objectives->expensive_violation(r.raw); !why2.empty()) {
      rec.status = EvalStatus::Rejected;  // evaluated (and counted), but infeasible
      rec.message = why2;
    }
    rec.elapsed_s = elapsed();
    return rec;
  }

  // The Trial of a pending item (what ask hands out and pending() lists).
  Trial trial_of(const Item& it, std::int64_t id, std::int64_t batch_no) const {
    Trial t;
    t.id = id;
    t.arch = it.arch;
    t.text = space->to_string(it.arch);
    t.hash = it.hash;
    t.cheap = it.cheap;
    t.batch = batch_no;
    t.fidelity = it.fidelity;
    t.from_fidelity = it.from;
    return t;
  }

  // What evaluating at `fidelity` from `from` is expected to spend. Steps: the difference with a
  // scheduler, else the fidelity source's full level (0 without one). Seconds: the time per step
  // so far times those steps, or without steps the time per evaluation so far (0 before any).
  Spend expected_cost(int fidelity, int from) const {
    Spend s;
    if (fidelity > 0) {
      s.steps = fidelity - from;
    } else if (const int i = objectives->fidelity_objective(); i >= 0) {
      s.steps = cfg.objectives[static_cast<std::size_t>(i)].full_fidelity;
    }
    if (s.steps > 0 && counts.steps > 0) s.seconds = counts.eval_s / counts.steps * s.steps;
    else if (counts.evaluations > 0) s.seconds = counts.eval_s / static_cast<double>(counts.evaluations);
    return s;
  }

  // The compute budgets left, counting pending trials' expected spend (infinity for one not set).
  Spend budget_left() const {
    constexpr double inf = std::numeric_limits<double>::infinity();
    return {cfg.budget.steps ? *cfg.budget.steps - counts.steps - open_spend.steps : inf,
            cfg.budget.gpu_seconds ? *cfg.budget.gpu_seconds - counts.eval_s - open_spend.seconds : inf};
  }

  // A tracked architecture finished a rung: the scheduler ranks it (minimized objectives). A told
  // result reaches it at once; a result replayed from a resumed run's log waits for the next ask,
  // as it reached the scheduler of the run that logged it (told after the ask that handed it out),
  // so a resumed run makes the same promotions.
  //
  // A journaled run (external objectives, asynchronous dispatch) records how many log lines there
  // were at each ask ("logged"), and on replay a logged result reaches the scheduler just before
  // the first ask that came after it: where the tell that wrote it did.
  void scheduler_finished(const Item& it, bool replayed = false, std::size_t log_line = 0) {
    if (!scheduler || it.entry == kNoEntry) return;
    const bool ok = it.rec.status == EvalStatus::Ok;
    entries[it.entry].fidelity = it.fidelity;
    Finished f{it.entry, it.rung, ok, ok ? objectives->transform(it.rec.raw) : std::vector<double>{}};
    if (replayed && replaying) journal_deferred.emplace(log_line, std::move(f));
    else if (replayed) deferred.push_back(std::move(f));
    else scheduler->finished(f.entry, f.rung, f.ok, std::move(f.objectives));
  }
  // Journal replay: the results logged before line `k` of the log reach the scheduler.
  void feed_logged_before(std::size_t k) {
    while (!journal_deferred.empty() && journal_deferred.begin()->first < k) {
      Finished& f = journal_deferred.begin()->second;
      scheduler->finished(f.entry, f.rung, f.ok, std::move(f.objectives));
      journal_deferred.erase(journal_deferred.begin());
    }
  }
  void flush_deferred() {
    for (auto& f : deferred) scheduler->finished(f.entry, f.rung, f.ok, std::move(f.objectives));
    deferred.clear();
  }

  // A new architecture the scheduler tracks, from a strategy proposal at `rung`.
  void track(Item& it, int rung) {
    it.entry = scheduler->start_entry(rung);
    entries.push_back({it.arch, it.hash, it.cheap, 0});
    HWNAS_CHECK(entries.size() == it.entry + 1, "scheduler entries out of step");
  }

  // One strategy ask. `journal` is the journal line being replayed (null when asking anew).
  Batch ask_batch(std::size_t n, const JournalEntry* journal, int rung = -1) {
    Batch out;
    const int fidelity = rung >= 0 ? scheduler->rungs()[static_cast<std::size_t>(rung)] : 0;
    if (cheap_memo.size() > (1u << 16)) cheap_memo.clear();  // bounds its memory
    const std::vector<Architecture> proposed = strategy->ask(n);
    const std::int64_t batch_no = next_batch++;
    if (proposed.empty()) {
      out.exhausted = true;
      if (journaling && !journal) {
        nlohmann::json line = {{"ask", n},
                               {"batch", batch_no},
                               {"ids", nlohmann::json::array()},
                               {"hashes", nlohmann::json::array()},
                               {"trials", nlohmann::json::array()}};
        if (scheduler) line["rung"] = rung, line["logged"] = log_size;
        store->append_journal(line);
      }
      return out;
    }
    enum class Kind { Duplicate, Replay, Fresh };
    std::vector<Kind> kind(proposed.size(), Kind::Fresh);
    std::vector<Item> items(proposed.size());
    std::vector<std::size_t> log_index(proposed.size(), 0);
    std::unordered_set<std::uint64_t> in_round;
    std::vector<std::size_t> need_cheap;
    for (std::size_t i = 0; i < proposed.size(); ++i) {
      items[i].arch = proposed[i];
      items[i].hash = space->identity_hash(proposed[i]);
      items[i].fidelity = fidelity;
      items[i].rung = rung;
      if (seen.count(items[i].hash) || !in_round.insert(items[i].hash).second) {
        kind[i] = Kind::Duplicate;
      } else if (auto l = logged.find(LogKey{items[i].hash, fidelity}); l != logged.end()) {
        kind[i] = Kind::Replay;
        log_index[i] = l->second;
      } else {
        need_cheap.push_back(i);
      }
    }
    parallel_indices(arena, cfg.parallelism, need_cheap.size(), [&](std::size_t k) {
      Item& it = items[need_cheap[k]];
      // The strategy looked most proposals up already (StrategyContext::cheap): not computed twice.
      if (auto m = cheap_memo.find(ObjectiveSet::memo_key(it.arch)); m != cheap_memo.end()) it.cheap = m->second;
      else it.cheap = objectives->evaluate_cheap(Candidate(*space, it.arch));
      // A trial: no cheap failure and not rejected (those finish here).
      it.trial = it.cheap.failure.empty() && objectives->cheap_rejection(it.cheap).empty();
    });
    for (std::size_t i : need_cheap) cheap_memo.erase(ObjectiveSet::memo_key(items[i].arch));  // never needed again

    // Keep the prefix of the batch that fits the evaluation budget, budget.steps and
    // budget.gpu_seconds (a trial is handed out while some is left: the last may overshoot).
    long long left = std::numeric_limits<long long>::max();
    if (auto r = remaining()) left = *r;
    Spend spend_left = budget_left();
    long long counted = 0;
    std::size_t keep = 0;
    for (; keep < items.size(); ++keep) {
      bool c = false;
      if (kind[keep] == Kind::Replay) c = counts_as_evaluation(log_records[log_index[keep]]);
      else if (kind[keep] == Kind::Fresh) c = items[keep].trial || !items[keep].cheap.failure.empty();
      if (c && (counted == left || !spend_left.some_left())) break;
      if (c) {
        ++counted;
        spend_left -= kind[keep] == Kind::Replay ? spent(log_records[log_index[keep]])
                      : items[keep].trial        ? expected_cost(fidelity, 0)
                                                 : Spend{};
      }
    }

    // Ids: from the journal when replaying it, else new ones (a logged record keeps its own).
    std::vector<std::int64_t> journal_ids;
    std::vector<std::string> journal_hashes;
    std::unordered_set<std::int64_t> journal_trials;
    if (journal) {
      try {
        journal_ids = journal->value.at("ids").get<std::vector<std::int64_t>>();
        journal_hashes = journal->value.at("hashes").get<std::vector<std::string>>();
        for (const auto& x : journal->value.at("trials").get<std::vector<std::int64_t>>()) journal_trials.insert(x);
      } catch (const std::exception&) {
        throw UserError(journal->where + ": expected \"ids\", \"hashes\" and \"trials\" lists (the run's journal is damaged)");
      }
      if (journal_hashes.size() != journal_ids.size())
        throw UserError(journal->where + ": \"ids\" and \"hashes\" differ in length (the run's journal is damaged)");
    }
    OpenBatch batch;
    std::vector<std::int64_t> ids, trial_ids;
    std::vector<std::string> hashes;
    for (std::size_t i = 0; i < keep; ++i) {
      if (kind[i] == Kind::Duplicate) {
        ++counts.duplicates;
        continue;
      }
      Item it = std::move(items[i]);
      const std::size_t k = ids.size();
      std::int64_t id;
      if (journal) {
        if (k >= journal_ids.size() || journal_hashes[k] != hash_hex(it.hash))
          throw UserError(journal->where + ": on replay the strategy proposed " + space->to_string(it.arch) +
                          " where the journal has " + (k < journal_hashes.size() ? "hash " + journal_hashes[k] : "nothing") +
                          "; this run cannot be continued (was hwnas, the strategy or the config changed?)");
        id = journal_ids[k];
      } else {
        id = kind[i] == Kind::Replay ? log_records[log_index[i]].id : next_id++;
      }
      next_id = std::max(next_id, id + 1);
      if (kind[i] == Kind::Replay) {
        it.rec = log_records[log_index[i]];
        if (journal && it.rec.id != id)
          throw UserError(journal->where + ": the journal gives id " + std::to_string(id) + " to " + it.rec.arch +
                          ", logged with id " + std::to_string(it.rec.id) + " (the run's files do not belong together)");
        it.finished = true;
        it.logged = true;
        replayed_keys.insert(LogKey{it.hash, it.fidelity});
        ++counts.replayed;
        if (counts_as_evaluation(it.rec)) {
          ++open_counted;
          open_spend += spent(it.rec);
          // The scheduler tracks what was a trial: not a candidate whose cheap objectives failed
          // (it counts, but never ran at a fidelity). Their exact values say which it was.
          if (scheduler) {
            it.cheap = objectives->evaluate_cheap(Candidate(*space, it.arch));
            if (it.cheap.failure.empty() && objectives->cheap_rejection(it.cheap).empty()) {
              track(it, rung);
              scheduler_finished(it, true, log_index[i]);
            }
          }
        }
      } else if (!it.trial) {
        it.rec = new_record(it, id, it.cheap);  // logged in proposal order (log_in_order)
        it.finished = true;
        if (counts_as_evaluation(it.rec)) ++open_counted;
      } else {
        ++open_counted;
        it.expected = expected_cost(fidelity, 0);
        open_spend += it.expected;
        if (scheduler) track(it, rung);
      }
      // A journaled trial that is logged now was told after this ask: it still belongs to the
      // batch's trials, so the batch commits when the journal says, not here.
      const bool was_trial = journal ? journal_trials.count(id) > 0 : it.trial;
      if (was_trial) trial_ids.push_back(id);
      it.trial = was_trial;
      batch.has_trials = batch.has_trials || was_trial;
      if (!it.finished) {
        ++batch.unfinished;
        pending[id] = {batch_no, batch.items.size()};
        ++counts.pending;
        out.trials.push_back(trial_of(it, id, batch_no));
      }
      seen.insert(it.hash);
      ids.push_back(id);
      hashes.push_back(hash_hex(it.hash));
      batch.items.push_back(std::move(it));
    }
    out.new_items = static_cast<long long>(batch.items.size());
    for (const Item& it : batch.items)
      if (!it.finished || counts_as_evaluation(it.rec)) ++out.counted;
    if (journal && ids.size() != journal_ids.size())
      throw UserError(journal->where + ": on replay the ask gave " + std::to_string(ids.size()) + " architectures where the journal has " +
                      std::to_string(journal_ids.size()) + "; this run cannot be continued (was hwnas, the strategy or the config changed?)");
    if (journaling && !journal) {
      nlohmann::json line = {{"ask", n}, {"batch", batch_no}, {"ids", ids}, {"hashes", hashes}, {"trials", trial_ids}};
      if (scheduler) line["rung"] = rung, line["logged"] = log_size;
      store->append_journal(line);
    }
    log_in_order(open.emplace(batch_no, std::move(batch)).first->second);
    // A batch without trials is complete now; one with trials commits when its last is told (or,
    // on replay, where the journal says).
    if (!open.at(batch_no).has_trials) commit(batch_no);
    return out;
  }

  // One promotion of the scheduler as its own batch (not a strategy ask): a trial at the next rung,
  // or its logged result when a resumed run has it. `journal`: the "promote" line being replayed,
  // whose id and architecture the promotion must have. Returns the trial handed out, if any.
  std::optional<Trial> promote(const Scheduler::Job& job, const JournalEntry* journal) {
    const Entry& e = entries[job.entry];
    Item it;
    it.arch = e.arch;
    it.hash = e.hash;
    it.cheap = e.cheap;
    it.rung = job.rung;
    it.fidelity = scheduler->rungs()[static_cast<std::size_t>(it.rung)];
    it.from = e.fidelity;
    it.entry = job.entry;
    it.trial = true;
    std::int64_t id = -1;
    if (journal) {
      try {
        id = journal->value.at("id").get<std::int64_t>();
        if (journal->value.at("hash").get<std::string>() != hash_hex(it.hash) || journal->value.at("fidelity").get<int>() != it.fidelity)
          throw UserError(journal->where + ": on replay the scheduler promoted " + space->to_string(it.arch) + " to fidelity " +
                          std::to_string(it.fidelity) + " where the journal has another promotion; this run cannot be continued "
                          "(was hwnas, the strategy or the config changed?)");
      } catch (const nlohmann::json::exception&) {
        throw UserError(journal->where + ": expected \"id\", \"hash\" and \"fidelity\" (the run's journal is damaged)");
      }
    }
    const std::int64_t batch_no = next_batch++;
    OpenBatch batch;
    batch.promotion = true;
    std::optional<Trial> out;
    ++open_counted;
    if (auto l = logged.find(LogKey{it.hash, it.fidelity}); l != logged.end()) {
      it.rec = log_records[l->second];
      if (journal && it.rec.id != id)
        throw UserError(journal->where + ": the journal gives id " + std::to_string(id) + " to " + it.rec.arch +
                        ", logged with id " + std::to_string(it.rec.id) + " (the run's files do not belong together)");
      next_id = std::max(next_id, it.rec.id + 1);
      it.finished = it.logged = true;
      replayed_keys.insert(l->first);
      ++counts.replayed;
      open_spend += spent(it.rec);
      batch.has_trials = journal != nullptr;  // a journaled trial commits where the journal says
      scheduler_finished(it, true, l->second);
    } else {
      if (!journal) id = next_id++;
      next_id = std::max(next_id, id + 1);
      it.expected = expected_cost(it.fidelity, it.from);
      open_spend += it.expected;
      batch.has_trials = true;
      batch.unfinished = 1;
      pending[id] = {batch_no, 0};
      ++counts.pending;
      out = trial_of(it, id, batch_no);
    }
    if (journaling && !journal)
      store->append_journal({{"promote", batch_no},
                             {"id", id},
                             {"hash", hash_hex(it.hash)},
                             {"fidelity", it.fidelity},
                             {"from", it.from},
                             {"logged", log_size}});
    batch.items.push_back(std::move(it));
    open.emplace(batch_no, std::move(batch));
    if (!open.at(batch_no).has_trials) commit(batch_no);
    return out;
  }

  // Up to n of the scheduler's promotions, within the budgets.
  Batch ask_promotions(std::size_t n) {
    Batch out;
    if (auto r = remaining()) n = std::min<std::size_t>(n, static_cast<std::size_t>(*r));
    while (out.counted < static_cast<long long>(n) && budget_left().some_left()) {
      const std::vector<Scheduler::Job> jobs = scheduler->next_promotions(1);
      if (jobs.empty()) break;
      if (auto t = promote(jobs[0], nullptr)) out.trials.push_back(std::move(*t));
      ++out.counted;
      ++out.new_items;
    }
    return out;
  }

  // ask(n) with a scheduler: its promotions first, then strategy proposals at the rung it admits.
  Asked ask_scheduled(std::size_t n) {
    Asked out;
    int stalls = 0;
    std::size_t asked = 0;
    flush_deferred();
    while (asked < n) {
      if (auto r = remaining(); r && *r == 0) break;
      if (!budget_left().some_left()) break;
      Batch p = ask_promotions(n - asked);
      asked += static_cast<std::size_t>(p.counted);
      for (auto& t : p.trials) out.trials.push_back(std::move(t));
      if (asked >= n) break;
      int rung = 0;
      const std::size_t admit = scheduler->admit(n - asked, &rung);
      if (admit == 0) {
        if (p.counted > 0) continue;  // replayed promotions may have opened more
        break;                        // wait for pending trials (a synchronous rung)
      }
      Batch b = ask_batch(admit, nullptr, rung);
      asked += static_cast<std::size_t>(b.counted);
      for (auto& t : b.trials) out.trials.push_back(std::move(t));
      if (b.exhausted) {
        strategy_exhausted = true;
        scheduler->proposals_exhausted();  // a bracket stops waiting to fill its base rung
        continue;
      }
      if (b.new_items > 0) {
        stalls = 0;
      } else if (++stalls >= 100) {
        out.stalled = true;
        break;
      }
    }
    out.exhausted = strategy_exhausted && out.trials.empty() && pending.empty();
    out.waiting = out.trials.empty() && !pending.empty() && !out.exhausted && !out.stalled &&
                  !(remaining() && *remaining() == 0) && budget_left().some_left();
    return out;
  }

  // Tells the strategy a complete batch in proposal order and adds it to the front.
  void commit(std::int64_t batch_no) {
    auto b = open.find(batch_no);
    HWNAS_CHECK(b != open.end() && b->second.unfinished == 0, "commit of a batch that is not complete");
    std::vector<Observation> told;
    const bool promotion = b->second.promotion;
    for (Item& it : b->second.items) {
      Observation obs;
      obs.arch = it.arch;
      obs.ok = it.rec.status == EvalStatus::Ok;
      obs.objectives = obs.ok ? objectives->transform(it.rec.raw) : std::vector<double>(names.size(), NAN);
      obs.fidelity = it.rec.fidelity;
      count(it.rec, obs);
      records.push_back(std::move(it.rec));
      told.push_back(std::move(obs));
    }
    if (!told.empty() && (!promotion || strategy->models_fidelity())) strategy->tell(told);
    if (journaling && !replaying && b->second.has_trials) store->append_journal({{"commit", batch_no}});
    open.erase(b);
  }

  void count(const EvaluationRecord& rec, const Observation& obs) {
    if (counts_as_evaluation(rec)) {
      --open_counted;
      ++counts.evaluations;
      counts.steps += rec.cost;
      counts.eval_s += rec.eval_s;
      open_spend -= spent(rec);
      if (rec.status == EvalStatus::Failed) ++counts.failed;
      if (rec.status == EvalStatus::Rejected) ++counts.infeasible;
    } else {
      ++counts.rejected;
    }
    if (!obs.ok) return;
    // With a scheduler, only evaluations at the highest fidelity make the front (and its bounds).
    if (scheduler && rec.fidelity != scheduler->rungs().back()) return;
    for (std::size_t i = 0; i < names.size(); ++i) {
      lower[i] = std::min(lower[i], obs.objectives[i]);
      upper[i] = std::max(upper[i], obs.objectives[i]);
    }
    if (archive.add(static_cast<std::int64_t>(records.size()), obs.objectives)) front_changed = true;
    bounds_changed = true;
    hypervolume.reset();
  }

  std::optional<long long> remaining() const {
    if (!cfg.budget.evaluations) return std::nullopt;
    return std::max<long long>(0, *cfg.budget.evaluations - counts.evaluations - open_counted);
  }

  std::pair<std::int64_t, std::size_t> find_pending(std::int64_t id) const {
    auto p = pending.find(id);
    if (p != pending.end()) return p->second;
    for (const auto& r : records)
      if (r.id == id) throw UserError("trial " + std::to_string(id) + " was told already (status " + to_string(r.status) + ")");
    for (const auto& [no, b] : open)
      for (const auto& it : b.items)
        if (it.finished && it.rec.id == id) throw UserError("trial " + std::to_string(id) + " was told already");
    std::string list;
    for (const auto& [pid, where] : pending) list += (list.empty() ? "" : ", ") + std::to_string(pid);
    throw UserError("no pending trial " + std::to_string(id) + " in " + opts.dir + " (pending: " + (list.empty() ? "none" : list) + ")");
  }

  EvaluationRecord tell(std::int64_t id, const ObjectiveSet::Result& r) {
    const auto [batch_no, idx] = find_pending(id);
    OpenBatch& b = open.at(batch_no);
    Item& it = b.items[idx];
    it.rec = new_record(it, id, r);
    store->append(it.rec);  // durable before it counts
    ++log_size;
    it.finished = true;
    it.logged = true;
    pending.erase(id);
    --counts.pending;
    // The expected spend leaves the pending sum; the real one joins the counts at commit.
    open_spend += spent(it.rec);
    open_spend -= it.expected;
    scheduler_finished(it);
    log_in_order(b);
    EvaluationRecord rec = it.rec;  // commit moves it
    if (--b.unfinished == 0 && !replaying) commit(batch_no);
    return rec;
  }

  // A non-negative integer field of a journal line.
  static std::size_t journal_count(const JournalEntry& e, const char* key) {
    try {
      const long long v = e.value.at(key).get<long long>();
      if (v >= 0) return static_cast<std::size_t>(v);
    } catch (const nlohmann::json::exception&) {
    }
    throw UserError(e.where + ": expected a non-negative integer \"" + key + "\" (the run's journal is damaged)");
  }

  // Re-runs the journal of a run with external objectives: its asks against the re-created
  // strategy, its commits in order; trials logged since stay pending until their commit line.
  void replay_journal() {
    const std::vector<JournalEntry> journal = store->read_journal();
    replaying = true;
    for (const JournalEntry& e : journal) {
      if (e.value.contains("ask")) {
        std::size_t n = 0;
        std::int64_t batch_no = -1;
        try {
          n = e.value.at("ask").get<std::size_t>();
          batch_no = e.value.at("batch").get<std::int64_t>();
        } catch (const std::exception&) {
          throw UserError(e.where + ": expected {\"ask\": N, \"batch\": B, ...} (the run's journal is damaged)");
        }
        if (n < 1 || n > kMaxAsk)
          throw UserError(e.where + ": asks for " + std::to_string(n) + " architectures (the run's journal is damaged)");
        if (batch_no != next_batch)
          throw UserError(e.where + ": batch " + std::to_string(batch_no) + " where " + std::to_string(next_batch) +
                          " comes next (the run's journal is damaged)");
        int rung = -1;
        if (scheduler) {
          const std::size_t logged_then = journal_count(e, "logged");
          rung = static_cast<int>(journal_count(e, "rung"));
          feed_logged_before(logged_then);
          int admitted = -1;
          scheduler->admit(n, &admitted);  // opens a synchronous bracket as the ask did
          if (admitted != rung)
            throw UserError(e.where + ": on replay the scheduler admits new architectures at rung " + std::to_string(admitted) +
                            " where the journal has " + std::to_string(rung) + "; this run cannot be continued");
        }
        ask_batch(n, &e, rung);  // trials logged since this ask are taken from the log
      } else if (e.value.contains("promote")) {
        if (!scheduler) throw UserError(e.where + ": a promotion in a run without a scheduler (the run's journal is damaged)");
        if (journal_count(e, "promote") != static_cast<std::size_t>(next_batch))
          throw UserError(e.where + ": batch " + e.value["promote"].dump() + " where " + std::to_string(next_batch) +
                          " comes next (the run's journal is damaged)");
        feed_logged_before(journal_count(e, "logged"));
        const std::vector<Scheduler::Job> jobs = scheduler->next_promotions(1);
        if (jobs.empty())
          throw UserError(e.where + ": on replay the scheduler has nothing to promote where the journal has a promotion; "
                          "this run cannot be continued (was hwnas or the config changed?)");
        promote(jobs[0], &e);
      } else if (e.value.contains("commit")) {
        std::int64_t batch_no = -1;
        try {
          batch_no = e.value.at("commit").get<std::int64_t>();
        } catch (const std::exception&) {
          throw UserError(e.where + ": expected {\"commit\": B} (the run's journal is damaged)");
        }
        auto b = open.find(batch_no);
        if (b == open.end() || b->second.unfinished != 0)
          throw UserError(e.where + ": commits batch " + std::to_string(batch_no) +
                          (b == open.end() ? ", which is not open" : ", which has trials without a record in evaluations.jsonl") +
                          " (the run's journal does not match its log)");
        commit(batch_no);
      } else {
        throw UserError(e.where + ": expected an \"ask\" or a \"commit\" line (the run's journal is damaged)");
      }
    }
    if (scheduler) feed_logged_before(std::numeric_limits<std::size_t>::max());  // told after the last ask
    replaying = false;
    // A kill between the last trial's log line and its commit line: commit now.
    std::vector<std::int64_t> complete;
    for (const auto& [no, b] : open)
      if (b.unfinished == 0) complete.push_back(no);
    for (std::int64_t no : complete) commit(no);
  }

  std::vector<std::pair<Point, std::int64_t>> sorted_front() const {
    std::vector<std::pair<Point, std::int64_t>> members;
    for (const auto& m : archive.members()) members.push_back({m.objectives, m.id});
    std::sort(members.begin(), members.end());
    return members;
  }
};

Study::Study(SearchConfig cfg, const StudyOptions& opts) : impl_(std::make_unique<Impl>(std::move(cfg), opts)) {
  Impl& m = *impl_;
  m.open_store();
  m.make_strategy_now();
  if (m.journaling && opts.resume) m.replay_journal();
}

Study::~Study() {
  // A front left unwritten by write_front's once-a-second rule is written when the study closes.
  if (impl_ && impl_->store && (impl_->front_changed || impl_->bounds_changed)) {
    try {
      write_front(true);
    } catch (const std::exception&) {  // the log holds every result; the front is a view of it
    }
  }
}

const SearchConfig& Study::config() const { return impl_->cfg; }
const SearchSpace& Study::space() const { return *impl_->space; }
const ObjectiveSet& Study::objectives() const { return *impl_->objectives; }
const std::string& Study::dir() const { return impl_->opts.dir; }
const std::vector<std::string>& Study::warnings() const { return impl_->warnings; }
const StudyCounts& Study::counts() const { return impl_->counts; }
const std::vector<EvaluationRecord>& Study::records() const { return impl_->records; }
std::optional<long long> Study::remaining() const { return impl_->remaining(); }
bool Study::steps_spent() const { return impl_->budget_left().steps <= 0; }
bool Study::gpu_seconds_spent() const { return impl_->budget_left().seconds <= 0; }

std::vector<std::pair<int, long long>> Study::rungs() const {
  std::vector<std::pair<int, long long>> out;
  if (!impl_->scheduler) return out;
  for (int f : impl_->scheduler->rungs()) {
    long long n = 0;
    for (const auto& r : impl_->records) n += r.fidelity == f && impl_->counts_as_evaluation(r);
    out.emplace_back(f, n);
  }
  return out;
}
double Study::elapsed_seconds() const { return impl_->elapsed(); }

Study::Batch Study::ask_batch(std::size_t n) { return impl_->ask_batch(n, nullptr); }

Study::Asked Study::ask(std::size_t n) {
  if (impl_->scheduler) return impl_->ask_scheduled(n);
  Asked out;
  int stalls = 0;
  std::size_t asked = 0;  // evaluations asked for so far
  while (asked < n) {
    if (auto r = remaining(); r && *r == 0) break;
    if (!impl_->budget_left().some_left()) break;
    Batch b = ask_batch(n - asked);
    asked += static_cast<std::size_t>(b.counted);
    if (b.exhausted) {
      out.exhausted = true;
      break;
    }
    if (b.new_items > 0) {
      stalls = 0;
    } else if (++stalls >= 100) {
      out.stalled = true;
      break;
    }
    for (auto& t : b.trials) out.trials.push_back(std::move(t));
  }
  return out;
}

ObjectiveSet::Result evaluate_trial(const ObjectiveSet& objectives, const SearchSpace& space, const Trial& t) {
  if (!t.cheap.failure.empty()) return t.cheap;
  return objectives.evaluate_expensive(Candidate(space, t.arch), t.cheap, t.fidelity, t.from_fidelity);
}

ObjectiveSet::Result Study::evaluate(const Trial& t) const { return evaluate_trial(*impl_->objectives, *impl_->space, t); }

std::vector<std::optional<ObjectiveSet::Result>> Study::evaluate_all(const std::vector<Trial>& trials,
                                                                     std::exception_ptr& error) const {
  std::vector<std::optional<ObjectiveSet::Result>> out(trials.size());
  std::vector<std::exception_ptr> errors(trials.size());
  parallel_indices(impl_->arena, impl_->cfg.parallelism, trials.size(), [&](std::size_t i) {
    try {
      out[i] = evaluate(trials[i]);
    } catch (const UserError&) {
      errors[i] = std::current_exception();
    }
  });
  error = nullptr;
  for (auto& e : errors)
    if (e) {
      error = e;
      break;
    }
  return out;
}

EvaluationRecord Study::tell(std::int64_t id, const ObjectiveSet::Result& r) { return impl_->tell(id, r); }

EvaluationRecord Study::tell_values(std::int64_t id, const std::map<std::string, double>& values) {
  Impl& m = *impl_;
  const auto [batch_no, idx] = m.find_pending(id);
  std::vector<std::string> external;
  for (std::size_t i = 0; i < m.names.size(); ++i)
    if (m.objectives->is_external(i)) external.push_back(m.names[i]);
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s.empty() ? std::string("none") : s;
  };
  for (const auto& [name, v] : values)
    if (std::find(external.begin(), external.end(), name) == external.end())
      throw UserError("'" + name + "' is not an external objective of this study" + did_you_mean(name, external) +
                      " (external objectives: " + list(external) + ")");
  for (const auto& name : external)
    if (!values.count(name)) throw UserError("trial " + std::to_string(id) + ": no value for external objective '" + name + "'");
  ObjectiveSet::Result r = evaluate(m.trial_of(m.open.at(batch_no).items[idx], id, batch_no));
  for (std::size_t i = 0; i < m.names.size(); ++i)
    if (m.objectives->is_external(i)) m.objectives->accept_told(i, values.at(m.names[i]), r);
  // An external objective with fidelity levels: the user trained fidelity - from_fidelity steps.
  if (const int f = m.objectives->fidelity_objective(); f >= 0 && m.objectives->is_external(static_cast<std::size_t>(f)))
    r.cost += m.open.at(batch_no).items[idx].expected.steps;
  return m.tell(id, r);
}

EvaluationRecord Study::tell_failed(std::int64_t id, const std::string& why) {
  Impl& m = *impl_;
  const auto [batch_no, idx] = m.find_pending(id);
  ObjectiveSet::Result r = m.open.at(batch_no).items[idx].cheap;
  r.failure = why.empty() ? std::string("failed (no reason given)") : why;
  return m.tell(id, r);
}

std::vector<Trial> Study::pending() const {
  std::vector<Trial> out;
  for (const auto& [id, where] : impl_->pending)
    out.push_back(impl_->trial_of(impl_->open.at(where.first).items[where.second], id, where.first));
  return out;
}

std::vector<EvaluationRecord> Study::front() const {
  std::vector<EvaluationRecord> out;
  for (const auto& [p, idx] : impl_->sorted_front()) out.push_back(impl_->records[static_cast<std::size_t>(idx)]);
  return out;
}

double Study::hypervolume() const {
  if (!impl_->hypervolume) {
    std::vector<Point> pts;
    for (const auto& [p, idx] : impl_->sorted_front()) pts.push_back(p);
    impl_->hypervolume = pts.empty() ? 0.0 : normalized_hypervolume(pts, impl_->lower, impl_->upper);
  }
  return *impl_->hypervolume;
}

std::size_t Study::front_size() const { return impl_->archive.size(); }

std::string Study::best_values() const {
  const Impl& m = *impl_;
  std::string s;
  for (std::size_t i = 0; i < m.names.size() && m.lower[i] <= m.upper[i]; ++i) {
    double best = m.lower[i];  // minimized, transformed: undo for display
    if (m.cfg.objectives[i].maximize()) best = -best;
    if (m.cfg.objectives[i].log) best = std::pow(10.0, best);
    s += (s.empty() ? "" : ", ") + m.names[i] + " " + num(best, 4);
  }
  return s;
}

std::size_t Study::unused_log_records() const { return impl_->log_records.size() - impl_->replayed_keys.size(); }

void Study::defer_sync(bool on) { impl_->store->defer_sync(on); }
void Study::sync() { impl_->store->sync(); }

void Study::write_front(bool force) {
  Impl& m = *impl_;
  if (!force && !m.front_changed && !m.bounds_changed) return;
  // At most once a second unless forced: with thousands of evaluations in flight (asynchronous
  // dispatch) rewriting the front and its hypervolume at every tell would cost more than the tell.
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - m.last_front_write < std::chrono::seconds(1)) return;
  m.last_front_write = now;
  m.front_changed = m.bounds_changed = false;
  const std::vector<EvaluationRecord> members = front();
  nlohmann::json objs = nlohmann::json::array(), fr = nlohmann::json::array();
  for (const auto& o : m.cfg.objectives)
    objs.push_back(write_options(o));
  std::string csv = "id,arch";
  for (const auto& n : m.names) csv += "," + csv_escape(n);
  csv += ",hash\n";
  for (const auto& r : members) {
    nlohmann::json j = r.to_json(m.names);
    j.erase("elapsed_s");  // the front of a run must not depend on timing
    j.erase("eval_s");
    j.erase("status");
    j.erase("message");
    fr.push_back(j);
    csv += std::to_string(r.id) + "," + csv_escape(r.arch);
    for (double v : r.raw) csv += "," + nlohmann::json(v).dump();
    csv += "," + hash_hex(r.hash) + "\n";
  }
  nlohmann::json norm = nullptr;
  if (!members.empty()) norm = {{"lower", m.lower}, {"upper", m.upper}, {"reference", kHypervolumeReference}};
  const nlohmann::json doc = {{"space", m.cfg.space},
                              {"objectives", objs},
                              {"hypervolume", hypervolume()},
                              {"normalization", norm},
                              {"front", fr}};
  std::string text = doc.dump(2) + "\n";
  if (text == m.last_front_text && !force) return;
  m.store->write_front(text, csv);
  m.last_front_text = std::move(text);
}

}  // namespace hwnas
