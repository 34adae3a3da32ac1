#include "hwnas/core/csv.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "hwnas/core/error.h"
#include "hwnas/core/read_file.h"

namespace hwnas {

std::optional<std::size_t> CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  return std::nullopt;
}

std::size_t CsvTable::require_column(std::string_view name) const {
  if (auto c = column(name)) return *c;
  std::string cols;
  for (const auto& h : header) cols += (cols.empty() ? "" : ", ") + h;
  throw UserError(source + ": missing column '" + std::string(name) + "' (columns: " + cols + ")");
}

double CsvTable::number(std::size_t row, std::size_t col) const {
  const std::string& f = rows.at(row).at(col);
  const char* begin = f.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  while (end && (*end == ' ' || *end == '\t')) ++end;
  if (f.empty() || end == begin || *end != '\0' || errno == ERANGE || !std::isfinite(v))
    throw UserError(where(row) + ": column '" + header.at(col) + "': expected a number, got '" + f + "'");
  return v;
}

CsvTable parse_csv(std::string_view text, const std::string& source) {
  CsvTable t;
  t.source = source;
  std::vector<std::vector<std::string>> records;
  std::vector<std::size_t> lines;
  std::vector<std::string> record;
  std::string field;
  std::size_t line = 1, record_line = 1;
  bool in_quotes = false, field_started = false, any = false;
  auto end_field = [&] {
    record.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_record = [&] {
    end_field();
    // A blank line is skipped, not read as a row with one empty field.
    if (!(record.size() == 1 && record[0].empty())) {
      records.push_back(std::move(record));
      lines.push_back(record_line);
    }
    record.clear();
  };
  std::size_t i = 0;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;  // UTF-8 byte order mark
  for (; i < text.size(); ++i) {
    const char c = text[i];
    any = true;
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"') {
      if (field_started && !field.empty())
        throw UserError(source + ":" + std::to_string(line) + ": quote inside an unquoted field");
      in_quotes = true;
      field_started = true;
    } else if (c == ',') {
      end_field();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    } else if (c == '\n') {
      end_record();
      ++line;
      record_line = line;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (in_quotes) throw UserError(source + ":" + std::to_string(record_line) + ": unterminated quoted field");
  if (any && (!field.empty() || !record.empty() || field_started)) end_record();
  if (records.empty()) throw UserError(source + ": empty CSV file (no header row)");
  t.header = std::move(records[0]);
  for (std::size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != t.header.size())
      throw UserError(source + ":" + std::to_string(lines[r]) + ": expected " + std::to_string(t.header.size()) +
                      " fields (as in the header), got " + std::to_string(records[r].size()));
    t.rows.push_back(std::move(records[r]));
    t.row_lines.push_back(lines[r]);
  }
  return t;
}

CsvTable read_csv_file(const std::string& path) { return parse_csv(read_whole_file(path), path); }

std::string csv_escape(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace hwnas
