#include "hwnas/nas/spaces/mbv.h"

#include <gtest/gtest.h>

#include "support/errors.h"

#include "hwnas/core/error.h"

using namespace hwnas;
using hwnas::test::error_of;

namespace {
const char* kSmall = "r128|w1|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3";
}  // namespace

TEST(Mbv, MakeDivisibleFollowsMobileNetV2) {
  EXPECT_EQ(make_divisible(32 * 0.75), 24);
  EXPECT_EQ(make_divisible(16 * 0.75), 16);
  EXPECT_EQ(make_divisible(40 * 1.25), 48);  // 50 rounds to 48, which is above 90% of 50
  EXPECT_EQ(make_divisible(12 * 0.75), 16);  // 9 rounds to 8, below 90% of 9: one step up
  EXPECT_EQ(make_divisible(1280 * 1.25), 1600);
  EXPECT_EQ(make_divisible(3), 8);
}

TEST(Mbv, DecisionsAndSize) {
  MbvSpace s(MbvOptions{});
  EXPECT_EQ(s.decisions().size(), 2u + 5 * (1 + 2 * 4));
  // Decision vectors: 4 resolutions x 3 width multipliers x (3 depths x 9^4 block choices)^5.
  EXPECT_DOUBLE_EQ(s.size(), 4.0 * 3 * std::pow(3.0 * 6561, 5));
  EXPECT_THROW(s.enumerate([](const Architecture&) {}), UserError);
}

TEST(Mbv, StringRoundTripAndCanonicalForm) {
  MbvSpace s(MbvOptions{});
  Rng rng(7);
  for (int i = 0; i < 500; ++i) {
    const Architecture a = s.sample(rng);
    const Architecture back = s.parse(s.to_string(a));
    // Unused decisions (blocks beyond the depth) are not in the string: parse gives the canonical form.
    EXPECT_EQ(back, s.canonicalize(a));
    EXPECT_EQ(s.canonical_hash(back), s.canonical_hash(a));
    EXPECT_EQ(s.to_string(back), s.to_string(a));
  }
}

TEST(Mbv, UnusedDecisionsDoNotChangeTheNetwork) {
  MbvSpace s(MbvOptions{});
  Architecture a = s.parse(kSmall);
  Architecture b = a;
  b.choices[s.kernel_index(0, 3)] = 2;  // block 3 of stage 0 is unused at depth 2
  EXPECT_NE(a, b);
  EXPECT_EQ(s.canonical_hash(a), s.canonical_hash(b));
  EXPECT_EQ(s.count(a), s.count(b));
  b.choices[s.kernel_index(0, 1)] = 2;  // block 1 is used
  EXPECT_NE(s.canonical_hash(a), s.canonical_hash(b));
  EXPECT_GT(s.count(b).params, s.count(a).params);
}

TEST(Mbv, HandCountedSmallNetwork) {
  MbvOptions o;
  o.resolutions = {32};
  o.width_mults = {1.0};
  o.widths = {8, 8, 16, 16, 24};
  o.strides = {1, 2, 1, 1, 2};
  o.depths = {1};
  o.kernels = {3};
  o.expansions = {2};
  o.stem_width = 8;
  o.first_block_width = 8;
  o.head_width = 32;
  o.num_classes = 10;
  MbvSpace s(o);
  const Architecture a = s.parse("r32|w1|k3e2|k3e2|k3e2|k3e2|k3e2");
  const CostTotals t = s.count(a);
  // Stem 3->8 k3 s2 (16x16): 216 params + BN 16; first block dw 8 k3: 72 + 16, pw 8->8: 64 + 16.
  // Blocks (in->hidden->out, dw k3): 8->16->8 s1 (skip): 128+32 + 144+32 + 128+16;
  // 8->16->8 s2: same params; 8->16->16 s1: 128+32 + 144+32 + 256+32; 16->32->16 s1 (skip):
  // 512+64 + 288+64 + 512+32; 16->32->24 s2: 512+64 + 288+64 + 768+48.
  // Head 24->32: 768 + 64; classifier 32*10 + 10.
  const std::int64_t params = (216 + 16) + (72 + 16) + (64 + 16) + 2 * (128 + 32 + 144 + 32 + 128 + 16) +
                              (128 + 32 + 144 + 32 + 256 + 32) + (512 + 64 + 288 + 64 + 512 + 32) +
                              (512 + 64 + 288 + 64 + 768 + 48) + (768 + 64) + 330;
  EXPECT_EQ(t.params, params);
  // MACs: stem 216*256; first dw 72*256, pw 64*256; block1 (16x16): 128*256 + 144*256 + 128*256;
  // block2: expand 128*256, dw s2 144*64, project 128*64; block3 (8x8): (128+144+256)*64;
  // block4: (512+288+512)*64; block5: expand 512*64, dw s2 288*16, project 768*16; head 768*16; fc 320.
  const std::int64_t macs = 216 * 256 + 72 * 256 + 64 * 256 + (128 + 144 + 128) * 256 + 128 * 256 + 144 * 64 +
                            128 * 64 + (128 + 144 + 256) * 64 + (512 + 288 + 512) * 64 + 512 * 64 + 288 * 16 +
                            768 * 16 + 768 * 16 + 320;
  EXPECT_EQ(t.macs, macs);
  ArchGraph g = s.decode(a);
  g.validate();
  EXPECT_EQ(g.node(g.output()).shape, (TensorShape{10, 1, 1}));
}

TEST(Mbv, ParseErrorsNamePositionAndChoices) {
  MbvSpace s(MbvOptions{});
  EXPECT_EQ(error_of([&] { s.parse("r100|w1|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3"); }),
            "mbv architecture string, position 1 ('r100'): resolution 100 is not a choice (valid: 128, 160, 192, 224)");
  EXPECT_EQ(error_of([&] { s.parse("r128|w2|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3"); }),
            "mbv architecture string, position 6 ('w2'): width multiplier 2 is not a choice (valid: 0.75, 1, 1.25)");
  EXPECT_EQ(error_of([&] { s.parse("r128|w1|k3e3,k4e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3"); }),
            "mbv architecture string, position 14 ('k4e3'): kernel size 4 is not a choice (valid: 3, 5, 7)");
  EXPECT_EQ(error_of([&] { s.parse("r128|w1|k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3"); }),
            "mbv architecture string, position 9 ('k3e3'): stage 0 has 1 blocks; the depth must be one of 2, 3, 4");
  EXPECT_EQ(error_of([&] { s.parse("r128|w1|k3e3,k3e3"); }),
            "mbv architecture string, position 1: expected 7 fields separated by '|' (resolution, width multiplier, 5 "
            "stages), got 3");
  EXPECT_EQ(error_of([&] { s.parse("r128|w1|k3e3,x|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3"); }),
            "mbv architecture string, position 14 ('x'): expected 'k' and the kernel size, e.g. 'k3'");
  // Found by fuzz_arch_mbv: non-digits after the prefix overflowed the integer (UBSan) before the
  // error; the first field of the fuzzer's input, "r02expansions24".
  EXPECT_EQ(error_of([&] { s.parse("r02expans|w1|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3"); }),
            "mbv architecture string, position 1 ('r02expans'): resolution 2 is not a choice (valid: 128, 160, 192, 224)");
  EXPECT_EQ(error_of([&] { s.parse("r\xff\xff\xff\xff\xff\xff\xff\xff|w1|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3|k3e3,k3e3"); })
                .rfind("mbv architecture string, position 2 (", 0),
            0u);
}

TEST(Mbv, OptionErrorsNameTheField) {
  EXPECT_EQ(error_of([] { MbvOptions::from_json({{"widths", {24, 40}}}, "space.options"); }),
            "space.options.widths: expected 5 values, got 2");
  EXPECT_EQ(error_of([] { MbvOptions::from_json({{"kernels", {3, 4}}}, "space.options"); }),
            "space.options.kernels[1]: expected an odd kernel size, got 4");
  EXPECT_EQ(error_of([] { MbvOptions::from_json({{"resolutions", {16}}}, "space.options"); }),
            "space.options.resolutions: resolution 16 is smaller than the network's total stride 64");
  EXPECT_EQ(error_of([] { MbvOptions::from_json({{"kernel", {3}}}, "space.options"); }).substr(0, 60),
            "space.options.kernel: unknown key; did you mean 'kernels'? (");
}

TEST(Mbv, EveryNetworksOutputDependsOnItsInputAsTheGraphSays) {
  // The override answers without decoding; the decoded graph must agree (500 random networks).
  MbvSpace space{MbvOptions{}};
  Rng rng(3);
  for (int i = 0; i < 500; ++i) {
    const Architecture a = space.sample(rng);
    ASSERT_TRUE(space.decode(a).output_depends_on_input()) << space.to_string(a);
    ASSERT_TRUE(space.output_depends_on_input(a));
  }
}
