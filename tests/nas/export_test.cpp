// Exporters: format parsing, arch.json, graph.dot (parsed by `dot` when installed), model.py and
// model.onnx checked by /usr/bin/python3 with torch and onnx (skipped when they are missing).
#include "hwnas/nas/export.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "hwnas/core/rng.h"
#include "hwnas/nas/cost.h"
#include "support/cli.h"
#include "support/errors.h"
#include "support/paths.h"

using hwnas::test::error_of;
namespace fs = std::filesystem;

namespace {

// node1's conv feeds nothing that reaches the output: dead edges.
const char* kDeadEdges = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|";
const char* kMixed = "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_1x1~2|";
const char* kZeroCell = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";
const char* kSmallMbv = R"({"resolutions": [64], "width_mults": [0.75, 1.0], "num_classes": 7, "head_width": 256})";

bool python_has_torch_and_onnx() {
  static const bool ok = fs::exists("/usr/bin/python3") &&
                         hwnas::test::run_program("/usr/bin/python3", {"-c", "import torch, onnx"}).exit_code == 0;
  return ok;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// Checks every exported folder in one Python process (importing torch takes seconds): prints
// "OK <dir> <params> <output shape>" or "FAIL <dir> <reason>" per folder.
const char* kCheckScript = R"PY(
import sys, json, importlib.util, traceback
import torch, onnx
torch.manual_seed(0)
for d in sys.argv[1:]:
    try:
        spec = importlib.util.spec_from_file_location("exported_model", d + "/model.py")
        m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
        net = m.build().eval()
        arch = json.load(open(d + "/arch.json"))
        params = sum(p.numel() for p in net.parameters())
        assert params == arch["counts"]["params"], ("params", params, arch["counts"]["params"])
        x = torch.randn(2, *m.INPUT_SHAPE)
        assert tuple(m.INPUT_SHAPE) == tuple(arch["input_shape"])
        with torch.no_grad():
            y = net(x)
        assert tuple(y.shape) == (2,) + tuple(arch["output_shape"]), ("shape", tuple(y.shape))
        assert bool(torch.isfinite(y).all()), "not finite"
        model = onnx.load(d + "/model.onnx")
        onnx.checker.check_model(model, full_check=True)
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
        out = inferred.graph.output[0].type.tensor_type.shape.dim
        assert [x.dim_value for x in out[1:]] == list(arch["output_shape"]), ("onnx output", out)
        inits = {t.name: tuple(t.dims) for t in model.graph.initializer}
        state = {k: tuple(v.shape) for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
        for k, s in state.items():
            assert inits.get(k) == s, ("initializer", k, inits.get(k), s)
        onnx_params = 0
        for k, _ in net.named_parameters():
            n = 1
            for v in inits[k]: n *= v
            onnx_params += n
        assert onnx_params == params, ("onnx params", onnx_params, params)
        print("OK", d, params, tuple(y.shape))
    except Exception as e:
        print("FAIL", d, repr(e).replace("\n", " "))
)PY";

struct Case {
  std::string space, options, arch;
  bool prune;
};

}  // namespace

TEST(Export, FormatsParseStrictly) {
  EXPECT_EQ(hwnas::parse_formats("json,dot"), (std::vector<std::string>{"json", "dot"}));
  EXPECT_EQ(hwnas::parse_formats("all"), (std::vector<std::string>{"json", "dot", "pytorch", "onnx"}));
  EXPECT_EQ(hwnas::exporter_names(), (std::vector<std::string>{"json", "dot", "pytorch", "onnx"}));
  EXPECT_EQ(error_of([] { hwnas::parse_formats("json,tflite"); }),
            "--formats: unknown export format 'tflite' (known: json, dot, pytorch, onnx, or all)");
  EXPECT_EQ(error_of([] { hwnas::parse_formats("json,,dot"); }), "--formats: empty format name in 'json,,dot'");
  EXPECT_EQ(error_of([] { hwnas::parse_formats(""); }), "--formats: empty format name in ''");
  EXPECT_EQ(error_of([] { hwnas::parse_formats("dot,"); }), "--formats: empty format name in 'dot,'");
  EXPECT_EQ(error_of([] { hwnas::parse_formats("dot,dot"); }), "--formats: format 'dot' given twice");
  EXPECT_EQ(error_of([] { hwnas::make_exporter("caffe"); }), "unknown export format 'caffe' (known: json, dot, pytorch, onnx)");
  for (const auto& n : hwnas::exporter_names()) EXPECT_EQ(hwnas::make_exporter(n)->name(), n);
  EXPECT_EQ(hwnas::make_exporter("onnx")->file_name(), "model.onnx");
}

TEST(Export, AttributeNamesAreTheBuildersNames) {
  EXPECT_EQ(hwnas::module_attribute_name("cells.3.edge_2_1.conv"), "cells_3_edge_2_1_conv");
  EXPECT_EQ(hwnas::module_attribute_name("3x.y-z"), "_3x_y_z");
}

TEST(Export, ArchJsonHasTheExactCountsAndObjectives) {
  auto space = hwnas::make_space("nb201");
  const hwnas::Architecture a = space->parse(kDeadEdges);
  const std::string dir = hwnas::test::scratch_dir() + "/a";
  hwnas::ExportOptions o;
  o.formats = {"json"};
  o.objectives = {{"err", {{"value", 0.12}, {"direction", "minimize"}}}};
  const auto paths = hwnas::export_architecture(*space, a, dir, o);
  ASSERT_EQ(paths, (std::vector<std::string>{dir + "/arch.json"}));
  const auto j = nlohmann::json::parse(hwnas::test::read_text(dir + "/arch.json"));
  EXPECT_EQ(j["format"], "hwnas-arch/1");
  EXPECT_EQ(j["space"]["name"], "nb201");
  EXPECT_EQ(j["space"]["options"], space->options());
  EXPECT_EQ(j["arch"], kDeadEdges);
  EXPECT_EQ(j["decisions"], (std::vector<int>{3, 0, 0, 1, 0, 0}));
  EXPECT_EQ(j["counts"]["params"], 73306);
  EXPECT_EQ(j["hash"], hwnas::hash_hex(space->canonical_hash(a)));
  EXPECT_EQ(j["counts"], space->count(a).to_json());
  EXPECT_EQ(j["prune_dead"], true);
  EXPECT_EQ(j["input_shape"], (std::vector<int>{3, 32, 32}));
  EXPECT_EQ(j["output_shape"], (std::vector<int>{10}));
  EXPECT_EQ(j["objectives"]["err"]["value"], 0.12);
  // Keeping dead edges changes the counts, not the hash.
  o.decode.prune_dead = false;
  hwnas::export_architecture(*space, a, dir, o);
  const auto k = nlohmann::json::parse(hwnas::test::read_text(dir + "/arch.json"));
  EXPECT_EQ(k["counts"], space->count(a, o.decode).to_json());
  EXPECT_GT(k["counts"]["params"].get<long long>(), j["counts"]["params"].get<long long>());
  EXPECT_EQ(k["hash"], j["hash"]);
  EXPECT_EQ(k["prune_dead"], false);
}

TEST(Export, DotHasEveryOpInACompactDrawing) {
  auto space = hwnas::make_space("nb201", {{"cells_per_stage", 1}});
  const hwnas::ArchGraph g = space->decode(space->parse(kZeroCell), {false});
  const std::string dot = hwnas::graph_dot(g);
  EXPECT_EQ(dot.rfind("digraph G {", 0), 0u) << dot.substr(0, 40);
  // Every op, in full, in exactly one edge's tooltip.
  for (auto e : g.edges_in_order()) {
    const std::string name = "\\n" + g.edge(e).name + ": ", first = "tooltip=\"" + g.edge(e).name + ": ";
    EXPECT_EQ(count_of(dot, name) + count_of(dot, first), 1u) << g.edge(e).name << "\n" << dot;
  }
  // The stem's conv and bn are one edge; zero edges are dashed: as built, every `none` edge is a
  // Zero op; pruned, a node left without inputs is one.
  EXPECT_NE(dot.find("[label=\"conv k3 ->16 · bn\", tooltip=\"stem.conv: conv2d 3->16 k3 s1 p1\\nstem.bn: batch_norm 16\"]"),
            std::string::npos)
      << dot;
  EXPECT_NE(dot.find("[label=\"zero\", tooltip=\"cells.0.edge_3_2.zero: zero\", style=dashed]"), std::string::npos) << dot;
  EXPECT_NE(hwnas::graph_dot(space->decode(space->parse(kZeroCell))).find("[label=\"zero\", tooltip=\"cells.0.node3.zero: zero\", style=dashed]"),
            std::string::npos);
  EXPECT_NE(dot.find("[label=\"3x32x32\", tooltip=\"input\", xlabel=\"input\", style=\"rounded,bold\"]"), std::string::npos);
  EXPECT_NE(dot.find("subgraph cluster_0 {\nlabel=\"cell 0\";"), std::string::npos);
  EXPECT_NE(dot.find("avg_pool k2 s2"), std::string::npos);
  if (!fs::exists("/usr/bin/dot")) GTEST_SKIP() << "graphviz `dot` not installed: syntax not checked";
  const std::string path = hwnas::test::scratch_dir() + "/g.dot";
  hwnas::test::write_text(path, dot);
  const auto r = hwnas::test::run_program("/usr/bin/dot", {"-Tcanon", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("stem.conv"), std::string::npos);
}

TEST(Export, DotOfFiveCellsPerStageRendersAtAReadableSize) {
  if (!fs::exists("/usr/bin/dot")) GTEST_SKIP() << "graphviz `dot` not installed: nothing to render";
  // The default nb201 network (5 cells per stage, every edge a conv) rendered 830 x 15939 pt with
  // one edge per op (issue #13); compact, it is about 800 x 2600 pt.
  auto space = hwnas::make_space("nb201");
  const std::string path = hwnas::test::scratch_dir() + "/g.dot";
  hwnas::test::write_text(path, hwnas::graph_dot(space->decode(space->parse(
                                    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"))));
  const auto r = hwnas::test::run_program("/usr/bin/dot", {"-Tsvg", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("<svg width=\"([0-9.]+)pt\" height=\"([0-9.]+)pt\"")));
  EXPECT_LT(std::stod(m[1]), 1000.0) << m[0];
  EXPECT_LT(std::stod(m[2]), 4000.0) << m[0];
  EXPECT_EQ(count_of(r.out, "<g id=\"clust"), 15u);  // one cluster per cell
}

TEST(Export, DotOfMbvParses) {
  auto space = hwnas::make_space("mbv", nlohmann::json::parse(kSmallMbv));
  hwnas::Rng rng(3);
  const std::string dot = hwnas::graph_dot(space->decode(space->sample(rng)));
  EXPECT_NE(dot.find("relu6"), std::string::npos);
  EXPECT_NE(dot.find(" g"), std::string::npos);  // depthwise convs show their groups
  if (!fs::exists("/usr/bin/dot")) GTEST_SKIP() << "graphviz `dot` not installed: syntax not checked";
  const std::string path = hwnas::test::scratch_dir() + "/g.dot";
  hwnas::test::write_text(path, dot);
  EXPECT_EQ(hwnas::test::run_program("/usr/bin/dot", {"-Tcanon", path}).exit_code, 0);
}

TEST(Export, PytorchSourceHasOneLayerPerWeightedEdge) {
  auto space = hwnas::make_space("nb201");
  const hwnas::ArchGraph g = space->decode(space->parse(kMixed));
  const std::string py = hwnas::pytorch_source(g, "nb201 test");
  std::size_t convs = 0, bns = 0, pools = 0, linears = 0;
  for (auto e : g.edges_in_order()) {
    const auto k = g.edge(e).kind;
    convs += k == hwnas::OpKind::Conv2d;
    bns += k == hwnas::OpKind::BatchNorm;
    pools += k == hwnas::OpKind::AvgPool;
    linears += k == hwnas::OpKind::Linear;
  }
  EXPECT_EQ(count_of(py, "= nn.Conv2d("), convs);
  EXPECT_EQ(count_of(py, "= nn.BatchNorm2d("), bns);
  EXPECT_EQ(count_of(py, "= nn.AvgPool2d("), pools);
  EXPECT_EQ(count_of(py, "= nn.Linear("), linears);
  EXPECT_EQ(py.rfind("# Generated by hwnas export: nb201 test\n", 0), 0u);
  EXPECT_NE(py.find("INPUT_SHAPE = (3, 32, 32)\n"), std::string::npos);
  EXPECT_NE(py.find("self.cells_0_edge_1_0_conv = nn.Conv2d(16, 16, kernel_size=3, stride=1, padding=1, groups=1, bias=False)"),
            std::string::npos);
  EXPECT_NE(py.find("self.cells_0_edge_2_1_pool = nn.AvgPool2d(kernel_size=3, stride=1, padding=1, count_include_pad=False)"),
            std::string::npos);
  EXPECT_NE(py.find("self.head_classifier = nn.Linear(64, 10, bias=True)"), std::string::npos);
  EXPECT_NE(py.find("def build():\n    return Net()\n"), std::string::npos);
  EXPECT_FALSE(std::regex_search(py, std::regex("self\\.[A-Za-z0-9_]+\\.")));  // dotted names sanitized
}

TEST(Export, OnnxIsDeterministicAndTakesWeights) {
  auto space = hwnas::make_space("nb201", {{"cells_per_stage", 1}, {"channels", 4}});
  const hwnas::ArchGraph g = space->decode(space->parse(kMixed));
  const std::string a = hwnas::onnx_model(g, 1), b = hwnas::onnx_model(g, 1), c = hwnas::onnx_model(g, 2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a.size(), c.size());
  // Header: field 1 (ir_version) = 7.
  EXPECT_EQ(a.substr(0, 2), std::string("\x08\x07", 2));
  hwnas::WeightMap w{{"head_classifier.bias", std::vector<float>(10, 0.5f)}};
  const std::string d = hwnas::onnx_model(g, 1, &w);
  EXPECT_NE(d, a);
  EXPECT_EQ(d.size(), a.size());
  hwnas::WeightMap bad{{"head_classifier.bias", std::vector<float>(3, 0.5f)}};
  EXPECT_EQ(error_of([&] { hwnas::onnx_model(g, 1, &bad); }), "weights: 'head_classifier.bias' has 3 values, expected 10");
  hwnas::WeightMap unknown{{"head_classifer.bias", std::vector<float>(10, 0.5f)}};
  EXPECT_EQ(error_of([&] { hwnas::onnx_model(g, 1, &unknown); }), "weights: unknown parameter 'head_classifer.bias'");
  // A bad weight map leaves nothing behind.
  const std::string dir = hwnas::test::scratch_dir() + "/never";
  hwnas::ExportOptions o;
  o.weights = &bad;
  EXPECT_NE(error_of([&] { hwnas::export_architecture(*space, space->parse(kMixed), dir, o); }), "(no error)");
  EXPECT_FALSE(fs::exists(dir));
}

TEST(Export, PythonLoadsModelPyAndOnnxForManyArchitectures) {
  if (!python_has_torch_and_onnx()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch and onnx";
  std::vector<Case> cases{{"nb201", "", kZeroCell, true},
                          {"nb201", "", kZeroCell, false},
                          {"nb201", "", kDeadEdges, true},
                          {"nb201", "", kDeadEdges, false},
                          {"nb201", "", kMixed, true},
                          {"nb201", R"({"channels": 8, "cells_per_stage": 2, "num_classes": 5, "input_size": 16})",
                           "|avg_pool_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|none~2|", false}};
  hwnas::Rng rng(11);
  auto nb = hwnas::make_space("nb201", {{"cells_per_stage", 2}});
  auto mbv = hwnas::make_space("mbv", nlohmann::json::parse(kSmallMbv));
  for (int i = 0; i < 6; ++i) cases.push_back({"nb201", R"({"cells_per_stage": 2})", nb->to_string(nb->sample(rng)), i % 2 == 0});
  for (int i = 0; i < 4; ++i) cases.push_back({"mbv", kSmallMbv, mbv->to_string(mbv->sample(rng)), i % 2 == 0});
  // A block space file (configs/spaces/mbv.json at one small input size).
  nlohmann::json mbv_file = nlohmann::json::parse(hwnas::test::read_text(std::string(HWNAS_SOURCE_DIR) + "/configs/spaces/mbv.json"));
  mbv_file.merge_patch(nlohmann::json::parse(R"({"input": {"size": [64]}, "num_classes": 7})"));
  auto graph = hwnas::make_space("graph", mbv_file);
  for (int i = 0; i < 2; ++i) cases.push_back({"graph", mbv_file.dump(), graph->to_string(graph->sample(rng)), true});
  // ... and with h-swish (ONNX: x * HardSigmoid(x)) and squeeze-excite in every block.
  for (auto& st : mbv_file["stages"]) st["block"]["activation"] = "hswish", st["block"]["se"] = true;
  mbv_file["stem"][2]["layer"] = "hswish";
  cases.push_back({"graph", mbv_file.dump(), graph->to_string(graph->sample(rng)), true});
  // A DARTS-like concatenating cell (ONNX Concat, torch.cat), both prune modes.
  nlohmann::json darts = nlohmann::json::parse(hwnas::test::read_text(std::string(HWNAS_SOURCE_DIR) + "/configs/spaces/darts_cell.json"));
  darts["stages"] = nlohmann::json::parse(R"([{"channels": 8, "cells": 1}, {"channels": 16, "cells": 1}])");
  auto dspace = hwnas::make_space("graph", darts);
  for (int i = 0; i < 2; ++i) cases.push_back({"graph", darts.dump(), dspace->to_string(dspace->sample(rng)), i == 0});
  const std::string root = hwnas::test::scratch_dir();
  std::vector<std::string> args{"-c", kCheckScript};
  std::vector<long long> params;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    auto space = hwnas::make_space(c.space, c.options.empty() ? nlohmann::json() : nlohmann::json::parse(c.options));
    hwnas::ExportOptions o;
    o.decode.prune_dead = c.prune;
    o.seed = i;
    const std::string dir = root + "/case" + std::to_string(i);
    const auto a = space->parse(c.arch);
    EXPECT_EQ(hwnas::export_architecture(*space, a, dir, o).size(), 4u);
    params.push_back(space->count(a, o.decode).params);
    args.push_back(dir);
  }
  const auto r = hwnas::test::run_program("/usr/bin/python3", args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::size_t i = 0;
  for (; std::getline(lines, line); ++i) {
    ASSERT_LT(i, cases.size()) << line;
    const std::string dir = root + "/case" + std::to_string(i);
    EXPECT_EQ(line.rfind("OK " + dir + " " + std::to_string(params[i]) + " (2, ", 0), 0u)
        << line << "\n" << cases[i].space << " " << cases[i].arch << " prune=" << cases[i].prune;
  }
  EXPECT_EQ(i, cases.size()) << r.out << r.err;
}
