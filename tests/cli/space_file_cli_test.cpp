// Space files (docs/spaces.md) through the command line: `--space FILE.json` on the commands that
// take a space, and "space": {"file": ...} in a search config, then report and export of that run.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hwnas/core/csv.h"
#include "support/cli.h"
#include "support/paths.h"

namespace fs = std::filesystem;
using hwnas::test::read_text;
using hwnas::test::run_hwnas;
using hwnas::test::scratch_dir;
using hwnas::test::write_text;

namespace {
const std::string kSrc = HWNAS_SOURCE_DIR;
const std::string kNb201File = kSrc + "/configs/spaces/nb201.json";

// Copies a shipped example config and its space file (a relative path in the config) to `dir`,
// searches `evals` evaluations, and returns the run directory.
std::string search_example(const std::string& dir, const std::string& space, const std::string& config, int evals) {
  fs::create_directories(dir + "/cfg/spaces");
  fs::copy_file(kSrc + "/configs/spaces/" + space + ".json", dir + "/cfg/spaces/" + space + ".json");
  fs::copy_file(kSrc + "/configs/" + config + ".json", dir + "/cfg/" + config + ".json");
  const std::string n = std::to_string(evals);
  auto r = run_hwnas({"search", dir + "/cfg/" + config + ".json", "--quiet", "--set", "budget.evaluations=" + n, "--set",
                      "output.dir=" + dir + "/runs"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("stopped: evaluation budget reached; " + n + " evaluations, ", 0), 0u) << r.out;
  const std::string run = dir + "/runs/" + config;
  const auto saved = nlohmann::json::parse(read_text(run + "/config.json"));
  EXPECT_EQ(saved["space"]["name"], "graph");
  EXPECT_EQ(saved["space"]["options"]["name"], space);  // the description travels with the run
  EXPECT_FALSE(nlohmann::json::parse(read_text(run + "/pareto.json"))["front"].empty());
  return run;
}
}  // namespace

TEST(CliSpaceFile, EnumerateNb201FileGivesTheNativeCountsAndClasses) {
  const std::string dir = scratch_dir();
  auto f = run_hwnas({"enumerate", "--space", kNb201File, "--out", dir + "/file.csv"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  auto n = run_hwnas({"enumerate", "--space", "nb201", "--out", dir + "/native.csv"});
  ASSERT_EQ(n.exit_code, 0) << n.err;
  const hwnas::CsvTable a = hwnas::read_csv_file(dir + "/file.csv"), b = hwnas::read_csv_file(dir + "/native.csv");
  ASSERT_EQ(a.rows.size(), 15625u);
  ASSERT_EQ(b.rows.size(), 15625u);
  ASSERT_EQ(a.header, b.header);
  std::map<std::string, std::string> file_to_native, native_to_file;  // hash columns, both ways
  for (std::size_t i = 0; i < a.rows.size(); ++i) {
    for (std::size_t c = 0; c < 4; ++c) ASSERT_EQ(a.rows[i][c], b.rows[i][c]) << "row " << i << " column " << a.header[c];
    ASSERT_EQ(file_to_native.emplace(a.rows[i][4], b.rows[i][4]).first->second, b.rows[i][4]) << a.rows[i][0];
    ASSERT_EQ(native_to_file.emplace(b.rows[i][4], a.rows[i][4]).first->second, a.rows[i][4]) << a.rows[i][0];
  }
  // "space graph: 15625 architectures, N distinct canonical forms, ..." with the native N.
  auto classes = [](const std::string& out) { return out.substr(out.find(':'), out.find(" distinct") - out.find(':')); };
  EXPECT_EQ(classes(f.out), classes(n.out));
  EXPECT_EQ(f.out.rfind("space graph: 15625 architectures, ", 0), 0u) << f.out;
}

// mbv.json through the CLI: the same architecture string, the same counts and the same latency
// prediction as the native mbv (the layer lists are equal, tests/nas/graph_space_test.cpp).
TEST(CliSpaceFile, EvaluateMbvFileGivesTheNativeCountsAndLatency) {
  const std::string arch = "r192|w1|k3e6,k5e3|k7e4,k3e3,k5e6|k3e3,k3e3|k5e4,k7e6,k3e3,k3e3|k5e6,k3e4,k7e3";
  auto f = run_hwnas({"evaluate", "--space", kSrc + "/configs/spaces/mbv.json", "--arch", arch, "--device", "raspberry-pi-4", "--json"});
  auto n = run_hwnas({"evaluate", "--space", "mbv", "--arch", arch, "--device", "raspberry-pi-4", "--json"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  ASSERT_EQ(n.exit_code, 0) << n.err;
  auto jf = nlohmann::json::parse(f.out), jn = nlohmann::json::parse(n.out);
  EXPECT_GT(jn["params"].get<long long>(), 1000000);
  EXPECT_EQ(jf["space"], "graph");
  EXPECT_EQ(jn["space"], "mbv");
  // Everything else is the same (the hash names the space too, so it differs).
  for (auto* j : {&jf, &jn}) j->erase("space"), j->erase("hash");
  EXPECT_EQ(jf, jn);
  EXPECT_TRUE(jf["latency_ms"]["raspberry-pi-4"].get<double>() > 0);
}

TEST(CliSpaceFile, EvaluateAndBadFilesExitWith2NamingFileAndPath) {
  const std::string dir = scratch_dir();
  const std::string arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|";
  auto f = run_hwnas({"evaluate", "--space", kNb201File, "--arch", arch, "--json"});
  auto n = run_hwnas({"evaluate", "--space", "nb201", "--arch", arch, "--json"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  ASSERT_EQ(n.exit_code, 0) << n.err;
  const auto jf = nlohmann::json::parse(f.out), jn = nlohmann::json::parse(n.out);
  EXPECT_EQ(jf["params"], jn["params"]);
  EXPECT_EQ(jf["flops"], jn["flops"]);
  // Space options on the command line are a merge patch over the file.
  auto c100 = run_hwnas({"evaluate", "--space", kNb201File, "--space-options", R"({"num_classes": 100})", "--arch", arch, "--json"});
  ASSERT_EQ(c100.exit_code, 0) << c100.err;
  EXPECT_EQ(nlohmann::json::parse(c100.out)["params"].get<long long>(), jn["params"].get<long long>() + 90 * 64 + 90);

  auto doc = nlohmann::json::parse(read_text(kNb201File));
  doc["cell"]["edges"][4]["ops"][2] = "nor_conv_1x3";
  write_text(dir + "/typo.json", doc.dump(2));
  auto t = run_hwnas({"enumerate", "--space", dir + "/typo.json", "--out", dir + "/x.csv"});
  EXPECT_EQ(t.exit_code, 2);
  EXPECT_NE(t.err.find(dir + "/typo.json: cell.edges[4].ops[2]: unknown op 'nor_conv_1x3' (edge node 1 -> node 3); did you "
                             "mean 'nor_conv_1x1'?"),
            std::string::npos)
      << t.err;
  auto missing = run_hwnas({"evaluate", "--space", dir + "/nope.json", "--arch", arch});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.json"), std::string::npos) << missing.err;
}

TEST(CliSpaceFile, SearchReportAndExportOnTheResnetMacroExample) {
  const std::string dir = scratch_dir();
  const std::string run = search_example(dir, "resnet_macro", "resnet_macro_pi4", 24);
  ASSERT_FALSE(::testing::Test::HasFailure());
  // The run stands on its own: report and export rebuild the space from config.json.
  fs::remove_all(dir + "/cfg");
  auto rep = run_hwnas({"report", run});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  EXPECT_TRUE(fs::exists(run + "/report.html"));
  auto ex = run_hwnas({"export", run});
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  bool onnx = false, py = false;
  for (const auto& e : fs::recursive_directory_iterator(run)) {
    onnx |= e.path().filename() == "model.onnx";
    py |= e.path().filename() == "model.py";
  }
  EXPECT_TRUE(onnx && py) << ex.out;

  // A config naming a space file that is not there: exit 2, naming the config and space.file.
  auto bad = nlohmann::json::parse(read_text(kSrc + "/configs/resnet_macro_pi4.json"));
  bad["space"]["file"] = "spaces/nope.json";
  write_text(dir + "/bad.json", bad.dump(2));
  auto b = run_hwnas({"search", dir + "/bad.json"});
  EXPECT_EQ(b.exit_code, 2);
  EXPECT_NE(b.err.find(dir + "/bad.json: space.file: "), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("spaces/nope.json"), std::string::npos) << b.err;
}

// The DARTS-like example (concatenating cells) searched with bo from its shipped config, then
// reported and exported.
TEST(CliSpaceFile, SearchReportAndExportOnTheDartsExample) {
  const std::string run = search_example(scratch_dir(), "darts_cell", "darts_cell_jetson", 30);
  ASSERT_FALSE(::testing::Test::HasFailure());
  auto rep = run_hwnas({"report", run});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  auto ex = run_hwnas({"export", run, "--formats", "json,pytorch"});
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  std::size_t models = 0;
  for (const auto& e : fs::recursive_directory_iterator(run))
    if (e.path().filename() == "model.py") {
      ++models;
      EXPECT_NE(read_text(e.path().string()).find("torch.cat(["), std::string::npos) << e.path();
    }
  EXPECT_GT(models, 0u);
}
