// Tests of reading CSV and evaluations.jsonl tables, and of cell parsing.
#include "hwnas/analysis/data_table.h"

#include <gtest/gtest.h>

#include "hwnas/core/error.h"
#include "support/cli.h"

using namespace hwnas::analysis;

TEST(DataTable, JsonlFlattensNestedObjectsWithDots) {
  const std::string text =
      "{\"id\": 0, \"arch\": \"|a|\", \"decisions\": [1, 2], \"status\": \"ok\", \"objectives\": {\"params\": 401946, \"err\": 0.081}}\n"
      "\n"
      "{\"id\": 1, \"arch\": \"|b|\", \"status\": \"rejected\", \"objectives\": {\"params\": 1.5e6}, \"ok\": true, \"x\": null}\n";
  const DataTable d = parse_jsonl(text, "run/evaluations.jsonl");
  const auto& t = d.table;
  EXPECT_EQ(t.header, (std::vector<std::string>{"id", "arch", "status", "objectives.params", "objectives.err", "ok", "x"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"0", "|a|", "ok", "401946", "0.081", "", ""}));
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"1", "|b|", "rejected", "1500000.0", "", "true", ""}));
  EXPECT_EQ(t.line_of(1), 3u);
  EXPECT_TRUE(d.warnings.empty());
}

TEST(DataTable, JsonlErrorsNameFileLineAndColumn) {
  try {
    parse_jsonl("{\"a\": 1}\n{\"a\": 2,, }\n{\"a\": 3}\n", "e.jsonl");
    ADD_FAILURE();
  } catch (const hwnas::UserError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("e.jsonl:2:9: invalid JSON: syntax error", 0), 0u) << e.what();
  }
  try {
    parse_jsonl("[1, 2]\n", "e.jsonl");
    ADD_FAILURE();
  } catch (const hwnas::UserError& e) {
    EXPECT_STREQ(e.what(), "e.jsonl:1:1: expected a JSON object per line, got array");
  }
}

TEST(DataTable, JsonlLastLineCutShortIsIgnoredWithWarning) {
  const DataTable d = parse_jsonl("{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3, \"b", "run.jsonl");
  EXPECT_EQ(d.table.rows.size(), 2u);
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_EQ(d.warnings[0], "run.jsonl:3: ignored a last line cut short (no newline, not valid JSON)");
}

TEST(DataTable, ReadsByExtension) {
  const std::string dir = hwnas::test::scratch_dir();
  hwnas::test::write_text(dir + "/t.csv", "a,b\n1,\"x, y\"\n");
  hwnas::test::write_text(dir + "/e.JSONL", "{\"a\": 1, \"b\": \"x, y\"}\n");
  const DataTable c = read_data_table(dir + "/t.csv"), j = read_data_table(dir + "/e.JSONL");
  EXPECT_EQ(c.table.header, j.table.header);
  EXPECT_EQ(c.table.rows, j.table.rows);
  try {
    read_data_table(dir + "/none.jsonl");
    ADD_FAILURE();
  } catch (const hwnas::UserError& e) {
    EXPECT_EQ(std::string(e.what()), dir + "/none.jsonl: cannot open file: No such file or directory");
  }
}

TEST(DataTable, CellParsing) {
  EXPECT_EQ(parse_cell(" 1.5e3 ").kind, CellKind::Number);
  EXPECT_EQ(parse_cell(" 1.5e3 ").value, 1500);
  EXPECT_EQ(parse_cell("-2").value, -2);
  for (const char* m : {"", "  ", "NA", "n/a", "NaN", "null", "None"}) EXPECT_EQ(parse_cell(m).kind, CellKind::Missing) << m;
  for (const char* m : {"inf", "1,000", "12 GB", "0x10", "abc", "1e999"})
    EXPECT_EQ(parse_cell(m).kind, CellKind::NotNumber) << m;
  EXPECT_EQ(trim(" \ta b\t "), "a b");
}
