// In hwnas_torch (the *_torch.cpp rule) because it calls the proxies; it includes no LibTorch header itself.
#include "hwnas/search/controller.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <unordered_set>

#include "hwnas/core/atomic_file.h"
#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/nas/proxy.h"
#include "hwnas/search/pareto.h"
#include "hwnas/search/strategy.h"

namespace hwnas {

namespace fs = std::filesystem;

SearchConfig SearchConfig::from_json(const nlohmann::json& j, const std::string& file) {
  SearchConfig c;
  c.source_file = file;
  const std::string root = file + ": ";
  JsonReader r(j, root);
  if (const auto* sp = r.raw("space")) {
    JsonReader s(*sp, root + "space");
    c.space = s.get<std::string>("name", c.space);
    if (const auto* o = s.raw("options")) c.space_options = *o;
    s.finish();
  }
  const auto* objs = r.raw("objectives");
  if (!objs || !objs->is_array() || objs->empty())
    throw UserError(root + "objectives: expected a non-empty array of objectives");
  for (std::size_t i = 0; i < objs->size(); ++i) {
    const std::string p = root + "objectives[" + std::to_string(i) + "]";
    JsonReader o((*objs)[i], p);
    ObjectiveConfig oc;
    oc.name = o.require<std::string>("name");
    const nlohmann::json* src = o.raw("source");
    if (!src) throw UserError(p + ".source: required field is missing");
    if (src->is_string()) {
      oc.source = src->get<std::string>();
      if (oc.source != "params" && oc.source != "macs" && oc.source != "flops")
        throw UserError(p + ".source: unknown source '" + oc.source + "' (expected params, macs, flops or {\"proxy\": NAME})");
    } else {
      JsonReader s(*src, p + ".source");
      if (!s.has("proxy"))
        throw UserError(p + ".source: expected \"params\", \"macs\", \"flops\" or {\"proxy\": NAME} (latency, energy, "
                            "train and table sources are not available in this build yet)");
      oc.source = "proxy";
      oc.proxy = s.require<std::string>("proxy");
      s.finish();
      if (!is_proxy(oc.proxy)) {
        std::string known;
        for (const auto& n : proxy_names()) known += (known.empty() ? "" : ", ") + n;
        throw UserError(p + ".source.proxy: unknown proxy '" + oc.proxy + "' (known: " + known + ")");
      }
    }
    const std::string dir = o.get<std::string>("direction", "minimize");
    if (dir != "minimize" && dir != "maximize")
      throw UserError(p + ".direction: expected \"minimize\" or \"maximize\", got \"" + dir + "\"");
    oc.maximize = dir == "maximize";
    oc.log = o.get("log", false);
    o.finish();
    for (const auto& prev : c.objectives)
      if (prev.name == oc.name) throw UserError(p + ".name: objective '" + oc.name + "' is defined twice");
    c.objectives.push_back(oc);
  }
  if (const auto* cons = r.raw("constraints")) {
    if (!cons->is_array()) throw UserError(root + "constraints: expected an array");
    for (std::size_t i = 0; i < cons->size(); ++i) {
      const std::string p = root + "constraints[" + std::to_string(i) + "]";
      JsonReader k((*cons)[i], p);
      ConstraintConfig cc;
      cc.objective = k.require<std::string>("objective");
      cc.min = k.get("min", cc.min);
      cc.max = k.get("max", cc.max);
      k.finish();
      const ObjectiveConfig* obj = nullptr;
      for (const auto& o : c.objectives)
        if (o.name == cc.objective) obj = &o;
      if (!obj) throw UserError(p + ".objective: no objective named '" + cc.objective + "'");
      if (!obj->cheap())
        throw UserError(p + ".objective: constraints on expensive objectives ('" + cc.objective + "') are not supported yet");
      if (!(cc.min <= cc.max)) throw UserError(p + ": min is larger than max");
      c.constraints.push_back(cc);
    }
  }
  if (const auto* st = r.raw("strategy")) {
    JsonReader s(*st, root + "strategy");
    c.strategy = s.get<std::string>("name", c.strategy);
    if (const auto* o = s.raw("options")) c.strategy_options = *o;
    s.finish();
  }
  if (const auto* b = r.raw("budget")) {
    JsonReader s(*b, root + "budget");
    c.evaluations = s.require<int>("evaluations");
    s.finish();
    if (c.evaluations < 1) throw UserError(root + "budget.evaluations: expected a positive integer");
  }
  c.seed = static_cast<std::uint64_t>(r.get<long long>("seed", 0));
  if (const auto* pr = r.raw("proxy")) {
    JsonReader s(*pr, root + "proxy");
    c.dataset = s.get<std::string>("dataset", c.dataset);
    c.proxy_batch = s.get("batch", c.proxy_batch);
    s.finish();
  }
  if (const auto* out = r.raw("output")) {
    JsonReader s(*out, root + "output");
    c.output_dir = s.get<std::string>("dir", "");
    s.finish();
  }
  r.finish();
  if (c.output_dir.empty()) c.output_dir = "runs/" + fs::path(file).stem().string();
  return c;
}

SearchConfig SearchConfig::from_file(const std::string& path) { return from_json(read_json_file(path), path); }

nlohmann::json SearchConfig::to_json() const {
  nlohmann::json objs = nlohmann::json::array(), cons = nlohmann::json::array();
  for (const auto& o : objectives)
    objs.push_back({{"name", o.name},
                    {"source", o.source == "proxy" ? nlohmann::json{{"proxy", o.proxy}} : nlohmann::json(o.source)},
                    {"direction", o.maximize ? "maximize" : "minimize"},
                    {"log", o.log}});
  for (const auto& k : constraints) {
    nlohmann::json j = {{"objective", k.objective}};
    if (std::isfinite(k.min)) j["min"] = k.min;
    if (std::isfinite(k.max)) j["max"] = k.max;
    cons.push_back(j);
  }
  return {{"space", {{"name", space}, {"options", space_options}}},
          {"objectives", objs},
          {"constraints", cons},
          {"strategy", {{"name", strategy}, {"options", strategy_options}}},
          {"budget", {{"evaluations", evaluations}}},
          {"seed", seed},
          {"proxy", {{"dataset", dataset}, {"batch", proxy_batch}}},
          {"output", {{"dir", output_dir}}}};
}

std::string SearchSummary::brief() const {
  std::ostringstream s;
  s << "stopped: " << stop_reason << "; " << evaluations << " evaluations (" << failed << " failed, " << rejected
    << " rejected by constraints), " << front.size() << " on the Pareto front, normalized hypervolume " << hypervolume
    << "\nrun directory: " << run_dir << "\n";
  return s.str();
}

namespace {

// Appends one line and makes it durable before the evaluation counts.
class EvaluationLog {
 public:
  explicit EvaluationLog(const std::string& path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw UserError(path + ": cannot open for appending");
  }
  ~EvaluationLog() {
    if (fd_ >= 0) ::close(fd_);
  }
  void append(const nlohmann::json& record) {
    const std::string line = record.dump() + "\n";
    std::size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0) throw UserError("evaluations.jsonl: write failed");
      done += static_cast<std::size_t>(n);
    }
    ::fsync(fd_);
  }

 private:
  int fd_ = -1;
};

double transformed(const ObjectiveConfig& o, double v) {
  double x = o.log ? std::log10(std::max(v, 1e-300)) : v;
  return o.maximize ? -x : x;
}

}  // namespace

SearchSummary run_search(const SearchConfig& cfg, bool progress) {
  auto space = make_space(cfg.space, cfg.space_options);
  const fs::path dir = cfg.output_dir;
  if (fs::exists(dir / "evaluations.jsonl"))
    throw UserError(dir.string() + ": holds an earlier run (evaluations.jsonl); choose another output.dir or remove it");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw UserError(dir.string() + ": cannot create the run directory: " + ec.message());
  write_file_atomic((dir / "config.json").string(), cfg.to_json().dump(2) + "\n");

  const int m = static_cast<int>(cfg.objectives.size());
  bool needs_data = false;
  for (const auto& o : cfg.objectives) needs_data |= o.source == "proxy" && o.proxy != "synflow" && o.proxy != "params";
  DataSplit data;
  if (needs_data) {
    DatasetOptions d;
    d.name = cfg.dataset;
    d.subset = std::max(4 * cfg.proxy_batch, 256);
    d.validation_fraction = 0.0;
    d.seed = cfg.seed;
    data = load_dataset(d);
  }
  ProxyOptions popts;
  popts.batch_size = cfg.proxy_batch;
  popts.seed = cfg.seed;

  auto cheap_raw = [&](const Architecture& a) {
    const CostTotals t = space->count(a);
    std::vector<double> raw(m, NAN);
    for (int i = 0; i < m; ++i) {
      const auto& o = cfg.objectives[i];
      if (o.source == "params") raw[i] = static_cast<double>(t.params);
      else if (o.source == "macs") raw[i] = static_cast<double>(t.macs);
      else if (o.source == "flops") raw[i] = static_cast<double>(t.flops);
    }
    return raw;
  };
  auto violates = [&](const std::vector<double>& raw) -> std::string {
    for (const auto& k : cfg.constraints)
      for (int i = 0; i < m; ++i)
        if (cfg.objectives[i].name == k.objective && (raw[i] < k.min || raw[i] > k.max))
          return k.objective + " = " + std::to_string(raw[i]) + " outside [" + std::to_string(k.min) + ", " + std::to_string(k.max) + "]";
    return "";
  };
  StrategyContext ctx;
  ctx.space = space.get();
  ctx.num_objectives = m;
  for (const auto& o : cfg.objectives) ctx.is_cheap.push_back(o.cheap());
  ctx.seed = cfg.seed;
  ctx.cheap = [&](const Architecture& a) -> std::optional<std::vector<double>> {
    std::vector<double> raw = cheap_raw(a);
    if (!violates(raw).empty()) return std::nullopt;
    for (int i = 0; i < m; ++i)
      if (cfg.objectives[i].cheap()) raw[i] = transformed(cfg.objectives[i], raw[i]);
    return raw;
  };
  auto strategy = make_strategy(cfg.strategy, cfg.strategy_options, ctx);

  EvaluationLog log((dir / "evaluations.jsonl").string());
  SearchSummary sum;
  sum.run_dir = dir.string();
  std::vector<nlohmann::json> records;
  std::vector<std::vector<double>> points;  // minimized, for successful evaluations
  std::vector<int> point_record;
  std::unordered_set<std::uint64_t> seen;
  int stalls = 0;
  auto write_front = [&] {
    const std::vector<int> nd = points.empty() ? std::vector<int>{} : non_dominated_indices(points);
    sum.front.clear();
    std::vector<std::vector<double>> front_pts;
    std::string csv = "id,arch";
    for (const auto& o : cfg.objectives) csv += "," + csv_escape(o.name);
    csv += "\n";
    for (int i : nd) {
      const nlohmann::json& r = records[point_record[i]];
      sum.front.push_back(r);
      front_pts.push_back(points[i]);
      csv += std::to_string(r["id"].get<int>()) + "," + csv_escape(r["arch"].get<std::string>());
      for (const auto& o : cfg.objectives) csv += "," + std::to_string(r["objectives"][o.name].get<double>());
      csv += "\n";
    }
    if (!points.empty()) {
      const ObjectiveBounds b = bounds_of(points);
      sum.hypervolume = normalized_hypervolume(front_pts, b.lower, b.upper);
    }
    write_file_atomic((dir / "pareto.json").string(),
                      nlohmann::json{{"front", sum.front}, {"hypervolume", sum.hypervolume}}.dump(2) + "\n");
    write_file_atomic((dir / "pareto.csv").string(), csv);
  };

  const auto start = std::chrono::steady_clock::now();
  while (sum.evaluations < cfg.evaluations) {
    const std::vector<Architecture> batch = strategy->ask(1);
    if (batch.empty()) {
      sum.stop_reason = "the space is exhausted";
      break;
    }
    std::vector<Observation> told;
    for (const Architecture& a : batch) {
      const std::uint64_t h = space->canonical_hash(a);
      if (!seen.insert(h).second) {  // an equivalent network was evaluated already
        if (++stalls > 1000) {
          sum.stop_reason = "the strategy keeps proposing evaluated architectures";
          break;
        }
        continue;
      }
      const std::vector<double> raw_cheap = cheap_raw(a);
      nlohmann::json rec = {{"id", static_cast<int>(records.size())},
                            {"arch", space->to_string(a)},
                            {"decisions", a.choices},
                            {"hash", hash_hex(h)}};
      const std::string why = violates(raw_cheap);
      Observation obs{a, std::vector<double>(m, NAN), true};
      nlohmann::json objs = nlohmann::json::object();
      if (!why.empty()) {
        rec["status"] = "rejected";
        rec["message"] = why;
        ++sum.rejected;
        obs.ok = false;
      } else {
        std::string failure;
        for (int i = 0; i < m; ++i) {
          const auto& o = cfg.objectives[i];
          double v = raw_cheap[i];
          if (!o.cheap()) {
            const ProxyResult pr = score_proxy(o.proxy, *space, a, needs_data ? &data.train : nullptr, popts);
            if (!pr.ok) failure = o.name + ": " + pr.message;
            v = pr.score;
          }
          objs[o.name] = v;
          obs.objectives[i] = transformed(o, v);
        }
        rec["objectives"] = objs;
        rec["status"] = failure.empty() ? "ok" : "failed";
        if (!failure.empty()) rec["message"] = failure;
        obs.ok = failure.empty();
        ++sum.evaluations;
        if (!obs.ok) ++sum.failed;
      }
      rec["elapsed_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      log.append(rec);  // durable before it counts
      records.push_back(rec);
      if (obs.ok) {
        points.push_back(obs.objectives);
        point_record.push_back(static_cast<int>(records.size()) - 1);
      }
      told.push_back(obs);
    }
    if (!sum.stop_reason.empty()) break;
    strategy->tell(told);
    if (sum.evaluations % 10 == 0) write_front();
    if (progress) {
      std::fprintf(stderr, "\r[%d/%d evaluations] front %zu, hypervolume %.4f   ", sum.evaluations, cfg.evaluations,
                   sum.front.size(), sum.hypervolume);
    }
  }
  if (sum.stop_reason.empty()) sum.stop_reason = "evaluation budget reached";
  write_front();
  if (progress) std::fprintf(stderr, "\n");
  return sum;
}

}  // namespace hwnas
