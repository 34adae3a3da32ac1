#pragma once
// CSV files (RFC 4180): comma-separated, fields optionally in double quotes, a quoted field may
// hold commas, line breaks and doubled quotes (""). The first row is the header. CRLF and LF
// line ends are accepted. Errors are UserError naming the file and line.
//
// Example:
//   CsvTable t = read_csv_file("samples.csv");
//   std::size_t col = t.require_column("latency_ms");          // UserError if absent
//   for (std::size_t r = 0; r < t.rows.size(); ++r) use(t.rows[r][col], t.line_of(r));
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hwnas {

struct CsvTable {
  std::string source;                         // file name (or "<string>") for messages
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // every row has header.size() fields
  std::vector<std::size_t> row_lines;          // 1-based line where each row starts

  std::optional<std::size_t> column(std::string_view name) const;
  /// Index of a column; UserError "FILE: missing column 'name' (columns: a, b, c)".
  std::size_t require_column(std::string_view name) const;
  std::size_t line_of(std::size_t row) const { return row_lines.at(row); }
  /// "FILE:LINE" prefix for messages about a row.
  std::string where(std::size_t row) const { return source + ":" + std::to_string(line_of(row)); }
  /// Parses a field as a finite double; UserError naming file, line and column on failure.
  double number(std::size_t row, std::size_t col) const;
};

/// Parses CSV text. A row with a different number of fields than the header is an error.
CsvTable parse_csv(std::string_view text, const std::string& source = "<string>");
CsvTable read_csv_file(const std::string& path);

/// Quotes a field when it holds a comma, quote or line break.
std::string csv_escape(std::string_view field);

}  // namespace hwnas
