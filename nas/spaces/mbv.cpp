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
  graph_ = std::make_shared<GraphSpace>(mbv_description(opts_), "space.options (as a space description): ", "mbv");
}

int MbvSpace::max_depth() const { return *std::max_element(opts_.depths.begin(), opts_.depths.end()); }
int MbvSpace::depth_index(int stage) const { return 2 + stage * (1 + 2 * max_depth()); }

// The description's decisions are mbv's (resolution, width_mult, then per stage the depth and per
// block the kernel and expansion; tests/nas/graph_space_test.cpp), so everything but the name and
// the options is the description's.
const std::vector<Decision>& MbvSpace::decisions() const { return graph_->decisions(); }
std::string MbvSpace::to_string(const Architecture& a) const { return graph_->to_string(a); }
Architecture MbvSpace::parse(std::string_view text) const { return graph_->parse(text); }
Architecture MbvSpace::canonicalize(const Architecture& a) const { return graph_->canonicalize(a); }

ArchGraph MbvSpace::decode(const Architecture& a, const DecodeOptions& opts) const { return graph_->decode(a, opts); }

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
