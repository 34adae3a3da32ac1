#include "hwnas/nas/spaces/graph_space.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <cstdio>

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/core/suggest.h"
#include "hwnas/nas/cell_key.h"
#include "hwnas/nas/cost.h"

namespace hwnas {

namespace {

// Bounds that keep any description small enough to build and search (fuzz-safe).
constexpr int kMaxNodes = GraphSpace::kMaxNodes, kMaxEdges = GraphSpace::kMaxEdges;
constexpr int kMaxOps = 64, kMaxChain = 32, kMaxPaths = 8, kMaxStages = 16;
constexpr int kMaxCells = 64, kMaxChannels = 16384, kMaxSize = 4096, kMaxKernel = 15;

const std::vector<std::string>& layer_names() {
  static const std::vector<std::string> names{"conv",   "bn",       "relu",       "relu6", "avg_pool",
                                              "global_avg_pool", "linear", "identity", "zero", "mbconv", "hswish", "max_pool"};
  return names;
}

std::string shape_str(const TensorShape& s) {
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

std::string edge_str(int from, int to) { return "node " + std::to_string(from) + " -> node " + std::to_string(to); }

int int_in(JsonReader& r, const std::string& key, int fallback, int lo, int hi, bool required = false) {
  if (!required && !r.has(key)) {
    r.raw(key);  // marks it read
    return fallback;
  }
  const int v = r.require<int>(key);
  if (v < lo || v > hi)
    throw UserError(r.child(key) + ": expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi) +
                    ", got " + std::to_string(v));
  return v;
}

std::string format_number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

/// A value of a block stage: one value (fixed) or a list of distinct values (a decision), each
/// made an int by `value(json, path)`, which throws naming the path. `fallback` when the key is
/// absent (none: required); `hint` ends the message for an empty list.
template <class Value>
SpaceSpec::Choice read_choice_of(JsonReader& r, const std::string& key, std::optional<int> fallback, const std::string& hint,
                                 Value value) {
  SpaceSpec::Choice c;
  const nlohmann::json* v = r.raw(key);
  if (!v) {
    if (!fallback) throw UserError(r.child(key) + ": required field is missing");
    c.values = {*fallback};
    return c;
  }
  if (!v->is_array()) {
    c.values = {value(*v, r.child(key))};
    return c;
  }
  if (v->empty()) throw UserError(r.child(key) + ": empty choice list; " + hint);
  if (v->size() > 64) throw UserError(r.child(key) + ": expected at most 64 choices, got " + std::to_string(v->size()));
  c.decision = true;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const std::string p = r.child(key) + "[" + std::to_string(i) + "]";
    const int x = value((*v)[i], p);
    if (std::find(c.values.begin(), c.values.end(), x) != c.values.end())
      throw UserError(p + ": " + ((*v)[i].is_number() ? "value " : "") + (*v)[i].dump() + " is listed twice");
    c.values.push_back(x);
  }
  return c;
}

/// A number (fixed) or a list of distinct numbers (a decision) in lo..hi; odd only if `odd`.
SpaceSpec::Choice read_choice(JsonReader& r, const std::string& key, int fallback, int lo, int hi, bool required,
                              bool odd = false) {
  if (const nlohmann::json* v = r.raw(key); v && !v->is_array() && !v->is_number_integer())
    JsonReader::fail(r.child(key), "an integer or a list of integers (a decision)", *v);
  return read_choice_of(r, key, required ? std::nullopt : std::optional<int>(fallback),
                        "give at least one value (or a number for a fixed value)", [&](const nlohmann::json& j, const std::string& p) {
                          const int x = JsonReader::convert<int>(j, p);
                          if (x < lo || x > hi)
                            throw UserError(p + ": expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi) +
                                            ", got " + std::to_string(x));
                          if (odd && x % 2 == 0) throw UserError(p + ": expected an odd kernel size, got " + std::to_string(x));
                          return x;
                        });
}

/// An activation's index in SpaceSpec::activations(), or an error naming the path.
int activation_index(const nlohmann::json& v, const std::string& path) {
  const std::string a = JsonReader::convert<std::string>(v, path);
  const auto& all = SpaceSpec::activations();
  for (std::size_t i = 0; i < all.size(); ++i)
    if (all[i].first == a) return static_cast<int>(i);
  throw UserError(path + ": expected \"relu6\", \"relu\" or \"hswish\", got \"" + a + "\"");
}

OpKind read_activation(JsonReader& r) {
  if (!r.has("activation")) {
    r.raw("activation");
    return OpKind::ReLU6;
  }
  return SpaceSpec::activations()[static_cast<std::size_t>(activation_index(*r.raw("activation"), r.child("activation")))].second;
}

/// A block's activation: a name (fixed) or a list of distinct names (a decision per block).
SpaceSpec::Choice read_activation_choice(JsonReader& r) {
  return read_choice_of(r, "activation", activation_index("relu6", ""),
                        "give at least one activation (or a name for a fixed one)", activation_index);
}

/// Squeeze-excite: true/false (fixed) or [false, true] (a decision per block).
SpaceSpec::Choice read_se_choice(JsonReader& r) {
  return read_choice_of(r, "se", 0, "give [false, true] (or a boolean for a fixed value)",
                        [](const nlohmann::json& j, const std::string& p) { return JsonReader::convert<bool>(j, p) ? 1 : 0; });
}

SpaceSpec::Scale read_scale(JsonReader& r, SpaceSpec::Scale fallback) {
  if (!r.has("scale")) {
    r.raw("scale");
    return fallback;
  }
  const std::string v = r.require<std::string>("scale");
  if (v == "width") return SpaceSpec::Scale::Width;
  if (v == "up") return SpaceSpec::Scale::Up;
  if (v == "none") return SpaceSpec::Scale::None;
  throw UserError(r.child("scale") + ": expected \"width\" (out times the width multiplier), \"up\" (never below out) or "
                  "\"none\", got \"" + v + "\"");
}

/// The width multiplier of one architecture: explicit channel counts become
/// make_divisible(c * mult, divisor). divisor 0: the space has no multiplier.
struct Width {
  double mult = 1;
  int divisor = 0;
  int operator()(int c, SpaceSpec::Scale s = SpaceSpec::Scale::Width) const {
    if (!divisor || s == SpaceSpec::Scale::None) return c;
    return make_divisible(c * (s == SpaceSpec::Scale::Up ? std::max(1.0, mult) : mult), divisor);
  }
};

const nlohmann::json& require_array(JsonReader& r, const std::string& key, std::size_t min, std::size_t max,
                                    const char* what) {
  const nlohmann::json* v = r.raw(key);
  if (!v) throw UserError(r.child(key) + ": required field is missing");
  if (!v->is_array()) JsonReader::fail(r.child(key), std::string("an array of ") + what, *v);
  if (v->size() < min || v->size() > max)
    throw UserError(r.child(key) + ": expected " + std::to_string(min) + ".." + std::to_string(max) + " " + what +
                    ", got " + std::to_string(v->size()));
  return *v;
}

SpaceSpec::Layer read_layer(const nlohmann::json& j, const std::string& path) {
  JsonReader r(j, path);
  SpaceSpec::Layer l;
  const std::string kind = r.require<std::string>("layer");
  l.name = kind;
  if (kind == "conv") {
    l.kind = OpKind::Conv2d;
    l.kernel = int_in(r, "kernel", 1, 1, kMaxKernel);
    l.stride = int_in(r, "stride", 1, 1, 8);
    l.dilation = int_in(r, "dilation", 1, 1, 8);
    l.padding = int_in(r, "padding", l.dilation * (l.kernel - 1) / 2, 0, 8 * kMaxKernel);
    l.depthwise = r.get<bool>("depthwise", false);
    if (l.depthwise && (r.has("groups") || r.has("out")))
      throw UserError(r.child("depthwise") + ": a depthwise conv has one group per input channel and as many outputs; "
                      "leave out \"groups\" and \"out\"");
    l.groups = int_in(r, "groups", 1, 1, kMaxChannels);
    l.out = int_in(r, "out", 0, 1, kMaxChannels * 4);
    l.bias = r.get<bool>("bias", false);
    l.scale = read_scale(r, SpaceSpec::Scale::Width);
  } else if (kind == "mbconv") {
    l.kind = OpKind::Conv2d;  // never turned into one edge: decode() builds the block
    l.mbconv = true;
    l.kernel = int_in(r, "kernel", 3, 1, kMaxKernel);
    if (l.kernel % 2 == 0)
      throw UserError(r.child("kernel") + ": expected an odd kernel size, got " + std::to_string(l.kernel));
    l.stride = int_in(r, "stride", 1, 1, 8);
    l.expand = int_in(r, "expand", 1, 1, 16);
    l.out = int_in(r, "out", 0, 1, kMaxChannels);
    l.activation = read_activation(r);
    l.se = r.get<bool>("se", false);
    l.scale = read_scale(r, SpaceSpec::Scale::Width);
  } else if (kind == "avg_pool" || kind == "max_pool") {
    const bool avg = kind == "avg_pool";
    l.kind = avg ? OpKind::AvgPool : OpKind::MaxPool;
    l.kernel = int_in(r, "kernel", 3, 1, kMaxKernel);
    l.stride = int_in(r, "stride", 1, 1, 8);
    l.padding = int_in(r, "padding", (l.kernel - 1) / 2, 0, kMaxKernel);
    if (2 * l.padding > l.kernel)
      throw UserError(r.child("padding") + ": expected at most half the kernel (" + std::to_string(l.kernel) + "), as PyTorch's " +
                      (avg ? "AvgPool2d" : "MaxPool2d") + " requires, got " + std::to_string(l.padding));
    if (avg) l.count_include_pad = r.get<bool>("count_include_pad", false);
  } else if (kind == "bn") {
    l.kind = OpKind::BatchNorm;
    l.affine = r.get<bool>("affine", true);
  } else if (kind == "linear") {
    l.kind = OpKind::Linear;
    l.out = int_in(r, "out", 0, 1, 1000000);
    l.bias = r.get<bool>("bias", true);
    l.scale = read_scale(r, SpaceSpec::Scale::None);
  } else if (kind == "relu") {
    l.kind = OpKind::ReLU;
  } else if (kind == "relu6") {
    l.kind = OpKind::ReLU6;
  } else if (kind == "hswish") {
    l.kind = OpKind::HSwish;
  } else if (kind == "global_avg_pool") {
    l.kind = OpKind::GlobalAvgPool;
  } else if (kind == "identity") {
    l.kind = OpKind::Identity;
  } else if (kind == "zero") {
    l.kind = OpKind::Zero;
  } else {
    std::string known;
    for (const auto& n : layer_names()) known += (known.empty() ? "" : ", ") + n;
    throw UserError(r.child("layer") + ": unknown layer '" + kind + "'" + did_you_mean(kind, layer_names()) +
                    " (known: " + known + ")");
  }
  r.finish();
  return l;
}

SpaceSpec::Chain read_chain(const nlohmann::json& j, const std::string& path) {
  if (!j.is_array()) JsonReader::fail(path, "an array of layers", j);
  if (j.size() > static_cast<std::size_t>(kMaxChain))
    throw UserError(path + ": expected at most " + std::to_string(kMaxChain) + " layers, got " + std::to_string(j.size()));
  SpaceSpec::Chain chain;
  for (std::size_t i = 0; i < j.size(); ++i) {
    chain.push_back(read_layer(j[i], path + "[" + std::to_string(i) + "]"));
    // Names unique within the chain: conv, bn, conv_2, bn_2 (module and export names).
    int same = 0;
    for (std::size_t k = 0; k + 1 < chain.size(); ++k) same += chain[k].kind == chain.back().kind;
    if (same > 0) chain.back().name += "_" + std::to_string(same + 1);
  }
  return chain;
}

/// A skeleton block: an array of layers (one path) or {"paths": [[...], [...]]} summed at the end.
std::vector<SpaceSpec::Chain> read_block(const nlohmann::json& j, const std::string& path) {
  std::vector<SpaceSpec::Chain> paths;
  if (j.is_array()) {
    if (j.empty()) throw UserError(path + ": expected at least one layer");
    paths.push_back(read_chain(j, path));
  } else {
    JsonReader r(j, path);
    const nlohmann::json& ps = require_array(r, "paths", 1, kMaxPaths, "paths");
    for (std::size_t i = 0; i < ps.size(); ++i) paths.push_back(read_chain(ps[i], r.child("paths") + "[" + std::to_string(i) + "]"));
    r.finish();
  }
  for (std::size_t p = 0; p < paths.size(); ++p)
    for (std::size_t i = 0; i < paths[p].size(); ++i)
      if (paths[p][i].mbconv && !j.is_array())
        throw UserError(path + ".paths[" + std::to_string(p) + "][" + std::to_string(i) +
                        "]: an mbconv is a block with its own shortcut; use it in a block written as a list of layers, not in paths");
  for (std::size_t p = 0; p < paths.size(); ++p)
    for (std::size_t i = 0; i < paths[p].size(); ++i)
      if (paths[p][i].kind == OpKind::Zero)
        throw UserError(path + (paths.size() > 1 || !j.is_array() ? ".paths[" + std::to_string(p) + "]" : "") + "[" +
                        std::to_string(i) + "]: a zero layer belongs in a cell op (`none`), not in the skeleton");
  return paths;
}

/// Output channels of a conv, linear or mbconv layer.
int layer_out(const SpaceSpec::Layer& l, int in_channels, int block_out, const Width& w) {
  if (l.depthwise) return in_channels;
  return l.out ? w(l.out, l.scale) : block_out;
}

OpEdge to_edge(const SpaceSpec::Layer& l, int in_channels, int block_out, std::string name, int cell, const Width& w = {}) {
  OpEdge e;
  e.kind = l.kind;
  e.in_channels = in_channels;
  e.out_channels = (l.kind == OpKind::Conv2d || l.kind == OpKind::Linear) ? layer_out(l, in_channels, block_out, w) : in_channels;
  e.kernel = l.kernel;
  e.stride = l.stride;
  e.padding = l.padding;
  e.groups = l.depthwise ? in_channels : l.groups;
  e.dilation = l.dilation;
  e.bias = l.bias;
  e.affine = l.affine;
  e.count_include_pad = l.count_include_pad;
  e.name = std::move(name);
  e.cell = cell;
  return e;
}

/// Shape after `l`, or a UserError saying why the arithmetic cannot work; `where` names the layer.
/// `work`, when given, grows by an upper bound of the layer's FLOPs plus activation bytes.
TensorShape layer_shape(const SpaceSpec::Layer& l, const TensorShape& in, int block_out, const std::string& where,
                        double* work = nullptr, const Width& w = {}) {
  if (l.mbconv) {  // costed on a scratch graph by the one builder of the block
    // First a bound in doubles, so the exact 64-bit count below cannot overflow.
    const double hw = static_cast<double>(in.h) * in.w, hidden = static_cast<double>(in.c) * l.expand;
    const double out_c = layer_out(l, in.c, block_out, w);
    const double bound = hw * (2.0 * (in.c * hidden + hidden * l.kernel * l.kernel + hidden * out_c) + 64.0 * (hidden + out_c));
    if (!(bound < 1e17))
      throw UserError(where + ": this mbconv would need about " + format_number(bound) +
                      " FLOPs plus activation bytes, beyond what hwnas counts exactly; use fewer channels, a smaller "
                      "expansion or a smaller input");
    ArchGraph g;
    const NodeId x = g.add_node(in, "in");
    g.set_input(x);
    const NodeId y = append_inverted_residual(
        g, x, {l.kernel, l.expand, l.stride, layer_out(l, in.c, block_out, w), l.activation, l.se}, "b", -1);
    g.set_output(y);
    if (work) {
      const CostTotals t = count_costs(g).totals;
      *work += static_cast<double>(t.flops) + static_cast<double>(t.activation_bytes);
    }
    return g.node(y).shape;
  }
  const OpEdge e = to_edge(l, in.c, block_out, "", -1, w);
  if (l.kind == OpKind::Conv2d && (e.in_channels % l.groups != 0 || e.out_channels % l.groups != 0))
    throw UserError(where + ": groups " + std::to_string(l.groups) + " must divide the input channels (" +
                    std::to_string(e.in_channels) + ") and the output channels (" + std::to_string(e.out_channels) + ")");
  if (l.kind == OpKind::Linear && (in.h != 1 || in.w != 1))
    throw UserError(where + ": linear needs a Cx1x1 input, got " + shape_str(in) + " (add a global_avg_pool before it)");
  const TensorShape out = op_output_shape(e, in);
  if (out.h < 1 || out.w < 1)
    throw UserError(where + ": kernel " + std::to_string(l.kernel) + " with padding " + std::to_string(l.padding) +
                    " does not fit a " + shape_str(in) + " input");
  if (work)
    *work += 2.0 * static_cast<double>(out.numel()) * (static_cast<double>(l.kernel) * l.kernel * in.c + 1) +
             4.0 * static_cast<double>(in.numel() + out.numel());
  return out;
}

/// Output shape of a block; every path must end in the same shape.
TensorShape block_shape(const std::vector<SpaceSpec::Chain>& paths, const TensorShape& in, int block_out,
                        const std::string& path, const std::string& context, double* work = nullptr, const Width& w = {}) {
  TensorShape first{};
  for (std::size_t p = 0; p < paths.size(); ++p) {
    const std::string pp = paths.size() > 1 ? path + ".paths[" + std::to_string(p) + "]" : path;
    TensorShape s = in;
    for (std::size_t i = 0; i < paths[p].size(); ++i)
      s = layer_shape(paths[p][i], s, block_out, pp + "[" + std::to_string(i) + "] (" + paths[p][i].name + context + ")", work, w);
    if (work) *work += 8.0 * static_cast<double>(s.numel());  // the sum at the block's output
    if (p == 0) first = s;
    else if (!(s == first))
      throw UserError(pp + ": shape mismatch: this path ends in " + shape_str(s) + " but paths[0] ends in " +
                      shape_str(first) + context + "; the paths of a block are summed and must agree");
  }
  return first;
}

bool valid_op_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-' && ch != '.') return false;
  return true;
}

/// Appends a skeleton block: one path layer by layer (an mbconv as its whole block), or several
/// paths each up to its last layer, then the sum node, then the last layers (an empty path is a
/// shortcut).
NodeId append_block(ArchGraph& g, NodeId in, const std::vector<SpaceSpec::Chain>& paths, int out_c, const std::string& prefix,
                    const Width& w = {}) {
  if (paths.size() == 1 && !paths[0].empty()) {
    for (const auto& l : paths[0]) {
      const int c = g.node(in).shape.c;
      in = l.mbconv ? append_inverted_residual(g, in, {l.kernel, l.expand, l.stride, layer_out(l, c, out_c, w), l.activation, l.se},
                                               prefix + "." + l.name, -1)
                    : append_op(g, in, to_edge(l, c, out_c, prefix + "." + l.name, -1, w));
    }
    return in;
  }
  std::vector<std::pair<NodeId, OpEdge>> last;
  for (std::size_t p = 0; p < paths.size(); ++p) {
    const std::string pp = prefix + ".path" + std::to_string(p);
    NodeId cur = in;
    if (paths[p].empty()) {
      last.emplace_back(cur, to_edge(SpaceSpec::Layer{}, g.node(cur).shape.c, out_c, pp + ".identity", -1, w));
      continue;
    }
    for (std::size_t i = 0; i + 1 < paths[p].size(); ++i)
      cur = append_op(g, cur, to_edge(paths[p][i], g.node(cur).shape.c, out_c, pp + "." + paths[p][i].name, -1, w));
    last.emplace_back(cur, to_edge(paths[p].back(), g.node(cur).shape.c, out_c, pp + "." + paths[p].back().name, -1, w));
  }
  const NodeId y = g.add_node(op_output_shape(last[0].second, g.node(last[0].first).shape), prefix + ".out");
  for (auto& [from, op] : last) g.add_edge(from, y, op);
  return y;
}

void check_head_and_work(const SpaceSpec& s, const TensorShape& x, double work, const JsonReader& r) {
  if (!(work < 1e18)) {
    char shown[32];
    std::snprintf(shown, sizeof shown, "%.2g", work);
    throw UserError(r.child("stages") + ": the largest network of this space would need up to " + shown +
                    " FLOPs plus activation bytes, beyond what hwnas counts exactly (1e18); use fewer channels, cells or "
                    "blocks, or a smaller input");
  }
  if (!(x == TensorShape{s.num_classes, 1, 1}))
    throw UserError(r.child("head") + ": shape mismatch: the head ends in " + shape_str(x) + ", expected " +
                    std::to_string(s.num_classes) + "x1x1 (num_classes logits)");
}

int max_of(const SpaceSpec::Choice& c) { return *std::max_element(c.values.begin(), c.values.end()); }

bool per_block_decisions(const SpaceSpec::Stage& s) {
  return s.kernel.decision || s.expand.decision || s.se.decision || s.activation.decision;
}

/// A space of block stages: at least one decision, and the shapes and the work bound for every
/// resolution and width multiplier, with each stage at its largest depth, kernel and expansion.
SpaceSpec check_block_space(SpaceSpec s, const JsonReader& r) {
  bool any = s.resolution.decision || !s.width_mults.empty();
  for (const auto& st : s.stages)
    any = any || st.depth.decision || st.kernel.decision || st.expand.decision || st.se.decision || st.activation.decision;
  if (!any)
    throw UserError(r.child("stages") + ": this space has no decision: give a list for input.size, width_mult.values, or a "
                    "stage's depth or its block's kernel, expand, se or activation");
  const std::vector<double> mults = s.width_mults.empty() ? std::vector<double>{1.0} : s.width_mults;
  for (int res : s.resolution.values)
    for (double m : mults) {
      const Width w{m, s.width_mults.empty() ? 0 : s.width_divisor};
      double work = 0;
      TensorShape x{s.input_channels, res, res};
      const std::string ctx = " at input size " + std::to_string(res) + (s.width_mults.empty() ? "" : ", width " + format_number(m));
      x = block_shape(s.stem, x, w(s.stages[0].channels), r.child("stem"), ctx, &work, w);
      for (std::size_t st = 0; st < s.stages.size(); ++st) {
        const auto& stage = s.stages[st];
        SpaceSpec::Layer b;
        b.mbconv = true;
        b.kernel = max_of(stage.kernel);
        b.expand = max_of(stage.expand);
        b.se = max_of(stage.se) == 1;
        for (int d = 0; d < max_of(stage.depth); ++d) {
          b.stride = d == 0 ? stage.stride : 1;
          x = layer_shape(b, x, w(stage.channels), r.child("stages[" + std::to_string(st) + "].block"), &work, w);
        }
      }
      x = block_shape(s.head, x, s.num_classes, r.child("head"), ctx, &work, w);
      check_head_and_work(s, x, work, r);
    }
  return s;
}

}  // namespace

const std::vector<std::pair<std::string, OpKind>>& SpaceSpec::activations() {
  static const std::vector<std::pair<std::string, OpKind>> all{
      {"relu", OpKind::ReLU}, {"relu6", OpKind::ReLU6}, {"hswish", OpKind::HSwish}};
  return all;
}

SpaceSpec SpaceSpec::from_json(const nlohmann::json& j, const std::string& path) {
  SpaceSpec s;
  JsonReader r(j, path);
  r.raw("$schema");  // allowed, for editors
  const std::string format = r.require<std::string>("format");
  if (format != "hwnas-space/1")
    throw UserError(r.child("format") + ": expected \"hwnas-space/1\", got \"" + format + "\"");
  s.name = r.get<std::string>("name", "");
  s.num_classes = int_in(r, "num_classes", 10, 1, 1000000);
  // A space has a cell (its stages repeat it) or block stages (inverted residuals).
  const bool has_cell = r.has("cell");
  {
    const nlohmann::json* in = r.raw("input");
    if (!in) throw UserError(r.child("input") + ": required field is missing");
    JsonReader ir(*in, r.child("input"));
    s.input_channels = int_in(ir, "channels", 3, 1, 64);
    s.resolution = read_choice(ir, "size", 32, 1, kMaxSize, true);
    s.input_size = s.resolution.values[0];
    if (has_cell && s.resolution.decision)
      throw UserError(ir.child("size") + ": a list of sizes (a resolution decision) needs a space of block stages; a cell space "
                      "has one input size");
    ir.finish();
  }
  if (const nlohmann::json* wj = r.raw("width_mult")) {
    const std::string wp = r.child("width_mult");
    if (has_cell) throw UserError(wp + ": a width multiplier needs a space of block stages; a cell space has fixed channels");
    JsonReader wr(*wj, wp);
    s.width_mults = wr.require<std::vector<double>>("values");
    if (s.width_mults.empty() || s.width_mults.size() > 16)
      throw UserError(wr.child("values") + ": expected 1..16 multipliers, got " + std::to_string(s.width_mults.size()));
    for (std::size_t i = 0; i < s.width_mults.size(); ++i) {
      const std::string p = wr.child("values") + "[" + std::to_string(i) + "]";
      if (!(s.width_mults[i] > 0.0 && s.width_mults[i] <= 8.0))
        throw UserError(p + ": expected a number in (0, 8], got " + format_number(s.width_mults[i]));
      for (std::size_t k = 0; k < i; ++k)
        if (format_number(s.width_mults[k]) == format_number(s.width_mults[i]))
          throw UserError(p + ": multiplier " + format_number(s.width_mults[i]) + " is listed twice");
    }
    s.width_divisor = int_in(wr, "divisor", 8, 1, 64);
    wr.finish();
  }

  // The op library (what a cell's edges choose from).
  if (const nlohmann::json* ops = r.raw("ops"); !ops) {
    if (has_cell) throw UserError(r.child("ops") + ": required field is missing");
  } else if (!has_cell) {
    throw UserError(r.child("ops") + ": only a cell's edges choose from the op library, and this space has no cell (its "
                    "stages are block stages); remove \"ops\" or add a \"cell\"");
  } else {
    if (!ops->is_object() || ops->empty()) JsonReader::fail(r.child("ops"), "an object of named ops", *ops);
    if (ops->size() > static_cast<std::size_t>(kMaxOps))
      throw UserError(r.child("ops") + ": expected at most " + std::to_string(kMaxOps) + " ops");
    for (auto it = ops->begin(); it != ops->end(); ++it) {
      const std::string p = r.child("ops") + "." + it.key();
      if (!valid_op_name(it.key()))
        throw UserError(p + ": an op name is 1..64 letters, digits, '_', '-' or '.'");
      Op op;
      op.name = it.key();
      op.chain = read_chain(*it, p);
      if (op.chain.empty()) throw UserError(p + ": expected at least one layer (use [{\"layer\": \"identity\"}] for a skip)");
      for (std::size_t i = 0; i < op.chain.size(); ++i) {
        const OpKind k = op.chain[i].kind;
        if (op.chain[i].mbconv)
          throw UserError(p + "[" + std::to_string(i) + "]: an mbconv is a block with its own shortcut; use it in a block "
                          "stage or the stem/head, not in a cell op");
        if (k == OpKind::Zero && op.chain.size() > 1)
          throw UserError(p + "[" + std::to_string(i) + "]: a zero layer must be the op's only layer");
        if (k == OpKind::GlobalAvgPool || k == OpKind::Linear)
          throw UserError(p + "[" + std::to_string(i) + "]: " + op.chain[i].name +
                          " changes the shape; it belongs in the head, not in a cell op");
      }
      op.zero = op.chain.size() == 1 && op.chain[0].kind == OpKind::Zero;
      op.identity = op.chain.size() == 1 && op.chain[0].kind == OpKind::Identity;
      s.ops.push_back(std::move(op));
    }
  }
  std::vector<std::string> op_names;
  for (const auto& op : s.ops) op_names.push_back(op.name);
  auto read_choice_list = [&](const nlohmann::json& list, const std::string& p, const std::string& context) {
    if (!list.is_array()) JsonReader::fail(p, "an array of op names", list);
    if (list.empty()) throw UserError(p + ": empty choice list" + context + "; give at least one op");
    if (list.size() > static_cast<std::size_t>(kMaxOps))
      throw UserError(p + ": expected at most " + std::to_string(kMaxOps) + " choices");
    std::vector<int> ids;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string pi = p + "[" + std::to_string(i) + "]";
      const std::string name = JsonReader::convert<std::string>(list[i], pi);
      auto it = std::find(op_names.begin(), op_names.end(), name);
      if (it == op_names.end()) {
        std::string known;
        for (const auto& n : op_names) known += (known.empty() ? "" : ", ") + n;
        throw UserError(pi + ": unknown op '" + name + "'" + context + did_you_mean(name, op_names) +
                        " (ops defined: " + known + ")");
      }
      const int id = static_cast<int>(it - op_names.begin());
      if (std::find(ids.begin(), ids.end(), id) != ids.end())
        throw UserError(pi + ": op '" + name + "' is listed twice" + context);
      ids.push_back(id);
    }
    return ids;
  };

  // The cell.
  if (const nlohmann::json* cj = r.raw("cell")) {
    JsonReader c(*cj, r.child("cell"));
    s.nodes = int_in(c, "nodes", 0, 2, kMaxNodes, true);
    const std::string combine = c.get<std::string>("combine", "sum");
    if (combine != "sum")
      throw UserError(c.child("combine") + ": expected \"sum\" (node inputs are summed; to concatenate nodes at the cell output, "
                      "as DARTS does, give \"output\": {\"concat\": [1, 2, ...], \"project\": [...]}), got \"" + combine + "\"");
    if (const nlohmann::json* oj = c.raw("output")) {
      JsonReader orr(*oj, c.child("output"));
      const nlohmann::json& cj2 = require_array(orr, "concat", 2, kMaxNodes, "nodes");
      for (std::size_t i = 0; i < cj2.size(); ++i) {
        const std::string p = orr.child("concat") + "[" + std::to_string(i) + "]";
        const int v = JsonReader::convert<int>(cj2[i], p);
        if (v < 1 || v >= s.nodes)
          throw UserError(p + ": expected a node in 1.." + std::to_string(s.nodes - 1) + " (node 0 is the cell input), got " +
                          std::to_string(v));
        if (std::find(s.concat.begin(), s.concat.end(), v) != s.concat.end())
          throw UserError(p + ": node " + std::to_string(v) + " is listed twice");
        s.concat.push_back(v);
      }
      const nlohmann::json* pj = orr.raw("project");
      if (!pj) throw UserError(orr.child("project") + ": required field is missing (the layers from the concatenation back to the "
                               "cell's channels, e.g. [{\"layer\": \"relu\"}, {\"layer\": \"conv\", \"kernel\": 1}, {\"layer\": \"bn\"}])");
      s.project = read_chain(*pj, orr.child("project"));
      if (s.project.empty()) throw UserError(orr.child("project") + ": expected at least one layer");
      for (std::size_t i = 0; i < s.project.size(); ++i)
        if (s.project[i].mbconv || s.project[i].kind == OpKind::Zero || s.project[i].kind == OpKind::Linear ||
            s.project[i].kind == OpKind::GlobalAvgPool)
          throw UserError(orr.child("project") + "[" + std::to_string(i) + "]: " + s.project[i].name +
                          " cannot project a concatenation back to the cell's shape");
      orr.finish();
    }
    const std::string mode = c.get<std::string>("decisions", "shared");
    if (mode != "shared" && mode != "per_stage")
      throw UserError(c.child("decisions") + ": expected \"shared\" (one cell for every stage) or \"per_stage\", got \"" +
                      mode + "\"");
    s.per_stage = mode == "per_stage";
    // Named choice lists, which edges may share (tied edges choose together).
    std::vector<std::string> named;
    std::vector<std::vector<int>> named_ops;
    if (const nlohmann::json* ch = c.raw("choices")) {
      if (!ch->is_object()) JsonReader::fail(c.child("choices"), "an object of named choice lists", *ch);
      for (auto it = ch->begin(); it != ch->end(); ++it) {
        if (!valid_op_name(it.key()))
          throw UserError(c.child("choices") + "." + it.key() + ": a choice name is 1..64 letters, digits, '_', '-' or '.'");
        named.push_back(it.key());
        named_ops.push_back(read_choice_list(*it, c.child("choices") + "." + it.key(), ""));
      }
    }
    std::vector<int> named_decision(named.size(), -1);
    const nlohmann::json& ej = require_array(c, "edges", 1, kMaxEdges, "edges");
    std::vector<std::pair<int, int>> ends;
    for (std::size_t i = 0; i < ej.size(); ++i) {
      const std::string p = c.child("edges") + "[" + std::to_string(i) + "]";
      JsonReader er(ej[i], p);
      Edge e;
      e.from = int_in(er, "from", 0, 0, s.nodes - 1, true);
      e.to = int_in(er, "to", 0, 0, s.nodes - 1, true);
      const std::string context = " (edge " + edge_str(e.from, e.to) + ")";
      const nlohmann::json* inline_ops = er.raw("ops");
      const nlohmann::json* choice = er.raw("choice");
      if ((inline_ops != nullptr) == (choice != nullptr))
        throw UserError(p + ": give either \"ops\" (a list of op names) or \"choice\" (the name of a list under cell.choices)" + context);
      if (inline_ops) {
        e.decision = static_cast<int>(s.cell_decisions.size());
        s.cell_decisions.push_back({"edge(" + std::to_string(e.to) + "," + std::to_string(e.from) + ")",
                                    read_choice_list(*inline_ops, er.child("ops"), context)});
      } else {
        const std::string name = JsonReader::convert<std::string>(*choice, er.child("choice"));
        auto it = std::find(named.begin(), named.end(), name);
        if (it == named.end())
          throw UserError(er.child("choice") + ": unknown choice list '" + name + "'" + context + did_you_mean(name, named) +
                          (named.empty() ? " (cell.choices defines none)" : ""));
        const std::size_t k = static_cast<std::size_t>(it - named.begin());
        if (named_decision[k] < 0) {
          named_decision[k] = static_cast<int>(s.cell_decisions.size());
          s.cell_decisions.push_back({name, named_ops[k]});
        }
        e.decision = named_decision[k];
      }
      e.ops = s.cell_decisions[static_cast<std::size_t>(e.decision)].ops;
      er.finish();
      if (e.from == e.to)
        throw UserError(p + ": cycle: edge " + edge_str(e.from, e.to) + " is a loop onto its own node");
      for (std::size_t k = 0; k < ends.size(); ++k)
        if (ends[k] == std::make_pair(e.from, e.to))
          throw UserError(p + ": edge " + edge_str(e.from, e.to) + " duplicates cell.edges[" + std::to_string(k) +
                          "] (one edge per pair of nodes; its op list is the choice)");
      ends.emplace_back(e.from, e.to);
      s.edges.push_back(std::move(e));
    }
    for (std::size_t k = 0; k < named.size(); ++k)
      if (named_decision[k] < 0)
        throw UserError(c.child("choices") + "." + named[k] + ": a decision nothing uses: no edge of cell.edges names this choice list");
    c.finish();

    // Cycles: a depth-first search for a back edge, reported as the node path around it.
    {
      const int n = s.nodes;
      std::vector<std::vector<int>> out(n);
      for (const auto& e : s.edges) out[e.from].push_back(e.to);
      std::vector<int> state(n, 0), parent(n, -1);
      for (int root = 0; root < n; ++root) {
        if (state[root]) continue;
        std::vector<std::pair<int, std::size_t>> stack{{root, 0}};
        state[root] = 1;
        while (!stack.empty()) {
          auto& [v, next] = stack.back();
          if (next == out[v].size()) {
            state[v] = 2;
            stack.pop_back();
            continue;
          }
          const int w = out[v][next++];
          if (state[w] == 1) {
            std::string cyc = "node " + std::to_string(w);
            std::vector<int> path;
            for (int x = v; x != w; x = parent[x]) path.push_back(x);
            path.push_back(w);
            std::reverse(path.begin(), path.end());
            cyc.clear();
            for (int x : path) cyc += "node " + std::to_string(x) + " -> ";
            cyc += "node " + std::to_string(w);
            throw UserError(c.child("edges") + ": cycle: " + cyc + "; a cell is a DAG");
          }
          if (state[w] == 0) {
            state[w] = 1;
            parent[w] = v;
            stack.push_back({w, 0});
          }
        }
      }
    }
    for (std::size_t i = 0; i < s.edges.size(); ++i)
      if (s.edges[i].from > s.edges[i].to)
        throw UserError(c.child("edges") + "[" + std::to_string(i) + "]: edge " + edge_str(s.edges[i].from, s.edges[i].to) +
                        " goes backwards; number the nodes in topological order (0 is the cell input, " +
                        std::to_string(s.nodes - 1) + " its output)");
    for (int v = 0; v < s.nodes; ++v) {
      bool has_in = false, has_out = false;
      for (const auto& e : s.edges) has_in |= e.to == v, has_out |= e.from == v;
      if (v > 0 && !has_in)
        throw UserError(c.child("edges") + ": node " + std::to_string(v) + " has no incoming edge (only node 0, the cell input, may have none)");
      if (!s.concat.empty()) {
        if (!has_out && std::find(s.concat.begin(), s.concat.end(), v) == s.concat.end())
          throw UserError(c.child("edges") + ": node " + std::to_string(v) + " has no outgoing edge and is not in output.concat, so "
                          "it can never reach the cell output");
        continue;
      }
      if (v < s.nodes - 1 && !has_out)
        throw UserError(c.child("edges") + ": node " + std::to_string(v) + " has no outgoing edge, so it can never reach the cell output (node " +
                        std::to_string(s.nodes - 1) + ")");
    }
    // Decode and string order: by destination, then source (edges written in any order).
    std::vector<std::size_t> order(s.edges.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return std::make_pair(s.edges[a].to, s.edges[a].from) < std::make_pair(s.edges[b].to, s.edges[b].from);
    });
    std::vector<Edge> sorted;
    for (std::size_t i : order) sorted.push_back(s.edges[i]);
    s.edges = std::move(sorted);
  }

  // The skeleton.
  {
    const nlohmann::json& st = require_array(r, "stages", 1, kMaxStages, "stages");
    for (std::size_t i = 0; i < st.size(); ++i) {
      JsonReader sr(st[i], r.child("stages") + "[" + std::to_string(i) + "]");
      Stage stage;
      stage.channels = int_in(sr, "channels", 0, 1, kMaxChannels, true);
      if (has_cell) {
        for (const char* key : {"block", "depth", "stride"})
          if (sr.has(key))
            throw UserError(sr.child(key) + ": this space has a cell, so each stage repeats it (\"cells\"); block stages "
                            "(\"depth\", \"stride\", \"block\") belong in a space without a cell");
        stage.cells = int_in(sr, "cells", 0, 1, kMaxCells, true);
      } else {
        if (sr.has("cells"))
          throw UserError(sr.child("cells") + ": this space has no cell to repeat; give \"depth\" and \"block\" (an "
                          "inverted residual), or add a \"cell\"");
        stage.stride = int_in(sr, "stride", 1, 1, 8);
        stage.depth = read_choice(sr, "depth", 1, 1, kMaxCells, true);
        const nlohmann::json* bj = sr.raw("block");
        if (!bj) throw UserError(sr.child("block") + ": required field is missing (e.g. {\"layer\": \"mbconv\", \"kernel\": [3, 5], \"expand\": [3, 6]})");
        JsonReader br(*bj, sr.child("block"));
        const std::string layer = br.require<std::string>("layer");
        if (layer != "mbconv")
          throw UserError(br.child("layer") + ": unknown block '" + layer + "'" + did_you_mean(layer, {"mbconv"}) +
                          " (known: mbconv, the inverted residual)");
        stage.kernel = read_choice(br, "kernel", 3, 1, kMaxKernel, false, true);
        stage.expand = read_choice(br, "expand", 1, 1, 16, false);
        stage.se = read_se_choice(br);
        stage.activation = read_activation_choice(br);
        br.finish();
      }
      sr.finish();
      s.stages.push_back(stage);
    }
    const nlohmann::json* stem = r.raw("stem");
    if (!stem) throw UserError(r.child("stem") + ": required field is missing");
    s.stem = read_block(*stem, r.child("stem"));
    if (const nlohmann::json* red = r.raw("reduction")) {
      if (!has_cell)
        throw UserError(r.child("reduction") + ": a space of block stages changes shape in each stage's first block (its "
                        "stride and channels) and has no reduction block");
      s.reduction = read_block(*red, r.child("reduction"));
    }
    const nlohmann::json* head = r.raw("head");
    if (!head) throw UserError(r.child("head") + ": required field is missing");
    s.head = read_block(*head, r.child("head"));
  }
  r.finish();
  if (!has_cell) return check_block_space(std::move(s), r);

  // Shape arithmetic, stage by stage, with the edge or block that cannot work named.
  // `work` bounds the FLOPs plus activation bytes of the largest network, which must stay far
  // inside the 64-bit integers counts are kept in.
  double work = 0;
  TensorShape x{s.input_channels, s.input_size, s.input_size};
  x = block_shape(s.stem, x, s.stages[0].channels, r.child("stem"), "", &work);
  if (x.c != s.stages[0].channels)
    throw UserError(r.child("stem") + ": shape mismatch: the stem ends in " + shape_str(x) + " but stages[0] has " +
                    std::to_string(s.stages[0].channels) + " channels");
  for (std::size_t st = 0; st < s.stages.size(); ++st) {
    const std::string sname = "stages[" + std::to_string(st) + "]", sp = r.child(sname);
    if (st > 0) {
      const int c_out = s.stages[st].channels;
      if (s.reduction.empty()) {
        if (c_out != x.c)
          throw UserError(sp + ".channels: shape mismatch: " + std::to_string(c_out) + " channels after a stage of " +
                          std::to_string(x.c) + ", and there is no reduction block to change them");
      } else {
        const std::string ctx = ", between stages " + std::to_string(st - 1) + " and " + std::to_string(st);
        x = block_shape(s.reduction, x, c_out, r.child("reduction"), ctx, &work);
        if (x.c != c_out)
          throw UserError(r.child("reduction") + ": shape mismatch: ends in " + shape_str(x) + ctx + " but " + sp +
                          " has " + std::to_string(c_out) + " channels");
      }
    }
    double worst_op = 0;
    for (const Edge& e : s.edges) {
      for (int op : e.ops) {
        const Op& o = s.ops[static_cast<std::size_t>(op)];
        TensorShape y = x;
        double op_work = 0;
        for (std::size_t i = 0; i < o.chain.size(); ++i)
          y = layer_shape(o.chain[i], y, x.c,
                          r.child("ops") + "." + o.name + "[" + std::to_string(i) + "] (" + o.chain[i].name + " on edge " +
                              edge_str(e.from, e.to) + " in " + sname + ")",
                          &op_work);
        worst_op = std::max(worst_op, op_work);
        if (!(y == x))
          throw UserError(r.child("ops") + "." + o.name + ": shape mismatch: on edge " + edge_str(e.from, e.to) + " of the cell in " +
                          sname + " it turns " + shape_str(x) + " into " + shape_str(y) +
                          "; a cell op must keep its node's shape (channels and stride change in the reduction block)");
      }
    }
    const double sums =
        static_cast<double>(s.nodes) * 8.0 * static_cast<double>(s.edges.size() + 1) * static_cast<double>(x.numel());
    double output_work = 0;
    if (!s.concat.empty()) {
      const TensorShape cat{x.c * static_cast<int>(s.concat.size()), x.h, x.w};
      output_work += 8.0 * static_cast<double>(cat.numel());
      TensorShape y = cat;
      for (std::size_t i = 0; i < s.project.size(); ++i)
        y = layer_shape(s.project[i], y, x.c,
                        r.child("cell") + ".output.project[" + std::to_string(i) + "] (" + s.project[i].name + " in " + sname + ")",
                        &output_work);
      if (!(y == x))
        throw UserError(r.child("cell") + ".output.project: shape mismatch: in " + sname + " it turns the concatenation's " +
                        shape_str(cat) + " into " + shape_str(y) + ", expected the cell's " + shape_str(x));
    }
    work += s.stages[st].cells * (static_cast<double>(s.edges.size()) * worst_op + sums + output_work);
  }
  x = block_shape(s.head, x, s.num_classes, r.child("head"), "", &work);
  check_head_and_work(s, x, work, r);
  return s;
}

GraphSpace::GraphSpace(const nlohmann::json& spec_json, const std::string& path, std::string label)
    : json_(spec_json), spec_(SpaceSpec::from_json(spec_json, path)), label_(std::move(label)) {
  if (spec_.blocks()) {
    // mbv's decisions and labels: resolution, width_mult, then per stage its depth and, per
    // block up to the largest depth, kernel and expansion (fixed values are not decisions).
    auto add = [&](std::string name, const std::vector<int>& values, const char* prefix) {
      Decision d;
      d.name = std::move(name);
      for (int v : values) d.choices.push_back(prefix + std::to_string(v));
      decisions_.push_back(std::move(d));
      return static_cast<int>(decisions_.size()) - 1;
    };
    if (spec_.resolution.decision) resolution_decision_ = add("resolution", spec_.resolution.values, "r");
    if (!spec_.width_mults.empty()) {
      Decision d;
      d.name = "width_mult";
      for (double m : spec_.width_mults) d.choices.push_back("w" + format_number(m));
      decisions_.push_back(std::move(d));
      width_decision_ = static_cast<int>(decisions_.size()) - 1;
    }
    for (std::size_t st = 0; st < spec_.stages.size(); ++st) {
      const auto& stage = spec_.stages[st];
      const std::string p = "stage" + std::to_string(st);
      BlockDecisions bd;
      if (stage.depth.decision) bd.depth = add(p + ".depth", stage.depth.values, "d");
      for (int b = 0; b < max_of(stage.depth); ++b) {
        const std::string pb = p + ".block" + std::to_string(b);
        bd.kernel.push_back(stage.kernel.decision ? add(pb + ".kernel", stage.kernel.values, "k") : -1);
        bd.expand.push_back(stage.expand.decision ? add(pb + ".expand", stage.expand.values, "e") : -1);
        bd.se.push_back(stage.se.decision ? add(pb + ".se", stage.se.values, "s") : -1);
        if (stage.activation.decision) {
          Decision d;
          d.name = pb + ".activation";
          for (int v : stage.activation.values) d.choices.push_back(SpaceSpec::activations()[static_cast<std::size_t>(v)].first);
          decisions_.push_back(std::move(d));
        }
        bd.activation.push_back(stage.activation.decision ? static_cast<int>(decisions_.size()) - 1 : -1);
      }
      block_decisions_.push_back(std::move(bd));
    }
    return;
  }
  decisions_per_cell_ = static_cast<int>(spec_.cell_decisions.size());
  const int copies = spec_.per_stage ? static_cast<int>(spec_.stages.size()) : 1;
  for (int st = 0; st < copies; ++st)
    for (const auto& d : spec_.cell_decisions) {
      Decision dec;
      dec.name = (spec_.per_stage ? "stage" + std::to_string(st) + "." : "") + d.name;
      for (int op : d.ops) dec.choices.push_back(spec_.ops[static_cast<std::size_t>(op)].name);
      decisions_.push_back(std::move(dec));
    }
  // count() tables, from the chains decode() builds, costed by edge_cost()/add_cost() as
  // count_costs() costs them.
  Architecture probe;
  probe.choices.assign(decisions_.size(), 0);
  for (const LayerCost& l : count_costs(decode(probe)).layers)
    if (l.cell < 0) skeleton_ += l;
  TensorShape x = block_shape(spec_.stem, {spec_.input_channels, spec_.input_size, spec_.input_size},
                              spec_.stages[0].channels, "stem", "");
  for (std::size_t st = 0; st < spec_.stages.size(); ++st) {
    const int c = spec_.stages[st].channels;
    if (st > 0 && !spec_.reduction.empty()) x = block_shape(spec_.reduction, x, c, "reduction", "");
    StageTable t;
    for (const auto& op : spec_.ops) {
      CostTotals total;
      TensorShape in = x;
      for (const auto& l : op.chain) {
        const OpEdge e = to_edge(l, c, c, "", 0);
        total += edge_cost(e, in);
        in = op_output_shape(e, in);
      }
      t.op.push_back(total);
    }
    SpaceSpec::Layer zero;
    zero.kind = OpKind::Zero;
    t.zero += edge_cost(to_edge(zero, c, c, "", 0), x);
    t.add.resize(spec_.edges.size() + 1);
    for (std::size_t k = 2; k < t.add.size(); ++k) t.add[k] += add_cost(x, static_cast<int>(k), 0, "");
    if (!spec_.concat.empty()) {  // the concatenation and the projection, in every cell
      TensorShape in{c * static_cast<int>(spec_.concat.size()), x.h, x.w};
      t.output += concat_cost(in, static_cast<int>(spec_.concat.size()), 0, "");
      for (const auto& l : spec_.project) {
        const OpEdge e = to_edge(l, in.c, c, "", 0);
        t.output += edge_cost(e, in);
        in = op_output_shape(e, in);
      }
    }
    tables_.push_back(std::move(t));
  }
}

CostTotals GraphSpace::count(const Architecture& a, const DecodeOptions& dopts) const {
  if (spec_.blocks()) return block_layers(a, nullptr);  // the kept pieces (no graph)
  validate(a);
  CostTotals total = skeleton_;
  static constexpr std::int64_t CostTotals::*kFields[] = {&CostTotals::params, &CostTotals::macs, &CostTotals::flops,
                                                          &CostTotals::activation_bytes, &CostTotals::weight_bytes};
  auto add_scaled = [](CostTotals& to, const CostTotals& c, std::int64_t n) {
    for (auto field : kFields) to.*field += n * c.*field;
  };
  CellLayout L;
  for (std::size_t st = 0; st < spec_.stages.size(); ++st) {
    const StageTable& t = tables_[st];
    if (st == 0 || spec_.per_stage) L = layout(a, static_cast<int>(st), dopts.prune_dead);  // shared: one cell
    CostTotals cell;
    for (std::size_t k = 0; k < spec_.edges.size(); ++k)
      if (L.live[k]) add_scaled(cell, t.op[static_cast<std::size_t>(edge_op(a, static_cast<int>(st), static_cast<int>(k)))], 1);
    for (int to = 1; to < spec_.nodes; ++to) {
      if (!L.exists[to]) continue;
      if (L.live_inputs[to] == 0) add_scaled(cell, t.zero, 1);
      if (L.live_inputs[to] > 1) add_scaled(cell, t.add[static_cast<std::size_t>(L.live_inputs[to])], 1);
    }
    add_scaled(cell, t.output, 1);
    add_scaled(total, cell, spec_.stages[st].cells);
  }
  return total;
}

bool GraphSpace::output_depends_on_input(const Architecture& a) const {
  validate(a);
  if (spec_.blocks()) return true;  // no zero ops
  const std::size_t copies = spec_.per_stage ? spec_.stages.size() : 1;
  for (std::size_t st = 0; st < copies; ++st) {
    const CellLayout L = layout(a, static_cast<int>(st), true);
    bool live = false;  // some output node (the last, or one of the concatenated) has a live input
    if (spec_.concat.empty()) live = L.live_inputs[static_cast<std::size_t>(spec_.nodes - 1)] > 0;
    for (int v : spec_.concat) live = live || L.live_inputs[static_cast<std::size_t>(v)] > 0;
    if (!live) return false;
  }
  return true;
}

int GraphSpace::edge_op(const Architecture& a, int stage, int e) const {
  const auto& edge = spec_.edges[static_cast<std::size_t>(e)];
  const int base = spec_.per_stage ? stage * decisions_per_cell_ : 0;
  return edge.ops[static_cast<std::size_t>(a.choices[static_cast<std::size_t>(base + edge.decision)])];
}

GraphSpace::CellLayout GraphSpace::layout(const Architecture& a, int stage, bool prune) const {
  const int n = spec_.nodes, m = static_cast<int>(spec_.edges.size());
  CellLayout L;
  std::array<char, kMaxEdges> on{};
  std::array<char, kMaxNodes> from_input{}, to_output{};
  for (int k = 0; k < m; ++k) on[k] = !spec_.ops[static_cast<std::size_t>(edge_op(a, stage, k))].zero;
  from_input[0] = 1;
  if (spec_.concat.empty()) to_output[n - 1] = 1;
  for (int v : spec_.concat) to_output[v] = 1;
  for (int k = 0; k < m; ++k) {  // edges are sorted by destination
    const auto& e = spec_.edges[k];
    if (on[k] && from_input[e.from]) from_input[e.to] = 1;
  }
  for (int k = m - 1; k >= 0; --k) {  // and so, reversed, every consumer comes before its source
    const auto& e = spec_.edges[k];
    if (on[k] && to_output[e.to]) to_output[e.from] = 1;
  }
  L.exists[0] = 1;
  if (spec_.concat.empty()) L.exists[n - 1] = 1;
  for (int v : spec_.concat) L.exists[v] = 1;  // concatenated: present (zeros if nothing live reaches it)
  for (int k = 0; k < m; ++k) {
    const auto& e = spec_.edges[k];
    // As built, every edge runs: a `none` edge is a Zero op summed into its node.
    L.reach[k] = from_input[e.from] && to_output[e.to];
    L.live[k] = !prune || (on[k] && L.reach[k]);
    if (L.live[k]) {
      L.exists[e.to] = L.exists[e.from] = 1;
      ++L.live_inputs[e.to];
    }
  }
  return L;
}

std::string GraphSpace::to_string(const Architecture& a) const {
  validate(a);
  if (spec_.blocks()) return block_string(a);
  const int copies = spec_.per_stage ? static_cast<int>(spec_.stages.size()) : 1;
  std::string s;
  for (int st = 0; st < copies; ++st) {
    if (st > 0) s += "/";
    s += "|";
    for (std::size_t k = 0; k < spec_.edges.size(); ++k) {
      const auto& e = spec_.edges[k];
      if (k > 0 && spec_.edges[k - 1].to != e.to) s += "+|";
      s += spec_.ops[static_cast<std::size_t>(edge_op(a, st, static_cast<int>(k)))].name + "~" + std::to_string(e.from) + "|";
    }
  }
  return s;
}

Architecture GraphSpace::parse(std::string_view text) const {
  if (spec_.blocks()) return block_parse(text);
  auto fail = [&](std::size_t pos, const std::string& token, const std::string& what) {
    throw UserError(label_ + " architecture string, position " + std::to_string(pos + 1) +
                    (token.empty() ? "" : " ('" + token + "')") + ": " + what);
  };
  const int copies = spec_.per_stage ? static_cast<int>(spec_.stages.size()) : 1;
  Architecture a;
  a.choices.assign(decisions_.size(), -1);
  std::size_t pos = 0;
  auto at = [&](std::size_t p) { return p < text.size() ? std::string(1, text[p]) : std::string(); };
  for (int st = 0; st < copies; ++st) {
    if (st > 0) {
      if (pos >= text.size() || text[pos] != '/') fail(pos, at(pos), "expected '/' before the cell of stage " + std::to_string(st));
      ++pos;
    }
    for (std::size_t k = 0; k < spec_.edges.size(); ++k) {
      const auto& e = spec_.edges[k];
      if (k == 0 || spec_.edges[k - 1].to != e.to) {
        if (k > 0) {
          if (pos >= text.size() || text[pos] != '+')
            fail(pos, at(pos), "expected '+' before the inputs of node " + std::to_string(e.to));
          ++pos;
        }
        if (pos >= text.size() || text[pos] != '|') fail(pos, at(pos), "expected '|'");
        ++pos;
      }
      const std::size_t end = text.find('|', pos);
      if (end == std::string_view::npos)
        fail(pos, std::string(text.substr(pos)), "expected 'op~" + std::to_string(e.from) + "|'");
      const std::string token(text.substr(pos, end - pos));
      const std::size_t tilde = token.find('~');
      if (tilde == std::string::npos)
        fail(pos, token, "expected 'op~" + std::to_string(e.from) + "' for edge " + edge_str(e.from, e.to));
      const std::string op = token.substr(0, tilde), idx = token.substr(tilde + 1);
      if (idx != std::to_string(e.from))
        fail(pos + tilde + 1, token, "edge into node " + std::to_string(e.to) + " must come from node " +
                                         std::to_string(e.from) + ", got '~" + idx + "'");
      const std::size_t d = static_cast<std::size_t>((spec_.per_stage ? st * decisions_per_cell_ : 0) + e.decision);
      const auto& choices = decisions_[d].choices;
      auto it = std::find(choices.begin(), choices.end(), op);
      if (it == choices.end()) {
        std::string valid;
        for (const auto& c : choices) valid += (valid.empty() ? "" : ", ") + c;
        fail(pos, token, "unknown op '" + op + "' for edge " + edge_str(e.from, e.to) + did_you_mean(op, choices) +
                             " (valid: " + valid + ")");
      }
      const int c = static_cast<int>(it - choices.begin());
      if (a.choices[d] >= 0 && a.choices[d] != c)
        fail(pos, token, "edge " + edge_str(e.from, e.to) + " shares the choice list '" + decisions_[d].name +
                             "' with an earlier edge, which chose '" + choices[static_cast<std::size_t>(a.choices[d])] + "'");
      a.choices[d] = c;
      pos = end + 1;
    }
  }
  if (pos != text.size()) fail(pos, std::string(text.substr(pos)), "unexpected text after the last node");
  return a;
}

ArchGraph GraphSpace::decode(const Architecture& a, const DecodeOptions& dopts) const {
  validate(a);
  if (spec_.blocks()) return block_decode(a);  // no zero ops: nothing to prune
  ArchGraph g;
  NodeId x = g.add_node({spec_.input_channels, spec_.input_size, spec_.input_size}, "input");
  g.set_input(x);
  x = append_block(g, x, spec_.stem, spec_.stages[0].channels, "stem");
  const int n = spec_.nodes, m = static_cast<int>(spec_.edges.size());
  int cell = 0;
  for (std::size_t st = 0; st < spec_.stages.size(); ++st) {
    const int channels = spec_.stages[st].channels;
    if (st > 0 && !spec_.reduction.empty()) x = append_block(g, x, spec_.reduction, channels, "reduce" + std::to_string(st));
    const TensorShape shape = g.node(x).shape;
    const CellLayout L = layout(a, static_cast<int>(st), dopts.prune_dead);
    for (int c = 0; c < spec_.stages[st].cells; ++c, ++cell) {
      const std::string p = "cells." + std::to_string(cell);
      std::vector<NodeId> node(n, x);
      for (int to = 1; to < n; ++to) {
        if (!L.exists[to]) continue;
        // Build every incoming chain up to its last op, then the node, then the last ops.
        std::vector<std::pair<NodeId, OpEdge>> last;
        for (int k = 0; k < m; ++k) {
          const auto& e = spec_.edges[k];
          if (e.to != to || !L.live[k]) continue;
          const std::string ep = p + ".edge_" + std::to_string(to) + "_" + std::to_string(e.from);
          const auto& chain = spec_.ops[static_cast<std::size_t>(edge_op(a, static_cast<int>(st), k))].chain;
          NodeId cur = node[e.from];
          for (std::size_t i = 0; i + 1 < chain.size(); ++i)
            cur = append_op(g, cur, to_edge(chain[i], channels, channels, ep + "." + chain[i].name, cell));
          last.emplace_back(cur, to_edge(chain.back(), channels, channels, ep + "." + chain.back().name, cell));
        }
        if (last.empty()) {  // no live input: the node is all zeros
          SpaceSpec::Layer zero;
          zero.kind = OpKind::Zero;
          last.emplace_back(node[0], to_edge(zero, channels, channels, p + ".node" + std::to_string(to) + ".zero", cell));
        }
        node[to] = g.add_node(shape, p + ".node" + std::to_string(to));
        for (auto& [from, op] : last) g.add_edge(from, node[to], op);
      }
      if (spec_.concat.empty()) {
        x = node[n - 1];
        continue;
      }
      // DARTS: the concatenation of the listed nodes, then the projection back to the cell's shape.
      x = g.add_concat_node({channels * static_cast<int>(spec_.concat.size()), shape.h, shape.w}, p + ".concat");
      for (int v : spec_.concat)
        g.add_edge(node[v], x, to_edge(SpaceSpec::Layer{}, channels, channels, p + ".concat.in" + std::to_string(v), cell));
      for (const auto& l : spec_.project)
        x = append_op(g, x, to_edge(l, g.node(x).shape.c, channels, p + ".project." + l.name, cell));
    }
  }
  x = append_block(g, x, spec_.head, spec_.num_classes, "head");
  g.set_output(x);
  return g;
}

std::string GraphSpace::cell_key(const Architecture& a, int stage) const {
  const CellLayout L = layout(a, stage, true);
  std::vector<CellEdgeKey> edges;
  for (int k = 0; k < static_cast<int>(spec_.edges.size()); ++k)
    if (L.live[k]) edges.push_back({spec_.edges[k].from, spec_.edges[k].to, edge_op(a, stage, k)});
  // A concatenating cell: its output is one more node fed by an identity (op -1) from each
  // concatenated node that carries something (a zero part adds nothing the projection can use).
  int nodes = spec_.nodes, output = spec_.nodes - 1;
  if (!spec_.concat.empty()) {
    output = nodes++;
    for (int v : spec_.concat)
      if (L.live_inputs[static_cast<std::size_t>(v)] > 0) edges.push_back({v, output, -1});
  }
  return cell_structure_key(
      std::move(edges), nodes, output,
      [&](int op) { return op < 0 || spec_.ops[static_cast<std::size_t>(op)].identity; },
      [&](int op) { return op < 0 ? std::string("concat") : spec_.ops[static_cast<std::size_t>(op)].name; });
}

std::string GraphSpace::structure_key(const Architecture& a) const {
  validate(a);
  if (spec_.blocks()) return block_string(canonicalize(a));
  if (!spec_.per_stage) return cell_key(a, 0);
  std::string key;
  for (std::size_t st = 0; st < spec_.stages.size(); ++st) key += (st ? " / " : "") + cell_key(a, static_cast<int>(st));
  return key;
}

Architecture GraphSpace::canonicalize(const Architecture& a) const {
  validate(a);
  if (spec_.blocks()) {  // the kernel and expansion of a block past its stage's depth are unused
    Architecture c = a;
    for (std::size_t st = 0; st < spec_.stages.size(); ++st) {
      const BlockDecisions& bd = block_decisions_[st];
      for (std::size_t b = static_cast<std::size_t>(choice_value(a, spec_.stages[st].depth, bd.depth)); b < bd.kernel.size(); ++b) {
        for (int d : {bd.kernel[b], bd.expand[b], bd.se[b], bd.activation[b]})
          if (d >= 0) c.choices[static_cast<std::size_t>(d)] = 0;
      }
    }
    return c;
  }
  if (size() <= kCanonicalTableLimit)
    return canonical_.smallest(*this, a, [&](const Architecture& x) { return structure_key(x); });
  // Large spaces: an edge whose source the input cannot reach, or whose destination cannot reach
  // the output, is dead whatever its op (its op cannot change either fact, nor make any other
  // edge live), so its choice is reset to 0.
  Architecture c = a;
  const int copies = spec_.per_stage ? static_cast<int>(spec_.stages.size()) : 1;
  for (int st = 0; st < copies; ++st) {
    const CellLayout L = layout(a, st, true);
    std::vector<char> used(static_cast<std::size_t>(decisions_per_cell_), 0);
    for (std::size_t k = 0; k < spec_.edges.size(); ++k)
      if (L.reach[k]) used[static_cast<std::size_t>(spec_.edges[k].decision)] = 1;
    for (int d = 0; d < decisions_per_cell_; ++d)
      if (!used[static_cast<std::size_t>(d)]) c.choices[static_cast<std::size_t>((spec_.per_stage ? st * decisions_per_cell_ : 0) + d)] = 0;
  }
  return c;
}

Architecture GraphSpace::as_built_form(const Architecture& a) const {
  if (spec_.blocks()) return canonicalize(a);
  validate(a);
  return a;
}

int GraphSpace::choice_value(const Architecture& a, const SpaceSpec::Choice& c, int decision) const {
  return c.values[decision < 0 ? 0 : static_cast<std::size_t>(a.choices[static_cast<std::size_t>(decision)])];
}

OpKind GraphSpace::activation_of(const Architecture& a, const SpaceSpec::Stage& stage, int decision) const {
  return SpaceSpec::activations()[static_cast<std::size_t>(choice_value(a, stage.activation, decision))].second;
}

double GraphSpace::width_mult(const Architecture& a) const {
  return width_decision_ < 0 ? 1.0 : spec_.width_mults[static_cast<std::size_t>(a.choices[static_cast<std::size_t>(width_decision_)])];
}

// mbv's string: fields joined by '|': "r<size>" and "w<mult>" when decided, then each stage with
// a decision: its blocks joined by ',' ("k<kernel>e<expand>s<0|1>_<activation>", the decided
// parts), or "d<depth>" when only the depth is decided.
std::string GraphSpace::block_string(const Architecture& a) const {
  std::vector<std::string> fields;
  if (resolution_decision_ >= 0) fields.push_back("r" + std::to_string(choice_value(a, spec_.resolution, resolution_decision_)));
  if (width_decision_ >= 0) fields.push_back("w" + format_number(width_mult(a)));
  for (std::size_t st = 0; st < spec_.stages.size(); ++st) {
    const auto& stage = spec_.stages[st];
    const BlockDecisions& bd = block_decisions_[st];
    const int depth = choice_value(a, stage.depth, bd.depth);
    if (!per_block_decisions(stage)) {
      if (stage.depth.decision) fields.push_back("d" + std::to_string(depth));
      continue;
    }
    std::string f;
    for (int b = 0; b < depth; ++b) {
      const auto bb = static_cast<std::size_t>(b);
      if (b) f += ",";
      if (stage.kernel.decision) f += "k" + std::to_string(choice_value(a, stage.kernel, bd.kernel[bb]));
      if (stage.expand.decision) f += "e" + std::to_string(choice_value(a, stage.expand, bd.expand[bb]));
      if (stage.se.decision) f += "s" + std::to_string(choice_value(a, stage.se, bd.se[bb]));
      if (stage.activation.decision)
        f += "_" + SpaceSpec::activations()[static_cast<std::size_t>(choice_value(a, stage.activation, bd.activation[bb]))].first;
    }
    fields.push_back(f);
  }
  std::string s;
  for (std::size_t i = 0; i < fields.size(); ++i) s += (i ? "|" : "") + fields[i];
  return s;
}

Architecture GraphSpace::block_parse(std::string_view text) const {
  auto fail = [&](std::size_t pos, std::string_view token, const std::string& what) {
    throw UserError(label_ + " architecture string, position " + std::to_string(pos + 1) +
                    (token.empty() ? "" : " ('" + std::string(token) + "')") + ": " + what);
  };
  auto split = [](std::string_view t, char sep, std::size_t offset) {
    std::vector<std::pair<std::size_t, std::string_view>> out;
    std::size_t start = 0;
    while (true) {
      const std::size_t at = t.find(sep, start);
      out.emplace_back(offset + start, t.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
      if (at == std::string_view::npos) return out;
      start = at + 1;
    }
  };
  auto join = [](const std::vector<int>& v) {
    std::string s;
    for (int x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
    return s;
  };
  // The choice index of the integer after `letter` at `cursor` in `tok`; advances the cursor.
  auto number = [&](std::size_t pos, std::string_view tok, std::size_t& cursor, char letter, const SpaceSpec::Choice& c,
                    const char* what) {
    if (cursor >= tok.size() || tok[cursor] != letter)
      fail(pos + cursor, tok, std::string("expected '") + letter + "' and the " + what + ", e.g. '" + letter +
                                  std::to_string(c.values[0]) + "'");
    ++cursor;
    int v = 0, digits = 0;
    while (cursor < tok.size() && tok[cursor] >= '0' && tok[cursor] <= '9' && digits < 9) v = v * 10 + (tok[cursor++] - '0'), ++digits;
    if (!digits) fail(pos + cursor, tok, std::string("expected the ") + what + " after '" + letter + "'");
    auto it = std::find(c.values.begin(), c.values.end(), v);
    if (it == c.values.end())
      fail(pos, tok, std::string(what) + " " + std::to_string(v) + " is not a choice (valid: " + join(c.values) + ")");
    return static_cast<int>(it - c.values.begin());
  };
  Architecture a;
  a.choices.assign(decisions_.size(), 0);
  const auto fields = split(text, '|', 0);
  std::size_t stage_fields = 0;
  for (const auto& stage : spec_.stages) stage_fields += stage.depth.decision || per_block_decisions(stage);
  const std::size_t expected = (resolution_decision_ >= 0) + (width_decision_ >= 0) + stage_fields;
  if (fields.size() != expected) {
    std::string parts = resolution_decision_ >= 0 ? "resolution" : "";
    if (width_decision_ >= 0) parts += (parts.empty() ? "" : ", ") + std::string("width multiplier");
    if (stage_fields) parts += (parts.empty() ? "" : ", ") + std::to_string(stage_fields) + (stage_fields > 1 ? " stages" : " stage");
    fail(0, "", "expected " + std::to_string(expected) + " fields separated by '|' (" + parts + "), got " +
                    std::to_string(fields.size()));
  }
  std::size_t f = 0;
  if (resolution_decision_ >= 0) {
    const auto [pos, tok] = fields[f++];
    std::size_t cursor = 0;
    a.choices[static_cast<std::size_t>(resolution_decision_)] = number(pos, tok, cursor, 'r', spec_.resolution, "resolution");
    if (cursor != tok.size()) fail(pos + cursor, tok, "unexpected text after the resolution");
  }
  if (width_decision_ >= 0) {
    const auto [pos, tok] = fields[f++];
    if (tok.empty() || tok[0] != 'w') fail(pos, tok, "expected the width multiplier as 'w<number>', e.g. 'w1'");
    const std::string body(tok.substr(1));
    char* end = nullptr;
    const double w = std::strtod(body.c_str(), &end);
    if (body.empty() || end != body.c_str() + body.size()) fail(pos, tok, "expected a number after 'w'");
    int found = -1;
    for (std::size_t i = 0; i < spec_.width_mults.size(); ++i)
      if (std::fabs(spec_.width_mults[i] - w) < 1e-9) found = static_cast<int>(i);
    if (found < 0) {
      std::string valid;
      for (double m : spec_.width_mults) valid += (valid.empty() ? "" : ", ") + format_number(m);
      fail(pos, tok, "width multiplier " + body + " is not a choice (valid: " + valid + ")");
    }
    a.choices[static_cast<std::size_t>(width_decision_)] = found;
  }
  for (std::size_t st = 0; st < spec_.stages.size(); ++st) {
    const auto& stage = spec_.stages[st];
    const BlockDecisions& bd = block_decisions_[st];
    if (!stage.depth.decision && !per_block_decisions(stage)) continue;
    const auto [pos, tok] = fields[f++];
    const std::string which = "stage " + std::to_string(st);
    if (!per_block_decisions(stage)) {  // "d<depth>"
      std::size_t cursor = 0;
      a.choices[static_cast<std::size_t>(bd.depth)] = number(pos, tok, cursor, 'd', stage.depth, "depth");
      if (cursor != tok.size()) fail(pos + cursor, tok, "unexpected text after the depth of " + which);
      continue;
    }
    const auto blocks = split(tok, ',', pos);
    const int depth = static_cast<int>(blocks.size());
    auto it = std::find(stage.depth.values.begin(), stage.depth.values.end(), depth);
    if (it == stage.depth.values.end())
      fail(pos, tok, which + " has " + std::to_string(depth) + " blocks; the depth must be " +
                         (stage.depth.decision ? "one of " : "") + join(stage.depth.values));
    if (bd.depth >= 0) a.choices[static_cast<std::size_t>(bd.depth)] = static_cast<int>(it - stage.depth.values.begin());
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      const auto [bpos, btok] = blocks[b];
      std::size_t cursor = 0;
      if (stage.kernel.decision) a.choices[static_cast<std::size_t>(bd.kernel[b])] = number(bpos, btok, cursor, 'k', stage.kernel, "kernel size");
      if (stage.expand.decision) a.choices[static_cast<std::size_t>(bd.expand[b])] = number(bpos, btok, cursor, 'e', stage.expand, "expansion");
      if (stage.se.decision) a.choices[static_cast<std::size_t>(bd.se[b])] = number(bpos, btok, cursor, 's', stage.se, "squeeze-excite (0 or 1)");
      if (stage.activation.decision) {
        const auto& all = SpaceSpec::activations();
        std::string valid;
        for (int v : stage.activation.values) valid += (valid.empty() ? "" : ", ") + all[static_cast<std::size_t>(v)].first;
        if (cursor >= btok.size() || btok[cursor] != '_')
          fail(bpos + cursor, btok, "expected '_' and the activation (" + valid + ")");
        const std::string name(btok.substr(cursor + 1));
        int found = -1;
        for (std::size_t i = 0; i < stage.activation.values.size(); ++i)
          if (all[static_cast<std::size_t>(stage.activation.values[i])].first == name) found = static_cast<int>(i);
        if (found < 0) fail(bpos + cursor + 1, btok, "activation '" + name + "' is not a choice (valid: " + valid + ")");
        a.choices[static_cast<std::size_t>(bd.activation[b])] = found;
        cursor = btok.size();
      }
      if (cursor != btok.size()) fail(bpos + cursor, btok, "unexpected text after block " + std::to_string(b) + " of " + which);
    }
  }
  return a;
}

void GraphSpace::block_walk(const Architecture& a, const std::function<void(const BlockStep&)>& f) const {
  const int res = choice_value(a, spec_.resolution, resolution_decision_);
  BlockStep step;
  step.width_mult = width_mult(a);
  step.width_divisor = spec_.width_mults.empty() ? 0 : spec_.width_divisor;
  const Width w{step.width_mult, step.width_divisor};
  step.input = {spec_.input_channels, res, res};
  f(step);
  step.kind = BlockStep::Block;
  for (std::size_t st = 0; st < spec_.stages.size(); ++st) {
    const auto& stage = spec_.stages[st];
    const BlockDecisions& bd = block_decisions_[st];
    const int depth = choice_value(a, stage.depth, bd.depth);
    for (int b = 0; b < depth; ++b, ++step.id) {
      const auto bb = static_cast<std::size_t>(b);
      step.block = {choice_value(a, stage.kernel, bd.kernel[bb]),
                    choice_value(a, stage.expand, bd.expand[bb]),
                    b == 0 ? stage.stride : 1,
                    w(stage.channels),
                    activation_of(a, stage, bd.activation[bb]),
                    choice_value(a, stage.se, bd.se[bb]) == 1};
      f(step);
    }
  }
  step.kind = BlockStep::Head;
  f(step);
}

NodeId GraphSpace::append_step(ArchGraph& g, NodeId x, const BlockStep& s, bool named) const {
  const Width w{s.width_mult, s.width_divisor};
  if (s.kind == BlockStep::Stem) return append_block(g, x, spec_.stem, w(spec_.stages[0].channels), "stem", w);
  if (s.kind == BlockStep::Head) return append_block(g, x, spec_.head, spec_.num_classes, "head", w);
  return named ? append_inverted_residual(g, x, s.block, "blocks." + std::to_string(s.id), s.id)
               : append_inverted_residual(g, x, s.block, "", 0);
}

ArchGraph GraphSpace::block_decode(const Architecture& a) const {
  ArchGraph g;
  NodeId x = 0;
  block_walk(a, [&](const BlockStep& s) {
    if (s.kind == BlockStep::Stem) {
      x = g.add_node(s.input, "input");
      g.set_input(x);
    }
    x = append_step(g, x, s, true);
  });
  g.set_output(x);
  return g;
}

const GraphSpace::Piece& GraphSpace::block_piece(const BlockStep& s, const TensorShape& input) const {
  std::int64_t width_bits = 0;
  static_assert(sizeof(width_bits) == sizeof(s.width_mult));
  std::memcpy(&width_bits, &s.width_mult, sizeof(width_bits));
  const bool block = s.kind == BlockStep::Block;
  const std::array<std::int64_t, 12> key{s.kind,           input.c,
                                         input.h,          input.w,
                                         block ? s.block.kernel : 0,
                                         block ? s.block.expand : 0,
                                         block ? s.block.stride : 0,
                                         block ? s.block.out : 0,
                                         block ? static_cast<int>(s.block.activation) : 0,
                                         block ? s.block.se : 0,
                                         block ? 0 : width_bits,
                                         block ? 0 : s.width_divisor};
  std::lock_guard<std::mutex> lock(pieces_mutex_);
  auto& piece = pieces_[key];
  if (!piece) {
    // The piece alone, on its input, as block_decode() appends it, with a block's prefix left
    // out (block_layers() adds it) and its cell 0.
    ArchGraph g;
    NodeId x = g.add_node(input, "input");
    g.set_input(x);
    x = append_step(g, x, s, false);
    piece = std::make_unique<Piece>(Piece{count_costs(g), g.node(x).shape});
  }
  return *piece;
}

CostTotals GraphSpace::block_layers(const Architecture& a, LayerList* list) const {
  validate(a);  // no zero ops: nothing to prune
  CostTotals totals;
  TensorShape shape;
  block_walk(a, [&](const BlockStep& s) {
    const Piece& piece = block_piece(s, s.kind == BlockStep::Stem ? s.input : shape);
    shape = piece.output;
    totals += piece.layers.totals;
    if (!list) return;
    const std::size_t first = list->layers.size();
    list->layers.insert(list->layers.end(), piece.layers.layers.begin(), piece.layers.layers.end());
    if (s.kind != BlockStep::Block) return;
    const std::string prefix = "blocks." + std::to_string(s.id);
    for (std::size_t i = first; i < list->layers.size(); ++i) {
      list->layers[i].name.insert(0, prefix);
      list->layers[i].cell = s.id;
    }
  });
  return totals;
}

LayerList GraphSpace::layers(const Architecture& a, const DecodeOptions& dopts) const {
  if (!spec_.blocks()) return SearchSpace::layers(a, dopts);
  LayerList list;
  list.totals = block_layers(a, &list);
  return list;
}

bool is_space_file(const std::string& name) {
  return name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0;
}

std::unique_ptr<SearchSpace> make_space_from_file(const std::string& file, const nlohmann::json& options) {
  nlohmann::json doc = read_json_file(file);
  std::string path = file + ": ";
  if (!options.is_null()) {
    if (!options.is_object()) JsonReader::fail(file + " (space options)", "an object (a merge patch over the space file)", options);
    doc.merge_patch(options);
    path = file + " (with the space options merged in): ";
  }
  return std::make_unique<GraphSpace>(doc, path);
}

}  // namespace hwnas
