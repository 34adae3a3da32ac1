#include "hwnas/core/atomic_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "hwnas/core/error.h"
#include "support/cli.h"

using namespace hwnas;

TEST(AtomicFile, ReplacesContentAndLeavesNoTemporaryFiles) {
  const std::string dir = test::scratch_dir();
  write_file_atomic(dir + "/f.txt", "one");
  write_file_atomic(dir + "/f.txt", "two");
  EXPECT_EQ(test::read_text(dir + "/f.txt"), "two");
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file()) ++files;
  EXPECT_EQ(files, 1);
}

TEST(AtomicFile, MissingFolderIsAUserErrorAndTouchesNothing) {
  const std::string dir = test::scratch_dir();
  try {
    write_file_atomic(dir + "/no/such/f.txt", "x");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()), dir + "/no/such/f.txt: cannot write: No such file or directory");
  }
}
