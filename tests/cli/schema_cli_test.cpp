// #12: configs/schema.json, with its options parts generated from the options structs, accepts
// every shipped search config and the resolved config (every default filled in) a run of each
// writes, and rejects a value outside a field's checked range. Validated by python3-jsonschema
// (draft 2020-12) through scripts/check_schema.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/cli.h"
#include "support/paths.h"

namespace fs = std::filesystem;

namespace {

hwnas::test::CliResult check_schema(const std::vector<std::string>& files) {
  const fs::path src(HWNAS_SOURCE_DIR);
  std::vector<std::string> args{(src / "scripts" / "check_schema.py").string(), (src / "configs" / "schema.json").string()};
  args.insert(args.end(), files.begin(), files.end());
  return hwnas::test::run_program("/usr/bin/python3", args);
}

}  // namespace

TEST(ConfigSchema, AcceptsEveryShippedAndResolvedConfigAndRejectsAnOutOfRangeOption) {
  const fs::path configs = fs::path(HWNAS_SOURCE_DIR) / "configs";
  const std::string dir = hwnas::test::scratch_dir();
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(configs)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() != ".json" || name.ends_with("schema.json")) continue;
    files.push_back(e.path().string());
    if (name == "external.json") continue;  // driven by ask/tell, not `hwnas search`
    const std::string out = dir + "/" + e.path().stem().string();
    const auto r = hwnas::test::run_hwnas({"search", e.path().string(), "--set", "budget.evaluations=2", "--out", out, "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    files.push_back(out + "/config.json");
  }
  ASSERT_GE(files.size(), 11u);
  const auto ok = check_schema(files);
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;

  // bo's initial_random must be at least 1 (BoOptions' field list), and gp is strict.
  nlohmann::json bad = nlohmann::json::parse(hwnas::test::read_text(dir + "/quickstart/config.json"));
  bad["strategy"] = {{"name", "bo"}, {"options", {{"initial_random", 0}, {"gp", {{"kernal", "rbf"}}}}}};
  std::ofstream(dir + "/bad.json") << bad.dump(2);
  const auto no = check_schema({dir + "/bad.json"});
  EXPECT_EQ(no.exit_code, 1) << no.out << no.err;
  EXPECT_NE(no.out.find("strategy/options/initial_random: 0 is less than the minimum of 1"), std::string::npos) << no.out;
  EXPECT_NE(no.out.find("'kernal' was unexpected"), std::string::npos) << no.out;
}
