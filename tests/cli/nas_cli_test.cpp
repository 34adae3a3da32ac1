// End-to-end tests of `hwnas evaluate` and `hwnas enumerate` through the built binary.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "hwnas/core/csv.h"
#include "support/cli.h"
#include "support/paths.h"

using hwnas::test::run_hwnas;

namespace {
const char* kAllConv = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";
}

TEST(CliNas, EvaluateJsonHasTheCounts) {
  auto r = run_hwnas({"evaluate", "--space", "nb201", "--arch", kAllConv, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["arch"], kAllConv);
  EXPECT_EQ(j["params"], 1531546);
  EXPECT_EQ(j["macs"], 220119680);
  EXPECT_GT(j["flops"].get<long long>(), 2LL * 220119680);
  EXPECT_EQ(j["hash"].get<std::string>().size(), 16u);
}

TEST(CliNas, EvaluateTextAndLayers) {
  auto r = run_hwnas({"evaluate", "--arch", kAllConv, "--layers"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("params            1531546\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cells.14.edge_3_2.conv"), std::string::npos);
  auto m = run_hwnas({"evaluate", "--space", "mbv", "--arch", "r160|w1|k3e3,k3e3|k5e6,k3e3|k3e3,k7e4,k3e3|k3e3,k3e3|k3e3,k3e3", "--json"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_GT(nlohmann::json::parse(m.out)["params"].get<long long>(), 1000000);
}

TEST(CliNas, KeepDeadCountsTheNetworkAsBuilt) {
  const std::string arch = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|";
  auto pruned = nlohmann::json::parse(run_hwnas({"evaluate", "--arch", arch, "--json"}).out);
  auto kept = nlohmann::json::parse(run_hwnas({"evaluate", "--arch", arch, "--json", "--keep-dead"}).out);
  EXPECT_EQ(pruned["params"], 73306);
  EXPECT_GT(kept["params"].get<long long>(), 73306);
  EXPECT_EQ(pruned["hash"], kept["hash"]);
}

TEST(CliNas, BadInputExitsWithCode2AndNamesTheProblem) {
  auto r = run_hwnas({"evaluate", "--arch", "|nor_conv_7x7~0|+|none~0|none~1|+|none~0|none~1|none~2|"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("position 2 ('nor_conv_7x7~0'): unknown op 'nor_conv_7x7' (valid: none, skip_connect"),
            std::string::npos)
      << r.err;
  auto s = run_hwnas({"evaluate", "--space", "darts", "--arch", "x"});
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_NE(s.err.find("unknown search space 'darts'"), std::string::npos) << s.err;
  auto o = run_hwnas({"evaluate", "--space-options", "{\"channels\": -1}", "--arch", kAllConv});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("space.options.channels: expected an integer in 1..4096, got -1"), std::string::npos) << o.err;
  auto j = run_hwnas({"evaluate", "--space-options", "{channels", "--arch", kAllConv});
  EXPECT_EQ(j.exit_code, 2);
  EXPECT_NE(j.err.find("--space-options:1:2: invalid JSON: syntax error"), std::string::npos) << j.err;
  EXPECT_NE(j.err.find("(--space-options takes a JSON object; quote it for the shell, e.g. --space-options "
                       "'{\"channels\": 8}')"),
            std::string::npos)
      << j.err;
  auto missing = run_hwnas({"evaluate"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--arch is required"), std::string::npos) << missing.err;
  auto unknown = run_hwnas({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
}

TEST(CliNas, HelpOnEverySubcommandExitsZero) {
  for (const char* sub : {"evaluate", "enumerate"}) {
    auto r = run_hwnas({sub, "--help"});
    EXPECT_EQ(r.exit_code, 0) << sub;
    EXPECT_NE(r.out.find("--space"), std::string::npos) << sub;
  }
  auto top = run_hwnas({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("enumerate"), std::string::npos);
}

TEST(CliNas, EnumerateWritesEveryArchitecture) {
  const std::string out = hwnas::test::scratch_dir() + "/nb201.csv";
  auto r = run_hwnas({"enumerate", "--space", "nb201", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("15625 architectures, 6985 distinct canonical forms"), std::string::npos) << r.out;
  const hwnas::CsvTable t = hwnas::read_csv_file(out);
  EXPECT_EQ(t.header, (std::vector<std::string>{"arch_str", "params", "macs", "flops", "hash"}));
  ASSERT_EQ(t.rows.size(), 15625u);
  bool found = false;
  for (const auto& row : t.rows)
    if (row[0] == kAllConv) found = row[1] == "1531546" && row[2] == "220119680";
  EXPECT_TRUE(found);
}

TEST(CliNas, EnumerateRefusesHugeSpacesAndBadPaths) {
  auto r = run_hwnas({"enumerate", "--space", "mbv", "--out", hwnas::test::scratch_dir() + "/mbv.csv"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("more than the enumeration limit"), std::string::npos) << r.err;
  // A count a person can read: 3.55e+22, not 35451752478610009620480.000000.
  EXPECT_NE(r.err.find("the space has 3.55e+22 architectures, more than the enumeration limit of 10,000,000"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(hwnas::test::scratch_dir() + "/mbv.csv"));
  auto p = run_hwnas({"enumerate", "--out", hwnas::test::scratch_dir() + "/no/dir/x.csv"});
  EXPECT_EQ(p.exit_code, 2);
  EXPECT_NE(p.err.find("cannot write"), std::string::npos) << p.err;
}

TEST(CliNas, AnArchOfAnotherSpaceSaysWhichSpace) {
  auto r = run_hwnas({"evaluate", "--arch", "r160|w1|k3e3,k3e3|k5e6,k3e3|k3e3,k7e4,k3e3|k3e3,k3e3|k3e3,k3e3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--arch: nb201 architecture string, position 1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("this looks like an mbv architecture: add --space mbv"), std::string::npos) << r.err;
  r = run_hwnas({"evaluate", "--space", "mbv", "--arch", kAllConv});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("this looks like an nb201 architecture: add --space nb201"), std::string::npos) << r.err;
  r = run_hwnas({"evaluate", "--arch", "|nor_conv_9x9~0|"});  // neither: no hint
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.find("looks like"), std::string::npos) << r.err;
}

TEST(CliNas, EvaluateFlagsANetworkWhoseOutputIgnoresItsInput) {
  const auto none = nlohmann::json::parse(
      run_hwnas({"evaluate", "--arch", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "--json"}).out);
  EXPECT_EQ(none["degenerate"], true);
  // Dead edges do not make a network degenerate as long as one path carries the input.
  const auto live = nlohmann::json::parse(
      run_hwnas({"evaluate", "--arch", "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|", "--json"}).out);
  EXPECT_EQ(live["degenerate"], false);
  const auto text = run_hwnas({"evaluate", "--arch", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"});
  EXPECT_NE(text.out.find("degenerate        yes"), std::string::npos) << text.out;
}

TEST(CliNas, EveryBenchmarkAnswersHelpWithoutStartingWork) {
  std::string list = HWNAS_BENCHES;
  ASSERT_FALSE(list.empty());
  std::size_t n = 0;
  for (std::size_t pos = 0; pos <= list.size();) {
    const std::size_t comma = std::min(list.find(',', pos), list.size());
    const std::string bin = list.substr(pos, comma - pos);
    pos = comma + 1;
    ++n;
    const auto r = hwnas::test::run_program(bin, {"--help"});
    EXPECT_EQ(r.exit_code, 0) << bin << ": " << r.err;
    EXPECT_EQ(r.out.rfind("Usage: ", 0), 0u) << bin << " printed: " << r.out.substr(0, 300);
    EXPECT_LT(std::count(r.out.begin(), r.out.end(), '\n'), 8) << bin << " did more than print its usage: " << r.out;
  }
  EXPECT_GE(n, 5u);
}
