// ONNX exporter. ONNX's ModelProto is plain protobuf; the few messages it needs are written here
// with a small wire-format encoder, so hwnas needs neither libprotobuf nor libonnx to export.
// Field numbers are onnx.proto's (onnx 1.12, IR version 7 for opset 13).
#include <bit>
#include <cmath>
#include <cstring>

#include "hwnas/core/error.h"
#include "hwnas/core/rng.h"
#include "hwnas/nas/export.h"

namespace hwnas {

namespace {

static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big);

// Protobuf wire format: a message is a sequence of (field << 3 | wire type) keys and values.
class Pb {
 public:
  Pb& varint(int field, std::uint64_t v) {
    key(field, 0);
    raw_varint(v);
    return *this;
  }
  Pb& int64s(int field, const std::vector<std::int64_t>& vs) {  // repeated, unpacked (proto2)
    for (auto v : vs) varint(field, static_cast<std::uint64_t>(v));
    return *this;
  }
  Pb& f32(int field, float v) {
    key(field, 5);
    put_u32(std::bit_cast<std::uint32_t>(v));
    return *this;
  }
  Pb& bytes(int field, std::string_view s) {
    key(field, 2);
    raw_varint(s.size());
    buf_.append(s.data(), s.size());
    return *this;
  }
  Pb& msg(int field, const Pb& m) { return bytes(field, m.buf_); }
  const std::string& str() const { return buf_; }

 private:
  void key(int field, int wire) { raw_varint((static_cast<std::uint64_t>(field) << 3) | static_cast<unsigned>(wire)); }
  void raw_varint(std::uint64_t v) {
    while (v >= 0x80) {
      buf_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    buf_ += static_cast<char>(v);
  }
  void put_u32(std::uint32_t u) {
    for (int i = 0; i < 4; ++i) buf_ += static_cast<char>((u >> (8 * i)) & 0xff);  // little-endian
  }
  std::string buf_;
};

// onnx.proto enums and field numbers.
enum : int { kFloat = 1, kInt64 = 7 };                                        // TensorProto.DataType
enum : int { kAttrFloat = 1, kAttrInt = 2, kAttrTensor = 4, kAttrInts = 7 };  // AttributeProto.AttributeType

Pb tensor(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<float>& values) {
  std::string raw;
  raw.reserve(values.size() * 4);
  for (float f : values) {
    const auto u = std::bit_cast<std::uint32_t>(f);
    for (int i = 0; i < 4; ++i) raw += static_cast<char>((u >> (8 * i)) & 0xff);
  }
  Pb t;
  t.int64s(1, dims).varint(2, kFloat);
  if (!name.empty()) t.bytes(8, name);
  t.bytes(9, raw);
  return t;
}

Pb int64_tensor(const std::string& name, const std::vector<std::int64_t>& values) {
  std::string raw;
  for (auto v : values) {
    const auto u = static_cast<std::uint64_t>(v);
    for (int i = 0; i < 8; ++i) raw += static_cast<char>((u >> (8 * i)) & 0xff);
  }
  Pb t;
  t.int64s(1, {static_cast<std::int64_t>(values.size())}).varint(2, kInt64).bytes(8, name).bytes(9, raw);
  return t;
}

Pb attr_int(const std::string& name, std::int64_t v) {
  Pb a;
  a.bytes(1, name).varint(20, kAttrInt).varint(3, static_cast<std::uint64_t>(v));
  return a;
}
Pb attr_ints(const std::string& name, const std::vector<std::int64_t>& vs) {
  Pb a;
  a.bytes(1, name).varint(20, kAttrInts).int64s(8, vs);
  return a;
}
Pb attr_float(const std::string& name, float v) {
  Pb a;
  a.bytes(1, name).varint(20, kAttrFloat).f32(2, v);
  return a;
}
Pb attr_tensor(const std::string& name, const Pb& t) {
  Pb a;
  a.bytes(1, name).varint(20, kAttrTensor).msg(5, t);
  return a;
}

Pb value_info(const std::string& name, const std::vector<std::int64_t>& dims_after_batch) {
  Pb shape;
  Pb batch;
  batch.bytes(2, "N");
  shape.msg(1, batch);
  for (auto d : dims_after_batch) {
    Pb dim;
    dim.varint(1, static_cast<std::uint64_t>(d));
    shape.msg(1, dim);
  }
  Pb tt;
  tt.varint(1, kFloat).msg(2, shape);
  Pb type;
  type.msg(1, tt);
  Pb vi;
  vi.bytes(1, name).msg(2, type);
  return vi;
}

struct GraphWriter {
  Pb graph;
  void node(const std::string& op, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
            const std::string& name, const std::vector<Pb>& attrs = {}) {
    Pb n;
    for (const auto& i : inputs) n.bytes(1, i);
    for (const auto& o : outputs) n.bytes(2, o);
    n.bytes(3, name).bytes(4, op);
    for (const auto& a : attrs) n.msg(5, a);
    graph.msg(1, n);
  }
  void initializer(const Pb& t) { graph.msg(5, t); }
};

std::vector<std::int64_t> dims(const TensorShape& s) { return {s.c, s.h, s.w}; }

}  // namespace

std::string onnx_model(const ArchGraph& g, std::uint64_t seed, const WeightMap* weights, const std::string& doc) {
  const GraphType& G = g.graph();
  GraphWriter w;
  Rng rng(seed);
  std::size_t weights_used = 0;
  // Values from the map when given (size checked), else drawn like init_deterministic() in the
  // LibTorch builder: uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) per weight and bias, in edge order.
  auto param = [&](const std::string& pname, std::vector<std::int64_t> shape, double bound, float fill,
                   bool random) -> std::string {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    std::vector<float> v(static_cast<std::size_t>(n), fill);
    if (random)
      for (auto& x : v) x = static_cast<float>((2.0 * rng.uniform() - 1.0) * bound);
    if (weights) {
      auto it = weights->find(pname);
      if (it != weights->end()) {
        if (static_cast<std::int64_t>(it->second.size()) != n)
          throw UserError("weights: '" + pname + "' has " + std::to_string(it->second.size()) + " values, expected " +
                          std::to_string(n));
        v = it->second;
        ++weights_used;
      }
    }
    w.initializer(tensor(pname, shape, v));
    return pname;
  };

  std::vector<std::string> names(g.num_nodes());
  for (NodeId n : g.topological_order())
    names[n] = n == g.input() ? "input" : "t" + std::to_string(n) + "_" + module_attribute_name(g.node(n).name);
  std::vector<Pb> infos;
  bool need_axes = false, need_clip = false;
  for (NodeId n : g.topological_order()) {
    if (n == g.input()) continue;
    const auto in = g.in_edges(n);
    std::vector<std::string> outs;
    for (EdgeId e : in) {
      const OpEdge& op = G[e];
      const std::string a = module_attribute_name(op.name);
      const std::string x = names[boost::source(e, G)];
      const TensorShape ish = g.node(boost::source(e, G)).shape;
      const std::string y = in.size() == 1 ? names[n] : a + "_out";
      if (in.size() > 1) infos.push_back(value_info(y, dims(op_output_shape(op, ish))));
      const std::int64_t k = op.kernel, s = op.stride, p = op.padding;
      switch (op.kind) {
        case OpKind::Conv2d: {
          const double fan_in = static_cast<double>(op.in_channels / op.groups) * k * k;
          std::vector<std::string> ins{x, param(a + ".weight", {op.out_channels, op.in_channels / op.groups, k, k},
                                                1.0 / std::sqrt(fan_in), 0.f, true)};
          if (op.bias) ins.push_back(param(a + ".bias", {op.out_channels}, 1.0 / std::sqrt(fan_in), 0.f, true));
          w.node("Conv", ins, {y}, a,
                 {attr_ints("kernel_shape", {k, k}), attr_ints("strides", {s, s}), attr_ints("pads", {p, p, p, p}),
                  attr_ints("dilations", {op.dilation, op.dilation}), attr_int("group", op.groups)});
          break;
        }
        case OpKind::BatchNorm: {
          const std::int64_t c = op.in_channels;
          // Without affine there are no parameters; scale 1 and shift 0 make the same function.
          const std::string scale = param(a + (op.affine ? ".weight" : ".scale_const"), {c}, 0, 1.f, false);
          const std::string shift = param(a + (op.affine ? ".bias" : ".shift_const"), {c}, 0, 0.f, false);
          const std::string mean = param(a + ".running_mean", {c}, 0, 0.f, false);
          const std::string var = param(a + ".running_var", {c}, 0, 1.f, false);
          w.node("BatchNormalization", {x, scale, shift, mean, var}, {y}, a, {attr_float("epsilon", 1e-5f)});
          break;
        }
        case OpKind::MaxPool:
          w.node("MaxPool", {x}, {y}, a, {attr_ints("kernel_shape", {k, k}), attr_ints("strides", {s, s}), attr_ints("pads", {p, p, p, p})});
          break;
        case OpKind::AvgPool:
          w.node("AveragePool", {x}, {y}, a,
                 {attr_ints("kernel_shape", {k, k}), attr_ints("strides", {s, s}), attr_ints("pads", {p, p, p, p}),
                  attr_int("count_include_pad", op.count_include_pad ? 1 : 0)});
          break;
        case OpKind::Linear: {
          const double bound = 1.0 / std::sqrt(static_cast<double>(op.in_channels));
          std::vector<std::string> ins{a + "_flat", param(a + ".weight", {op.out_channels, op.in_channels}, bound, 0.f, true)};
          if (op.bias) ins.push_back(param(a + ".bias", {op.out_channels}, bound, 0.f, true));
          w.node("Flatten", {x}, {a + "_flat"}, a + "_flatten", {attr_int("axis", 1)});
          w.node("Gemm", ins, {a + "_gemm"}, a, {attr_int("transB", 1)});
          w.node("Unsqueeze", {a + "_gemm", "hwnas_axes_2_3"}, {y}, a + "_unsqueeze");
          infos.push_back(value_info(a + "_flat", {op.in_channels}));
          need_axes = true;
          break;
        }
        case OpKind::ReLU: w.node("Relu", {x}, {y}, a); break;
        case OpKind::ReLU6:
          w.node("Clip", {x, "hwnas_zero", "hwnas_six"}, {y}, a);
          need_clip = true;
          break;
        case OpKind::HSwish:  // HardSwish is opset 14; x * HardSigmoid(x; 1/6, 1/2) is the same function
          w.node("HardSigmoid", {x}, {a + "_gate"}, a + "_gate", {attr_float("alpha", 1.0f / 6.0f), attr_float("beta", 0.5f)});
          w.node("Mul", {x, a + "_gate"}, {y}, a);
          infos.push_back(value_info(a + "_gate", {ish.c, ish.h, ish.w}));
          break;
        case OpKind::GlobalAvgPool: w.node("GlobalAveragePool", {x}, {y}, a); break;
        case OpKind::Identity: w.node("Identity", {x}, {y}, a); break;
        case OpKind::Zero:
          HWNAS_CHECK(g.node(n).concat || ish == g.node(n).shape, "Zero edge with a shape change: " + op.name);
          w.node("Shape", {x}, {a + "_shape"}, a + "_shape");
          w.node("ConstantOfShape", {a + "_shape"}, {y}, a, {attr_tensor("value", tensor("", {1}, {0.f}))});
          break;
        case OpKind::SqueezeExcite: {
          const std::int64_t c = op.in_channels, sq = op.hidden;
          const double b1 = 1.0 / std::sqrt(static_cast<double>(c)), b2 = 1.0 / std::sqrt(static_cast<double>(sq));
          const std::string w1 = param(a + ".fc1.weight", {sq, c, 1, 1}, b1, 0.f, true);
          const std::string c1 = param(a + ".fc1.bias", {sq}, b1, 0.f, true);
          const std::string w2 = param(a + ".fc2.weight", {c, sq, 1, 1}, b2, 0.f, true);
          const std::string c2 = param(a + ".fc2.bias", {c}, b2, 0.f, true);
          w.node("GlobalAveragePool", {x}, {a + "_pool"}, a + "_pool");
          w.node("Conv", {a + "_pool", w1, c1}, {a + "_fc1"}, a + "_fc1", {attr_ints("kernel_shape", {1, 1})});
          w.node("Relu", {a + "_fc1"}, {a + "_relu"}, a + "_relu");
          w.node("Conv", {a + "_relu", w2, c2}, {a + "_fc2"}, a + "_fc2", {attr_ints("kernel_shape", {1, 1})});
          w.node("HardSigmoid", {a + "_fc2"}, {a + "_gate"}, a + "_gate",
                 {attr_float("alpha", 1.0f / 6.0f), attr_float("beta", 0.5f)});
          w.node("Mul", {x, a + "_gate"}, {y}, a);
          infos.push_back(value_info(a + "_pool", {c, 1, 1}));
          infos.push_back(value_info(a + "_fc1", {sq, 1, 1}));
          infos.push_back(value_info(a + "_relu", {sq, 1, 1}));
          infos.push_back(value_info(a + "_fc2", {c, 1, 1}));
          infos.push_back(value_info(a + "_gate", {c, 1, 1}));
          break;
        }
        case OpKind::Add:
        case OpKind::Concat: HWNAS_CHECK(false, "Add and Concat are not edges");
      }
      outs.push_back(y);
    }
    HWNAS_CHECK(!outs.empty(), "node without inputs: " + g.node(n).name);
    if (outs.size() > 1) {
      if (g.node(n).concat) w.node("Concat", outs, {names[n]}, names[n] + "_concat", {attr_int("axis", 1)});
      else w.node("Sum", outs, {names[n]}, names[n] + "_sum");
    }
    if (n != g.output()) infos.push_back(value_info(names[n], dims(g.node(n).shape)));
  }
  if (weights && weights_used != weights->size()) {
    // Name the first key that matched nothing: the most likely typo.
    for (const auto& [k, v] : *weights) {
      bool found = false;
      for (EdgeId e : g.edges_in_order()) {
        const std::string a = module_attribute_name(G[e].name);
        for (const char* suffix : {".weight", ".bias", ".running_mean", ".running_var", ".fc1.weight", ".fc1.bias",
                                   ".fc2.weight", ".fc2.bias"})
          if (k == a + suffix) found = true;
      }
      if (!found) throw UserError("weights: unknown parameter '" + k + "'");
    }
  }
  if (need_axes) w.initializer(int64_tensor("hwnas_axes_2_3", {2, 3}));
  if (need_clip) {
    w.initializer(tensor("hwnas_zero", {}, {0.f}));
    w.initializer(tensor("hwnas_six", {}, {6.f}));
  }
  const TensorShape out = g.node(g.output()).shape;
  const bool flatten = out.h == 1 && out.w == 1;
  if (flatten) w.node("Flatten", {names[g.output()]}, {"output"}, "output_flatten", {attr_int("axis", 1)});
  else w.node("Identity", {names[g.output()]}, {"output"}, "output_identity");
  infos.push_back(value_info(names[g.output()], dims(out)));

  Pb& graph = w.graph;
  graph.bytes(2, "hwnas");
  if (!doc.empty()) graph.bytes(10, doc);
  graph.msg(11, value_info("input", dims(g.node(g.input()).shape)));
  graph.msg(12, flatten ? value_info("output", {out.c}) : value_info("output", dims(out)));
  for (const auto& vi : infos) graph.msg(13, vi);

  Pb opset;
  opset.bytes(1, "").varint(2, 13);
  Pb model;
  model.varint(1, 7).bytes(2, "hwnas").bytes(3, "0.1.0").msg(7, graph).msg(8, opset);
  if (!doc.empty()) model.bytes(6, doc);
  return model.str();
}

}  // namespace hwnas
