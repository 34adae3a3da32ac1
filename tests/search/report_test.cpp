// Run directory reading and the HTML report, on a synthetic run directory this test writes.
#include "hwnas/search/report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "hwnas/core/rng.h"
#include "hwnas/nas/search_space.h"
#include "hwnas/search/pareto.h"
#include "support/cli.h"
#include "support/errors.h"

using hwnas::test::error_of;
using hwnas::test::count_of;
using hwnas::test::read_text;
using hwnas::test::write_text;
namespace fs = std::filesystem;

namespace {

// A run with objectives err (min), params (min, log) and acc (max): `n` ok evaluations, two
// failed ones, the front in pareto.json. Returns the front's ids.
std::vector<std::int64_t> write_run(const std::string& dir, int n) {
  fs::create_directories(dir);
  auto space = hwnas::make_space("nb201");
  const nlohmann::json config = {
      {"space", {{"name", "nb201"}, {"options", space->options()}}},
      {"objectives",
       {{{"name", "err"}, {"source", "table"}, {"direction", "minimize"}, {"log", false}},
        {{"name", "params"}, {"source", "params"}, {"direction", "minimize"}, {"log", true}},
        {{"name", "acc"}, {"source", "table"}, {"direction", "maximize"}, {"log", false}}}},
      {"seed", 0}};
  write_text(dir + "/config.json", config.dump(2));
  hwnas::Rng rng(5);
  std::string log;
  std::vector<hwnas::Point> pts;
  std::vector<nlohmann::json> ok;
  for (int i = 0; i < n + 2; ++i) {
    const auto a = space->sample(rng);
    nlohmann::json j = {{"id", i}, {"arch", space->to_string(a)}, {"decisions", a.choices}, {"status", "ok"}};
    if (i == 3 || i == 7) {
      j["status"] = "failed";
      j["message"] = "NaN loss";
      j["objectives"] = nlohmann::json::object();
    } else {
      const double params = static_cast<double>(space->count(a).params);
      const double err = 0.05 + 0.3 * rng.uniform() + 1e5 / params * 0.01;
      const double acc = 1 - err - 0.01 * rng.uniform();
      j["objectives"] = {{"err", err}, {"params", params}, {"acc", acc}};
      pts.push_back({err, std::log10(params), -acc});
      ok.push_back(j);
    }
    log += j.dump() + "\n";
  }
  write_text(dir + "/evaluations.jsonl", log);
  nlohmann::json front = nlohmann::json::array();
  std::vector<std::int64_t> ids;
  for (int k : hwnas::non_dominated_indices(pts)) {
    front.push_back(ok[static_cast<std::size_t>(k)]);
    ids.push_back(ok[static_cast<std::size_t>(k)]["id"].get<std::int64_t>());
  }
  const auto b = hwnas::bounds_of(pts);
  std::vector<hwnas::Point> fp;
  for (int k : hwnas::non_dominated_indices(pts)) fp.push_back(pts[static_cast<std::size_t>(k)]);
  const nlohmann::json pareto = {{"space", "nb201"},
                                 {"hypervolume", hwnas::normalized_hypervolume(fp, b.lower, b.upper)},
                                 {"normalization", {{"lower", b.lower}, {"upper", b.upper}, {"reference", 1.1}}},
                                 {"front", front}};
  write_text(dir + "/pareto.json", pareto.dump(2));
  return ids;
}

}  // namespace

TEST(Report, ReadsTheRunDirectory) {
  const std::string dir = hwnas::test::scratch_dir() + "/run";
  const auto ids = write_run(dir, 30);
  // A truncated last line (a killed writer) is not an evaluation.
  std::string log = read_text(dir + "/evaluations.jsonl");
  write_text(dir + "/evaluations.jsonl", log + "{\"id\": 99, \"arch\": \"|no");
  const hwnas::RunData run = hwnas::read_run_dir(dir);
  EXPECT_EQ(run.space_name, "nb201");
  ASSERT_EQ(run.objectives.size(), 3u);
  EXPECT_EQ(run.objectives[1].name, "params");
  EXPECT_TRUE(run.objectives[1].log);
  EXPECT_TRUE(run.objectives[2].maximize);
  EXPECT_DOUBLE_EQ(run.objectives[2].transform(0.9), -0.9);
  EXPECT_DOUBLE_EQ(run.objectives[1].transform(1000), 3.0);
  EXPECT_TRUE(std::isnan(run.objectives[1].transform(0)));
  EXPECT_EQ(run.evaluations.size(), 32u);
  EXPECT_EQ(run.evaluations[3].status, "failed");
  EXPECT_EQ(run.front.size(), ids.size());
  ASSERT_NE(hwnas::find_entry(run, 7), nullptr);
  EXPECT_EQ(hwnas::find_entry(run, 7)->status, "failed");
  EXPECT_EQ(hwnas::find_entry(run, 99), nullptr);
}

TEST(Report, ErrorsNameTheFileAndLine) {
  const std::string dir = hwnas::test::scratch_dir();
  EXPECT_EQ(error_of([&] { hwnas::read_run_dir(dir + "/nope"); }), dir + "/nope: no such run directory");
  EXPECT_EQ(error_of([&] { hwnas::read_run_dir(dir); }), dir + ": not a run directory (no config.json)");
  write_text(dir + "/config.json", R"({"space": {"name": "nb201"}})");
  write_text(dir + "/evaluations.jsonl", "{\"id\": 0, \"arch\": \"x\", \"status\": \"ok\"}\n{\"id\": 1}\n");
  EXPECT_EQ(error_of([&] { hwnas::read_run_dir(dir); }), dir + "/evaluations.jsonl:2: \"arch\": expected a string");
  write_text(dir + "/evaluations.jsonl", "{\"id\": 0, \"arch\": \"x\", \"objectives\": {\"err\": \"low\"}}\n");
  EXPECT_EQ(error_of([&] { hwnas::read_run_dir(dir); }),
            dir + "/evaluations.jsonl:1: \"objectives.err\": expected a number");
  write_text(dir + "/evaluations.jsonl", "{\"id\": 0, \"arch\": \"x\"}\n");
  write_text(dir + "/pareto.json", "{\"front\": 3}");
  EXPECT_EQ(error_of([&] { hwnas::read_run_dir(dir); }), dir + "/pareto.json: front: expected an array");
  write_text(dir + "/config.json", R"({"space": 1})");
  EXPECT_EQ(error_of([&] { hwnas::read_run_dir(dir); }), dir + "/config.json: space.name: expected a string");
  fs::remove(dir + "/evaluations.jsonl");
  fs::remove(dir + "/pareto.json");
  write_text(dir + "/config.json", R"({"space": {"name": "nb201"}})");
  EXPECT_EQ(error_of([&] { hwnas::write_report(dir); }), dir + ": no evaluations.jsonl and no pareto.json: nothing to report");
}

TEST(Report, HtmlHasEveryPlotThePointsAndTheFrontTable) {
  const std::string dir = hwnas::test::scratch_dir() + "/run";
  const auto ids = write_run(dir, 40);
  fs::create_directories(dir + "/archs/" + std::to_string(ids[0]));
  write_text(dir + "/archs/" + std::to_string(ids[0]) + "/model.py", "");
  const hwnas::RunData run = hwnas::read_run_dir(dir);
  auto space = hwnas::make_space(run.space_name, run.space_options);
  const std::string html = hwnas::render_report(run, space.get());
  // Plots: params vs counted flops, then the objective pairs other than that one: 1 + 3.
  EXPECT_EQ(count_of(html, "<figure class=\"plot\" id=\"plot-"), 4u);
  EXPECT_NE(html.find("flops (counted) vs params"), std::string::npos);
  EXPECT_NE(html.find("params vs err"), std::string::npos);
  EXPECT_NE(html.find("acc vs err"), std::string::npos);
  EXPECT_NE(html.find("acc vs params"), std::string::npos);
  // Every ok evaluation in every plot; the front highlighted.
  EXPECT_EQ(count_of(html, "<circle "), 4u * 40u);
  EXPECT_EQ(count_of(html, "class=\"front\""), 4u * ids.size());
  EXPECT_EQ(count_of(html, "class=\"dominated\""), 4u * (40u - ids.size()));
  EXPECT_NE(html.find("params (log)"), std::string::npos);  // params span more than a decade
  EXPECT_EQ(html.find("err (log)"), std::string::npos);
  // Hypervolume over evaluations ends at pareto.json's value (same bounds).
  const double hv = run.pareto["hypervolume"].get<double>();
  const auto at = html.find("id=\"final-hv\">");
  ASSERT_NE(at, std::string::npos);
  EXPECT_NEAR(std::stod(html.substr(at + 14)), hv, 1e-8 * hv);
  EXPECT_NE(html.find("<polyline class=\"hv\""), std::string::npos);
  // The table: one row per front member, a link where the export exists.
  EXPECT_EQ(count_of(html, "<tr class=\"front-row\">"), ids.size());
  const std::string first = std::to_string(ids[0]);
  EXPECT_NE(html.find("<a href=\"archs/" + first + "/\">archs/" + first + "/</a> <a href=\"archs/" + first +
                      "/model.py\">model.py</a>"),
            std::string::npos);
  EXPECT_EQ(count_of(html, "not exported"), ids.size() - 1);
  EXPECT_NE(html.find("<table class=\"sortable\" id=\"front\">"), std::string::npos);
  EXPECT_NE(html.find("addEventListener('click'"), std::string::npos);
  // Self-contained: no external resources.
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("http://") , html.find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_NE(html.find("40 ok, 2 failed or rejected"), std::string::npos);
}

TEST(Report, FrontWithoutParetoJsonIsComputed) {
  const std::string dir = hwnas::test::scratch_dir() + "/run";
  const auto ids = write_run(dir, 25);
  fs::remove(dir + "/pareto.json");
  const std::string path = hwnas::write_report(dir);
  EXPECT_EQ(path, dir + "/report.html");
  const std::string html = read_text(path);
  EXPECT_EQ(count_of(html, "<tr class=\"front-row\">"), ids.size());
  EXPECT_EQ(count_of(html, "class=\"front\""), 4u * ids.size());
}
