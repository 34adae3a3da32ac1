#include "hwnas/core/jsonl.h"

#include <gtest/gtest.h>

#include "support/errors.h"

using namespace hwnas;
using hwnas::test::error_of;

TEST(Jsonl, CompleteLinesOnlyBlankLinesSkipped) {
  const JsonlText t = parse_jsonl("{\"a\": 1}\n\n  \n[2]\n{\"cut", "f.jsonl");
  ASSERT_EQ(t.lines.size(), 2u);
  EXPECT_EQ(t.lines[0].value, (nlohmann::json{{"a", 1}}));
  EXPECT_EQ(t.lines[0].line, 1);
  EXPECT_EQ(t.lines[1].value, nlohmann::json::array({2}));
  EXPECT_EQ(t.lines[1].line, 4);
  EXPECT_EQ(t.valid_bytes, 17u);  // up to and including the fourth newline
  EXPECT_EQ(t.cut_bytes, 5u);
  EXPECT_EQ(t.cut_line, 5);
}

TEST(Jsonl, NothingCutAndEmptyText) {
  const JsonlText t = parse_jsonl("1\n", "f.jsonl");
  EXPECT_EQ(t.lines.size(), 1u);
  EXPECT_EQ(t.valid_bytes, 2u);
  EXPECT_EQ(t.cut_bytes, 0u);
  const JsonlText e = parse_jsonl("", "f.jsonl");
  EXPECT_TRUE(e.lines.empty());
  EXPECT_EQ(e.valid_bytes, 0u);
}

TEST(Jsonl, AMalformedLineNamesFileLineAndWhatIsDamaged) {
  const std::string msg = error_of([] { parse_jsonl("{}\n{\"a\": }\n", "runs/x/trials.jsonl", " (the journal is damaged)"); });
  EXPECT_EQ(msg.rfind("runs/x/trials.jsonl:2:", 0), 0u) << msg;
  EXPECT_NE(msg.find("(the journal is damaged)"), std::string::npos) << msg;
}
