// hwnas: the command-line program. Thin: parse, call the library, print.
#include <algorithm>
#include <iostream>

#include "command.h"
#include "hwnas/core/error.h"

namespace hwnas::cli {
std::vector<CommandEntry>& command_registry() {
  static std::vector<CommandEntry> entries;
  return entries;
}
}  // namespace hwnas::cli

int main(int argc, char** argv) {
  CLI::App app{"hwnas: hardware-aware neural architecture search"};
  app.require_subcommand(1);
  auto& entries = hwnas::cli::command_registry();
  // Static registration order depends on link order; sort so --help is stable.
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const auto& entry : entries) entry.setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const hwnas::UserError& e) {
    std::cout.flush();
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
