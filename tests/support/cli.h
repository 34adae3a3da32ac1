#pragma once
// Test helpers: run the built hwnas binary and capture what it prints; scratch folders.
//
// Example:
//   CliResult r = run_hwnas({"evaluate", "--arch", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"});
//   EXPECT_EQ(r.exit_code, 0);
#include <string>
#include <vector>

namespace hwnas::test {

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

/// Runs HWNAS_BINARY with the arguments (no shell quoting issues: arguments are passed as-is).
CliResult run_hwnas(const std::vector<std::string>& args);
/// Runs any program with arguments, capturing stdout and stderr.
CliResult run_program(const std::string& program, const std::vector<std::string>& args);
/// Starts one hwnas process per argument list at the same moment (each waits on a shared pipe
/// until all are forked), and returns their results in order: for races between processes.
std::vector<CliResult> run_hwnas_together(const std::vector<std::vector<std::string>>& runs);
/// A fresh, empty scratch folder under HWNAS_TEST_TMP named after the current test.
std::string scratch_dir();
std::string read_text(const std::string& path);
/// How many times `what` occurs in `text` (overlapping occurrences counted).
std::size_t count_of(const std::string& text, const std::string& what);
void write_text(const std::string& path, const std::string& text);
/// Whether the LibTorch hwnas is built against has a CUDA device here (false without LibTorch):
/// tests of the CPU-only error skip where it is true.
bool torch_has_cuda();

}  // namespace hwnas::test
