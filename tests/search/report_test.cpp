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
  write_text(dir + "/config.json", R"({"space": {"name": "nb201"}, "constraints": {"objective": "lat"}})");
  EXPECT_EQ(error_of([&] { hwnas::read_run_dir(dir); }), dir + "/config.json: constraints: expected an array");
  write_text(dir + "/config.json", R"({"space": {"name": "nb201"}, "constraints": [{"objective": "lat", "max": "9"}]})");
  EXPECT_EQ(error_of([&] { hwnas::read_run_dir(dir); }), dir + "/config.json: constraints[0].max: expected a number");
  write_text(dir + "/config.json", R"({"space": {"name": "nb201"}, "constraints": [{"max": 9}]})");
  EXPECT_EQ(error_of([&] { hwnas::read_run_dir(dir); }), dir + "/config.json: constraints[0].objective: expected a string");
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
  EXPECT_NE(html.find(">params (log scale, lower is better)</text>"), std::string::npos);  // more than a decade
  EXPECT_NE(html.find(">err (lower is better)</text>"), std::string::npos);
  EXPECT_NE(html.find(">acc (higher is better)</text>"), std::string::npos);
  EXPECT_EQ(html.find("err (log"), std::string::npos);
  EXPECT_NE(html.find("<th title=\"lower is better\">err ↓</th>"), std::string::npos);
  EXPECT_NE(html.find("<th title=\"higher is better\">acc ↑</th>"), std::string::npos);
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
  EXPECT_NE(html.find("42 (40 ok, 2 failed, 0 rejected by a constraint)"), std::string::npos);
  EXPECT_NE(html.find("<td>constraints</td><td>none</td>"), std::string::npos);
  // One picture per front member, each cell with its 6 edges.
  EXPECT_EQ(count_of(html, "<figure class=\"arch\" id=\"arch-"), ids.size());
  EXPECT_EQ(count_of(html, "<g class=\"cell-edge"), 6u * ids.size());
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

namespace {

// The text of the first element `tag` whose opening tag contains `marker`, up to its closing tag.
std::string element(const std::string& html, const std::string& marker, const std::string& tag) {
  const auto at = html.find(marker);
  if (at == std::string::npos) return "";
  const auto open = html.rfind("<" + tag, at);
  const auto close = html.find("</" + tag + ">", at);
  return html.substr(open, close + tag.size() + 3 - open);
}

// A hand-written nb201 run: objectives params (min), lat (min, a latency source) and acc (max,
// table), the constraint lat <= 15; the log holds `ok` records then two rejected ones.
struct HandRun {
  std::string dir;
  nlohmann::json log = nlohmann::json::array();
};

HandRun hand_run(const std::vector<std::tuple<std::string, double, double, double>>& ok, bool with_constraint) {
  HandRun r;
  r.dir = hwnas::test::scratch_dir() + "/run";
  fs::create_directories(r.dir);
  nlohmann::json config = {
      {"space", {{"name", "nb201"}, {"options", nlohmann::json::object()}}},
      {"objectives",
       {{{"name", "params"}, {"source", "params"}, {"direction", "minimize"}, {"log", false}},
        {{"name", "lat"}, {"source", {{"latency", {{"device", "rtx-4090"}}}}}, {"direction", "minimize"}, {"log", false}},
        {{"name", "acc"}, {"source", "table"}, {"direction", "maximize"}, {"log", false}}}}};
  if (with_constraint) config["constraints"] = {{{"objective", "lat"}, {"max", 15.0}}};
  write_text(r.dir + "/config.json", config.dump());
  std::string text;
  int id = 0;
  for (const auto& [arch, params, lat, acc] : ok) {
    r.log.push_back({{"id", id++}, {"arch", arch}, {"status", "ok"},
                     {"objectives", {{"params", params}, {"lat", lat}, {"acc", acc}}}});
  }
  if (with_constraint)
    for (double lat : {20.0, 30.0})
      r.log.push_back({{"id", id++}, {"arch", "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"},
                       {"status", "rejected"}, {"message", "lat = " + std::to_string(static_cast<int>(lat)) + " > max 15"},
                       {"objectives", {{"params", 2e6}, {"lat", lat}}}});
  return r;
}

void write_log(const HandRun& r) {
  std::string text;
  for (const auto& j : r.log) text += j.dump() + "\n";
  write_text(r.dir + "/evaluations.jsonl", text);
}

const std::string kConv3 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";
const std::string kSkip = "|skip_connect~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|";
const std::string kMixed = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|";
const std::string kPool = "|avg_pool_3x3~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|none~2|";
const std::string kNone = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";

// Five members on one front (params up, lat up, acc up): no one dominates another.
std::vector<std::tuple<std::string, double, double, double>> five() {
  return {{kNone, 1e5, 1.0, 0.10},
          {kSkip, 2e5, 2.0, 0.60},
          {kPool, 3e5, 3.0, 0.80},
          {kMixed, 6e5, 8.0, 0.85},
          {kConv3, 1.5e6, 14.0, 0.90}};
}

std::string render(const std::string& dir) {
  const hwnas::RunData run = hwnas::read_run_dir(dir);
  auto space = hwnas::make_space(run.space_name, run.space_options);
  return hwnas::render_report(run, space.get());
}

}  // namespace

TEST(Report, KneeIsTheSmallestSumOfNormalizedObjectives) {
  // Extremes (0, 10) and (4, 0); normalized: (0, 1), (1, 0); (1, 2) -> .25 + .2 = .45, (2, 1) -> .6.
  EXPECT_EQ(hwnas::knee_index({{0, 10}, {1, 2}, {2, 1}, {4, 0}}), 1);
  EXPECT_EQ(hwnas::knee_index({{0, 10}, {2, 1}, {1, 2}, {4, 0}}), 2);
  // Three objectives, normalized by 2: the corners sum to 2, (1, 1, 1) to 1.5.
  EXPECT_EQ(hwnas::knee_index({{0, 2, 2}, {2, 0, 2}, {2, 2, 0}, {1, 1, 1}}), 3);
  // A constant objective adds nothing; ties go to the first.
  EXPECT_EQ(hwnas::knee_index({{0, 5}, {1, 5}, {2, 5}}), 0);
  EXPECT_EQ(hwnas::knee_index({{0, 2}, {1, 1}, {2, 0}}), 0);
  EXPECT_EQ(hwnas::knee_index({{0, 1}, {1, 0}}), -1);   // two points: both extremes
  EXPECT_EQ(hwnas::knee_index({{0}, {1}, {2}}), -1);    // one objective
}

TEST(Report, ShowsConstraintsDirectionsAndRejectedEvaluations) {
  HandRun r = hand_run(five(), true);
  write_log(r);
  const std::string html = render(r.dir);
  EXPECT_NE(html.find("<span class=\"constraint\">lat ≤ 15</span>"), std::string::npos);
  EXPECT_NE(html.find("<th title=\"lower is better; constraint lat ≤ 15\">lat ↓</th>"), std::string::npos);
  EXPECT_NE(html.find("<th title=\"lower is better\">params ↓</th>"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"objective\">lat ↓ (minimized: lower is better)</span>"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"objective\">acc ↑ (maximized: higher is better)</span>"), std::string::npos);
  EXPECT_NE(html.find("7 (5 ok, 0 failed, 2 rejected by a constraint)"), std::string::npos);
  // Plots: params vs counted flops (coloured by lat), params-lat, params-acc, lat-acc. The rejected
  // evaluations have params and lat only: crosses in the first two plots, and the params-lat one.
  EXPECT_EQ(count_of(html, "<figure class=\"plot\" id=\"plot-"), 4u);
  const std::string lat_plot = element(html, "<figcaption>lat vs params</figcaption>", "figure");
  ASSERT_FALSE(lat_plot.empty());
  EXPECT_EQ(count_of(lat_plot, "<path class=\"rejected\""), 2u);
  EXPECT_NE(lat_plot.find("<title>id 5: " + kConv3), std::string::npos);
  EXPECT_NE(lat_plot.find("rejected: lat = 20 &gt; max 15"), std::string::npos);
  EXPECT_EQ(count_of(html, "<path class=\"rejected\""), 4u);  // the params-flops plane and params-lat
  // The bound lat <= 15 as a dashed line in the two plots with a lat axis.
  EXPECT_EQ(count_of(lat_plot, "<line class=\"constraint\""), 1u);
  EXPECT_NE(lat_plot.find(">max 15</text>"), std::string::npos);
  EXPECT_EQ(count_of(html, "<line class=\"constraint\""), 2u);
  // On the x axis (acc vs lat), the bound sits right of the middle: its label is left of the line.
  const std::string acc_plot = element(html, "<figcaption>acc vs lat</figcaption>", "figure");
  EXPECT_NE(acc_plot.find("text-anchor=\"end\" class=\"tick\">max 15</text>"), std::string::npos) << acc_plot;
  // Rejected evaluations are not on the front.
  EXPECT_EQ(count_of(html, "<tr class=\"front-row\">"), 5u);
}

TEST(Report, SuggestsTheKneeAndTheBestPerObjective) {
  HandRun r = hand_run(five(), false);
  write_log(r);
  const std::string html = render(r.dir);
  // Normalized (params, lat, -acc): id 2 (kPool) = (.143, .154, .125) sums to .42, the smallest.
  const std::string list = element(html, "<ul id=\"suggestions\">", "ul");
  ASSERT_FALSE(list.empty()) << html.substr(0, 3000);
  EXPECT_NE(list.find("<li class=\"suggestion\" data-id=\"2\"><b>knee</b>: <a href=\"#arch-2\">id 2</a>: params 300k, lat 3, acc 0.8</li>"),
            std::string::npos)
      << list;
  EXPECT_NE(list.find("data-id=\"0\"><b>best params</b>"), std::string::npos) << list;
  EXPECT_NE(list.find("data-id=\"0\"><b>best lat</b>"), std::string::npos);
  EXPECT_NE(list.find("data-id=\"4\"><b>best acc</b>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"notes\">knee</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"notes\">best params, best lat</td>"), std::string::npos);
  EXPECT_NE(html.find("smallest sum"), std::string::npos);  // the rule is stated
  // Next steps: the export of the whole front and of each suggested member, in the CLI's syntax.
  const std::string steps = html.substr(html.find("<h2>Next steps</h2>"));
  EXPECT_NE(steps.find("<pre class=\"command\">hwnas export " + r.dir + " --formats json,dot,pytorch,onnx</pre>"),
            std::string::npos);
  EXPECT_NE(steps.find("<pre class=\"command\">hwnas export " + r.dir + " --which 2 --formats json,dot,pytorch,onnx\nhwnas export " +
                       r.dir + " --which 0 --formats json,dot,pytorch,onnx\nhwnas export " + r.dir +
                       " --which 4 --formats json,dot,pytorch,onnx\n</pre>"),
            std::string::npos)
      << steps.substr(0, 1500);
}

TEST(Report, ColoursTheParamsFlopsPlaneByLatency) {
  HandRun r = hand_run(five(), false);
  write_log(r);
  const std::string html = render(r.dir);
  const std::string plane = element(html, "id=\"plot-0\"", "figure");
  EXPECT_NE(plane.find("<figcaption>flops (counted) vs params, coloured by lat</figcaption>"), std::string::npos) << plane;
  EXPECT_NE(plane.find("<rect class=\"colour-bar\""), std::string::npos);
  EXPECT_NE(plane.find("<linearGradient id=\"plot-0-colour\""), std::string::npos);
  EXPECT_NE(plane.find("colour: lat (log scale, lower is better)"), std::string::npos);
  EXPECT_EQ(count_of(plane, "style=\"fill:#"), 5u);
  // lat 1 (id 0) is at the dark end of viridis, lat 14 (id 4) at the yellow end.
  auto fill_of = [&](int id) {
    const std::string c = element(plane, "<title>id " + std::to_string(id) + ":", "circle");
    const auto at = c.find("fill:#");
    return at == std::string::npos ? std::string() : c.substr(at + 6, 6);
  };
  const std::string dark = fill_of(0), light = fill_of(4);
  ASSERT_EQ(dark.size(), 6u);
  ASSERT_EQ(light.size(), 6u);
  EXPECT_LT(std::stoi(dark.substr(0, 2), nullptr, 16), 0x50);   // red channel of #440154-ish
  EXPECT_GT(std::stoi(light.substr(0, 2), nullptr, 16), 0xc0);  // red channel of #fde725-ish
  // Other plots keep the plain front/dominated colours.
  EXPECT_EQ(count_of(html, "style=\"fill:#"), 5u);
}

TEST(Report, MarksDegenerateMembersAndNeverSuggestsThem) {
  HandRun r = hand_run(five(), false);
  r.log[0]["degenerate"] = true;  // the all-none cell: on the front (lowest params and latency)
  r.log.push_back({{"id", 5}, {"arch", kNone}, {"status", "ok"}, {"degenerate", true},
                   {"objectives", {{"params", 1.2e5}, {"lat", 1.5}, {"acc", 0.05}}}});  // dominated by id 0
  write_log(r);
  const std::string html = render(r.dir);
  EXPECT_NE(html.find("<td>degenerate</td><td>2 evaluations, 1 on the front</td>"), std::string::npos);
  EXPECT_EQ(count_of(html, "<tr class=\"front-row degenerate\">"), 1u);
  EXPECT_EQ(count_of(html, "<tr class=\"front-row\">"), 4u);
  EXPECT_NE(html.find("<td class=\"notes\"><span class=\"degenerate-badge\""), std::string::npos);
  // In every plot (4: the plane and three objective pairs), one front and one dominated point.
  EXPECT_EQ(count_of(html, "class=\"front degenerate\""), 4u);
  EXPECT_EQ(count_of(html, "class=\"dominated degenerate\""), 4u);
  EXPECT_NE(html.find("degenerate: the output does not depend on the input</title>"), std::string::npos);
  EXPECT_NE(html.find("<p class=\"degenerate-note\">Degenerate: the network's output does not depend on its input"),
            std::string::npos);
  EXPECT_NE(html.find("<figure class=\"arch degenerate\" id=\"arch-0\">"), std::string::npos);
  // Without id 0, the best params and lat are id 1; the knee among ids 1..4 is id 2.
  const std::string list = element(html, "<ul id=\"suggestions\">", "ul");
  EXPECT_EQ(list.find("data-id=\"0\""), std::string::npos) << list;
  EXPECT_NE(list.find("data-id=\"1\"><b>best params</b>"), std::string::npos) << list;
  EXPECT_NE(list.find("data-id=\"2\"><b>knee</b>"), std::string::npos) << list;
  // A run without the field has no degenerate marks at all.
  HandRun plain = hand_run(five(), false);
  write_log(plain);
  const std::string clean = render(plain.dir);
  EXPECT_EQ(clean.find("degenerate\""), std::string::npos);
  EXPECT_EQ(clean.find("degenerate-note"), std::string::npos);
  plain.log[1]["degenerate"] = true;
  write_log(plain);
  EXPECT_NE(render(plain.dir).find("<td>degenerate</td><td>1 evaluation, 1 on the front</td>"), std::string::npos);
}

TEST(Report, DrawsTheNb201CellOfEachFrontMember) {
  HandRun r = hand_run(five(), false);
  write_log(r);
  const std::string html = render(r.dir);
  EXPECT_EQ(count_of(html, "<figure class=\"arch\" id=\"arch-"), 5u);
  EXPECT_NE(html.find("repeated 5 times in each of the 3 stages"), std::string::npos);
  // kMixed (id 3): 1<-0 conv3, 2<-0 none, 2<-1 none, 3<-0 skip, 3<-1 none, 3<-2 conv3. Node 2 has no
  // input, so 3<-2 is pruned; node 1 reaches the output only through none, so 1<-0 is pruned too.
  const std::string fig = element(html, "id=\"arch-3\"", "figure");
  ASSERT_FALSE(fig.empty());
  EXPECT_EQ(count_of(fig, "<g class=\"cell-edge"), 6u);
  EXPECT_EQ(count_of(fig, "<g class=\"cell-edge none\""), 3u);
  EXPECT_NE(fig.find("<g class=\"cell-edge dead\" data-edge=\"1,0\"><title>edge 0 → 1: nor_conv_3x3 (pruned"), std::string::npos)
      << fig;
  EXPECT_NE(fig.find("<g class=\"cell-edge dead\" data-edge=\"3,2\">"), std::string::npos);
  EXPECT_NE(fig.find("<g class=\"cell-edge\" data-edge=\"3,0\"><title>edge 0 → 3: skip_connect</title>"), std::string::npos);
  EXPECT_NE(fig.find(">skip_connect</text>"), std::string::npos);
  EXPECT_EQ(count_of(fig, "<polygon "), 3u);  // arrowheads on the three edges that are not none
  EXPECT_NE(fig.find("width=\"460\" height=\"176\""), std::string::npos);  // readable at 1:1
  // kConv3 (id 4): six live conv edges.
  const std::string full = element(html, "id=\"arch-4\"", "figure");
  EXPECT_EQ(count_of(full, "<g class=\"cell-edge\""), 6u);
  EXPECT_EQ(count_of(full, ">nor_conv_3x3</text>"), 6u);
  // The table links each architecture to its picture.
  EXPECT_NE(html.find("<td class=\"arch\"><a href=\"#arch-4\">" + kConv3 + "</a></td>"), std::string::npos);
}

TEST(Report, DrawsTheMbvBlockChain) {
  const std::string dir = hwnas::test::scratch_dir() + "/run";
  fs::create_directories(dir);
  write_text(dir + "/config.json", R"({"space": {"name": "mbv", "options": {}},
    "objectives": [{"name": "params", "direction": "minimize"}, {"name": "flops", "direction": "minimize"}]})");
  const std::string a = "r224|w1|k3e4,k5e6|k3e3,k3e3|k7e6,k5e4,k3e3|k3e3,k3e3|k5e6,k5e6,k5e6,k5e6";
  const std::string b = "r160|w0.75|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3";
  const nlohmann::json first = {{"id", 0}, {"arch", a}, {"objectives", {{"params", 5e6}, {"flops", 6e8}}}};
  const nlohmann::json second = {{"id", 1}, {"arch", b}, {"objectives", {{"params", 2e6}, {"flops", 1e8}}}};
  write_text(dir + "/evaluations.jsonl", first.dump() + "\n" + second.dump() + "\n");
  write_text(dir + "/pareto.json", nlohmann::json{{"front", {first, second}}}.dump());
  const std::string html = render(dir);
  const std::string fig = element(html, "id=\"arch-0\"", "figure");
  ASSERT_FALSE(fig.empty()) << html.substr(0, 2000);
  EXPECT_NE(fig.find("class=\"arch-picture block-chain\""), std::string::npos);
  EXPECT_EQ(count_of(fig, "<g class=\"block\">"), 13u);  // 2 + 2 + 3 + 2 + 4 blocks
  EXPECT_NE(fig.find("input 3×224×224, 13 blocks"), std::string::npos);
  // One row per stage: output widths 24, 40, 80, 112, 160 at width multiplier 1.
  for (const char* row : {">24 ch, 56×56<", ">40 ch, 28×28<", ">80 ch, 14×14<", ">112 ch, 14×14<", ">160 ch, 7×7<"})
    EXPECT_NE(fig.find(row), std::string::npos) << row << "\n" << fig;
  // The first block: kernel 3, expansion 4 (16 -> 64 channels), stride 2; the second block of
  // stage 0: kernel 5, expansion 6, residual.
  EXPECT_NE(fig.find("<title>kernel 3, expansion 4 (16 → 64 → 24 channels), stride 2</title>"), std::string::npos) << fig;
  EXPECT_NE(fig.find(">k3 e4 ↓2</text>"), std::string::npos);
  EXPECT_NE(fig.find(">k5 e6 +</text>"), std::string::npos);
  EXPECT_NE(fig.find(">k7 e6 ↓2</text>"), std::string::npos);
  EXPECT_EQ(html.find("class=\"cell-edge"), std::string::npos);
}

TEST(Report, NextStepsQuoteARunDirectoryForTheShell) {
  const std::string base = hwnas::test::scratch_dir();
  const std::string dir = base + "/my run's";
  fs::create_directories(dir);
  HandRun r = hand_run(five(), false);
  fs::copy_file(r.dir + "/config.json", dir + "/config.json");
  write_log(r);
  fs::copy_file(r.dir + "/evaluations.jsonl", dir + "/evaluations.jsonl");
  const std::string html = render(dir);
  // In the page, ' is &#39;: the shell word is '<base>/my run'\''s'.
  EXPECT_NE(html.find("<pre class=\"command\">hwnas export &#39;" + base + "/my run&#39;\\&#39;&#39;s&#39; --formats json,dot,pytorch,onnx</pre>"),
            std::string::npos)
      << html.substr(html.find("<h2>Next steps</h2>"), 600);
}

TEST(Report, AMultiFidelityRunShowsItsRungsAndPlotsOnlyTheHighestFidelity) {
  HandRun r = hand_run(five(), false);
  nlohmann::json config = nlohmann::json::parse(read_text(r.dir + "/config.json"));
  config["scheduler"] = {{"name", "asha"}, {"min_fidelity", 9}, {"max_fidelity", 81}, {"eta", 3}};
  write_text(r.dir + "/config.json", config.dump());
  // The five at 81 steps; two of them also at 9 and 27 with lower accuracy, and one failure at 9.
  for (auto& j : r.log) j["fidelity"] = 81;
  const std::int64_t n = static_cast<std::int64_t>(r.log.size());
  r.log.push_back({{"id", n}, {"arch", kConv3}, {"status", "ok"}, {"fidelity", 9},
                   {"objectives", {{"params", 1.5e6}, {"lat", 14.0}, {"acc", 0.95}}}});
  r.log.push_back({{"id", n + 1}, {"arch", kConv3}, {"status", "ok"}, {"fidelity", 27},
                   {"objectives", {{"params", 1.5e6}, {"lat", 14.0}, {"acc", 0.97}}}});
  r.log.push_back({{"id", n + 2}, {"arch", kPool}, {"status", "failed"}, {"fidelity", 9}, {"message", "nan"},
                   {"objectives", {{"params", 3e5}, {"lat", 3.0}}}});
  write_log(r);
  const std::string html = render(r.dir);
  const std::string table = element(html, "id=\"rungs\"", "table");
  ASSERT_FALSE(table.empty()) << html.substr(0, 2000);
  EXPECT_NE(table.find("<tr><td>9</td><td>2</td><td>1</td><td>0.95</td></tr>"), std::string::npos) << table;
  EXPECT_NE(table.find("<tr><td>27</td><td>1</td><td>1</td><td>0.97</td></tr>"), std::string::npos) << table;
  EXPECT_NE(table.find("<tr><td>81</td><td>5</td><td>5</td><td>0.9</td></tr>"), std::string::npos) << table;
  EXPECT_NE(html.find("Multi-fidelity search (asha)"), std::string::npos);
  // The low-fidelity 0.97 would dominate the plots and the front if it were plotted.
  EXPECT_NE(html.find("<td>evaluations</td><td>5 (5 ok"), std::string::npos) << html.substr(0, 3000);
  // Without a scheduler in config.json there is no rung table.
  config.erase("scheduler");
  write_text(r.dir + "/config.json", config.dump());
  EXPECT_EQ(render(r.dir).find("id=\"rungs\""), std::string::npos);
}
