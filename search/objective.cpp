#include "hwnas/search/objective.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <unordered_map>

#include "hwnas/core/csv.h"
#include "hwnas/core/suggest.h"
#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/search/config.h"
#include "objective_hw.h"

namespace hwnas {

namespace fs = std::filesystem;

const std::string& Candidate::text() const {
  if (!text_) text_ = space_->to_string(arch_);
  return *text_;
}

const CostTotals& Candidate::totals() const {
  if (!totals_) totals_ = space_->count(arch_);
  return *totals_;
}

const LayerList& Candidate::layers() const {
  if (!layers_) layers_ = space_->layers(arch_);
  return *layers_;
}

bool Candidate::degenerate() const {
  if (!degenerate_) degenerate_ = !space_->output_depends_on_input(arch_);
  return *degenerate_;
}

namespace {

// ---- params, macs, flops ------------------------------------------------------------------

class CountSource : public ObjectiveSource {
 public:
  enum class Field { Params, Macs, Flops };
  explicit CountSource(Field f) : field_(f) {}
  std::string kind() const override {
    return field_ == Field::Params ? "params" : field_ == Field::Macs ? "macs" : "flops";
  }
  bool cheap() const override { return true; }
  ObjectiveValue evaluate(const Candidate& c) const override {
    const CostTotals& t = c.totals();
    const std::int64_t v = field_ == Field::Params ? t.params : field_ == Field::Macs ? t.macs : t.flops;
    return ObjectiveValue::success(static_cast<double>(v));
  }

 private:
  Field field_;
};

ObjectiveFactory count_factory(CountSource::Field f) {
  return [f](const nlohmann::json& spec, const std::string& path, const ObjectiveContext&) {
    // Written as a plain string ("params"); the object form {"params": {}} takes no options.
    JsonReader(spec, path).finish();
    return std::make_unique<CountSource>(f);
  };
}

// ---- table: a CSV of architecture strings to values -----------------------------------------

class TableSource : public ObjectiveSource {
 public:
  TableSource(const nlohmann::json& spec, const std::string& path, const ObjectiveContext& ctx) {
    HWNAS_CHECK(ctx.space != nullptr, "table source needs the space");
    JsonReader r(spec, path);
    file_ = r.require<std::string>("file");
    key_ = r.get<std::string>("key", "arch_str");
    value_ = r.require<std::string>("value");
    fidelity_ = r.get<std::string>("fidelity", "");
    r.finish();
    fs::path p(file_);
    if (p.is_relative() && !ctx.base_dir.empty()) p = fs::path(ctx.base_dir) / p;
    file_ = fs::absolute(p).lexically_normal().string();
    if (!fs::exists(file_)) throw UserError(r.child("file") + ": no such file: " + file_);
    const CsvTable t = read_csv_file(file_);
    const std::size_t kc = t.column(key_) ? *t.column(key_) : throw UserError(r.child("key") + ": " + file_ + " has no column '" + key_ + "'");
    const std::size_t vc = t.column(value_) ? *t.column(value_) : throw UserError(r.child("value") + ": " + file_ + " has no column '" + value_ + "'");
    std::optional<std::size_t> fc;
    if (!fidelity_.empty()) {
      fc = t.column(fidelity_);
      if (!fc) throw UserError(r.child("fidelity") + ": " + file_ + " has no column '" + fidelity_ + "'");
    }
    for (std::size_t row = 0; row < t.rows.size(); ++row) {
      Architecture a;
      try {
        a = ctx.space->parse(t.rows[row][kc]);
      } catch (const UserError& e) {
        throw UserError(t.where(row) + ": column '" + key_ + "': " + e.what());
      }
      int level = 0;
      if (fc) {
        const double f = t.number(row, *fc);
        if (!(f >= 1 && f <= 1e9) || f != std::floor(f))
          throw UserError(t.where(row) + ": column '" + fidelity_ + "': expected a positive integer fidelity, got " + t.rows[row][*fc]);
        level = static_cast<int>(f);
        full_ = std::max(full_, level);
      }
      const std::string& field = t.rows[row][vc];
      double v = NAN;  // an empty or NaN cell: that architecture's evaluation fails
      if (!field.empty() && field != "nan" && field != "NaN" && field != "NAN") v = t.number(row, vc);
      auto [it, fresh] = by_arch_.emplace(std::make_pair(a, level), v);
      if (!fresh && !(it->second == v || (std::isnan(v) && std::isnan(it->second))))
        throw UserError(t.where(row) + ": architecture '" + t.rows[row][kc] + "' appears twice with different values" +
                        (fc ? " at " + fidelity_ + " " + std::to_string(level) : std::string()));
      by_canonical_.emplace(std::make_pair(ctx.space->canonical_hash(a), level), v);
    }
    if (by_arch_.empty()) throw UserError(r.child("file") + ": " + file_ + " has no rows");
  }

  std::string kind() const override { return "table"; }
  bool cheap() const override { return false; }
  nlohmann::json resolved_spec() const override {
    nlohmann::json j = {{"file", file_}, {"key", key_}, {"value", value_}};
    if (!fidelity_.empty()) j["fidelity"] = fidelity_;
    return j;
  }
  int full_fidelity() const override { return full_; }

  // Without a fidelity column: the row. With one: the row at the highest fidelity in the table.
  ObjectiveValue evaluate(const Candidate& c) const override { return lookup(c, full_, full_); }
  // A learning-curve table stands for training that continues from its checkpoint: a candidate
  // that finished `from` spends fidelity - from.
  ObjectiveValue evaluate_at(const Candidate& c, int fidelity, int from) const override {
    if (fidelity_.empty()) return evaluate(c);
    return lookup(c, fidelity, fidelity - std::max(0, std::min(from, fidelity)));
  }

 private:
  ObjectiveValue lookup(const Candidate& c, int level, double cost) const {
    double v;
    const std::string at = fidelity_.empty() ? std::string() : " at " + fidelity_ + " " + std::to_string(level);
    if (auto it = by_arch_.find({c.arch(), level}); it != by_arch_.end()) {
      v = it->second;
    } else if (auto jt = by_canonical_.find({c.space().canonical_hash(c.arch()), level}); jt != by_canonical_.end()) {
      v = jt->second;  // an equivalent architecture is in the table
    } else {
      return ObjectiveValue::failure("table " + file_ + " has no row for " + c.text() + at, cost);
    }
    if (std::isnan(v))
      return ObjectiveValue::failure("table " + file_ + ": no value for " + c.text() + at + " in column '" + value_ + "'", cost);
    return ObjectiveValue::success(v, cost);
  }

  std::string file_, key_, value_, fidelity_;
  int full_ = 0;  // the highest fidelity in the table (0: no fidelity column)
  std::map<std::pair<Architecture, int>, double> by_arch_;
  std::map<std::pair<std::uint64_t, int>, double> by_canonical_;
};

// ---- external: values told from outside (hwnas tell, the Python module) ---------------------

class ExternalSource : public ObjectiveSource {
 public:
  explicit ExternalSource(int fidelity) : fidelity_(fidelity) {}
  std::string kind() const override { return "external"; }
  bool cheap() const override { return false; }
  bool external() const override { return true; }
  // {"fidelity": STEPS}: the user's training has levels a scheduler hands out (Trial::fidelity).
  int full_fidelity() const override { return fidelity_; }
  nlohmann::json resolved_spec() const override { return fidelity_ > 0 ? nlohmann::json{{"fidelity", fidelity_}} : nlohmann::json(); }
  ObjectiveValue evaluate(const Candidate&) const override {
    return ObjectiveValue::failure("an external objective's value is told (hwnas tell, Study.tell), not computed");
  }

 private:
  int fidelity_ = 0;
};

// ---- kinds that arrive with later issues ------------------------------------------------------

ObjectiveFactory unavailable(const std::string& what) {
  return [what](const nlohmann::json&, const std::string& path, const ObjectiveContext&) -> std::unique_ptr<ObjectiveSource> {
    throw UserError(path + ": " + what + " are not available in this build");
  };
}

struct Registry {
  std::mutex mutex;
  std::map<std::string, ObjectiveFactory> user;
  std::function<void()> loader;  // registers more kinds on first need (the LibTorch plugin)
  bool loaded = false;
};
Registry& registry() {
  static Registry r;
  return r;
}

// The built-in kinds, listed explicitly (static registrars are dropped by the linker).
const std::map<std::string, ObjectiveFactory>& builtins() {
  static const std::map<std::string, ObjectiveFactory> table = {
      {"params", count_factory(CountSource::Field::Params)},
      {"macs", count_factory(CountSource::Field::Macs)},
      {"flops", count_factory(CountSource::Field::Flops)},
      {"latency", [](const nlohmann::json& s, const std::string& p, const ObjectiveContext& c) {
         return make_hardware_source(HardwareQuantity::LatencyMs, s, p, c);
       }},
      {"energy", [](const nlohmann::json& s, const std::string& p, const ObjectiveContext& c) {
         return make_hardware_source(HardwareQuantity::EnergyMj, s, p, c);
       }},
      {"table", [](const nlohmann::json& s, const std::string& p, const ObjectiveContext& c) -> std::unique_ptr<ObjectiveSource> {
         return std::make_unique<TableSource>(s, p, c);
       }},
      {"external", [](const nlohmann::json& s, const std::string& p, const ObjectiveContext&) -> std::unique_ptr<ObjectiveSource> {
         // "external", {"external": {}} or {"external": {"fidelity": STEPS}} (multi-fidelity).
         int fidelity = 0;
         if (!s.is_null()) {
           JsonReader r(s, p);
           fidelity = r.get<int>("fidelity", 0);
           if (r.has("fidelity") && (fidelity < 1 || fidelity > 1000000000))
             throw UserError(r.child("fidelity") + ": expected a positive integer (the full fidelity, e.g. training steps), got " +
                             std::to_string(fidelity));
           r.finish();
         }
         return std::make_unique<ExternalSource>(fidelity);
       }},
      {"proxy", unavailable("proxy objectives")},
      {"train", unavailable("training objectives")},
  };
  return table;
}

}  // namespace

void register_objective_source(const std::string& kind, ObjectiveFactory factory) {
  std::lock_guard<std::mutex> lock(registry().mutex);
  registry().user[kind] = std::move(factory);
}

void unregister_objective_source(const std::string& kind) {
  std::lock_guard<std::mutex> lock(registry().mutex);
  registry().user.erase(kind);
}

std::vector<std::string> objective_source_kinds() {
  std::vector<std::string> kinds;
  for (const auto& [k, f] : builtins()) kinds.push_back(k);
  std::lock_guard<std::mutex> lock(registry().mutex);
  for (const auto& [k, f] : registry().user)
    if (!builtins().count(k)) kinds.push_back(k);
  return kinds;
}

void set_objective_source_loader(std::function<void()> loader) {
  std::lock_guard<std::mutex> lock(registry().mutex);
  registry().loader = std::move(loader);
  registry().loaded = false;
}

std::unique_ptr<ObjectiveSource> make_objective_source(const std::string& kind, const nlohmann::json& spec,
                                                       const std::string& path, const ObjectiveContext& ctx) {
  ObjectiveFactory f;
  auto registered = [&] {
    // A registered kind overrides a built-in one (so a later build can plug in real proxies).
    std::lock_guard<std::mutex> lock(registry().mutex);
    if (auto it = registry().user.find(kind); it != registry().user.end()) f = it->second;
  };
  registered();
  // A kind the library has no real source for (unknown, or a placeholder such as "proxy"): the
  // loader may register it. It runs once, outside the lock (it calls register_objective_source).
  if (!f && (!builtins().count(kind) || kind == "proxy" || kind == "train")) {
    std::function<void()> loader;
    {
      std::lock_guard<std::mutex> lock(registry().mutex);
      if (!registry().loaded) loader = registry().loader;
      registry().loaded = true;
    }
    if (loader) {
      loader();
      registered();
    }
  }
  if (!f) {
    auto it = builtins().find(kind);
    if (it != builtins().end()) f = it->second;
  }
  if (!f) {
    std::string known;
    for (const auto& k : objective_source_kinds()) known += (known.empty() ? "" : ", ") + k;
    throw UserError(path + ": unknown objective source '" + kind + "'" + did_you_mean(kind, objective_source_kinds()) + " (known: " + known + ")");
  }
  auto src = f(spec, path + "." + kind, ctx);
  HWNAS_CHECK(src != nullptr, "objective factory for '" + kind + "' returned null");
  return src;
}

// ---- ObjectiveSet ----------------------------------------------------------------------------

ObjectiveSet::ObjectiveSet(const SearchConfig& cfg, const SearchSpace& space, const std::string& checkpoint_dir)
    : cfg_(&cfg) {
  ObjectiveContext ctx{&space, cfg.base_dir, cfg.seed, checkpoint_dir};
  for (std::size_t i = 0; i < cfg.objectives.size(); ++i) {
    const ObjectiveConfig& o = cfg.objectives[i];
    sources_.push_back(make_objective_source(o.kind, o.spec, "objectives[" + std::to_string(i) + "].source", ctx));
  }
}

std::vector<bool> ObjectiveSet::cheap_mask() const {
  std::vector<bool> m;
  for (const auto& s : sources_) m.push_back(s->cheap());
  return m;
}

bool ObjectiveSet::has_expensive() const {
  for (const auto& s : sources_)
    if (!s->cheap()) return true;
  return false;
}

namespace {
// A value, computed or told, enters a result here: a non-finite value, or a non-positive one on a
// log scale, is the evaluation's failure.
void accept_into(ObjectiveValue v, const ObjectiveConfig& o, double& out, std::string& failure) {
  if (v.ok && !std::isfinite(v.value)) v = ObjectiveValue::failure("value is not finite (" + std::to_string(v.value) + ")");
  if (v.ok && o.log && !(v.value > 0)) v = ObjectiveValue::failure("value " + std::to_string(v.value) + " is not positive, but the objective is on a log scale");
  if (v.ok) {
    out = v.value;
  } else if (failure.empty()) {
    failure = o.name + ": " + v.message;
  }
}

// `fidelity` > 0: the source runs at that level (evaluate_at). Returns what the source spent.
double evaluate_into(const ObjectiveSource& s, const ObjectiveConfig& o, const Candidate& c, double& out, std::string& failure,
                     int fidelity = 0, int from = 0) {
  ObjectiveValue v;
  try {
    v = fidelity > 0 ? s.evaluate_at(c, fidelity, from) : s.evaluate(c);
  } catch (const UserError& e) {
    // Bad input that no candidate can get past (a missing dataset file): one clear error and
    // exit 2, not one failed record per candidate. What is logged so far stays.
    throw UserError("objective '" + o.name + "': " + e.what());
  } catch (const std::exception& e) {  // a source that throws is a failed evaluation, not a crash
    v = ObjectiveValue::failure(e.what());
  }
  accept_into(v, o, out, failure);
  return v.cost;
}
}  // namespace

bool ObjectiveSet::has_external() const {
  for (const auto& s : sources_)
    if (s->external()) return true;
  return false;
}

void ObjectiveSet::accept_told(std::size_t i, double value, Result& r) const {
  HWNAS_CHECK(i < sources_.size() && sources_[i]->external(), "accept_told on an objective that is not external");
  accept_into(ObjectiveValue::success(value), cfg_->objectives[i], r.raw[i], r.failure);
}

ObjectiveSet::Result ObjectiveSet::evaluate_cheap(const Candidate& c) const {
  Result r{std::vector<double>(sources_.size(), NAN), {}};
  for (std::size_t i = 0; i < sources_.size(); ++i)
    if (sources_[i]->cheap()) evaluate_into(*sources_[i], cfg_->objectives[i], c, r.raw[i], r.failure);
  r.degenerate = c.degenerate();
  return r;
}

std::string ObjectiveSet::cheap_rejection(const Result& r) const {
  if (r.degenerate && cfg_->exclude_degenerate)
    return "degenerate: the network's output does not depend on its input (exclude_degenerate is on)";
  return cheap_violation(r.raw);
}

ObjectiveSet::Result ObjectiveSet::evaluate_expensive(const Candidate& c, const Result& cheap, int fidelity, int from) const {
  Result r = cheap;
  r.fidelity = fidelity;
  const auto start = std::chrono::steady_clock::now();
  bool ran = false;
  for (std::size_t i = 0; i < sources_.size(); ++i)
    if (!sources_[i]->cheap() && !sources_[i]->external()) {
      const bool leveled = fidelity > 0 && sources_[i]->full_fidelity() > 0;
      r.cost += evaluate_into(*sources_[i], cfg_->objectives[i], c, r.raw[i], r.failure, leveled ? fidelity : 0, leveled ? from : 0);
      ran = true;
    }
  if (ran) r.eval_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

int ObjectiveSet::fidelity_objective() const {
  for (std::size_t i = 0; i < sources_.size(); ++i)
    if (sources_[i]->full_fidelity() > 0) return static_cast<int>(i);
  return -1;
}

std::string ObjectiveSet::cheap_violation(const std::vector<double>& raw) const {
  for (const auto& k : cfg_->constraints)
    if (sources_[k.objective_index]->cheap()) {
      std::string why = k.violation(raw[k.objective_index]);
      if (!why.empty()) return why;
    }
  return {};
}

std::string ObjectiveSet::expensive_violation(const std::vector<double>& raw) const {
  for (const auto& k : cfg_->constraints)
    if (!sources_[k.objective_index]->cheap()) {
      std::string why = k.violation(raw[k.objective_index]);
      if (!why.empty()) return why;
    }
  return {};
}

std::vector<double> ObjectiveSet::transform(const std::vector<double>& raw) const {
  std::vector<double> t(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) t[i] = std::isnan(raw[i]) ? NAN : cfg_->objectives[i].transform(raw[i]);
  return t;
}

std::string ObjectiveSet::memo_key(const Architecture& a) {
  return std::string(reinterpret_cast<const char*>(a.choices.data()), a.choices.size() * sizeof(a.choices[0]));
}

std::function<std::optional<std::vector<double>>(const Architecture&)> ObjectiveSet::strategy_cheap(
    const SearchSpace& space, CheapMemo* memo) const {
  return [this, &space, memo](const Architecture& a) -> std::optional<std::vector<double>> {
    Candidate c(space, a);
    Result r = evaluate_cheap(c);
    std::optional<std::vector<double>> out;
    if (cheap_rejection(r).empty()) out = transform(r.raw);
    if (memo) memo->insert_or_assign(memo_key(a), std::move(r));
    return out;
  };
}

}  // namespace hwnas
