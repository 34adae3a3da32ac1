#include "hwnas/analysis/data_table.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/core/read_file.h"

namespace hwnas::analysis {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Flattens one JSON object into (column, cell text) pairs.
void flatten(const nlohmann::ordered_json& j, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    const nlohmann::ordered_json& v = it.value();
    if (v.is_object()) {
      flatten(v, key, out);
    } else if (v.is_string()) {
      out.emplace_back(key, v.get<std::string>());
    } else if (v.is_number() || v.is_boolean()) {
      out.emplace_back(key, v.dump());  // shortest text that reads back to the same double
    } else if (v.is_null()) {
      out.emplace_back(key, "");
    }  // arrays are not columns
  }
}


}  // namespace

DataTable parse_jsonl(std::string_view text, const std::string& source) {
  DataTable d;
  d.table.source = source;
  std::map<std::string, std::size_t> index;
  std::vector<std::vector<std::pair<std::size_t, std::string>>> cells;  // per row: (column, text)
  std::size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    ++line_no;
    const std::size_t nl = text.find('\n', pos);
    const bool has_newline = nl != std::string_view::npos;
    std::string_view line = text.substr(pos, has_newline ? nl - pos : std::string_view::npos);
    pos = has_newline ? nl + 1 : text.size();
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    const std::string where = source + ":" + std::to_string(line_no);
    nlohmann::ordered_json j;  // keeps the keys in file order, for the column order
    try {
      j = parse_ordered_json(line, source, line_no);
    } catch (const UserError&) {
      if (!has_newline) {
        d.warnings.push_back(where + ": ignored a last line cut short (no newline, not valid JSON)");
        break;
      }
      throw;
    }
    if (!j.is_object())
      throw UserError(where + ":1: expected a JSON object per line, got " + std::string(j.type_name()));
    std::vector<std::pair<std::string, std::string>> flat;
    flatten(j, "", flat);
    std::vector<std::pair<std::size_t, std::string>> row;
    for (auto& [key, value] : flat) {
      auto [it, inserted] = index.emplace(key, d.table.header.size());
      if (inserted) d.table.header.push_back(key);
      row.emplace_back(it->second, std::move(value));
    }
    cells.push_back(std::move(row));
    d.table.row_lines.push_back(line_no);
  }
  for (const auto& row : cells) {
    std::vector<std::string> full(d.table.header.size());
    for (const auto& [c, v] : row) full[c] = v;
    d.table.rows.push_back(std::move(full));
  }
  return d;
}

DataTable read_data_table(const std::string& path) {
  std::string lower = path;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!ends_with(lower, ".jsonl")) return DataTable{read_csv_file(path), {}};
  return parse_jsonl(read_whole_file(path), path);
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

bool is_missing(std::string_view text) {
  text = trim(text);
  if (text.empty()) return true;
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower == "na" || lower == "n/a" || lower == "nan" || lower == "null" || lower == "none";
}

Cell parse_cell(std::string_view text) {
  if (is_missing(text)) return {CellKind::Missing, 0};
  const std::string s(trim(text));
  const char* begin = s.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  if (end == begin || *end != '\0' || errno == ERANGE || !std::isfinite(v)) return {CellKind::NotNumber, 0};
  // strtod also reads hexadecimal ("0x1p3"); a data file meaning that is rare, a typo likelier.
  for (char c : s)
    if (c == 'x' || c == 'X') return {CellKind::NotNumber, 0};
  return {CellKind::Number, v};
}

}  // namespace hwnas::analysis
