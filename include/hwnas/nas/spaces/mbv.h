#pragma once
// MobileNetV2 / Once-for-All style macro space: stem conv3x3 stride 2, a fixed depthwise-separable
// first block, 5 searchable stages of inverted-residual blocks (per stage a depth; per block a
// kernel size and an expansion ratio), a 1x1 head conv, global pooling and a linear classifier.
// Input resolution and width multiplier are decisions too. Blocks beyond a stage's depth are
// unused; canonicalize() resets their decisions so equal networks share a hash.
//
// The space is its options written as a space description (mbv_description(), the format of
// configs/spaces/mbv.json) and run by GraphSpace: decisions, string, parser, canonical form and
// network are the description's. This class keeps the name "mbv" and its options.
//
// Architecture string: "r224|w1|k3e4,k5e6|k3e3,k3e3|k7e6,k5e4,k3e3|k3e3,k3e3|k5e6,k5e6,k5e6,k5e6"
// (resolution, width multiplier, then the blocks of each stage as k<kernel>e<expansion>).
//
// Example:
//   MbvSpace space(MbvOptions{});
//   ArchGraph g = space.decode(space.parse("r160|w1|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3"));
#include <memory>

#include "hwnas/core/options.h"
#include "hwnas/nas/search_space.h"

namespace hwnas {

struct MbvOptions {
  std::vector<int> resolutions{128, 160, 192, 224};
  std::vector<double> width_mults{0.75, 1.0, 1.25};
  std::vector<int> widths{24, 40, 80, 112, 160};  // output channels of the 5 stages (before width_mult)
  std::vector<int> strides{2, 2, 2, 1, 2};
  std::vector<int> depths{2, 3, 4};
  std::vector<int> kernels{3, 5, 7};
  std::vector<int> expansions{3, 4, 6};
  int stem_width = 32;
  int first_block_width = 16;
  int head_width = 1280;
  int input_channels = 3;
  int num_classes = 1000;

  template <class S, class V>
  static void fields(S& o, V& v) {
    v("resolutions", o.resolutions, opt::non_empty(), opt::in(8, 2048), opt::distinct());
    v("width_mults", o.width_mults, opt::non_empty(), opt::above(0, 8));
    v("widths", o.widths, opt::in(1, 16384));  // one per stage (check)
    v("strides", o.strides, opt::in(1, 2));    // one per stage (check)
    v("depths", o.depths, opt::non_empty(), opt::in(1, 16), opt::distinct());
    v("kernels", o.kernels, opt::non_empty(), opt::in(1, 15), opt::distinct());  // odd (check)
    v("expansions", o.expansions, opt::non_empty(), opt::in(1, 16), opt::distinct());
    v("stem_width", o.stem_width, opt::in(1, 16384));
    v("first_block_width", o.first_block_width, opt::in(1, 16384));
    v("head_width", o.head_width, opt::in(1, 65536));
    v("input_channels", o.input_channels, opt::in(1, 64));
    v("num_classes", o.num_classes, opt::in(1, 100000));
  }
  void check(const std::string& path) const;  // rules across fields
  void validate(const std::string& path = "space.options") const;
  nlohmann::json to_json() const;
  static MbvOptions from_json(const nlohmann::json& j, const std::string& path);
};


/// The options as a space description (docs/spaces.md, section 5): configs/spaces/mbv.json for
/// the default options.
nlohmann::json mbv_description(const MbvOptions& o);

class MbvSpace : public SearchSpace {
 public:
  explicit MbvSpace(MbvOptions opts);

  std::string name() const override { return "mbv"; }
  const std::vector<Decision>& decisions() const override;
  nlohmann::json options() const override { return opts_.to_json(); }
  std::string to_string(const Architecture& a) const override;
  Architecture parse(std::string_view text) const override;
  ArchGraph decode(const Architecture& a, const DecodeOptions& opts = {}) const override;
  /// The block space's fast paths (GraphSpace::layers): no graph is built.
  LayerList layers(const Architecture& a, const DecodeOptions& opts = {}) const override;
  CostTotals count(const Architecture& a, const DecodeOptions& opts = {}) const override;
  Architecture canonicalize(const Architecture& a) const override;
  /// Always true: every block is a convolution chain (with a residual sum), there is no zero op,
  /// so every network's output depends on its input (tested against the decoded graph).
  bool output_depends_on_input(const Architecture&) const override { return true; }
  const MbvOptions& opts() const { return opts_; }

  static constexpr int kStages = 5;
  int max_depth() const;
  /// Index of a decision in the vector.
  int depth_index(int stage) const;
  int kernel_index(int stage, int block) const { return depth_index(stage) + 1 + 2 * block; }
  int expand_index(int stage, int block) const { return depth_index(stage) + 2 + 2 * block; }

 private:
  MbvOptions opts_;
  std::shared_ptr<const SearchSpace> graph_;  // GraphSpace of mbv_description(opts_)
};

}  // namespace hwnas
