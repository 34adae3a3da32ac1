#include "hwnas/core/json_reader.h"

#include <gtest/gtest.h>

#include "support/errors.h"

#include "support/cli.h"

using namespace hwnas;
using hwnas::test::error_of;


TEST(JsonReader, ReadsTypedFieldsWithDefaults) {
  nlohmann::json j = {{"a", 3}, {"b", 2.5}, {"c", "x"}, {"d", {1, 2}}, {"e", true}, {"f", 4.0}};
  JsonReader r(j, "cfg");
  EXPECT_EQ(r.get("a", 0), 3);
  EXPECT_DOUBLE_EQ(r.get("b", 0.0), 2.5);
  EXPECT_EQ(r.get<std::string>("c", ""), "x");
  EXPECT_EQ(r.get<std::vector<int>>("d", {}), (std::vector<int>{1, 2}));
  EXPECT_TRUE(r.get("e", false));
  EXPECT_EQ(r.get("f", 0), 4);  // 4.0 is an integer value
  EXPECT_EQ(r.get("missing", 7), 7);
  EXPECT_NO_THROW(r.finish());
}

TEST(JsonReader, ErrorsNameThePath) {
  nlohmann::json j = {{"a", "three"}, {"list", {1, "x"}}, {"sub", {{"k", 1}}}, {"typo", 1}};
  JsonReader r(j, "cfg.json: strategy");
  EXPECT_EQ(error_of([&] { r.get("a", 0); }), "cfg.json: strategy.a: expected an integer, got string \"three\"");
  EXPECT_EQ(error_of([&] { r.get<std::vector<int>>("list", {}); }),
            "cfg.json: strategy.list[1]: expected an integer, got string \"x\"");
  EXPECT_EQ(error_of([&] { r.require<int>("needed"); }), "cfg.json: strategy.needed: required field is missing");
  EXPECT_EQ(error_of([&] { JsonReader bad(nlohmann::json(3), "cfg.json: budget"); }),
            "cfg.json: budget: expected an object, got integer 3");
  r.raw("sub");
  EXPECT_EQ(error_of([&] { r.finish(); }),
            "cfg.json: strategy.typo: unknown key (expected one of: a, list, needed, sub)");
  EXPECT_EQ(error_of([&] { JsonReader::convert<int>(nlohmann::json(3.5), "x"); }), "x: expected an integer, got number 3.5");
  EXPECT_EQ(error_of([&] { JsonReader::convert<int>(nlohmann::json(1e12), "x"); }),
            "x: expected an integer in 32-bit range, got number 1000000000000.0");
}

TEST(JsonReader, FileErrorsNameLineAndColumn) {
  const std::string dir = test::scratch_dir();
  test::write_text(dir + "/bad.json", "{\n  \"a\": 1,\n  \"b\": ]\n}\n");
  const std::string msg = error_of([&] { read_json_file(dir + "/bad.json"); });
  EXPECT_EQ(msg.rfind(dir + "/bad.json:3:8: invalid JSON: syntax error", 0), 0u) << msg;
  EXPECT_EQ(error_of([&] { read_json_file(dir + "/none.json"); }), dir + "/none.json: cannot open file");
  test::write_text(dir + "/ok.json", "{\"a\": [1, 2]}");
  EXPECT_EQ(read_json_file(dir + "/ok.json")["a"][1], 2);
}
