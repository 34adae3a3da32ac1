// Fuzz target: CSV tables (parse_csv), the cells read as numbers as table sources do.
#include "fuzz_common.h"
#include "hwnas/core/csv.h"

HWNAS_FUZZ_TARGET({
  const hwnas::CsvTable t = hwnas::parse_csv(input, "fuzz.csv");
  for (std::size_t r = 0; r < t.rows.size(); ++r)
    for (std::size_t c = 0; c < t.header.size(); ++c) {
      try {
        t.number(r, c);
      } catch (const hwnas::UserError&) {
      }
    }
})
