#pragma once
// A run's evaluations.jsonl as JSON records without their wall-clock fields (elapsed_s, eval_s), for tests
// that compare two runs record by record.
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hwnas::test {

inline std::vector<nlohmann::json> log_records_without_times(const std::string& run_dir) {
  std::vector<nlohmann::json> out;
  std::ifstream f(run_dir + "/evaluations.jsonl");
  for (std::string line; std::getline(f, line);) {
    auto j = nlohmann::json::parse(line);
    j.erase("elapsed_s");
    j.erase("eval_s");
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace hwnas::test
