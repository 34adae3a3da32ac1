// SearchConfig: strict reading, every error names the file and the JSON path, resolution of
// defaults and relative paths, the identity used by resume, and the shipped example configs.
#include "hwnas/search/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "config_test_fixtures.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/core/read_file.h"
#ifdef HWNAS_WITH_TORCH
#include "hwnas/search/objective_proxy.h"
#include "hwnas/search/scheduler.h"
#include "hwnas/search/strategy.h"
#include "hwnas/nas/search_space.h"
#endif
#include "support/paths.h"

using namespace hwnas;
using hwnas::testing::config_from;
using hwnas::testing::table_config;
using hwnas::testing::user_error;
using hwnas::testing::write_error_table;
namespace fs = std::filesystem;

namespace {

nlohmann::json minimal() {
  return {{"space", {{"name", "nb201"}}},
          {"objectives", {{{"name", "params"}, {"source", "params"}}, {{"name", "flops"}, {"source", "flops"}}}},
          {"budget", {{"evaluations", 10}}}};
}

// Applies `edit` to the minimal config and returns the error message of reading it.
std::string error_of(const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j = minimal();
  edit(j);
  const std::string dir = hwnas::test::scratch_dir();
  return user_error([&] { config_from(j, dir, "bad.json"); });
}

}  // namespace

TEST(SearchConfig, MinimalConfigResolvesDefaults) {
  const SearchConfig c = config_from(minimal(), hwnas::test::scratch_dir(), "mini.json");
  EXPECT_EQ(c.space, "nb201");
  EXPECT_EQ(c.space_options["channels"], 16);
  EXPECT_EQ(c.strategy, "evolution");
  EXPECT_EQ(c.strategy_options["population"], 50);  // the strategy's default, filled in
  EXPECT_EQ(c.parallelism, 1);
  EXPECT_EQ(c.effective_batch_size(), 1);
  EXPECT_EQ(c.seed, 0u);
  EXPECT_EQ(*c.budget.evaluations, 10);
  EXPECT_FALSE(c.budget.seconds.has_value());
  EXPECT_EQ(c.run_dir(), "runs/mini");
  ASSERT_EQ(c.objectives.size(), 2u);
  EXPECT_TRUE(c.objectives[0].cheap);
  EXPECT_FALSE(c.objectives[0].maximize());
  const nlohmann::json r = c.to_json();
  EXPECT_EQ(r["objectives"][0]["source"], "params");
  EXPECT_EQ(r["objectives"][0]["direction"], "minimize");
  EXPECT_EQ(r["output"]["name"], "mini");
  EXPECT_EQ(r["batch_size"], 1);
}

TEST(SearchConfig, ResolvedConfigReadsBackToItself) {
  const std::string dir = hwnas::test::scratch_dir();
  const std::string table = write_error_table(dir + "/err.csv");
  nlohmann::json j = table_config("err.csv");
  j["constraints"] = {{{"objective", "params"}, {"max", 1e6}}};
  j["budget"]["seconds"] = 30;
  const SearchConfig c = config_from(j, dir);
  const SearchConfig again = config_from(c.to_json(), dir, "again.json");
  EXPECT_EQ(again.to_json().dump(), [&] {
    nlohmann::json x = c.to_json();
    x["output"]["name"] = "search";  // from the original file's stem; written explicitly, kept
    return x;
  }().dump());
  EXPECT_EQ(again.identity_json(), c.identity_json());
}

TEST(SearchConfig, TablePathIsResolvedAgainstTheConfigFolder) {
  const std::string dir = hwnas::test::scratch_dir();
  fs::create_directories(dir + "/sub/data");
  write_error_table(dir + "/sub/data/err.csv");
  const SearchConfig c = config_from(table_config("data/err.csv"), dir + "/sub");
  const std::string file = c.objectives[0].spec["file"];
  EXPECT_EQ(file, fs::absolute(dir + "/sub/data/err.csv").lexically_normal().string());
  EXPECT_FALSE(c.objectives[0].cheap);
  EXPECT_EQ(c.objectives[0].spec["key"], "arch_str");
  EXPECT_TRUE(c.objectives[1].log);
}

TEST(SearchConfig, IdentityIgnoresBudgetThreadsAndOutputOnly) {
  const std::string dir = hwnas::test::scratch_dir();
  nlohmann::json a = minimal();
  a["batch_size"] = 2;
  nlohmann::json b = a;
  b["budget"] = {{"evaluations", 99}, {"seconds", 5}};
  b["parallelism"] = 8;
  b["output"] = {{"dir", "elsewhere"}, {"name", "x"}};
  EXPECT_EQ(config_from(a, dir, "a.json").identity_json(), config_from(b, dir, "b.json").identity_json());
  nlohmann::json c = a;
  c["seed"] = 1;
  EXPECT_NE(config_from(a, dir, "a.json").identity_json(), config_from(c, dir, "c.json").identity_json());
}

TEST(SearchConfig, BadConfigsNameTheFileAndTheJsonPath) {
  struct Case {
    std::function<void(nlohmann::json&)> edit;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {[](auto& j) { j["budgte"] = 1; }, "bad.json: budgte: unknown key; did you mean 'budget'? (expected one of: "},
      {[](auto& j) { j["exclude_degenerate"] = "no"; }, "bad.json: exclude_degenerate: expected true or false, got string \"no\""},
      {[](auto& j) { j.erase("space"); }, "bad.json: space: required field is missing"},
      {[](auto& j) { j["space"]["name"] = "darts"; }, "bad.json: space.name: unknown search space 'darts'"},
      {[](auto& j) { j["space"]["options"] = {{"channels", -1}}; }, "bad.json: space.options.channels: expected an integer in 1..4096"},
      {[](auto& j) { j["space"]["colour"] = 1; }, "bad.json: space.colour: unknown key"},
      {[](auto& j) { j.erase("objectives"); }, "bad.json: objectives: required field is missing"},
      {[](auto& j) { j["objectives"] = nlohmann::json::array(); }, "bad.json: objectives: expected a non-empty array"},
      {[](auto& j) { j["objectives"][0].erase("name"); }, "bad.json: objectives[0].name: required field is missing"},
      {[](auto& j) { j["objectives"][1]["name"] = "params"; }, "bad.json: objectives[1].name: objective 'params' is defined twice"},
      {[](auto& j) { j["objectives"][1]["source"] = "accuracy"; },
       "bad.json: objectives[1].source: unknown objective source 'accuracy' (known: energy, external, flops, latency, macs, params, proxy, table, train)"},
      {[](auto& j) { j["objectives"][1]["source"] = 3; }, "bad.json: objectives[1].source: expected \"params\""},
      {[](auto& j) { j["objectives"][1]["source"] = {{"table", {}}, {"proxy", "x"}}; }, "bad.json: objectives[1].source: expected"},
      {[](auto& j) { j["objectives"][1]["direction"] = "up"; },
       "bad.json: objectives[1].direction: expected \"minimize\" or \"maximize\", got \"up\""},
      {[](auto& j) { j["objectives"][0]["log"] = "yes"; }, "bad.json: objectives[0].log: expected true or false, got string \"yes\""},
      {[](auto& j) { j["objectives"][0]["weight"] = 2; }, "bad.json: objectives[0].weight: unknown key"},
      {[](auto& j) { j["objectives"][1]["source"] = {{"params", {{"exact", true}}}}; },
       "bad.json: objectives[1].source.params.exact: unknown key"},
      {[](auto& j) { j["objectives"][1]["source"] = {{"proxy", "synflow"}}; },
       "bad.json: objectives[1].source.proxy: proxy objectives are not available in this build"},
      {[](auto& j) { j["objectives"][1]["source"] = {{"train", {{"epochs", 1}}}}; },
       "bad.json: objectives[1].source.train: training objectives are not available in this build"},
      {[](auto& j) { j["objectives"][1]["source"] = {{"table", {{"value", "error"}}}}; },
       "bad.json: objectives[1].source.table.file: required field is missing"},
      {[](auto& j) { j["objectives"][1]["source"] = {{"table", {{"file", "nope.csv"}, {"value", "error"}}}}; },
       "bad.json: objectives[1].source.table.file: no such file: "},
      {[](auto& j) { j["objectives"][1]["source"] = {{"latency", {{"device", "rtx-4090"}, {"precision", "fp64"}}}}; },
       "bad.json: objectives[1].source.latency.precision: "},
      {[](auto& j) { j["objectives"][1]["source"] = {{"energy", {{"device", "rtx-4090"}, {"batch", "1"}}}}; },
       "bad.json: objectives[1].source.energy.batch: expected an integer, got string \"1\""},
      {[](auto& j) { j["constraints"] = {{{"objective", "latency"}, {"max", 20}}}; },
       "bad.json: constraints[0].objective: no objective named 'latency' (objectives: params, flops)"},
      {[](auto& j) { j["constraints"] = {{{"objective", "params"}}}; }, "bad.json: constraints[0]: expected \"max\" and/or \"min\""},
      {[](auto& j) { j["constraints"] = {{{"objective", "params"}, {"max", "1M"}}}; },
       "bad.json: constraints[0].max: expected a number, got string \"1M\""},
      {[](auto& j) { j["constraints"] = {{{"objective", "params"}, {"min", 5}, {"max", 1}}}; },
       "bad.json: constraints[0]: min 5 is larger than max 1"},
      {[](auto& j) { j["constraints"] = nlohmann::json::array({"params"}); }, "bad.json: constraints[0]: expected an object"},
      {[](auto& j) { j["strategy"] = {{"name", "annealing"}}; }, "bad.json: strategy.name: unknown strategy \"annealing\""},
      {[](auto& j) { j["strategy"] = {{"name", "evolution"}, {"options", {{"populaton", 5}}}}; },
       "bad.json: strategy.options.populaton: unknown key"},
      {[](auto& j) { j.erase("budget"); }, "bad.json: budget: required field is missing"},
      {[](auto& j) { j["budget"] = nlohmann::json::object(); }, "bad.json: budget: expected at least one of \"evaluations\", \"seconds\", \"steps\" and \"gpu_seconds\""},
      {[](auto& j) { j["budget"] = {{"evaluations", 0}}; }, "bad.json: budget.evaluations: expected an integer >= 1, got 0"},
      {[](auto& j) { j["budget"] = {{"evaluations", 2.5}}; }, "bad.json: budget.evaluations: expected an integer"},
      {[](auto& j) { j["budget"] = {{"seconds", -1}}; }, "bad.json: budget.seconds: expected a number > 0, got -1"},
      {[](auto& j) { j["budget"]["hours"] = 1; }, "bad.json: budget.hours: unknown key"},
      {[](auto& j) { j["parallelism"] = 0; }, "bad.json: parallelism: expected an integer in 1..1024, got 0"},
      {[](auto& j) { j["batch_size"] = "4"; }, "bad.json: batch_size: expected an integer"},
      {[](auto& j) { j["seed"] = -3; }, "bad.json: seed: expected a non-negative integer, got -3"},
      {[](auto& j) { j["output"] = {{"name", "a/b"}}; }, "bad.json: output.name: expected a plain folder name"},
      {[](auto& j) { j["output"] = {{"folder", "x"}}; }, "bad.json: output.folder: unknown key"},
      {[](auto& j) { j = nlohmann::json::array(); }, "bad.json: expected a JSON object"},
  };
  for (const auto& c : cases) {
    const std::string msg = error_of(c.edit);
    EXPECT_NE(msg.find(c.expected), std::string::npos) << "expected: " << c.expected << "\n     got: " << msg;
  }
}

TEST(SearchConfig, TableErrorsNameTheColumnAndTheCsvLine) {
  const std::string dir = hwnas::test::scratch_dir();
  hwnas::test::write_text(dir + "/t.csv", "arch_str,error\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,0.5\n");
  nlohmann::json j = table_config("t.csv");
  j["objectives"][0]["source"]["table"]["value"] = "accuracy";
  EXPECT_NE(user_error([&] { config_from(j, dir); }).find("search.json: objectives[0].source.table.value: " +
                                                          fs::absolute(dir + "/t.csv").lexically_normal().string() +
                                                          " has no column 'accuracy'"),
            std::string::npos);
  hwnas::test::write_text(dir + "/t.csv", "arch_str,error\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,0.5\n|bogus|,1\n");
  j["objectives"][0]["source"]["table"]["value"] = "error";
  const std::string msg = user_error([&] { config_from(j, dir); });
  EXPECT_NE(msg.find("t.csv:3: column 'arch_str': "), std::string::npos) << msg;
}

TEST(SearchConfig, SyntaxErrorNamesTheFile) {
  const std::string dir = hwnas::test::scratch_dir();
  hwnas::test::write_text(dir + "/broken.json", "{\"space\": {\"name\": \"nb201\"},\n  \"objectives\": [}\n");
  const std::string msg = user_error([&] { SearchConfig::from_file(dir + "/broken.json"); });
  EXPECT_NE(msg.find("broken.json"), std::string::npos) << msg;
  EXPECT_NE(user_error([&] { SearchConfig::from_file(dir + "/absent.json"); }).find("absent.json"), std::string::npos);
}

TEST(SearchConfig, ShippedConfigsParse) {
#ifdef HWNAS_WITH_TORCH
  // The proxy objectives live in hwnas_torch and are registered by a call (as the hwnas program
  // does); removed again at the end so the other tests see the library's own table.
  register_proxy_objectives();
  struct Unregister {
    ~Unregister() {
      unregister_objective_source("proxy");
      unregister_objective_source("train");
    }
  } unregister;
#endif
  const fs::path configs = fs::path(HWNAS_SOURCE_DIR) / "configs";
  ASSERT_TRUE(fs::exists(configs / "quickstart.json"));
  int parsed = 0;
  for (const auto& e : fs::directory_iterator(configs)) {
    // Search configs only: not the schemas (schema.json, space.schema.json); space files live in configs/spaces/.
    if (e.path().extension() != ".json" || e.path().filename().string().ends_with("schema.json")) continue;
    const std::string msg = user_error([&] { SearchConfig::from_file(e.path().string()); });
#ifndef HWNAS_WITH_TORCH
    // The proxy and train kinds need the LibTorch plugin ("proxy objectives ...", "training objectives ...").
    if (msg.find("objectives are not available in this build") != std::string::npos) continue;
#endif
    EXPECT_EQ(msg, "") << e.path();
    ++parsed;
  }
  EXPECT_GE(parsed, 4);
#ifdef HWNAS_WITH_TORCH
  const SearchConfig q = SearchConfig::from_file((configs / "quickstart.json").string());
  EXPECT_EQ(q.objectives.size(), 3u);
  EXPECT_FALSE(q.objectives[0].cheap);
  EXPECT_EQ(q.objectives[0].spec["name"], "synflow");
  EXPECT_EQ(q.run_dir(), "runs/quickstart");
#endif
}

TEST(SearchConfig, TransformAndConstraintMessages) {
  ObjectiveConfig o;
  o.name = "acc";
  o.direction = Direction::Maximize;
  EXPECT_EQ(o.transform(0.9), -0.9);
  o.log = true;
  EXPECT_DOUBLE_EQ(o.transform(100.0), -2.0);
  EXPECT_TRUE(std::isnan(o.transform(0.0)));
  ConstraintConfig k;
  k.objective = "lat";
  k.max = 20;
  EXPECT_EQ(k.violation(20), "");
  EXPECT_EQ(k.violation(31.5), "lat = 31.5 > max 20");
  k.min = 1;
  EXPECT_EQ(k.violation(0.5), "lat = 0.5 < min 1");
  EXPECT_EQ(k.violation(NAN), "");
}

// #12: the config's own plain settings (seed, parallelism, batch_size, dispatch, ...) are listed
// once, in SearchConfig::fields; the schema's root properties agree with it on type and range.
TEST(SearchConfig, TheSchemaRootSettingsAgreeWithTheFieldList) {
  const nlohmann::json schema = read_json_file((fs::path(HWNAS_SOURCE_DIR) / "configs" / "schema.json").string());
  const nlohmann::json fields = options_schema<SearchConfig>()["properties"];
  ASSERT_GE(fields.size(), 7u);
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    SCOPED_TRACE(it.key());
    ASSERT_TRUE(schema["properties"].contains(it.key()));
    const nlohmann::json& hand = schema["properties"][it.key()];
    if (hand.contains("$ref")) {
      EXPECT_EQ(hand["$ref"], "#/$defs/generated/" + it.key());
      continue;
    }
    for (const char* k : {"type", "enum", "minimum", "maximum", "exclusiveMinimum"})
      EXPECT_EQ(hand.value(k, nlohmann::json()), it.value().value(k, nlohmann::json())) << k;
  }
  // Reading a config and writing it gives the settings back (the round trip of the field list).
  nlohmann::json j = minimal();
  j["parallelism"] = 3;
  j["dispatch"] = "asynchronous";
  j["seed"] = 7;
  j["output"] = {{"dir", "elsewhere"}, {"name", "x"}};
  j["budget"] = {{"evaluations", 5}, {"seconds", 2.5}};
  const SearchConfig c = SearchConfig::from_json(j, "cfg.json", "/tmp");
  EXPECT_EQ(c.batch_size, 3);  // default: parallelism
  const nlohmann::json out = c.to_json();
  for (const char* k : {"parallelism", "dispatch", "seed", "output", "budget"}) EXPECT_EQ(out[k], j[k]) << k;
  EXPECT_EQ(out["batch_size"], 3);
  EXPECT_FALSE(c.identity_json().contains("budget"));
  EXPECT_EQ(SearchConfig::from_json(out, "cfg.json", "/tmp").to_json(), out);
}

// #12: names cannot drift. The schema's lists of spaces, strategies, schedulers and objective
// source kinds are the registries' tables (a new entry without a schema line fails here).
TEST(SearchConfig, TheSchemaListsExactlyTheRegisteredNames) {
  const nlohmann::json schema = read_json_file((fs::path(HWNAS_SOURCE_DIR) / "configs" / "schema.json").string());
  auto set_of = [](const nlohmann::json& list) {
    std::set<std::string> s;
    for (const auto& x : list) s.insert(x.get<std::string>());
    return s;
  };
  auto table = [](const std::vector<std::string>& v) { return std::set<std::string>(v.begin(), v.end()); };
  const nlohmann::json& p = schema["properties"];
  EXPECT_EQ(set_of(p["space"]["properties"]["name"]["enum"]), table(space_names()));
  EXPECT_EQ(set_of(p["strategy"]["properties"]["name"]["enum"]), table(strategy_names()));
  EXPECT_EQ(set_of(p["scheduler"]["properties"]["name"]["enum"]), table(scheduler_names()));
  // Objective sources: the plain-string forms and the object forms' one required key.
  std::set<std::string> kinds;
  for (const auto& form : schema["$defs"]["source"]["oneOf"]) {
    if (form.contains("enum")) {
      for (const auto& k : form["enum"]) kinds.insert(k.get<std::string>());
    } else {
      kinds.insert(form["required"][0].get<std::string>());
    }
  }
  EXPECT_EQ(kinds, table(objective_source_kinds()));
}

// #12: the options parts of the schema come from the options structs' field lists. The file
// holds config_schema_defs() under $defs.generated, and refers to it where the config uses them;
// HWNAS_UPDATE_SCHEMA=1 rewrites that part of the file (then review the diff).
TEST(SearchConfig, TheSchemaHoldsTheGeneratedOptionsFragments) {
  const std::string file = (fs::path(HWNAS_SOURCE_DIR) / "configs" / "schema.json").string();
  nlohmann::ordered_json schema = parse_ordered_json(read_whole_file(file), file);
  const nlohmann::json generated = config_schema_defs();
  if (std::getenv("HWNAS_UPDATE_SCHEMA")) {
    schema["$defs"]["generated"] = nlohmann::ordered_json::parse(generated.dump());
    std::ofstream(file) << schema.dump(2) << "\n";
  }
  EXPECT_EQ(nlohmann::json::parse(schema["$defs"]["generated"].dump()), generated)
      << "configs/schema.json is out of date: run HWNAS_UPDATE_SCHEMA=1 build/test_search --gtest_filter='SearchConfig.TheSchema*'";
  // Every built-in strategy's options and space's options are referred to by name.
  const std::string text = schema.dump();
  for (const auto& [name, s] : generated["strategy_options"].items())
    EXPECT_NE(text.find("\"#/$defs/generated/strategy_options/" + name + "\""), std::string::npos) << name;
  for (const auto& [name, s] : generated["space_options"].items())
    EXPECT_NE(text.find("\"#/$defs/generated/space_options/" + name + "\""), std::string::npos) << name;
  for (const char* part : {"scheduler", "proxy_source", "train_source"})
    EXPECT_NE(text.find(std::string("\"#/$defs/generated/") + part + "\""), std::string::npos) << part;
}
