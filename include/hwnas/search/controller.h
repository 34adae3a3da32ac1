#pragma once
// The search controller behind `hwnas search CONFIG`: reads a strict JSON config, runs an ask/tell
// strategy, evaluates candidates (cheap objectives exactly first, constraints on them checked
// before any expensive proxy is paid for), appends every finished evaluation to
// RUN_DIR/evaluations.jsonl (flushed and fsynced before it counts) and keeps RUN_DIR/pareto.json
// and pareto.csv current (written atomically).
//
// This first version evaluates serially and does not resume a killed run yet; a run directory
// that already holds evaluations is refused rather than overwritten.
//
// Example:
//   SearchConfig cfg = SearchConfig::from_file("configs/quickstart.json");
//   SearchSummary s = run_search(cfg);
//   std::cout << s.brief();
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hwnas {

struct ObjectiveConfig {
  std::string name;
  std::string source;  // params | macs | flops | proxy
  std::string proxy;   // when source == proxy
  bool maximize = false;
  bool log = false;
  bool cheap() const { return source != "proxy"; }
};

struct ConstraintConfig {
  std::string objective;
  double min = -INFINITY, max = INFINITY;
};

struct SearchConfig {
  std::string source_file;
  std::string space = "nb201";
  nlohmann::json space_options = nullptr;
  std::vector<ObjectiveConfig> objectives;
  std::vector<ConstraintConfig> constraints;
  std::string strategy = "evolution";
  nlohmann::json strategy_options = nullptr;
  int evaluations = 100;
  std::uint64_t seed = 0;
  std::string output_dir;
  std::string dataset = "fashion-mnist";
  int proxy_batch = 64;

  static SearchConfig from_json(const nlohmann::json& j, const std::string& file);
  static SearchConfig from_file(const std::string& path);
  nlohmann::json to_json() const;  // resolved, defaults filled in
};

struct SearchSummary {
  std::string stop_reason;
  int evaluations = 0, failed = 0, rejected = 0;
  std::vector<nlohmann::json> front;  // evaluation records on the Pareto front
  double hypervolume = 0;             // normalized by the bounds of all successful evaluations
  std::string run_dir;
  std::string brief() const;
};

SearchSummary run_search(const SearchConfig& config, bool progress = true);

}  // namespace hwnas
