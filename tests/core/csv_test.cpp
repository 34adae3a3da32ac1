#include "hwnas/core/csv.h"

#include <gtest/gtest.h>

#include "hwnas/core/error.h"

using namespace hwnas;

TEST(Csv, QuotedFieldsWithCommasNewlinesAndQuotes) {
  CsvTable t = parse_csv("a,b,c\r\n1,\"x, y\",\"line1\nline2\"\n2,\"say \"\"hi\"\"\",\n", "t.csv");
  ASSERT_EQ(t.header, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0][1], "x, y");
  EXPECT_EQ(t.rows[0][2], "line1\nline2");
  EXPECT_EQ(t.rows[1][1], "say \"hi\"");
  EXPECT_EQ(t.rows[1][2], "");
  EXPECT_EQ(t.line_of(0), 2u);
  EXPECT_EQ(t.line_of(1), 4u);  // the quoted line break moved the second row down
}

TEST(Csv, ErrorsNameFileAndLine) {
  try {
    parse_csv("a,b\n1,2\n3\n", "x.csv");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_STREQ(e.what(), "x.csv:3: expected 2 fields (as in the header), got 1");
  }
  try {
    parse_csv("a\n\"open\n", "y.csv");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_STREQ(e.what(), "y.csv:2: unterminated quoted field");
  }
  CsvTable t = parse_csv("a,b\n1,zz\n", "z.csv");
  EXPECT_THROW(t.require_column("c"), UserError);
  try {
    t.number(0, 1);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_STREQ(e.what(), "z.csv:2: column 'b': expected a number, got 'zz'");
  }
  EXPECT_DOUBLE_EQ(t.number(0, 0), 1.0);
}

TEST(Csv, EscapeRoundTrips) {
  const std::string field = "a,\"b\"\nc";
  CsvTable t = parse_csv("h\n" + csv_escape(field) + "\n");
  EXPECT_EQ(t.rows.at(0).at(0), field);
  EXPECT_EQ(csv_escape("plain"), "plain");
}
