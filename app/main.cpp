// hwnas: the command-line program. Thin: parse, call the library, print.
#include <algorithm>
#include <iostream>

#include "command.h"
#include "hwnas/core/error.h"
#include "mpi.h"

namespace hwnas::cli {
std::vector<CommandEntry>& command_registry() {
  static std::vector<CommandEntry> entries;
  return entries;
}
}  // namespace hwnas::cli

int main(int argc, char** argv) {
  hwnas::cli::MpiSession mpi(argc, argv);
  if (!mpi.should_run()) return 0;
  // Under mpirun every rank reads the same config: rank 0 alone reports what is wrong.
  const bool quiet_errors = hwnas::cli::mpi_world().rank > 0;
  CLI::App app{"hwnas: hardware-aware neural architecture search"};
  app.require_subcommand(1);
  auto& entries = hwnas::cli::command_registry();
  // Static registration order depends on link order; sort so --help is stable.
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const auto& entry : entries) entry.setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (quiet_errors) return e.get_exit_code() == 0 ? 0 : 2;
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const hwnas::UserError& e) {
    std::cout.flush();
    if (!quiet_errors) std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
