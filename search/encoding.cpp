#include "hwnas/search/encoding.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"
#include "hwnas/core/suggest.h"
#include "hwnas/search/gp.h"

namespace hwnas {

namespace {

constexpr int kWlIterations = 1;  // h; h = 2 measured worse on the synthetic table (docs/strategies.md)
constexpr int kVocabularySample = 500;
constexpr std::uint64_t kVocabularySeed = 0x656e636f64696e67ULL;
constexpr std::size_t kCacheLimit = 20000;  // rows kept per (space, encoding); then cleared
const double kHalfRoot = std::sqrt(0.5);     // each part of a concatenated encoding

// The registry: name -> whether it is a graph encoding, and for a concatenation the graph
// encoding joined to one-hot (one table; names and checks read it).
struct EncodingEntry {
  const char* name;
  bool graph;
  const char* with_onehot = nullptr;
};
constexpr EncodingEntry kEncodings[] = {
    {"onehot", false}, {"path", true}, {"wl", true}, {"layers", true}, {"layers+onehot", false, "layers"}};

const char* onehot_partner(const std::string& name) {
  for (const auto& e : kEncodings)
    if (name == e.name) return e.with_onehot;
  return nullptr;
}

std::string label_of(OpKind kind, int in_channels, int out_channels, int kernel, int stride, int groups, int dilation) {
  const std::string k = std::to_string(kernel) + "x" + std::to_string(kernel);
  const std::string s = stride > 1 ? "_s" + std::to_string(stride) : "";
  switch (kind) {
    case OpKind::Conv2d: {
      std::string l = "conv" + k;
      if (groups > 1) l += groups == in_channels ? "dw" : "g" + std::to_string(groups);
      if (dilation > 1) l += "d" + std::to_string(dilation);
      if (kernel == 1 && in_channels > 0 && out_channels > in_channels && out_channels % in_channels == 0)
        l += "e" + std::to_string(out_channels / in_channels);
      return l + s;
    }
    case OpKind::BatchNorm: return "bn";
    case OpKind::ReLU: return "relu";
    case OpKind::ReLU6: return "relu6";
    case OpKind::HSwish: return "hswish";
    case OpKind::AvgPool: return "avgpool" + k + s;
    case OpKind::MaxPool: return "maxpool" + k + s;
    case OpKind::GlobalAvgPool: return "gap";
    case OpKind::Linear: return "fc";
    case OpKind::Identity: return "id";
    case OpKind::Zero: return "zero";
    case OpKind::Add: return "add";
    case OpKind::Concat: return "concat";
    case OpKind::SqueezeExcite: return "se";
  }
  return "op";
}

// One op's "layers" feature: cell ops by label, skeleton ops also by output size and channels.
std::string layer_key(const std::string& label, int cell, const TensorShape& out) {
  if (cell >= 0) return "layer:" + label;
  return "layer:" + label + "@" + std::to_string(out.h) + "c" + std::to_string(out.c);
}

// A series-reduced edge of a cell: a maximal chain of op edges whose inner tensors have one input
// and one output in the cell, labelled with their op labels joined by '-'.
struct Chain {
  NodeId from, to;
  std::string label;
};

struct Cell {
  std::vector<Chain> chains;
  std::vector<NodeId> inputs, outputs;  // tensors with no producer / no consumer in the cell
};

std::vector<Cell> cells_of(const ArchGraph& g, std::vector<EdgeId>* skeleton) {
  std::map<int, std::vector<EdgeId>> by_cell;
  for (EdgeId e : g.edges_in_order()) {
    const int c = g.edge(e).cell;
    if (c >= 0)
      by_cell[c].push_back(e);
    else if (skeleton)
      skeleton->push_back(e);
  }
  const auto& G = g.graph();
  std::vector<Cell> out;
  for (const auto& [c, edges] : by_cell) {
    std::map<NodeId, int> in_deg, out_deg;
    std::map<NodeId, std::vector<EdgeId>> succ;
    for (EdgeId e : edges) {
      ++out_deg[boost::source(e, G)];
      ++in_deg[boost::target(e, G)];
      succ[boost::source(e, G)].push_back(e);
    }
    Cell cell;
    auto inner = [&](NodeId n) { return in_deg[n] == 1 && out_deg[n] == 1; };
    for (const auto& [n, d] : out_deg)
      if (!in_deg.count(n)) cell.inputs.push_back(n);
    for (const auto& [n, d] : in_deg)
      if (!out_deg.count(n)) cell.outputs.push_back(n);
    for (EdgeId e : edges) {
      if (inner(boost::source(e, G))) continue;  // part of a chain started upstream
      Chain ch{boost::source(e, G), boost::target(e, G), op_label(g.edge(e))};
      while (inner(ch.to)) {
        const EdgeId next = succ[ch.to].front();
        ch.label += "-" + op_label(g.edge(next));
        ch.to = boost::target(next, G);
      }
      cell.chains.push_back(std::move(ch));
    }
    out.push_back(std::move(cell));
  }
  return out;
}

void add_skeleton_layers(const ArchGraph& g, const std::vector<EdgeId>& skeleton, std::map<std::string, double>& f) {
  for (EdgeId e : skeleton) f[layer_key(op_label(g.edge(e)), -1, g.node(boost::target(e, g.graph())).shape)] += 1.0;
}

void add_paths(const Cell& cell, std::map<std::string, double>& f) {
  std::map<NodeId, std::vector<const Chain*>> succ;
  for (const Chain& ch : cell.chains) succ[ch.from].push_back(&ch);
  std::function<void(NodeId, const std::string&)> walk = [&](NodeId n, const std::string& prefix) {
    auto it = succ.find(n);
    if (it == succ.end()) {
      if (!prefix.empty()) f["path:" + prefix] += 1.0;
      return;
    }
    for (const Chain* ch : it->second) walk(ch->to, prefix.empty() ? ch->label : prefix + "-" + ch->label);
  };
  for (NodeId in : cell.inputs) walk(in, "");
}

// WL subtree features of one cell, ops as nodes (plus one "in" node per input tensor and one
// "out" node per output tensor); a label is refined with the sorted labels of its predecessors.
void add_wl(const Cell& cell, std::map<std::string, double>& f) {
  const std::size_t m = cell.chains.size();
  std::vector<std::string> label;
  std::vector<std::vector<std::size_t>> pred;
  for (const Chain& ch : cell.chains) label.push_back(ch.label);
  pred.resize(m);
  std::map<NodeId, std::size_t> in_node, out_node;
  for (NodeId n : cell.inputs) {
    in_node[n] = label.size();
    label.push_back("in");
    pred.emplace_back();
  }
  for (NodeId n : cell.outputs) {
    out_node[n] = label.size();
    label.push_back("out");
    pred.emplace_back();
  }
  for (std::size_t i = 0; i < m; ++i) {
    if (auto it = in_node.find(cell.chains[i].from); it != in_node.end()) pred[i].push_back(it->second);
    for (std::size_t j = 0; j < m; ++j)
      if (cell.chains[j].to == cell.chains[i].from) pred[i].push_back(j);
    if (auto it = out_node.find(cell.chains[i].to); it != out_node.end()) pred[it->second].push_back(i);
  }
  for (int it = 0;; ++it) {
    for (const std::string& l : label) f["wl" + std::to_string(it) + ":" + l] += 1.0;
    if (it == kWlIterations) break;
    std::vector<std::string> next(label.size());
    for (std::size_t v = 0; v < label.size(); ++v) {
      std::vector<std::string> p;
      for (std::size_t u : pred[v]) p.push_back(label[u]);
      std::sort(p.begin(), p.end());
      next[v] = label[v] + "(";
      for (std::size_t k = 0; k < p.size(); ++k) next[v] += (k ? "," : "") + p[k];
      next[v] += ")";
    }
    label = std::move(next);
  }
}

bool is_graph_encoding(const std::string& name) {
  for (const auto& e : kEncodings)
    if (name == e.name) return e.graph;
  return false;
}

double unit_dot(const std::map<std::string, double>& a, const std::map<std::string, double>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (const auto& [k, v] : a) {
    aa += v * v;
    if (auto it = b.find(k); it != b.end()) ab += v * it->second;
  }
  for (const auto& [k, v] : b) bb += v * v;
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
}

}  // namespace

const std::vector<std::string>& encoding_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& e : kEncodings) n.push_back(e.name);
    return n;
  }();
  return names;
}

void check_encoding_name(const std::string& path, const std::string& name) {
  const auto& names = encoding_names();
  if (std::find(names.begin(), names.end(), name) != names.end()) return;
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  throw UserError(path + ".encoding: unknown encoding \"" + name + "\"" + did_you_mean(name, names) + " (known: " + known + ")");
}

std::string op_label(const OpEdge& op) {
  return label_of(op.kind, op.in_channels, op.out_channels, op.kernel, op.stride, op.groups, op.dilation);
}

std::map<std::string, double> layer_features(const LayerList& layers) {
  std::map<std::string, double> f;
  for (const LayerCost& l : layers.layers)
    if (l.kind != OpKind::Add)
      f[layer_key(label_of(l.kind, l.input.c, l.output.c, l.kernel, l.stride, l.groups, l.dilation), l.cell, l.output)] += 1.0;
  return f;
}

std::map<std::string, double> graph_features(const std::string& encoding, const ArchGraph& g) {
  HWNAS_CHECK(is_graph_encoding(encoding), "graph_features: not a graph encoding");
  std::map<std::string, double> f;
  std::vector<EdgeId> skeleton;
  const std::vector<Cell> cells = cells_of(g, &skeleton);
  if (encoding == "layers") {
    for (EdgeId e : g.edges_in_order())
      if (g.edge(e).cell >= 0) f[layer_key(op_label(g.edge(e)), g.edge(e).cell, {})] += 1.0;
  }
  // Cells of the same structure (all 15 of an nb201 network) are featurized once.
  std::map<std::string, std::map<std::string, double>> by_structure;
  for (const Cell& c : cells) {
    if (encoding == "layers") break;
    std::map<NodeId, int> id;
    auto num = [&](NodeId n) { return id.emplace(n, static_cast<int>(id.size())).first->second; };
    std::string key;
    for (const Chain& ch : c.chains) key += std::to_string(num(ch.from)) + ">" + std::to_string(num(ch.to)) + ":" + ch.label + " ";
    for (NodeId n : c.inputs) key += "i" + std::to_string(num(n));
    for (NodeId n : c.outputs) key += "o" + std::to_string(num(n));
    auto [it, fresh] = by_structure.try_emplace(key);
    if (fresh) {
      if (encoding == "path") add_paths(c, it->second);
      if (encoding == "wl") add_wl(c, it->second);
    }
    for (const auto& [k, v] : it->second) f[k] += v;
  }
  add_skeleton_layers(g, skeleton, f);
  return f;
}

double wl_kernel(const ArchGraph& a, const ArchGraph& b) {
  return unit_dot(graph_features("wl", a), graph_features("wl", b));
}

namespace {
// What names a layer's "layers" feature (layer_key of label_of): kind, input and output channels,
// kernel, stride, groups, dilation, and for a skeleton layer its output height and channels.
using LayerFields = std::array<int, 9>;
struct LayerFieldsHash {
  std::size_t operator()(const LayerFields& f) const {
    std::uint64_t h = 0x6c61796572ULL;
    for (int v : f) h = Rng::mix(h ^ static_cast<std::uint32_t>(v));
    return static_cast<std::size_t>(h);
  }
};
LayerFields fields_of(const LayerCost& l) {
  const bool skeleton = l.cell < 0;
  return {static_cast<int>(l.kind), l.input.c,  l.output.c, l.kernel, l.stride, l.groups, l.dilation,
          skeleton ? l.output.h : -1, skeleton ? l.output.c : -1};
}
}  // namespace

struct ArchEncoder::Shared {
  std::vector<std::string> vocab;
  std::unordered_map<std::string, int> column;
  double scale = 1.0;
  std::mutex mutex;                                  // guards cache
  std::unordered_map<std::uint64_t, Sparse> cache;  // canonical hash -> scaled row
  // "layers": a layer's fields -> its feature's column (-1 outside the vocabulary), so that rows
  // are built without making the feature names again (guarded by fields_mutex).
  std::mutex fields_mutex;
  std::unordered_map<LayerFields, int, LayerFieldsHash> layer_column;
};

namespace {

// The columns of a "layers" row with their counts: layer_features(layers) in the vocabulary's
// columns, with each distinct layer's name made once per process.
std::map<int, double> layer_columns(ArchEncoder::Shared& sh, const LayerList& layers) {
  std::map<int, double> f;
  std::lock_guard<std::mutex> lock(sh.fields_mutex);
  for (const LayerCost& l : layers.layers) {
    if (l.kind == OpKind::Add) continue;
    auto [it, fresh] = sh.layer_column.try_emplace(fields_of(l), -1);
    if (fresh) {
      const auto c = sh.column.find(
          layer_key(label_of(l.kind, l.input.c, l.output.c, l.kernel, l.stride, l.groups, l.dilation), l.cell, l.output));
      if (c != sh.column.end()) it->second = c->second;
    }
    if (it->second >= 0) f[it->second] += 1.0;
  }
  return f;
}

// Unscaled row of a graph encoding in the vocabulary's columns (WL rows of unit length).
std::vector<std::pair<int, double>> unscaled_row(const SearchSpace& space, const std::string& encoding,
                                                 ArchEncoder::Shared& sh, const Architecture& a) {
  // "layers" from the space's per-layer fast path (equal to the graph walk; tested).
  const Architecture c = space.canonicalize(a);
  std::vector<std::pair<int, double>> row;
  double norm = 0;
  if (encoding == "layers") {
    for (const auto& [col, v] : layer_columns(sh, space.layers(c))) row.emplace_back(col, v);  // sorted by column
    return row;
  }
  for (const auto& [k, v] : graph_features(encoding, space.decode(c)))
    if (auto it = sh.column.find(k); it != sh.column.end()) {
      row.emplace_back(it->second, v);
      norm += v * v;
    }
  std::sort(row.begin(), row.end());
  if (encoding == "wl" && norm > 0)
    for (auto& [c, v] : row) v /= std::sqrt(norm);
  return row;
}

std::shared_ptr<ArchEncoder::Shared> build_shared(const SearchSpace& space, const std::string& encoding) {
  auto sh = std::make_shared<ArchEncoder::Shared>();
  // Vocabulary: the features of a fixed sample, most frequent first (ties by name).
  Rng rng(kVocabularySeed);
  std::vector<Architecture> sample;
  std::map<std::string, int> freq;
  for (int i = 0; i < kVocabularySample; ++i) {
    sample.push_back(space.sample(rng));
    const Architecture c = space.canonicalize(sample.back());
    for (const auto& [k, v] : encoding == "layers" ? layer_features(space.layers(c)) : graph_features(encoding, space.decode(c)))
      ++freq[k];
  }
  std::vector<std::pair<std::string, int>> order(freq.begin(), freq.end());
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (order.size() > static_cast<std::size_t>(kMaxEncodingFeatures)) order.resize(kMaxEncodingFeatures);
  for (const auto& [k, n] : order) {
    sh->column[k] = static_cast<int>(sh->vocab.size());
    sh->vocab.push_back(k);
  }
  // One scale factor: mean squared distance of consecutive sample pairs equal to one-hot's.
  double sq_onehot = 0, sq_enc = 0;
  Eigen::VectorXd prev, cur;
  for (std::size_t i = 0; i < sample.size(); ++i) {
    cur.setZero(static_cast<Eigen::Index>(sh->vocab.size()));
    for (const auto& [c, v] : unscaled_row(space, encoding, *sh, sample[i])) cur[c] = v;
    if (i > 0) {
      for (std::size_t k = 0; k < sample[i].choices.size(); ++k)
        sq_onehot += sample[i].choices[k] != sample[i - 1].choices[k] ? 2.0 : 0.0;
      sq_enc += (cur - prev).squaredNorm();
    }
    std::swap(prev, cur);
  }
  if (sq_enc > 0 && sq_onehot > 0) sh->scale = std::sqrt(sq_onehot / sq_enc);
  return sh;
}

}  // namespace

ArchEncoder::ArchEncoder(const SearchSpace& space, std::string name) : space_(&space), name_(std::move(name)) {
  check_encoding_name("encoder", name_);
  if (!is_graph_encoding(name_)) {
    for (const auto& d : space.decisions()) width_ += static_cast<Eigen::Index>(d.choices.size());
    if (const char* graph = onehot_partner(name_)) {
      onehot_width_ = width_;
      graph_part_ = std::make_shared<const ArchEncoder>(space, graph);
      width_ += graph_part_->width();
    }
    return;
  }
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<Shared>> shared;  // by space name, options and encoding
  const std::string key = space.name() + " " + space.options().dump() + " " + name_;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto& sh = shared[key];
    if (!sh) sh = build_shared(space, name_);
    shared_ = sh;
  }
  width_ = static_cast<Eigen::Index>(shared_->vocab.size());
}

const std::vector<std::string>& ArchEncoder::vocabulary() const {
  static const std::vector<std::string> none;
  return shared_ ? shared_->vocab : graph_part_ ? graph_part_->vocabulary() : none;
}

ArchEncoder::Sparse ArchEncoder::row_of(const Architecture& a) const {
  const std::uint64_t h = space_->canonical_hash(a);
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    if (auto it = shared_->cache.find(h); it != shared_->cache.end()) return it->second;
  }
  Sparse row = unscaled_row(*space_, name_, *shared_, a);
  for (auto& [c, v] : row) v *= shared_->scale;
  std::lock_guard<std::mutex> lock(shared_->mutex);
  if (shared_->cache.size() >= kCacheLimit) shared_->cache.clear();
  shared_->cache.emplace(h, row);
  return row;
}

void ArchEncoder::encode_into(const Architecture& a, Eigen::VectorXd& row) const {
  if (graph_part_) {
    // One-hot, then the graph encoding, each times sqrt(1/2): both parts are scaled to one-hot's
    // mean squared distance, so the whole row keeps it.
    Eigen::VectorXd part;
    one_hot_into(*space_, a, part);
    row.setZero(width_);
    row.head(onehot_width_) = part * kHalfRoot;
    graph_part_->encode_into(a, part);
    row.tail(width_ - onehot_width_) = part * kHalfRoot;
    return;
  }
  if (!shared_) {
    one_hot_into(*space_, a, row);
    return;
  }
  row.setZero(width_);
  for (const auto& [c, v] : row_of(a)) row[c] = v;
}

Eigen::MatrixXd ArchEncoder::encode(const std::vector<Architecture>& archs) const {
  if (graph_part_) {
    Eigen::MatrixXd X(static_cast<Eigen::Index>(archs.size()), width_);
    X.leftCols(onehot_width_) = one_hot(*space_, archs) * kHalfRoot;
    X.rightCols(width_ - onehot_width_) = graph_part_->encode(archs) * kHalfRoot;
    return X;
  }
  if (!shared_) return one_hot(*space_, archs);
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(archs.size()), width_);
  for (std::size_t i = 0; i < archs.size(); ++i)
    for (const auto& [c, v] : row_of(archs[i])) X(static_cast<Eigen::Index>(i), c) = v;
  return X;
}

}  // namespace hwnas
