// The README's first session, run exactly as printed: every line of every ```sh block of
// README.md (but the setup and test scripts, which are what built this binary) runs through
// /bin/sh, in order, from a scratch folder that holds build/hwnas (a link to the built binary)
// and copies of configs/ and docs/, and must exit 0.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "support/cli.h"
#include "support/paths.h"

namespace fs = std::filesystem;

namespace {

// The commands of the ```sh blocks, one per line, a line split at " && ".
std::vector<std::string> readme_commands(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  bool in_sh = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("```", 0) == 0) {
      in_sh = !in_sh && line == "```sh";
      continue;
    }
    if (!in_sh || line.empty()) continue;
    for (std::size_t pos = 0; pos <= line.size();) {
      const std::size_t amp = std::min(line.find(" && ", pos), line.size());
      const std::string cmd = line.substr(pos, amp - pos);
      pos = amp + 4;
      if (cmd.rfind("./scripts/", 0) != 0) out.push_back(cmd);
    }
  }
  return out;
}

}  // namespace

TEST(Docs, ReadmeCommandsRunAsPrinted) {
  const std::string src = HWNAS_SOURCE_DIR;
  const std::vector<std::string> cmds = readme_commands(hwnas::test::read_text(src + "/README.md"));
  ASSERT_GE(cmds.size(), 5u) << "the README's ```sh blocks lost their commands";
  const std::string dir = hwnas::test::scratch_dir();
  fs::create_directories(dir + "/build");
  fs::create_symlink(HWNAS_BINARY, dir + "/build/hwnas");
  fs::copy(src + "/configs", dir + "/configs", fs::copy_options::recursive);
  fs::copy(src + "/docs", dir + "/docs", fs::copy_options::recursive);
  for (const auto& cmd : cmds) {
    const auto r = hwnas::test::run_program("/bin/sh", {"-c", "cd '" + dir + "' && " + cmd});
    ASSERT_EQ(r.exit_code, 0) << cmd << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err;
  }
  EXPECT_TRUE(fs::exists(dir + "/runs/quickstart/pareto.json"));
  EXPECT_TRUE(fs::exists(dir + "/runs/quickstart-seed1/report.html"));
}
