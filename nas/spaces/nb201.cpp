#include "hwnas/nas/spaces/nb201.h"

#include <algorithm>

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/nas/cell_key.h"

namespace hwnas {

const std::vector<std::string>& Nb201Space::all_ops() {
  static const std::vector<std::string> ops{"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"};
  return ops;
}

static std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

void Nb201Options::check(const std::string& path) const {
  if (input_size < 4 || input_size > 4096 || input_size % 4 != 0)
    throw UserError(path + ".input_size: expected a multiple of 4 in 4..4096 (two stride-2 reductions), got " +
                    std::to_string(input_size));
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const auto& known = Nb201Space::all_ops();
    if (std::find(known.begin(), known.end(), ops[i]) == known.end())
      throw UserError(path + ".ops[" + std::to_string(i) + "]: unknown op '" + ops[i] + "' (valid: " + join(known) + ")");
    if (std::count(ops.begin(), ops.end(), ops[i]) > 1)
      throw UserError(path + ".ops[" + std::to_string(i) + "]: op '" + ops[i] + "' is listed twice");
  }
}

void Nb201Options::validate(const std::string& path) const { validate_options(*this, path); }
nlohmann::json Nb201Options::to_json() const { return write_options(*this); }
Nb201Options Nb201Options::from_json(const nlohmann::json& j, const std::string& path) { return read_options<Nb201Options>(j, path); }

Nb201Space::Nb201Space(Nb201Options opts) : opts_(std::move(opts)) {
  opts_.validate();
  for (const auto& op : opts_.ops)
    op_ids_.push_back(static_cast<int>(std::find(all_ops().begin(), all_ops().end(), op) - all_ops().begin()));
  for (auto [to, from] : kEdgeEnds)
    decisions_.push_back({"edge(" + std::to_string(to) + "," + std::to_string(from) + ")", opts_.ops});

  // Tables for count(): the same op chains decode() builds, costed with the same edge_cost().
  int channels = opts_.channels, size = opts_.input_size;
  for (int s = 0; s < 3; ++s) {
    const TensorShape shape{channels, size, size};
    auto& t = tables_[s];
    auto& sl = stage_layers_[s];
    for (int op = kNone; op <= kPool; ++op) {
      TensorShape in = shape;
      for (const OpEdge& e : op_chain(op, channels, 0, "")) {
        sl.op[op].push_back(edge_cost(e, in));
        t.op[op] += sl.op[op].back();
        in = op_output_shape(e, in);
      }
    }
    OpEdge zero;
    zero.kind = OpKind::Zero;
    zero.in_channels = zero.out_channels = channels;
    sl.zero = edge_cost(zero, shape);
    t.zero += sl.zero;
    sl.add2 = add_cost(shape, 2, 0, "");
    sl.add3 = add_cost(shape, 3, 0, "");
    t.add2 += sl.add2;
    t.add3 += sl.add3;
    channels *= 2;
    size = (size - 1) / 2 + 1;  // 3x3 conv, stride 2, padding 1
  }
  // Skeleton: every layer outside the cells, taken from one decoded network.
  Architecture probe;
  probe.choices.assign(kEdges, 0);
  for (const LayerCost& l : count_costs(decode(probe)).layers) {
    if (l.cell >= 0) continue;
    skeleton_ += l;
    const int segment = l.name.rfind("reduce1.", 0) == 0 ? 1 : l.name.rfind("reduce2.", 0) == 0 ? 2
                      : l.name.rfind("head.", 0) == 0    ? 3 : 0;
    skeleton_layers_[segment].push_back(l);
  }
}

std::vector<OpEdge> Nb201Space::op_chain(int op, int channels, int cell, const std::string& prefix) const {
  std::vector<OpEdge> chain;
  auto make = [&](OpKind kind, const std::string& suffix) {
    OpEdge e;
    e.kind = kind;
    e.in_channels = e.out_channels = channels;
    e.cell = cell;
    e.name = prefix + suffix;
    return e;
  };
  switch (op) {
    case kNone: chain.push_back(make(OpKind::Zero, ".zero")); break;  // only as built (see layout())
    case kSkip: chain.push_back(make(OpKind::Identity, ".skip")); break;
    case kConv1:
    case kConv3: {
      chain.push_back(make(OpKind::ReLU, ".relu"));
      OpEdge conv = make(OpKind::Conv2d, ".conv");
      conv.kernel = op == kConv1 ? 1 : 3;
      conv.padding = conv.kernel / 2;
      chain.push_back(conv);
      chain.push_back(make(OpKind::BatchNorm, ".bn"));
      break;
    }
    case kPool: {
      OpEdge pool = make(OpKind::AvgPool, ".pool");
      pool.kernel = 3;
      pool.padding = 1;
      pool.count_include_pad = false;
      chain.push_back(pool);
      break;
    }
    default: HWNAS_CHECK(false, "op_chain of an unknown op");
  }
  return chain;
}

std::string Nb201Space::to_string(const Architecture& a) const {
  validate(a);
  std::string s = "|";
  for (int k = 0; k < kEdges; ++k) {
    const auto [to, from] = kEdgeEnds[k];
    if (k > 0 && from == 0) s += "+|";
    s += opts_.ops[a.choices[k]] + "~" + std::to_string(from) + "|";
  }
  return s;
}

Architecture Nb201Space::parse(std::string_view text) const {
  // Grammar: '|' op~0 '|' '+' '|' op~0 '|' op~1 '|' '+' '|' op~0 '|' op~1 '|' op~2 '|'
  auto fail = [&](std::size_t pos, const std::string& token, const std::string& what) -> void {
    throw UserError("nb201 architecture string, position " + std::to_string(pos + 1) +
                    (token.empty() ? "" : " ('" + token + "')") + ": " + what);
  };
  Architecture a;
  a.choices.assign(kEdges, 0);
  std::size_t pos = 0;
  int k = 0;
  for (int node = 1; node <= 3; ++node) {
    if (node > 1) {
      if (pos >= text.size() || text[pos] != '+')
        fail(pos, pos < text.size() ? std::string(1, text[pos]) : "", "expected '+' before the inputs of node " +
                                                                           std::to_string(node));
      ++pos;
    }
    if (pos >= text.size() || text[pos] != '|')
      fail(pos, pos < text.size() ? std::string(1, text[pos]) : "", "expected '|'");
    ++pos;
    for (int from = 0; from < node; ++from, ++k) {
      const std::size_t end = text.find('|', pos);
      if (end == std::string_view::npos) fail(pos, std::string(text.substr(pos)), "expected 'op~" + std::to_string(from) + "|'");
      const std::string token(text.substr(pos, end - pos));
      const std::size_t tilde = token.find('~');
      if (tilde == std::string::npos)
        fail(pos, token, "expected 'op~" + std::to_string(from) + "' for edge (" + std::to_string(node) + "," +
                             std::to_string(from) + ")");
      const std::string op = token.substr(0, tilde), idx = token.substr(tilde + 1);
      auto it = std::find(opts_.ops.begin(), opts_.ops.end(), op);
      if (it == opts_.ops.end()) fail(pos, token, "unknown op '" + op + "' (valid: " + join(opts_.ops) + ")");
      if (idx != std::to_string(from))
        fail(pos + tilde + 1, token, "edge into node " + std::to_string(node) + " must come from node " +
                                         std::to_string(from) + ", got '~" + idx + "'");
      a.choices[k] = static_cast<int>(it - opts_.ops.begin());
      pos = end + 1;
    }
  }
  if (pos != text.size()) fail(pos, std::string(text.substr(pos)), "unexpected text after the last node");
  return a;
}

bool Nb201Space::output_depends_on_input(const Architecture& a) const {
  validate(a);
  return layout(a, true).live_inputs[3] > 0;  // pruned, the output node keeps an input iff one reaches it
}

Nb201Space::CellLayout Nb201Space::layout(const Architecture& a, bool prune) const {
  CellLayout L;
  std::array<bool, kEdges> on{};
  for (int k = 0; k < kEdges; ++k) on[k] = op_ids_[a.choices[k]] != kNone;
  std::array<bool, 4> from_input{true, false, false, false}, to_output{false, false, false, true};
  for (int k = 0; k < kEdges; ++k) {  // edges are ordered by destination
    const auto [to, from] = kEdgeEnds[k];
    if (on[k] && from_input[from]) from_input[to] = true;
  }
  for (int k = kEdges - 1; k >= 0; --k) {  // and reversed, by source
    const auto [to, from] = kEdgeEnds[k];
    if (on[k] && to_output[to]) to_output[from] = true;
  }
  L.exists[0] = L.exists[3] = true;
  for (int k = 0; k < kEdges; ++k) {
    const auto [to, from] = kEdgeEnds[k];
    // As built, every edge runs, as in NAS-Bench-201's reference code: a `none` edge computes
    // x * 0 (a Zero op) and its node sums it with the others, and dead branches run too.
    L.live[k] = !prune || (on[k] && from_input[from] && to_output[to]);
    if (L.live[k]) {
      L.exists[to] = L.exists[from] = true;
      ++L.live_inputs[to];
    }
  }
  return L;
}

ArchGraph Nb201Space::decode(const Architecture& a, const DecodeOptions& dopts) const {
  validate(a);
  const CellLayout L = layout(a, dopts.prune_dead);
  ArchGraph g;
  int size = opts_.input_size, channels = opts_.channels;
  NodeId x = g.add_node({opts_.input_channels, size, size}, "input");
  g.set_input(x);
  auto append = [&](NodeId from, OpEdge op, const std::string& node_name) {
    NodeId to = g.add_node(op_output_shape(op, g.node(from).shape), node_name);
    g.add_edge(from, to, std::move(op));
    return to;
  };
  auto conv = [&](int cin, int cout, int kernel, int stride, std::string name) {
    OpEdge e;
    e.kind = OpKind::Conv2d;
    e.in_channels = cin;
    e.out_channels = cout;
    e.kernel = kernel;
    e.stride = stride;
    e.padding = kernel / 2;
    e.name = std::move(name);
    return e;
  };
  auto simple = [&](OpKind kind, int c, std::string name) {
    OpEdge e;
    e.kind = kind;
    e.in_channels = e.out_channels = c;
    e.name = std::move(name);
    return e;
  };
  x = append(x, conv(opts_.input_channels, channels, 3, 1, "stem.conv"), "stem.conv");
  x = append(x, simple(OpKind::BatchNorm, channels, "stem.bn"), "stem.out");
  int cell = 0;
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) {
      const std::string p = "reduce" + std::to_string(stage);
      const int out = channels * 2;
      NodeId b = append(x, simple(OpKind::ReLU, channels, p + ".conv_a.relu"), p + ".conv_a.relu");
      b = append(b, conv(channels, out, 3, 2, p + ".conv_a.conv"), p + ".conv_a.conv");
      b = append(b, simple(OpKind::BatchNorm, out, p + ".conv_a.bn"), p + ".conv_a.bn");
      b = append(b, simple(OpKind::ReLU, out, p + ".conv_b.relu"), p + ".conv_b.relu");
      b = append(b, conv(out, out, 3, 1, p + ".conv_b.conv"), p + ".conv_b.conv");
      OpEdge pool = simple(OpKind::AvgPool, channels, p + ".shortcut.pool");
      pool.kernel = 2;
      pool.stride = 2;
      NodeId s = append(x, pool, p + ".shortcut.pool");
      OpEdge bn_b = simple(OpKind::BatchNorm, out, p + ".conv_b.bn");
      OpEdge sc = conv(channels, out, 1, 1, p + ".shortcut.conv");
      NodeId y = g.add_node(op_output_shape(bn_b, g.node(b).shape), p + ".out");
      g.add_edge(b, y, bn_b);
      g.add_edge(s, y, sc);
      x = y;
      channels = out;
      size = g.node(x).shape.h;
    }
    for (int c = 0; c < opts_.cells_per_stage; ++c, ++cell) {
      const std::string p = "cells." + std::to_string(cell);
      std::array<NodeId, 4> node{x, 0, 0, 0};
      for (int to = 1; to <= 3; ++to) {
        if (!L.exists[to]) continue;
        // Build every incoming chain up to its last op, then the node, then the last ops.
        std::vector<std::pair<NodeId, OpEdge>> last;
        for (int k = 0; k < kEdges; ++k) {
          if (kEdgeEnds[k].first != to || !L.live[k]) continue;
          const int from = kEdgeEnds[k].second;
          const std::string ep = p + ".edge_" + std::to_string(to) + "_" + std::to_string(from);
          std::vector<OpEdge> chain = op_chain(op_ids_[a.choices[k]], channels, cell, ep);
          NodeId cur = node[from];
          for (std::size_t i = 0; i + 1 < chain.size(); ++i) cur = append(cur, chain[i], chain[i].name);
          last.emplace_back(cur, chain.back());
        }
        if (last.empty()) {  // no live input: the node is all zeros (NAS-Bench-201's `none`)
          OpEdge zero = simple(OpKind::Zero, channels, p + ".node" + std::to_string(to) + ".zero");
          zero.cell = cell;
          last.emplace_back(node[0], zero);
        }
        node[to] = g.add_node({channels, size, size}, p + ".node" + std::to_string(to));
        for (auto& [from, op] : last) g.add_edge(from, node[to], op);
      }
      x = node[3];
    }
  }
  x = append(x, simple(OpKind::BatchNorm, channels, "head.bn"), "head.bn");
  x = append(x, simple(OpKind::ReLU, channels, "head.relu"), "head.relu");
  x = append(x, simple(OpKind::GlobalAvgPool, channels, "head.pool"), "head.pool");
  OpEdge fc = simple(OpKind::Linear, channels, "head.classifier");
  fc.out_channels = opts_.num_classes;
  fc.bias = true;
  x = append(x, fc, "logits");
  g.set_output(x);
  return g;
}

CostTotals Nb201Space::count(const Architecture& a, const DecodeOptions& dopts) const {
  validate(a);
  const CellLayout L = layout(a, dopts.prune_dead);
  CostTotals total = skeleton_;
  for (int s = 0; s < 3; ++s) {
    const StageTable& t = tables_[s];
    CostTotals cell;
    auto add = [&](const CostTotals& c) {
      cell.params += c.params;
      cell.macs += c.macs;
      cell.flops += c.flops;
      cell.activation_bytes += c.activation_bytes;
      cell.weight_bytes += c.weight_bytes;
    };
    for (int k = 0; k < kEdges; ++k)
      if (L.live[k]) add(t.op[op_ids_[a.choices[k]]]);
    for (int to = 1; to <= 3; ++to) {
      if (!L.exists[to]) continue;
      if (L.live_inputs[to] == 0) add(t.zero);
      if (L.live_inputs[to] == 2) add(t.add2);
      if (L.live_inputs[to] == 3) add(t.add3);
    }
    const int n = opts_.cells_per_stage;
    total.params += n * cell.params;
    total.macs += n * cell.macs;
    total.flops += n * cell.flops;
    total.activation_bytes += n * cell.activation_bytes;
    total.weight_bytes += n * cell.weight_bytes;
  }
  return total;
}

LayerList Nb201Space::layers(const Architecture& a, const DecodeOptions& dopts) const {
  validate(a);
  const CellLayout L = layout(a, dopts.prune_dead);
  LayerList list;
  list.layers.reserve(16 + 3 * static_cast<std::size_t>(opts_.cells_per_stage) * 22);
  auto push = [&](const LayerCost& l) {
    list.layers.push_back(l);
    list.totals += l;
  };
  auto push_named = [&](const LayerCost& l, int cell, const std::string& prefix) {
    list.layers.push_back(l);
    list.layers.back().cell = cell;
    list.layers.back().name.insert(0, prefix);
    list.totals += l;
  };
  // decode() builds, per node, every incoming chain up to its last op, then the last ops, and
  // count_costs() emits the node's Add after its last incoming edge.
  for (const LayerCost& l : skeleton_layers_[0]) push(l);
  int cell = 0;
  for (int s = 0; s < 3; ++s) {
    if (s > 0)
      for (const LayerCost& l : skeleton_layers_[s]) push(l);
    const StageLayers& t = stage_layers_[s];
    for (int c = 0; c < opts_.cells_per_stage; ++c, ++cell) {
      const std::string p = "cells." + std::to_string(cell);
      for (int to = 1; to <= 3; ++to) {
        if (!L.exists[to]) continue;
        const std::string node = p + ".node" + std::to_string(to);
        if (L.live_inputs[to] == 0) {
          push_named(t.zero, cell, node + ".zero");
          continue;
        }
        for (int pass = 0; pass < 2; ++pass)
          for (int k = 0; k < kEdges; ++k) {
            if (kEdgeEnds[k].first != to || !L.live[k]) continue;
            const std::string ep = p + ".edge_" + std::to_string(to) + "_" + std::to_string(kEdgeEnds[k].second);
            const auto& chain = t.op[op_ids_[a.choices[k]]];
            if (pass == 0)
              for (std::size_t i = 0; i + 1 < chain.size(); ++i) push_named(chain[i], cell, ep);
            else
              push_named(chain.back(), cell, ep);
          }
        if (L.live_inputs[to] > 1) push_named(L.live_inputs[to] == 2 ? t.add2 : t.add3, cell, node + ".add");
      }
    }
  }
  for (const LayerCost& l : skeleton_layers_[3]) push(l);
  return list;
}

std::string Nb201Space::structure_key(const Architecture& a) const {
  validate(a);
  const CellLayout L = layout(a, true);
  std::vector<CellEdgeKey> edges;
  for (int k = 0; k < kEdges; ++k)
    if (L.live[k]) edges.push_back({kEdgeEnds[k].second, kEdgeEnds[k].first, op_ids_[a.choices[k]]});
  return cell_structure_key(
      std::move(edges), 4, 3, [](int op) { return op == kSkip; }, [](int op) { return all_ops()[op]; });
}

Architecture Nb201Space::canonicalize(const Architecture& a) const {
  validate(a);
  return canonical_.smallest(*this, a, [&](const Architecture& x) { return structure_key(x); });
}

}  // namespace hwnas
