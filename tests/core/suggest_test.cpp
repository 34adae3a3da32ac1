#include "hwnas/core/suggest.h"

#include <gtest/gtest.h>

using namespace hwnas;

TEST(Suggest, ClosestNameWithinATypo) {
  const std::vector<std::string> devices{"a100-sxm", "h100-sxm", "rtx-4090", "raspberry-pi-4"};
  EXPECT_EQ(closest_name("rtx4090", devices), "rtx-4090");       // one deletion
  EXPECT_EQ(closest_name("raspbery-pi-4", devices), "raspberry-pi-4");
  EXPECT_EQ(closest_name("h100-sxn", devices), "h100-sxm");      // one substitution; a100-sxm is 2 away
  EXPECT_EQ(closest_name("tpu-v9", devices), "");                // nothing close: no guess
  EXPECT_EQ(closest_name("nb210", {"mbv", "nb201"}), "nb201");   // a swap: 2 edits, within (5+1)/3
  EXPECT_EQ(closest_name("abc", {"mbv", "nb201"}), "");          // 3 letters allow 1 edit
  EXPECT_EQ(did_you_mean("rtx4090", devices), "; did you mean 'rtx-4090'?");
  EXPECT_EQ(did_you_mean("tpu-v9", devices), "");
}
