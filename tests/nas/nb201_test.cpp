#include <gtest/gtest.h>

#include "hwnas/nas/spaces/nb201.h"

using namespace hwnas;

TEST(Nb201, ReferenceCounts) {
  Nb201Space s(Nb201Options{});
  auto all_conv = s.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|");
  EXPECT_EQ(s.count(all_conv).params, 1531546);
  EXPECT_EQ(s.count(all_conv).macs, 220119680);
}
