// Exporters: registry, arch.json, graph.dot (a compact Graphviz drawing), model.py, and the
// driver that writes the files. ONNX lives in export_onnx.cpp.
#include "hwnas/nas/export.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "hwnas/core/atomic_file.h"
#include "hwnas/core/error.h"
#include "hwnas/nas/cost.h"

namespace hwnas {

namespace fs = std::filesystem;

std::string module_attribute_name(const std::string& edge_name) {
  std::string s = edge_name;
  for (char& c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) c = '_';
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) s = "_" + s;
  return s;
}

namespace {

std::string shape_text(const TensorShape& s) {
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

// An op and the attributes that define it, e.g. "Conv2d 16->32 k3 s2 p1".
std::string op_label(const OpEdge& op) {
  std::string s = op_kind_name(op.kind);
  switch (op.kind) {
    case OpKind::Conv2d:
      s += " " + std::to_string(op.in_channels) + "->" + std::to_string(op.out_channels) + " k" +
           std::to_string(op.kernel) + " s" + std::to_string(op.stride) + " p" + std::to_string(op.padding);
      if (op.groups != 1) s += " g" + std::to_string(op.groups);
      if (op.dilation != 1) s += " d" + std::to_string(op.dilation);
      if (op.bias) s += " bias";
      break;
    case OpKind::BatchNorm:
      s += " " + std::to_string(op.in_channels);
      if (!op.affine) s += " no-affine";
      break;
    case OpKind::AvgPool:
      s += " k" + std::to_string(op.kernel) + " s" + std::to_string(op.stride) + " p" + std::to_string(op.padding);
      s += op.count_include_pad ? " include-pad" : " exclude-pad";
      break;
    case OpKind::MaxPool:
      s += " k" + std::to_string(op.kernel) + " s" + std::to_string(op.stride) + " p" + std::to_string(op.padding);
      break;
    case OpKind::Linear:
      s += " " + std::to_string(op.in_channels) + "->" + std::to_string(op.out_channels);
      if (op.bias) s += " bias";
      break;
    case OpKind::SqueezeExcite: s += " " + std::to_string(op.in_channels) + "->" + std::to_string(op.hidden); break;
    default: break;
  }
  return s;
}

// A DOT double-quoted string body: quotes and backslashes escaped; lines joined with "\n".
std::string dot_quote(const std::vector<std::string>& lines) {
  std::string out = "\"";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i) out += "\\n";
    for (char c : lines[i]) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') { out += "\\n"; continue; }
      out += c;
    }
  }
  return out + "\"";
}

std::string py_bool(bool b) { return b ? "True" : "False"; }

// Unique Python attribute names for the edges that own a layer, indexed by edge id.
std::vector<std::string> attribute_names(const ArchGraph& g) {
  std::vector<std::string> names;
  std::set<std::string> used;
  for (EdgeId e : g.edges_in_order()) {
    std::string n = module_attribute_name(g.edge(e).name);
    HWNAS_CHECK(used.insert(n).second, "two edges sanitize to the attribute name '" + n + "'");
    names.push_back(n);
  }
  return names;
}

class JsonExporter : public Exporter {
 public:
  std::string name() const override { return "json"; }
  std::string file_name() const override { return "arch.json"; }
  std::string render(const ExportInput& in) const override { return arch_json(in).dump(2) + "\n"; }
};

class DotExporter : public Exporter {
 public:
  std::string name() const override { return "dot"; }
  std::string file_name() const override { return "graph.dot"; }
  std::string render(const ExportInput& in) const override { return graph_dot(in.graph); }
};

class PytorchExporter : public Exporter {
 public:
  std::string name() const override { return "pytorch"; }
  std::string file_name() const override { return "model.py"; }
  std::string render(const ExportInput& in) const override {
    std::string header;
    if (in.space) header = in.space->name() + " " + in.space->to_string(in.arch);
    return pytorch_source(in.graph, header);
  }
};

class OnnxExporter : public Exporter {
 public:
  std::string name() const override { return "onnx"; }
  std::string file_name() const override { return "model.onnx"; }
  std::string render(const ExportInput& in) const override {
    std::string doc;
    if (in.space) doc = in.space->name() + " " + in.space->to_string(in.arch);
    return onnx_model(in.graph, in.seed, in.weights, doc);
  }
};

using ExporterFactory = std::unique_ptr<Exporter> (*)();
const std::vector<std::pair<std::string, ExporterFactory>>& exporter_table() {
  static const std::vector<std::pair<std::string, ExporterFactory>> table{
      {"json", [] { return std::unique_ptr<Exporter>(new JsonExporter); }},
      {"dot", [] { return std::unique_ptr<Exporter>(new DotExporter); }},
      {"pytorch", [] { return std::unique_ptr<Exporter>(new PytorchExporter); }},
      {"onnx", [] { return std::unique_ptr<Exporter>(new OnnxExporter); }},
  };
  return table;
}

std::string joined_names() {
  std::string s;
  for (const auto& n : exporter_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace

std::vector<std::string> exporter_names() {
  std::vector<std::string> names;
  for (const auto& [n, f] : exporter_table()) names.push_back(n);
  return names;
}

std::unique_ptr<Exporter> make_exporter(const std::string& name) {
  for (const auto& [n, f] : exporter_table())
    if (n == name) return f();
  throw UserError("unknown export format '" + name + "' (known: " + joined_names() + ")");
}

std::vector<std::string> parse_formats(const std::string& list, const std::string& what) {
  if (list == "all") return exporter_names();
  std::vector<std::string> out;
  std::stringstream ss(list);
  std::string item;
  const auto known = exporter_names();
  std::size_t count = 0;
  while (std::getline(ss, item, ',')) {
    ++count;
    if (item.empty()) throw UserError(what + ": empty format name in '" + list + "'");
    if (std::find(known.begin(), known.end(), item) == known.end())
      throw UserError(what + ": unknown export format '" + item + "' (known: " + joined_names() + ", or all)");
    if (std::find(out.begin(), out.end(), item) != out.end())
      throw UserError(what + ": format '" + item + "' given twice");
    out.push_back(item);
  }
  if (count == 0 || (!list.empty() && list.back() == ','))
    throw UserError(what + ": empty format name in '" + list + "'");
  return out;
}

nlohmann::json arch_json(const ExportInput& in) {
  HWNAS_CHECK(in.space != nullptr, "arch_json needs the space");
  const SearchSpace& s = *in.space;
  const TensorShape is = in.graph.node(in.graph.input()).shape, os = in.graph.node(in.graph.output()).shape;
  nlohmann::json out_shape = os.h == 1 && os.w == 1 ? nlohmann::json{os.c} : nlohmann::json{os.c, os.h, os.w};
  return {{"format", "hwnas-arch/1"},
          {"space", {{"name", s.name()}, {"options", s.options()}}},
          {"prune_dead", in.decode.prune_dead},
          {"decisions", in.arch.choices},
          {"arch", s.to_string(in.arch)},
          {"hash", hash_hex(s.canonical_hash(in.arch))},
          {"input_shape", {is.c, is.h, is.w}},
          {"output_shape", out_shape},
          {"counts", count_costs(in.graph).totals.to_json()},
          {"objectives", in.objectives.is_null() ? nlohmann::json::object() : in.objectives}};
}

namespace {

// A short op label for the compact drawing: "conv k3", "conv k1 s2 dw", "batch_norm", "linear 10".
std::string op_brief(const OpEdge& op) {
  switch (op.kind) {
    case OpKind::Conv2d: {
      std::string s = "conv k" + std::to_string(op.kernel);
      if (op.stride != 1) s += " s" + std::to_string(op.stride);
      if (op.groups != 1) s += op.groups == op.in_channels ? " dw" : " g" + std::to_string(op.groups);
      if (op.dilation != 1) s += " d" + std::to_string(op.dilation);
      if (op.out_channels != op.in_channels) s += " ->" + std::to_string(op.out_channels);
      return s;
    }
    case OpKind::BatchNorm: return "bn";
    case OpKind::AvgPool: return "avg_pool k" + std::to_string(op.kernel) + (op.stride != 1 ? " s" + std::to_string(op.stride) : "");
    case OpKind::MaxPool: return "max_pool k" + std::to_string(op.kernel) + (op.stride != 1 ? " s" + std::to_string(op.stride) : "");
    case OpKind::Linear: return "linear ->" + std::to_string(op.out_channels);
    case OpKind::GlobalAvgPool: return "global_pool";
    case OpKind::SqueezeExcite: return "se ->" + std::to_string(op.hidden);
    default: return op_kind_name(op.kind);
  }
}

}  // namespace

std::string graph_dot(const ArchGraph& g) {
  // Compact: a chain of ops of one group ("cells.0.edge_1_0.{relu,conv,bn}") through tensors with
  // one input and one output is one edge labelled "relu · conv k3 · bn"; tensors show their shape (the name is the tooltip);
  // the nodes of each searchable cell are a cluster. Every op is in an edge's label and, in full
  // (name and attributes), in its tooltip. A 5-cells-per-stage nb201 network renders about
  // 800 x 2600 pt instead of 830 x 15900 pt with one edge per op.
  const GraphType& G = g.graph();
  // A tensor inside one op group: one input, one output, both ops named "<group>.<op>" alike.
  auto group = [&](EdgeId e) { return G[e].name.substr(0, G[e].name.rfind('.')); };
  auto interior = [&](NodeId v) {
    return v != g.input() && v != g.output() && boost::in_degree(v, G) == 1 && boost::out_degree(v, G) == 1 &&
           group(*boost::in_edges(v, G).first) == group(*boost::out_edges(v, G).first);
  };
  // The cell a kept node belongs to: the cell of all its inputs' last ops, when they agree.
  auto cell_of = [&](NodeId v) {
    int cell = -2;
    for (EdgeId e : g.in_edges(v)) cell = cell == -2 || cell == G[e].cell ? G[e].cell : -1;
    return cell < 0 ? -1 : cell;
  };
  std::map<int, std::vector<NodeId>> clusters;  // cell -> kept nodes (-1: outside every cell)
  for (NodeId v : g.topological_order())
    if (!interior(v)) clusters[cell_of(v)].push_back(v);
  std::ostringstream out;
  out << "digraph G {\nrankdir=TB; ranksep=0.25; nodesep=0.15;\n"
         "node [shape=box, style=rounded, fontsize=9, height=0.2, margin=\"0.04,0.02\"];\n"
         "edge [fontsize=8, arrowsize=0.5];\n";
  auto write_node = [&](NodeId v) {
    const TensorNode& n = G[v];
    out << v << " [label=" << dot_quote({shape_text(n.shape)}) << ", tooltip=" << dot_quote({n.name});
    if (v == g.input() || v == g.output())
      out << ", xlabel=" << dot_quote({v == g.input() ? "input" : "output"}) << ", style=\"rounded,bold\"";
    out << "];\n";
  };
  for (const auto& [cell, nodes] : clusters) {
    if (cell >= 0)
      out << "subgraph cluster_" << cell << " {\nlabel=" << dot_quote({"cell " + std::to_string(cell)})
          << "; fontsize=9; style=dashed; color=gray60;\n";
    for (NodeId v : nodes) write_node(v);
    if (cell >= 0) out << "}\n";
  }
  for (NodeId v : g.topological_order()) {
    if (interior(v)) continue;
    for (auto [it, end] = boost::out_edges(v, G); it != end; ++it) {
      std::vector<EdgeId> chain{*it};
      while (interior(boost::target(chain.back(), G))) chain.push_back(*boost::out_edges(boost::target(chain.back(), G), G).first);
      std::string label;
      std::vector<std::string> full;
      bool zero = false;
      for (EdgeId e : chain) {
        label += (label.empty() ? "" : " · ") + op_brief(G[e]);
        full.push_back(G[e].name + ": " + op_label(G[e]));
        zero = zero || G[e].kind == OpKind::Zero;
      }
      out << v << " -> " << boost::target(chain.back(), G) << " [label=" << dot_quote({label})
          << ", tooltip=" << dot_quote(full) << (zero ? ", style=dashed" : "") << "];\n";
    }
  }
  out << "}\n";
  return out.str();
}

std::string pytorch_source(const ArchGraph& g, const std::string& header) {
  const GraphType& G = g.graph();
  const std::vector<std::string> attr = attribute_names(g);
  const TensorShape in = g.node(g.input()).shape, out = g.node(g.output()).shape;
  const bool flatten = out.h == 1 && out.w == 1;
  std::ostringstream s;
  s << "# Generated by hwnas export";
  if (!header.empty()) s << ": " << header;
  s << "\n# A self-contained PyTorch model: build() returns it; its input is N x INPUT_SHAPE.\n"
    << "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"
    << "INPUT_SHAPE = (" << in.c << ", " << in.h << ", " << in.w << ")\n";
  if (flatten) s << "OUTPUT_SHAPE = (" << out.c << ",)\n\n\n";
  else s << "OUTPUT_SHAPE = (" << out.c << ", " << out.h << ", " << out.w << ")\n\n\n";
  bool se = false;
  for (EdgeId e : g.edges_in_order()) se |= G[e].kind == OpKind::SqueezeExcite;
  if (se)
    s << "class SqueezeExcite(nn.Module):\n"
      << "    \"\"\"MobileNetV3's squeeze-excite: x * hardsigmoid(fc2(relu(fc1(avg_pool(x))))).\"\"\"\n\n"
      << "    def __init__(self, channels, squeeze):\n        super().__init__()\n"
      << "        self.fc1 = nn.Conv2d(channels, squeeze, 1)\n        self.fc2 = nn.Conv2d(squeeze, channels, 1)\n\n"
      << "    def forward(self, x):\n"
      << "        return x * F.hardsigmoid(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(x, 1)))))\n\n\n";
  s << "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n";
  std::size_t layers = 0;
  for (std::size_t i = 0; i < g.edges_in_order().size(); ++i) {
    const OpEdge& op = G[g.edges_in_order()[i]];
    std::string ctor;
    switch (op.kind) {
      case OpKind::Conv2d:
        ctor = "nn.Conv2d(" + std::to_string(op.in_channels) + ", " + std::to_string(op.out_channels) +
               ", kernel_size=" + std::to_string(op.kernel) + ", stride=" + std::to_string(op.stride) +
               ", padding=" + std::to_string(op.padding) +
               (op.dilation != 1 ? ", dilation=" + std::to_string(op.dilation) : std::string()) +
               ", groups=" + std::to_string(op.groups) + ", bias=" + py_bool(op.bias) + ")";
        break;
      case OpKind::BatchNorm:
        ctor = "nn.BatchNorm2d(" + std::to_string(op.in_channels) + ", affine=" + py_bool(op.affine) + ")";
        break;
      case OpKind::AvgPool:
        ctor = "nn.AvgPool2d(kernel_size=" + std::to_string(op.kernel) + ", stride=" + std::to_string(op.stride) +
               ", padding=" + std::to_string(op.padding) + ", count_include_pad=" + py_bool(op.count_include_pad) + ")";
        break;
      case OpKind::MaxPool:
        ctor = "nn.MaxPool2d(kernel_size=" + std::to_string(op.kernel) + ", stride=" + std::to_string(op.stride) +
               ", padding=" + std::to_string(op.padding) + ")";
        break;
      case OpKind::Linear:
        ctor = "nn.Linear(" + std::to_string(op.in_channels) + ", " + std::to_string(op.out_channels) +
               ", bias=" + py_bool(op.bias) + ")";
        break;
      case OpKind::SqueezeExcite:
        ctor = "SqueezeExcite(" + std::to_string(op.in_channels) + ", " + std::to_string(op.hidden) + ")";
        break;
      default: break;
    }
    if (ctor.empty()) continue;
    s << "        self." << attr[i] << " = " << ctor << "\n";
    ++layers;
  }
  if (layers == 0) s << "        pass\n";
  // forward: node values in topological order, a node being the sum of its incoming edges.
  std::vector<int> edge_index(g.num_edges(), -1);
  for (std::size_t i = 0; i < g.edges_in_order().size(); ++i) edge_index[G[g.edges_in_order()[i]].id] = static_cast<int>(i);
  auto var = [](NodeId n) { return "v" + std::to_string(n); };
  s << "\n    def forward(self, x):\n        " << var(g.input()) << " = x\n";
  for (NodeId n : g.topological_order()) {
    if (n == g.input()) continue;
    const TensorShape sh = g.node(n).shape;
    std::vector<std::string> terms;
    for (EdgeId e : g.in_edges(n)) {
      const OpEdge& op = G[e];
      const std::string x = var(boost::source(e, G));
      const std::string& a = attr[static_cast<std::size_t>(edge_index[op.id])];
      switch (op.kind) {
        case OpKind::Conv2d:
        case OpKind::BatchNorm:
        case OpKind::SqueezeExcite:
        case OpKind::MaxPool:
        case OpKind::AvgPool: terms.push_back("self." + a + "(" + x + ")"); break;
        case OpKind::Linear: terms.push_back("self." + a + "(torch.flatten(" + x + ", 1))[:, :, None, None]"); break;
        case OpKind::ReLU: terms.push_back("F.relu(" + x + ")"); break;
        case OpKind::ReLU6: terms.push_back("F.relu6(" + x + ")"); break;
        case OpKind::HSwish: terms.push_back("F.hardswish(" + x + ")"); break;
        case OpKind::GlobalAvgPool: terms.push_back("F.adaptive_avg_pool2d(" + x + ", 1)"); break;
        case OpKind::Identity: terms.push_back(x); break;
        case OpKind::Zero: {
          const TensorShape z = op_output_shape(op, g.node(boost::source(e, G)).shape);  // a concat node's input
          terms.push_back(x + ".new_zeros((" + x + ".shape[0], " + std::to_string(z.c) + ", " + std::to_string(z.h) +
                          ", " + std::to_string(z.w) + "))");
          break;
        }
        case OpKind::Add:
        case OpKind::Concat: HWNAS_CHECK(false, "Add and Concat are not edges");
      }
    }
    HWNAS_CHECK(!terms.empty(), "node without inputs: " + g.node(n).name);
    s << "        " << var(n) << " = ";
    const bool cat = g.node(n).concat && terms.size() > 1;
    if (cat) s << "torch.cat([";
    for (std::size_t i = 0; i < terms.size(); ++i) s << (i ? (cat ? ", " : " + ") : "") << terms[i];
    if (cat) s << "], 1)";
    s << "  # " << g.node(n).name << " " << shape_text(sh) << "\n";
  }
  if (flatten) s << "        return torch.flatten(" << var(g.output()) << ", 1)\n";
  else s << "        return " << var(g.output()) << "\n";
  s << "\n\ndef build():\n    return Net()\n\n\n"
    << "if __name__ == \"__main__\":\n"
    << "    net = build().eval()\n"
    << "    y = net(torch.randn(1, *INPUT_SHAPE))\n"
    << "    print(sum(p.numel() for p in net.parameters()), \"parameters, output\", tuple(y.shape))\n";
  return s.str();
}

std::vector<std::string> export_architecture(const SearchSpace& space, const Architecture& a, const std::string& dir,
                                             const ExportOptions& opts) {
  std::vector<std::unique_ptr<Exporter>> exporters;
  for (const auto& f : opts.formats) exporters.push_back(make_exporter(f));
  // Aggregate initialization from the prvalue: the graph is built in place. (An ArchGraph must
  // not be copied or assigned: its edge list holds descriptors into the original graph.)
  const ExportInput in{&space, a, opts.decode, space.decode(a, opts.decode), opts.objectives, opts.seed, opts.weights};
  // Render everything before writing anything, so a bad weight map leaves no partial export.
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& e : exporters) files.emplace_back((fs::path(dir) / e->file_name()).string(), e->render(in));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw UserError(dir + ": cannot create the output folder: " + ec.message());
  std::vector<std::string> paths;
  for (const auto& [path, content] : files) {
    write_file_atomic(path, content);
    paths.push_back(path);
  }
  return paths;
}

}  // namespace hwnas
