// Regression tests for what a fuzzer and hand-made malformed inputs did to the hwnas program
// (issue #14): every one must end with exit code 2 and a message naming the input, never a crash
// (exit 128+signal) or an "internal error" (exit 1).
#include <gtest/gtest.h>

#include <string>

#include "support/cli.h"

using hwnas::test::run_hwnas;
using hwnas::test::scratch_dir;
using hwnas::test::write_text;

namespace {

const char* kArch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|";

std::string nested(std::size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); }

}  // namespace

TEST(CliMalformedInput, DeeplyNestedJsonIsAnErrorInEveryCommand) {
  const std::string dir = scratch_dir();
  // About 100,000 levels: 200 KB. This crashed search, evaluate --device FILE and scaling fit.
  write_text(dir + "/deep.json", "{\"space\": " + nested(100000) + "}");
  auto r = run_hwnas({"search", dir + "/deep.json"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(dir + "/deep.json: space[0][0]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("JSON nested deeper than 256 levels"), std::string::npos) << r.err;

  r = run_hwnas({"evaluate", "--arch", kArch, "--device", dir + "/deep.json"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("deep.json: space[0][0]"), std::string::npos) << r.err;

  write_text(dir + "/deep.jsonl", "{\"a\": 1, \"b\": 2}\n{\"a\": " + nested(100000) + "}\n");
  r = run_hwnas({"scaling", "fit", dir + "/deep.jsonl", "--y", "a", "--x", "b"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(dir + "/deep.jsonl:2: a[0][0]"), std::string::npos) << r.err;

  // A 130 KB --space-options argument.
  r = run_hwnas({"evaluate", "--arch", kArch, "--space-options", "{\"channels\": " + nested(65000) + "}"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--space-options: channels[0][0]"), std::string::npos) << r.err;
}

TEST(CliMalformedInput, OverflowingNumbersNameTheFileAndPosition) {
  const std::string dir = scratch_dir();
  write_text(dir + "/c.json", "{\n  \"seed\": 1e309\n}\n");
  auto r = run_hwnas({"search", dir + "/c.json"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "error: " + dir + "/c.json:2:11: number out of range: 1e309\n");
  write_text(dir + "/u.json",
             R"({"space": {"name": "nb201"}, "objectives": [{"name": "p", "source": "params"}], "seed": 18446744073709551615})");
  r = run_hwnas({"search", dir + "/u.json"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("u.json: seed: expected an integer in 64-bit range, got integer 18446744073709551615"),
            std::string::npos)
      << r.err;
}

TEST(CliMalformedInput, DuplicateKeysAreErrorsInConfigsProfilesAndOptions) {
  const std::string dir = scratch_dir();
  write_text(dir + "/c.json",
             R"({"space": {"name": "nb201"}, "objectives": [{"name": "p", "source": "params"}], "seed": 0, "seed": 3})");
  auto r = run_hwnas({"search", dir + "/c.json"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "error: " + dir + "/c.json: seed: duplicate key \"seed\"\n");
  r = run_hwnas({"evaluate", "--arch", kArch, "--space-options", R"({"channels": 8, "channels": 16})"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "error: --space-options: channels: duplicate key \"channels\"\n");
  write_text(dir + "/p.json", R"({"name": "x", "name": "y"})");
  r = run_hwnas({"evaluate", "--arch", kArch, "--device", dir + "/p.json"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "error: --device: " + dir + "/p.json: name: duplicate key \"name\"\n");
}

TEST(CliMalformedInput, DevicesAndFoldersAreNotReadAsInput) {
  // A config naming /dev/zero would hang a reader; a folder is no file.
  auto r = run_hwnas({"search", "/dev/zero"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "error: /dev/zero: not a regular file (a device, pipe or socket cannot be read as input)\n");
  const std::string dir = scratch_dir();
  r = run_hwnas({"scaling", "fit", dir, "--y", "a", "--x", "b"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "error: " + dir + ": is a folder, expected a file\n");
}
