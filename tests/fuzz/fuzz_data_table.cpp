// Fuzz target: `hwnas scaling` tables in JSONL (parse_jsonl), the cells parsed as values.
#include "fuzz_common.h"
#include "hwnas/analysis/data_table.h"

HWNAS_FUZZ_TARGET({
  const hwnas::analysis::DataTable d = hwnas::analysis::parse_jsonl(input, "fuzz.jsonl");
  for (const auto& row : d.table.rows)
    for (const auto& cell : row) hwnas::analysis::parse_cell(cell);
})
