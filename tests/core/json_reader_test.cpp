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
  EXPECT_EQ(error_of([&] { read_json_file(dir + "/none.json"); }), dir + "/none.json: cannot open file: No such file or directory");
  test::write_text(dir + "/ok.json", "{\"a\": [1, 2]}");
  EXPECT_EQ(read_json_file(dir + "/ok.json")["a"][1], 2);
}

// Every JSON input goes through parse_json: these inputs crashed or reached an internal error
// (issue #14: a fuzzer's 14 crashes were deep nesting; 1e309; duplicate keys; 2^64-1 wrapping to -1).
TEST(ParseJson, DeepNestingIsAnErrorNotACrash) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string msg = error_of([&] { parse_json(deep, "deep.json"); });
  EXPECT_EQ(msg.rfind("deep.json: [0][0][0][0][0][0]", 0), 0u) << msg;
  EXPECT_EQ(msg.substr(msg.size() - 45), "[0][0]...: JSON nested deeper than 256 levels") << msg;
  EXPECT_LT(msg.size(), 300u) << msg;
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  EXPECT_NE(error_of([&] { parse_json(objects, "o.json"); }).find(": JSON nested deeper than 256 levels"), std::string::npos);
  // 256 levels are fine, 257 are not.
  EXPECT_NO_THROW(parse_json(std::string(256, '[') + std::string(256, ']'), "ok"));
  EXPECT_NE(error_of([&] { parse_json(std::string(257, '[') + std::string(257, ']'), "x"); }).find("deeper than 256"),
            std::string::npos);
}

TEST(ParseJson, NumbersOutOfRangeNameSourceLineAndColumn) {
  EXPECT_EQ(error_of([&] { parse_json("{\"seed\": 1e309}", "c.json"); }), "c.json:1:10: number out of range: 1e309");
  EXPECT_EQ(error_of([&] { parse_json("{\n \"a\": [-1e400]}", "c.json"); }), "c.json:2:8: number out of range: -1e400");
  // 2^64-1 parses (as unsigned) but is no 64-bit signed integer: an error naming the path, not -1.
  const nlohmann::json j = parse_json("{\"seed\": 18446744073709551615}", "c.json");
  JsonReader r(j, "c.json: top");
  EXPECT_EQ(error_of([&] { r.get<long long>("seed", 0); }),
            "c.json: top.seed: expected an integer in 64-bit range, got integer 18446744073709551615");
  EXPECT_EQ(JsonReader::convert<long long>(parse_json("9223372036854775807", "x"), "x"), 9223372036854775807LL);
}

TEST(ParseJson, DuplicateKeysAreErrorsNamingThePath) {
  EXPECT_EQ(error_of([&] { parse_json(R"({"seed": 0, "seed": 3})", "c.json"); }), "c.json: seed: duplicate key \"seed\"");
  EXPECT_EQ(error_of([&] { parse_json(R"({"a": [1, {"b": {"x": 1, "x": 2}}]})", "c.json"); }),
            "c.json: a[1].b.x: duplicate key \"x\"");
  // The same key in sibling objects is fine.
  EXPECT_NO_THROW(parse_json(R"([{"a": 1}, {"a": 2}, {"b": {"a": 3}}])", "ok"));
  // A line of a JSONL file: the line is named.
  EXPECT_EQ(error_of([&] { parse_json(R"({"id": 1, "id": 2})", "e.jsonl", 7); }), "e.jsonl:7: id: duplicate key \"id\"");
  EXPECT_EQ(error_of([&] { parse_json(R"({"id": 1,})", "e.jsonl", 7); }).rfind("e.jsonl:7:10: invalid JSON: syntax error", 0),
            0u);
}

TEST(ParseJson, SizeLimitIsCheckedBeforeParsing) {
  const std::string big(kMaxJsonBytes + 1, ' ');
  EXPECT_EQ(error_of([&] { parse_json(big, "big.json"); }),
            "big.json: JSON text of 67108865 bytes is larger than the limit of 67108864 bytes");
  const std::string dir = test::scratch_dir();
  test::write_text(dir + "/big.json", big);
  EXPECT_EQ(error_of([&] { read_json_file(dir + "/big.json"); }),
            dir + "/big.json: file of 67108865 bytes is larger than the limit of 67108864 bytes");
}

TEST(ParseJson, OrderedKeepsDocumentOrderAndTheSameChecks) {
  const auto j = parse_ordered_json(R"({"z": 1, "a": 2})", "t");
  EXPECT_EQ(j.begin().key(), "z");
  EXPECT_EQ(error_of([&] { parse_ordered_json(R"({"z": 1, "z": 2})", "t"); }), "t: z: duplicate key \"z\"");
}

TEST(ParseJson, OnlyRegularFilesAreRead) {
  // A config naming /dev/zero or a FIFO would hang a reader that reads to the end.
  EXPECT_EQ(error_of([&] { read_json_file("/dev/zero"); }),
            "/dev/zero: not a regular file (a device, pipe or socket cannot be read as input)");
  const std::string dir = test::scratch_dir();
  EXPECT_EQ(error_of([&] { read_json_file(dir); }), dir + ": is a folder, expected a file");
}

TEST(JsonOverride, SetsFieldsByPathAndParsesTheValueAsJson) {
  nlohmann::json j = {{"seed", 0}, {"budget", {{"evaluations", 10}}}, {"objectives", {{{"log", true}}, {{"log", true}}}}};
  apply_json_override(j, "seed=3", "--set");
  apply_json_override(j, "budget.evaluations=200", "--set");
  apply_json_override(j, "objectives[1].log=false", "--set");
  apply_json_override(j, "objectives.0.name=\"3\"", "--set");  // a JSON string stays a string
  apply_json_override(j, "strategy.name=random", "--set");     // not JSON: a string; objects are created
  apply_json_override(j, "strategy.options={\"population\": [1, 2]}", "--set");
  apply_json_override(j, "output.name=", "--set");
  EXPECT_EQ(j["seed"], 3);
  EXPECT_EQ(j["budget"]["evaluations"], 200);
  EXPECT_EQ(j["objectives"][1]["log"], false);
  EXPECT_EQ(j["objectives"][0]["log"], true);
  EXPECT_EQ(j["objectives"][0]["name"], "3");
  EXPECT_EQ(j["strategy"]["name"], "random");
  EXPECT_EQ(j["strategy"]["options"]["population"], nlohmann::json::array({1, 2}));
  EXPECT_EQ(j["output"]["name"], "");
}

TEST(JsonOverride, MalformedAssignmentsNameTheFlag) {
  nlohmann::json j = {{"seed", 0}, {"objectives", nlohmann::json::array({1, 2})}};
  const nlohmann::json before = j;
  EXPECT_EQ(error_of([&] { apply_json_override(j, "seed", "--set"); }),
            "--set seed: expected PATH=VALUE, e.g. --set budget.evaluations=200");
  EXPECT_EQ(error_of([&] { apply_json_override(j, "a..b=1", "--set"); }), "--set a..b=1: empty key in the path 'a..b'");
  EXPECT_EQ(error_of([&] { apply_json_override(j, "a.=1", "--set"); }), "--set a.=1: empty key in the path 'a.'");
  EXPECT_EQ(error_of([&] { apply_json_override(j, "objectives[x]=1", "--set"); }),
            "--set objectives[x]=1: expected an array index in [], got '[x]'");
  EXPECT_EQ(error_of([&] { apply_json_override(j, "objectives[1=1", "--set"); }),
            "--set objectives[1=1: '[' without ']' in the path 'objectives[1'");
  EXPECT_EQ(error_of([&] { apply_json_override(j, "objectives[2]=1", "--set"); }),
            "--set objectives[2]=1: objectives has 2 elements, no [2]");
  EXPECT_EQ(error_of([&] { apply_json_override(j, "seed[0]=1", "--set"); }),
            "--set seed[0]=1: seed is not an array (it is of type integer)");
  EXPECT_EQ(error_of([&] { apply_json_override(j, "seed.x=1", "--set"); }),
            "--set seed.x=1: seed is not an object (it is of type integer)");
  EXPECT_EQ(j, before);  // a refused assignment changes nothing
}
