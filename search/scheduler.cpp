#include "hwnas/search/scheduler.h"

#include <algorithm>
#include <cmath>

#include "hwnas/core/error.h"
#include "hwnas/core/named_table.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/core/suggest.h"
#include "hwnas/search/pareto.h"

namespace hwnas {

namespace {

NamedTable<SchedulerEntry>& registry() {
  // The built-in table (static registrars would be dropped by the linker from the static library).
  static NamedTable<SchedulerEntry> r(
      {{"sh", "synchronous successive halving: brackets of eta^(R-1) architectures at the lowest rung", false,
        [](int s_max, int eta, long long) { return BracketPlan{s_max, std::pow(static_cast<double>(eta), s_max)}; }},
       {"hyperband", "brackets of successive halving starting at every rung in turn (Li et al. 2018)", false,
        [](int s_max, int eta, long long index) {
          // Bracket s: ceil((s_max + 1) / (s + 1) * eta^s) architectures at its base rung.
          const int s = s_max - static_cast<int>(index % (s_max + 1));
          return BracketPlan{s, std::ceil(static_cast<double>(s_max + 1) / (s + 1) * std::pow(static_cast<double>(eta), s))};
        }},
       {"asha", "asynchronous successive halving: promote without waiting for a rung (Li et al. 2020)", true, nullptr}});
  return r;
}

}  // namespace

std::vector<std::string> scheduler_names() { return registry().names(); }

SchedulerEntry find_scheduler(const std::string& name, const std::string& path) {
  if (auto e = registry().find(name)) return *e;
  const std::vector<std::string> names = scheduler_names();
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  throw UserError(path + ".name: unknown scheduler '" + name + "'" + did_you_mean(name, names) + " (known: " + known + ")");
}

void register_scheduler(SchedulerEntry entry) {
  HWNAS_CHECK(entry.asynchronous || entry.bracket, "register_scheduler: a synchronous scheduler needs a bracket rule");
  registry().add(std::move(entry));
}

void unregister_scheduler(const std::string& name) { registry().remove(name); }

std::vector<int> SchedulerConfig::rungs() const {
  std::vector<int> r;
  if (!enabled() || min_fidelity < 1 || max_fidelity < min_fidelity || eta < 2) return r;
  for (long long f = min_fidelity; f < max_fidelity; f *= eta) r.push_back(static_cast<int>(f));
  r.push_back(max_fidelity);
  return r;
}

void SchedulerConfig::validate(const std::string& path) const {
  if (!enabled()) return;
  find_scheduler(name, path);
  if (min_fidelity < 1) throw UserError(path + ".min_fidelity: expected a positive integer, got " + std::to_string(min_fidelity));
  if (max_fidelity <= min_fidelity)
    throw UserError(path + ".max_fidelity: expected more than min_fidelity " + std::to_string(min_fidelity) + ", got " +
                    std::to_string(max_fidelity));
  if (eta < 2 || eta > 100) throw UserError(path + ".eta: expected an integer in 2..100, got " + std::to_string(eta));
}

SchedulerConfig SchedulerConfig::from_json(const nlohmann::json& j, const std::string& path) {
  SchedulerConfig c;
  if (j.is_string()) {
    c.name = j.get<std::string>();
    throw UserError(path + ": expected an object such as {\"name\": \"" + c.name + "\", \"min_fidelity\": 9}");
  }
  read_fields(c, j, path);
  if (c.name.empty()) find_scheduler(c.name, path);
  SchedulerConfig check = c;
  if (check.max_fidelity == 0) check.max_fidelity = std::max(2, c.min_fidelity + 1);  // checked against the source later
  check.validate(path);
  return c;
}

nlohmann::json SchedulerConfig::to_json() const { return write_options(*this); }

Scheduler::Scheduler(SchedulerConfig cfg) : cfg_(std::move(cfg)), kind_(find_scheduler(cfg_.name)), rungs_(cfg_.rungs()) {
  cfg_.validate("scheduler");
  HWNAS_CHECK(!rungs_.empty(), "scheduler without rungs");
  rung_members_.resize(rungs_.size());
  finished_count_.assign(rungs_.size(), 0);
}

std::vector<std::size_t> Scheduler::ranked(const std::vector<std::size_t>& candidates, int rung) const {
  std::vector<std::size_t> ok;
  std::vector<Point> pts;
  for (std::size_t e : candidates) {
    const auto& obj = entries_[e].objectives[static_cast<std::size_t>(rung)];
    if (obj.empty()) continue;
    ok.push_back(e);
    pts.push_back(obj);
  }
  if (ok.empty()) return ok;
  const std::vector<int> rank = non_dominated_sort(pts);
  std::vector<double> crowd(ok.size(), 0.0);
  const int max_rank = *std::max_element(rank.begin(), rank.end());
  for (int k = 0; k <= max_rank; ++k) {
    std::vector<int> idx;
    for (std::size_t i = 0; i < ok.size(); ++i)
      if (rank[i] == k) idx.push_back(static_cast<int>(i));
    if (idx.empty()) continue;
    const std::vector<double> d = crowding_distance(pts, idx);
    for (std::size_t i = 0; i < idx.size(); ++i) crowd[static_cast<std::size_t>(idx[i])] = d[i];
  }
  std::vector<std::size_t> order(ok.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (rank[a] != rank[b]) return rank[a] < rank[b];
    if (crowd[a] != crowd[b]) return crowd[a] > crowd[b];
    return ok[a] < ok[b];
  });
  std::vector<std::size_t> out;
  for (std::size_t i : order) out.push_back(ok[i]);
  return out;
}

void Scheduler::open_bracket() {
  const int s_max = top_rung();
  const BracketPlan plan = kind_.bracket(s_max, cfg_.eta, brackets_opened_);
  const int s = std::clamp(plan.s, 0, s_max);
  ++brackets_opened_;
  Bracket b;
  b.base = s_max - s;
  const std::size_t n = rungs_.size();
  b.target.assign(n, 0);
  b.members.resize(n);
  b.done.assign(n, 0);
  b.promoted.assign(n, false);
  double size = plan.n0;
  for (int k = b.base; k < static_cast<int>(n); ++k) {
    b.target[static_cast<std::size_t>(k)] = std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(size + 1e-9)));
    size /= cfg_.eta;
  }
  bracket_ = std::move(b);
}

bool Scheduler::rung_complete(const Bracket& b, int rung) const {
  const auto k = static_cast<std::size_t>(rung);
  if (b.done[k] != b.members[k].size()) return false;
  if (rung == b.base) return b.members[k].size() >= b.target[k] || exhausted_;
  return b.promoted[k - 1];  // everything promoted into it has finished
}

// sh / hyperband: a complete rung sends its best target[k+1] up, all at once.
void Scheduler::promote_complete_rungs() {
  if (!bracket_) return;
  Bracket& b = *bracket_;
  for (int k = b.base; k < top_rung(); ++k) {
    const auto uk = static_cast<std::size_t>(k);
    if (b.promoted[uk] || !rung_complete(b, k)) continue;
    b.promoted[uk] = true;
    const std::vector<std::size_t> best = ranked(b.members[uk], k);
    const std::size_t take = std::min(best.size(), b.target[uk + 1]);
    for (std::size_t i = 0; i < take; ++i) {
      Entry& e = entries_[best[i]];
      e.promoted_from[uk] = true;
      e.running = k + 1;
      b.members[uk + 1].push_back(best[i]);
      queue_.push_back({best[i], k + 1});
    }
  }
  // The bracket is over when its top rung is complete, or a complete rung had nothing to promote.
  bool over = rung_complete(b, top_rung());
  for (int k = b.base; k < top_rung() && !over; ++k) {
    const auto uk = static_cast<std::size_t>(k);
    if (b.promoted[uk] && b.members[uk + 1].empty()) over = true;
  }
  if (over) bracket_.reset();
}

std::vector<Scheduler::Job> Scheduler::next_promotions(std::size_t n) {
  std::vector<Job> out;
  if (!kind_.asynchronous) {
    promote_complete_rungs();
    const std::size_t take = std::min(n, queue_.size());
    out.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
    return out;
  }
  // ASHA: from the highest rung down, an architecture in the best 1/eta of the rung's finished
  // evaluations (failed ones count, as the worst) that has not gone up yet.
  while (out.size() < n) {
    bool found = false;
    for (int k = top_rung() - 1; k >= 0 && !found; --k) {
      const auto uk = static_cast<std::size_t>(k);
      const std::size_t quota = rung_members_[uk].size() / static_cast<std::size_t>(cfg_.eta);
      if (quota == 0) continue;
      const std::vector<std::size_t> best = ranked(rung_members_[uk], k);
      for (std::size_t i = 0; i < std::min(quota, best.size()); ++i) {
        Entry& e = entries_[best[i]];
        if (e.promoted_from[uk]) continue;
        e.promoted_from[uk] = true;
        e.running = k + 1;
        out.push_back({best[i], k + 1});
        found = true;
        break;
      }
    }
    if (!found) break;
  }
  return out;
}

std::size_t Scheduler::admit(std::size_t n, int* rung) {
  *rung = 0;
  if (exhausted_) return 0;
  if (kind_.asynchronous) return n;
  promote_complete_rungs();
  if (!bracket_) {
    if (!queue_.empty()) return 0;
    open_bracket();
  }
  const Bracket& b = *bracket_;
  *rung = b.base;
  const auto ub = static_cast<std::size_t>(b.base);
  const std::size_t started = b.members[ub].size();
  return started >= b.target[ub] ? 0 : std::min(n, b.target[ub] - started);
}

std::size_t Scheduler::start_entry(int rung) {
  HWNAS_CHECK(rung >= 0 && rung <= top_rung(), "start_entry: rung out of range");
  Entry e;
  e.base = rung;
  e.running = rung;
  e.objectives.resize(rungs_.size());
  e.promoted_from.assign(rungs_.size(), false);
  entries_.push_back(std::move(e));
  const std::size_t id = entries_.size() - 1;
  if (!kind_.asynchronous) {
    HWNAS_CHECK(bracket_ && bracket_->base == rung, "start_entry outside the open bracket's base rung");
    bracket_->members[static_cast<std::size_t>(rung)].push_back(id);
  }
  return id;
}

void Scheduler::finished(std::size_t entry, int rung, bool ok, std::vector<double> objectives) {
  HWNAS_CHECK(entry < entries_.size(), "finished: unknown entry");
  Entry& e = entries_[entry];
  HWNAS_CHECK(e.running == rung, "finished: the entry is not running at that rung");
  const auto k = static_cast<std::size_t>(rung);
  e.running = -1;
  e.reached = rung;
  bool finite = ok;
  for (double v : objectives) finite = finite && std::isfinite(v);
  if (finite) e.objectives[k] = std::move(objectives);
  ++finished_count_[k];
  rung_members_[k].push_back(entry);
  if (!kind_.asynchronous && bracket_) {
    auto& m = bracket_->members[k];
    if (std::find(m.begin(), m.end(), entry) != m.end()) ++bracket_->done[k];
  }
}

void Scheduler::proposals_exhausted() { exhausted_ = true; }

std::vector<long long> Scheduler::finished_per_rung() const { return finished_count_; }

}  // namespace hwnas
