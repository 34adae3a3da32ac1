#include "support/cli.h"
#include "support/paths.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>
#ifdef HWNAS_WITH_TORCH
#include <torch/cuda.h>
#endif

namespace hwnas::test {

static std::string slurp_fd(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
  return s;
}

// In a forked child: stdout and stderr to the files, stdin from /dev/null, then exec.
[[noreturn]] static void exec_child(const std::string& program, const std::vector<std::string>& args,
                                    const std::string& out_path, const std::string& err_path) {
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int in = ::open("/dev/null", O_RDONLY);
  ::dup2(out, 1);
  ::dup2(err, 2);
  ::dup2(in, 0);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(program.c_str(), argv.data());
  ::_exit(127);
}

CliResult run_program(const std::string& program, const std::vector<std::string>& args) {
  const std::string dir = scratch_dir() + "/.io";
  std::filesystem::create_directories(dir);
  const std::string out_path = dir + "/out", err_path = dir + "/err";
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) exec_child(program, args, out_path, err_path);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(out_path);
  r.err = read_text(err_path);
  return r;
}

CliResult run_hwnas(const std::vector<std::string>& args) { return run_program(HWNAS_BINARY, args); }

std::vector<CliResult> run_hwnas_together(const std::vector<std::vector<std::string>>& runs) {
  const std::string program = HWNAS_BINARY;
  int gate[2];
  if (::pipe(gate) != 0) throw std::runtime_error("pipe failed");
  std::vector<pid_t> pids;
  std::vector<std::string> outs, errs;
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const std::string dir = scratch_dir() + "/.io" + std::to_string(k);
    std::filesystem::create_directories(dir);
    outs.push_back(dir + "/out");
    errs.push_back(dir + "/err");
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::close(gate[1]);
      char c;
      while (::read(gate[0], &c, 1) > 0) {
      }  // returns 0 when the parent closes its end: all start together
      exec_child(program, runs[k], outs[k], errs[k]);
    }
    pids.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);  // go
  std::vector<CliResult> results(runs.size());
  for (std::size_t k = 0; k < pids.size(); ++k) {
    int status = 0;
    ::waitpid(pids[k], &status, 0);
    results[k].exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    results[k].out = read_text(outs[k]);
    results[k].err = read_text(errs[k]);
  }
  return results;
}

std::string scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "global";
  for (char& c : name)
    if (c == '/') c = '_';
  const std::string dir = std::string(HWNAS_TEST_TMP) + "/" + name;
  static std::string last;
  if (last != dir) {  // fresh once per test
    std::filesystem::remove_all(dir);
    last = dir;
  }
  std::filesystem::create_directories(dir);
  return dir;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

bool torch_has_cuda() {
#ifdef HWNAS_WITH_TORCH
  return torch::cuda::is_available();
#else
  return false;
#endif
}

}  // namespace hwnas::test
