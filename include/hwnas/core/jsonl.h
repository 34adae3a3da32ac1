#pragma once
// The one reader of the JSON Lines files hwnas appends to (a run's evaluations.jsonl and
// trials.jsonl). A line is complete only with its newline: a last line without one is a write cut
// short by a kill, not returned (its size is reported, so a writer can cut it off before
// appending). Blank lines are skipped. Every other line must be JSON, or a UserError names
// FILE:LINE:COL (parse_json) followed by `damaged`.
//
// Example:
//   JsonlText t = parse_jsonl(read_whole_file(path), path, " (the run's journal is damaged)");
//   for (const JsonlLine& l : t.lines) use(l.value, path + ":" + std::to_string(l.line));
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hwnas {

struct JsonlLine {
  nlohmann::json value;
  int line = 0;  // 1-based
};

struct JsonlText {
  std::vector<JsonlLine> lines;
  std::uint64_t valid_bytes = 0;  // length of the prefix made of complete lines
  std::uint64_t cut_bytes = 0;    // size of a last line without its newline (0: none)
  int cut_line = 0;               // its line number
};

JsonlText parse_jsonl(const std::string& text, const std::string& path, const std::string& damaged = "");

}  // namespace hwnas
