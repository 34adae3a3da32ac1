#pragma once
// The problems of the search benchmark suite (bench_strategies --problem, bench_surrogate_quality):
// objectives over nb201 made by this project, plus an mbv problem too large to enumerate.
//
//   synthetic               synthetic error (expensive) x parameters (cheap): tests/search/nb201_problem.h
//   synflow                 -log(1 + synflow) (expensive) x parameters (cheap)
//   naswot-latency          -naswot (expensive) x predicted raspberry-pi-4 latency, told as
//                           expensive too: two expensive objectives
//   synflow-latency-energy  -log(1 + synflow) (expensive) x predicted jetson-nano latency x energy (cheap)
//   mbv                     an mbv error stand-in (expensive) x predicted raspberry-pi-4 latency
//                           (cheap); no true front, hypervolume at fixed budgets
//
// The proxy scores come from bench/data/nb201_proxies.csv (its command: bench/data/README.md),
// computed by `hwnas proxy` on every canonical nb201 cell. Latency and energy are hwnas's own
// device models (the `latency`/`energy` objective sources of a search), not published tables.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "../tests/search/nb201_problem.h"
#include "hwnas/core/csv.h"
#include "hwnas/core/error.h"
#include "hwnas/nas/search_space.h"
#include "hwnas/search/objective.h"

namespace hwnas::bench {

inline const char* kProblems = "synthetic, synflow, naswot-latency, synflow-latency-energy, synflow-latency-as-built, mbv";

/// Proxy scores by canonical hash, from a CSV with an arch_str column and one column per proxy.
class ProxyTable {
 public:
  ProxyTable(const std::string& path, const SearchSpace& space) {
    const CsvTable t = read_csv_file(path);
    const std::size_t arch_col = t.require_column("arch_str");
    for (std::size_t c = 0; c < t.header.size(); ++c)
      if (c != arch_col) names_.push_back(t.header[c]);
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      std::unordered_map<std::string, double>& row = rows_[space.canonical_hash(space.parse(t.rows[r][arch_col]))];
      for (std::size_t c = 0; c < t.header.size(); ++c)
        if (c != arch_col) row[t.header[c]] = t.number(r, c);
    }
    path_ = path;
  }
  /// The score of `proxy` for the class of `a`; a class missing from the table is an error.
  double score(const SearchSpace& space, const Architecture& a, const std::string& proxy) const {
    auto it = rows_.find(space.canonical_hash(a));
    if (it == rows_.end()) throw UserError(path_ + ": no row for " + space.to_string(a));
    auto v = it->second.find(proxy);
    if (v == it->second.end()) throw UserError(path_ + ": no column " + proxy);
    return v->second;
  }
  std::size_t size() const { return rows_.size(); }

 private:
  std::string path_;
  std::vector<std::string> names_;
  std::unordered_map<std::uint64_t, std::unordered_map<std::string, double>> rows_;
};

/// A cheap hardware objective of hwnas (the search's own source), e.g. ("latency", raspberry-pi-4).
/// `space` must outlive the function.
inline std::function<double(const Architecture&)> hardware_column(const SearchSpace& space, const std::string& kind,
                                                                  const std::string& device, bool as_built = false) {
  ObjectiveContext ctx;
  ctx.space = &space;
  std::shared_ptr<ObjectiveSource> src =
      make_objective_source(kind, {{"device", device}, {"prune_dead", !as_built}}, "bench." + kind, ctx);
  return [src, sp = &space](const Architecture& a) {
    const ObjectiveValue v = src->evaluate(Candidate(*sp, a));
    if (!v.ok) throw UserError("bench: " + v.message);
    return v.value;
  };
}

/// An nb201 problem of the suite; `proxies` is needed by every problem but "synthetic".
/// `pruned_identity`: for synflow-latency-as-built, strategies meet one member per pruned class.
inline std::unique_ptr<testing::Nb201Problem> make_nb201_problem(const std::string& name, const std::string& proxies_csv,
                                                                 bool pruned_identity = false) {
  using Column = testing::Nb201Problem::Column;
  if (pruned_identity && name != "synflow-latency-as-built")
    throw UserError("--pruned-identity: only for --problem synflow-latency-as-built (the other problems cost nothing as built)");
  if (name == "synthetic") return std::make_unique<testing::Nb201Problem>();
  // The columns are evaluated while the problem is built; the space they share lives as long as they do.
  auto space = std::make_shared<const Nb201Space>(Nb201Options{});
  auto table = std::make_shared<ProxyTable>(proxies_csv, *space);
  auto proxy = [table, space](const std::string& p, bool log) {
    return [table, space, p, log](const Architecture& c) {
      const double s = table->score(*space, c, p);
      return log ? -std::log1p(s) : -s;  // log(1 + s): the cell with no input-output path scores 0
    };
  };
  auto params = [space](const Architecture& c) { return static_cast<double>(space->count(c).params); };
  auto hardware = [space](const std::string& kind, const std::string& device, bool as_built = false) {
    auto f = hardware_column(*space, kind, device, as_built);
    return [space, f](const Architecture& c) { return f(c); };
  };
  std::vector<Column> cols;
  if (name == "synflow") {
    cols = {{"neg_log_synflow", false, proxy("synflow", true)}, {"params", true, params}};
  } else if (name == "naswot-latency") {
    cols = {{"neg_naswot", false, proxy("naswot", false)},
            {"latency_ms", false, hardware("latency", "raspberry-pi-4")}};
  } else if (name == "synflow-latency-energy") {
    cols = {{"neg_log_synflow", false, proxy("synflow", true)},
            {"latency_ms", true, hardware("latency", "jetson-nano")},
            {"energy_mj", true, hardware("energy", "jetson-nano")}};
  } else if (name == "synflow-latency-as-built") {
    // Latency costed as built (dead edges run): cells that deploy the same network differ.
    cols = {{"neg_log_synflow", false, proxy("synflow", true)}, {"latency_ms", true, hardware("latency", "raspberry-pi-4", true)}};
    return std::make_unique<testing::Nb201Problem>(cols, true, pruned_identity);
  } else {
    throw UserError("--problem: unknown nb201 problem '" + name + "' (known: " + kProblems + ")");
  }
  return std::make_unique<testing::Nb201Problem>(cols);
}

/// The mbv problem: an error stand-in (expensive) against predicted raspberry-pi-4 latency (cheap).
/// The stand-in is project-made: lower with log MACs (bigger networks learn more, with
/// diminishing returns) plus seeded per-choice effects and interactions of neighbouring
/// decisions, on the canonical form (a block the depth switches off has no effect). Hypervolumes
/// are normalized by the bounds of 20,000 random networks (reference 1.1); points beyond them are
/// kept (a value below the lower bound gives more than 1 there).
class MbvProblem {
 public:
  MbvProblem() : space_(make_space("mbv")) {
    const auto& d = space_->decisions();
    Rng rng(2025);
    for (const auto& dec : d) {
      std::vector<double> u;
      for (std::size_t k = 0; k < dec.choices.size(); ++k) u.push_back(0.08 * rng.normal());
      unary_.push_back(u);
      std::vector<double> p;
      for (std::size_t k = 0; k < dec.choices.size() * 8; ++k) p.push_back(0.05 * rng.normal());
      pair_.push_back(p);
    }
    latency_ = hardware_column(*space_, "latency", "raspberry-pi-4");
    std::vector<Point> pts;
    Rng sample(7);
    for (int i = 0; i < 20000; ++i) pts.push_back(objectives(space_->sample(sample)));
    bounds_ = bounds_of(pts);
  }
  const SearchSpace& space() const { return *space_; }
  Point objectives(const Architecture& a) const {
    const std::uint64_t h = space_->canonical_hash(a);
    if (auto it = memo_.find(h); it != memo_.end()) return it->second;
    const Architecture c = space_->canonicalize(a);
    const double macs = static_cast<double>(space_->count(c).macs);
    double s = 0.9 * std::log(macs / 1e8);
    const auto& d = space_->decisions();
    for (std::size_t i = 0; i < d.size(); ++i) {
      s += unary_[i][c.choices[i]];
      if (i + 1 < d.size()) s += pair_[i][c.choices[i] * 8 + c.choices[i + 1] % 8];
    }
    const Point p{0.05 + 0.85 / (1.0 + std::exp(1.5 * s)), latency_(c)};
    memo_[h] = p;
    return p;
  }
  double hypervolume(const std::vector<Point>& points) const {
    return normalized_hypervolume(points, bounds_.lower, bounds_.upper);
  }
  StrategyContext context(std::uint64_t seed) const {
    StrategyContext c;
    c.space = space_.get();
    c.num_objectives = 2;
    c.is_cheap = {false, true};
    c.seed = seed;
    c.cheap = [this](const Architecture& a) -> std::optional<std::vector<double>> {
      return std::vector<double>{std::nan(""), objectives(a)[1]};
    };
    return c;
  }

 private:
  std::unique_ptr<SearchSpace> space_;
  std::vector<std::vector<double>> unary_, pair_;
  std::function<double(const Architecture&)> latency_;
  ObjectiveBounds bounds_;
  mutable std::unordered_map<std::uint64_t, Point> memo_;
};

}  // namespace hwnas::bench
