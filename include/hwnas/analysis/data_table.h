#pragma once
// Tables for the scaling analyses: a CSV file, or a search run's evaluations.jsonl, read into the
// same CsvTable (header + string cells + the line each row starts on), so every analysis reads
// its columns the same way whatever the file was.
//
// A .jsonl file holds one JSON object per line. Every top-level number, string or boolean is a
// column; nested objects are flattened with dots ("objectives.params"); arrays are skipped; a
// field absent from a line (or null) is an empty cell. Columns appear in first-seen order.
//
// Example:
//   DataTable d = read_data_table("runs/q/evaluations.jsonl");
//   std::size_t c = d.table.require_column("objectives.params");
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hwnas/core/csv.h"

namespace hwnas::analysis {

struct DataTable {
  CsvTable table;
  std::vector<std::string> warnings;  // e.g. a truncated last line of a .jsonl that was ignored
};

/// Reads `path` as JSON Lines when it ends in ".jsonl", else as CSV. A malformed JSON line is a
/// UserError "FILE:LINE:COLUMN: ..."; a last line cut short (no newline, does not parse) is
/// ignored with a warning, as a search that is still writing leaves it.
DataTable read_data_table(const std::string& path);
/// JSON Lines text to a table; `source` names it in messages.
DataTable parse_jsonl(std::string_view text, const std::string& source = "<string>");

/// A cell read as a number: the value, or why it is not one.
enum class CellKind { Number, Missing, NotNumber };
struct Cell {
  CellKind kind = CellKind::Missing;
  double value = 0;
};
/// Empty (after trimming spaces) or NA, N/A, NaN, null, None (any case) is Missing; a finite
/// number in C syntax with optional surrounding spaces is a Number; anything else (including
/// "inf", "1,000", "12 GB") is NotNumber.
Cell parse_cell(std::string_view text);
/// True when the text is one of the missing-value spellings above.
bool is_missing(std::string_view text);
/// The text with leading and trailing spaces and tabs removed.
std::string_view trim(std::string_view text);

}  // namespace hwnas::analysis
