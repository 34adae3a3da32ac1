// End-to-end test of `hwnas report`: a synthetic run directory, the HTML it writes, and (when
// /usr/bin/chromium exists) the DOM a headless browser builds from it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "support/cli.h"

using hwnas::test::count_of;
using hwnas::test::read_text;
using hwnas::test::run_hwnas;
using hwnas::test::write_text;
namespace fs = std::filesystem;

namespace {

// Five evaluations of nb201 with objectives params and err; the front is ids 0, 1 and 4.
std::string write_run() {
  const std::string dir = hwnas::test::scratch_dir() + "/run";
  fs::create_directories(dir);
  write_text(dir + "/config.json", R"({"space": {"name": "nb201", "options": {}},
    "objectives": [{"name": "params", "direction": "minimize", "log": false},
                   {"name": "err", "direction": "minimize", "log": false}]})");
  const std::vector<std::pair<std::string, std::pair<double, double>>> evals{
      {"|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|", {73306, 0.9}},
      {"|nor_conv_3x3~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|nor_conv_3x3~2|", {800000, 0.2}},
      {"|nor_conv_1x1~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|nor_conv_3x3~2|", {900000, 0.3}},
      {"|nor_conv_1x1~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|", {850000, 0.25}},
      {"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|", {1531546, 0.1}}};
  std::string log;
  nlohmann::json front = nlohmann::json::array();
  for (std::size_t i = 0; i < evals.size(); ++i) {
    nlohmann::json j = {{"id", i}, {"arch", evals[i].first}, {"status", "ok"},
                        {"objectives", {{"params", evals[i].second.first}, {"err", evals[i].second.second}}}};
    log += j.dump() + "\n";
    if (i == 0 || i == 1 || i == 4) front.push_back(j);
  }
  write_text(dir + "/evaluations.jsonl", log);
  write_text(dir + "/pareto.json", nlohmann::json{{"front", front}}.dump(2));
  return dir;
}

}  // namespace

TEST(CliReport, WritesASelfContainedPage) {
  const std::string run = write_run();
  ASSERT_EQ(run_hwnas({"export", run, "--formats", "json"}).exit_code, 0);
  auto r = run_hwnas({"report", run});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote " + run + "/report.html\n");
  const std::string html = read_text(run + "/report.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // params vs counted flops, and params vs err: two scatter plots of five points, plus hypervolume,
  // plus the cell of each of the three front members.
  EXPECT_EQ(count_of(html, "<svg "), 6u);
  EXPECT_EQ(count_of(html, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"arch-picture nb201-cell\""), 3u);
  EXPECT_EQ(count_of(html, "<circle "), 10u);
  EXPECT_EQ(count_of(html, "class=\"front\""), 6u);
  EXPECT_EQ(count_of(html, "<tr class=\"front-row\">"), 3u);
  EXPECT_NE(html.find("<a href=\"archs/4/\">archs/4/</a> <a href=\"archs/4/arch.json\">arch.json</a>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"arch\"><a href=\"#arch-0\">|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|</a></td>"),
            std::string::npos);
  EXPECT_EQ(html.find("<th>params (counted)</th>"), std::string::npos);  // params is an objective already
  EXPECT_NE(html.find("<th>flops (counted)</th>"), std::string::npos);
  EXPECT_NE(html.find("params (log scale, lower is better)"), std::string::npos);  // 73k .. 1.5M: over a decade
  EXPECT_EQ(html.find("<script src"), std::string::npos);
}

TEST(CliReport, NextStepsCommandsRunAsPrinted) {
  const std::string run = write_run();
  ASSERT_EQ(run_hwnas({"report", run}).exit_code, 0);
  const std::string html = read_text(run + "/report.html");
  // Every line of every <pre class="command"> block, run as printed (the scratch path needs no quoting).
  std::vector<std::string> lines;
  for (std::size_t at = html.find("<pre class=\"command\">"); at != std::string::npos;
       at = html.find("<pre class=\"command\">", at + 1)) {
    const std::size_t from = at + 21, to = html.find("</pre>", from);
    std::string block = html.substr(from, to - from);
    for (std::size_t p = 0; p < block.size();) {
      const std::size_t nl = std::min(block.find('\n', p), block.size());
      if (nl > p) lines.push_back(block.substr(p, nl - p));
      p = nl + 1;
    }
  }
  // The whole front, then the knee (id 1: normalized params .50 + err .125) and the best of each
  // objective (id 0 for params, id 4 for err).
  ASSERT_EQ(lines.size(), 4u) << html;
  EXPECT_EQ(lines[0], "hwnas export " + run + " --formats json,dot,pytorch,onnx");
  EXPECT_EQ(lines[1], "hwnas export " + run + " --which 1 --formats json,dot,pytorch,onnx");
  EXPECT_EQ(lines[2], "hwnas export " + run + " --which 0 --formats json,dot,pytorch,onnx");
  EXPECT_EQ(lines[3], "hwnas export " + run + " --which 4 --formats json,dot,pytorch,onnx");
  for (const auto& line : lines) {
    std::vector<std::string> words;
    for (std::size_t p = 0; p <= line.size();) {
      const std::size_t sp = std::min(line.find(' ', p), line.size());
      words.push_back(line.substr(p, sp - p));
      p = sp + 1;
    }
    ASSERT_EQ(words.front(), "hwnas");
    auto r = run_hwnas(std::vector<std::string>(words.begin() + 1, words.end()));
    EXPECT_EQ(r.exit_code, 0) << line << "\n" << r.err;
  }
  for (int id : {0, 1, 4}) EXPECT_TRUE(fs::exists(run + "/archs/" + std::to_string(id) + "/model.onnx")) << id;
}

TEST(CliReport, BadRunDirectoryExitsWithCode2) {
  const std::string dir = hwnas::test::scratch_dir();
  auto r = run_hwnas({"report", dir + "/missing"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");  // no "wrote " before the error (issue #13)
  EXPECT_NE(r.err.find(dir + "/missing: no such run directory"), std::string::npos) << r.err;
  write_text(dir + "/config.json", R"({"space": {"name": "darts"}})");
  write_text(dir + "/evaluations.jsonl", "");
  auto s = run_hwnas({"report", dir});
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_EQ(s.out, "");
  EXPECT_NE(s.err.find(dir + "/config.json: space: unknown search space 'darts'"), std::string::npos) << s.err;
  auto none = run_hwnas({"report"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("run_dir is required"), std::string::npos) << none.err;
}

TEST(CliReport, HeadlessChromiumRendersThePoints) {
  if (!fs::exists("/usr/bin/chromium")) GTEST_SKIP() << "/usr/bin/chromium not installed: DOM not checked";
  const std::string run = write_run();
  ASSERT_EQ(run_hwnas({"report", run}).exit_code, 0);
  const std::string profile = hwnas::test::scratch_dir() + "/chromium-profile";
  fs::create_directories(profile);
  auto r = hwnas::test::run_program(
      "/usr/bin/chromium", {"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            "--user-data-dir=" + profile, "--dump-dom", "file://" + fs::absolute(run + "/report.html").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_of(r.out, "<circle "), 10u) << r.out.substr(0, 2000);
  EXPECT_EQ(count_of(r.out, "<tr class=\"front-row\">"), 3u);
  EXPECT_NE(r.out.find("<polyline class=\"hv\""), std::string::npos);
  EXPECT_EQ(count_of(r.out, "class=\"arch-picture nb201-cell\""), 3u);
  EXPECT_EQ(count_of(r.out, "<li class=\"suggestion\""), 3u);
  EXPECT_NE(r.out.find("<rect class=\"colour-bar\""), std::string::npos);
}
