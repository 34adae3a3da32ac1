#include "hwnas/nas/spaces/mbv.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/nas/spaces/graph_space.h"

namespace hwnas {

void MbvOptions::check(const std::string& path) const {
  auto per_stage = [&](const std::vector<int>& v, const char* field) {
    if (static_cast<int>(v.size()) != MbvSpace::kStages)
      throw UserError(path + "." + field + ": expected " + std::to_string(MbvSpace::kStages) + " values, got " +
                      std::to_string(v.size()));
  };
  per_stage(widths, "widths");
  per_stage(strides, "strides");
  for (std::size_t i = 0; i < kernels.size(); ++i)
    if (kernels[i] % 2 == 0)
      throw UserError(path + ".kernels[" + std::to_string(i) + "]: expected an odd kernel size, got " + std::to_string(kernels[i]));
  int reduction = 2 * 2;  // stem
  for (int s : strides) reduction *= s;
  for (int r : resolutions)
    if (r < reduction)
      throw UserError(path + ".resolutions: resolution " + std::to_string(r) + " is smaller than the network's total stride " +
                      std::to_string(reduction));
}

void MbvOptions::validate(const std::string& path) const { validate_options(*this, path); }
nlohmann::json MbvOptions::to_json() const { return write_options(*this); }
MbvOptions MbvOptions::from_json(const nlohmann::json& j, const std::string& path) { return read_options<MbvOptions>(j, path); }

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
LayerList MbvSpace::layers(const Architecture& a, const DecodeOptions& opts) const { return graph_->layers(a, opts); }
CostTotals MbvSpace::count(const Architecture& a, const DecodeOptions& opts) const { return graph_->count(a, opts); }

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
