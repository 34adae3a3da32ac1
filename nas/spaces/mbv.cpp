#include "hwnas/nas/spaces/mbv.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/nas/spaces/graph_space.h"

namespace hwnas {

static std::string format_number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

void MbvOptions::validate(const std::string& path) const {
  auto fail = [&](const std::string& field, const std::string& what) { throw UserError(path + "." + field + ": " + what); };
  auto ints_in = [&](const std::vector<int>& v, const std::string& field, int lo, int hi, std::size_t n) {
    if (n ? v.size() != n : v.empty())
      fail(field, n ? "expected " + std::to_string(n) + " values, got " + std::to_string(v.size()) : "expected at least one value");
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] < lo || v[i] > hi)
        throw UserError(path + "." + field + "[" + std::to_string(i) + "]: expected an integer in " + std::to_string(lo) +
                        ".." + std::to_string(hi) + ", got " + std::to_string(v[i]));
      if (!n && std::count(v.begin(), v.end(), v[i]) > 1)
        throw UserError(path + "." + field + "[" + std::to_string(i) + "]: value " + std::to_string(v[i]) + " is listed twice");
    }
  };
  ints_in(resolutions, "resolutions", 8, 2048, 0);
  ints_in(widths, "widths", 1, 16384, MbvSpace::kStages);
  ints_in(strides, "strides", 1, 2, MbvSpace::kStages);
  ints_in(depths, "depths", 1, 16, 0);
  ints_in(kernels, "kernels", 1, 15, 0);
  for (std::size_t i = 0; i < kernels.size(); ++i)
    if (kernels[i] % 2 == 0)
      throw UserError(path + ".kernels[" + std::to_string(i) + "]: expected an odd kernel size, got " + std::to_string(kernels[i]));
  ints_in(expansions, "expansions", 1, 16, 0);
  if (width_mults.empty()) fail("width_mults", "expected at least one value");
  for (std::size_t i = 0; i < width_mults.size(); ++i)
    if (!(width_mults[i] > 0.0 && width_mults[i] <= 8.0))
      throw UserError(path + ".width_mults[" + std::to_string(i) + "]: expected a number in (0, 8], got " +
                      format_number(width_mults[i]));
  if (stem_width < 1 || stem_width > 16384) fail("stem_width", "expected an integer in 1..16384");
  if (first_block_width < 1 || first_block_width > 16384) fail("first_block_width", "expected an integer in 1..16384");
  if (head_width < 1 || head_width > 65536) fail("head_width", "expected an integer in 1..65536");
  if (input_channels < 1 || input_channels > 64) fail("input_channels", "expected an integer in 1..64");
  if (num_classes < 1 || num_classes > 100000) fail("num_classes", "expected an integer in 1..100000");
  int reduction = 2 * 2;  // stem
  for (int s : strides) reduction *= s;
  for (int r : resolutions)
    if (r < reduction)
      throw UserError(path + ".resolutions: resolution " + std::to_string(r) + " is smaller than the network's total stride " +
                      std::to_string(reduction));
}

nlohmann::json MbvOptions::to_json() const {
  return {{"resolutions", resolutions}, {"width_mults", width_mults}, {"widths", widths},
          {"strides", strides},         {"depths", depths},           {"kernels", kernels},
          {"expansions", expansions},   {"stem_width", stem_width},   {"first_block_width", first_block_width},
          {"head_width", head_width},   {"input_channels", input_channels}, {"num_classes", num_classes}};
}

MbvOptions MbvOptions::from_json(const nlohmann::json& j, const std::string& path) {
  MbvOptions o;
  JsonReader r(j, path);
  o.resolutions = r.get("resolutions", o.resolutions);
  o.width_mults = r.get("width_mults", o.width_mults);
  o.widths = r.get("widths", o.widths);
  o.strides = r.get("strides", o.strides);
  o.depths = r.get("depths", o.depths);
  o.kernels = r.get("kernels", o.kernels);
  o.expansions = r.get("expansions", o.expansions);
  o.stem_width = r.get("stem_width", o.stem_width);
  o.first_block_width = r.get("first_block_width", o.first_block_width);
  o.head_width = r.get("head_width", o.head_width);
  o.input_channels = r.get("input_channels", o.input_channels);
  o.num_classes = r.get("num_classes", o.num_classes);
  r.finish();
  o.validate(path);
  return o;
}

MbvSpace::MbvSpace(MbvOptions opts) : opts_(std::move(opts)) {
  opts_.validate();
  graph_ = std::make_shared<GraphSpace>(mbv_description(opts_), "space.options (as a space description): ");
  auto labels = [](const auto& v, const char* prefix) {
    std::vector<std::string> out;
    for (auto x : v) out.push_back(prefix + format_number(x));
    return out;
  };
  decisions_.push_back({"resolution", labels(opts_.resolutions, "r")});
  decisions_.push_back({"width_mult", labels(opts_.width_mults, "w")});
  for (int s = 0; s < kStages; ++s) {
    const std::string p = "stage" + std::to_string(s);
    decisions_.push_back({p + ".depth", labels(opts_.depths, "d")});
    for (int b = 0; b < max_depth(); ++b) {
      decisions_.push_back({p + ".block" + std::to_string(b) + ".kernel", labels(opts_.kernels, "k")});
      decisions_.push_back({p + ".block" + std::to_string(b) + ".expand", labels(opts_.expansions, "e")});
    }
  }
}

int MbvSpace::max_depth() const { return *std::max_element(opts_.depths.begin(), opts_.depths.end()); }
int MbvSpace::depth_index(int stage) const { return 2 + stage * (1 + 2 * max_depth()); }

std::string MbvSpace::to_string(const Architecture& a) const {
  validate(a);
  std::string s = "r" + std::to_string(opts_.resolutions[a.choices[0]]) + "|w" + format_number(opts_.width_mults[a.choices[1]]);
  for (int st = 0; st < kStages; ++st) {
    s += "|";
    const int depth = opts_.depths[a.choices[depth_index(st)]];
    for (int b = 0; b < depth; ++b) {
      if (b) s += ",";
      s += "k" + std::to_string(opts_.kernels[a.choices[kernel_index(st, b)]]) + "e" +
           std::to_string(opts_.expansions[a.choices[expand_index(st, b)]]);
    }
  }
  return s;
}

Architecture MbvSpace::parse(std::string_view text) const {
  auto fail = [&](std::size_t pos, std::string_view token, const std::string& what) -> void {
    throw UserError("mbv architecture string, position " + std::to_string(pos + 1) +
                    (token.empty() ? "" : " ('" + std::string(token) + "')") + ": " + what);
  };
  // Split on '|' keeping each field's start position.
  std::vector<std::pair<std::size_t, std::string_view>> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t bar = text.find('|', start);
    fields.emplace_back(start, text.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start));
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  if (fields.size() != 2 + kStages)
    fail(0, "", "expected " + std::to_string(2 + kStages) + " fields separated by '|' (resolution, width multiplier, " +
                    std::to_string(kStages) + " stages), got " + std::to_string(fields.size()));
  auto join_ints = [](const std::vector<int>& v) {
    std::string s;
    for (int x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
    return s;
  };
  // An integer after a one-letter prefix, which must be one of `allowed`.
  auto choice_of = [&](std::size_t pos, std::string_view tok, std::string_view body, const std::vector<int>& allowed,
                       const char* what) {
    int v = 0;
    bool ok = !body.empty() && body.size() < 9;
    for (char c : body) {  // at most 8 digits: no overflow; a non-digit stops the sum (the fuzzer found it did not)
      ok = ok && c >= '0' && c <= '9';
      if (ok) v = v * 10 + (c - '0');
    }
    if (!ok) fail(pos, tok, std::string("expected an integer ") + what);
    auto it = std::find(allowed.begin(), allowed.end(), v);
    if (it == allowed.end()) fail(pos, tok, std::string(what) + " " + std::to_string(v) + " is not a choice (valid: " + join_ints(allowed) + ")");
    return static_cast<int>(it - allowed.begin());
  };
  Architecture a;
  a.choices.assign(decisions_.size(), 0);
  {
    auto [pos, f] = fields[0];
    if (f.empty() || f[0] != 'r') fail(pos, f, "expected the resolution as 'r<pixels>', e.g. 'r224'");
    a.choices[0] = choice_of(pos, f, f.substr(1), opts_.resolutions, "resolution");
  }
  {
    auto [pos, f] = fields[1];
    if (f.empty() || f[0] != 'w') fail(pos, f, "expected the width multiplier as 'w<number>', e.g. 'w1'");
    const std::string body(f.substr(1));
    char* end = nullptr;
    const double w = std::strtod(body.c_str(), &end);
    if (body.empty() || end != body.c_str() + body.size()) fail(pos, f, "expected a number after 'w'");
    int found = -1;
    for (std::size_t i = 0; i < opts_.width_mults.size(); ++i)
      if (std::fabs(opts_.width_mults[i] - w) < 1e-9) found = static_cast<int>(i);
    if (found < 0) {
      std::string valid;
      for (double x : opts_.width_mults) valid += (valid.empty() ? "" : ", ") + format_number(x);
      fail(pos, f, "width multiplier " + body + " is not a choice (valid: " + valid + ")");
    }
    a.choices[1] = found;
  }
  for (int st = 0; st < kStages; ++st) {
    auto [pos, f] = fields[2 + st];
    std::vector<std::pair<std::size_t, std::string_view>> blocks;
    std::size_t s0 = 0;
    while (true) {
      const std::size_t comma = f.find(',', s0);
      blocks.emplace_back(pos + s0, f.substr(s0, comma == std::string_view::npos ? std::string_view::npos : comma - s0));
      if (comma == std::string_view::npos) break;
      s0 = comma + 1;
    }
    auto dit = std::find(opts_.depths.begin(), opts_.depths.end(), static_cast<int>(blocks.size()));
    if (dit == opts_.depths.end())
      fail(pos, f, "stage " + std::to_string(st + 1) + " has " + std::to_string(blocks.size()) +
                       " blocks; the depth must be one of " + join_ints(opts_.depths));
    a.choices[depth_index(st)] = static_cast<int>(dit - opts_.depths.begin());
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      auto [bpos, tok] = blocks[b];
      const std::size_t e = tok.find('e');
      if (tok.empty() || tok[0] != 'k' || e == std::string_view::npos)
        fail(bpos, tok, "expected a block as 'k<kernel>e<expansion>', e.g. 'k3e6'");
      a.choices[kernel_index(st, static_cast<int>(b))] = choice_of(bpos, tok, tok.substr(1, e - 1), opts_.kernels, "kernel size");
      a.choices[expand_index(st, static_cast<int>(b))] = choice_of(bpos, tok, tok.substr(e + 1), opts_.expansions, "expansion");
    }
  }
  return a;
}

Architecture MbvSpace::canonicalize(const Architecture& a) const {
  validate(a);
  Architecture c = a;
  for (int st = 0; st < kStages; ++st) {
    const int depth = opts_.depths[a.choices[depth_index(st)]];
    for (int b = depth; b < max_depth(); ++b) c.choices[kernel_index(st, b)] = c.choices[expand_index(st, b)] = 0;
  }
  return c;
}

ArchGraph MbvSpace::decode(const Architecture& a, const DecodeOptions& opts) const {
  validate(a);
  return graph_->decode(a, opts);  // the same decisions, in the same order (tested)
}

nlohmann::json mbv_description(const MbvOptions& o) {
  using nlohmann::json;
  auto conv = [](int kernel, int stride, int out) {
    json l{{"layer", "conv"}, {"kernel", kernel}};
    if (stride != 1) l["stride"] = stride;
    if (out) l["out"] = out;
    return l;
  };
  json d{{"format", "hwnas-space/1"},
         {"name", "mbv"},
         {"input", {{"channels", o.input_channels}, {"size", o.resolutions}}},
         {"num_classes", o.num_classes},
         {"width_mult", {{"values", o.width_mults}, {"divisor", 8}}}};
  json dw = conv(3, 1, 0);
  dw["depthwise"] = true;
  d["stem"] = json::array({conv(3, 2, o.stem_width), {{"layer", "bn"}}, {{"layer", "relu6"}}, dw, {{"layer", "bn"}},
                           {{"layer", "relu6"}}, conv(1, 1, o.first_block_width), {{"layer", "bn"}}});
  d["stages"] = json::array();
  for (int s = 0; s < MbvSpace::kStages; ++s)
    d["stages"].push_back({{"channels", o.widths[static_cast<std::size_t>(s)]},
                           {"stride", o.strides[static_cast<std::size_t>(s)]},
                           {"depth", o.depths},
                           {"block", {{"layer", "mbconv"}, {"kernel", o.kernels}, {"expand", o.expansions}}}});
  json head = conv(1, 1, o.head_width);
  head["scale"] = "up";
  d["head"] = json::array({head, {{"layer", "bn"}}, {{"layer", "relu6"}}, {{"layer", "global_avg_pool"}}, {{"layer", "linear"}}});
  return d;
}

}  // namespace hwnas
