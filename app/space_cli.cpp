#include "space_cli.h"

#include <fstream>

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/nas/spaces/graph_space.h"

namespace hwnas {

std::unique_ptr<SearchSpace> make_space_from_cli(const std::string& name, const std::string& options_text) {
  nlohmann::json options = nullptr;
  if (!options_text.empty()) {
    try {
      options = parse_json(options_text, "--space-options");
    } catch (const UserError& e) {
      // The usual cause of a syntax error is shell quoting that ate the JSON's double quotes.
      if (std::string(e.what()).find(": invalid JSON: ") == std::string::npos) throw;
      throw UserError(std::string(e.what()) +
                      " (--space-options takes a JSON object; quote it for the shell, e.g. --space-options "
                      "'{\"channels\": 8}')");
    }
  }
  if (is_space_file(name)) return make_space_from_file(name, options);
  return make_space(name, options);
}

Architecture parse_arch_from_cli(const SearchSpace& space, const std::string& text) {
  try {
    return space.parse(text);
  } catch (const UserError& e) {
    for (const auto& other : space_names()) {
      if (other == space.name()) continue;
      try {
        make_space(other)->parse(text);
      } catch (const UserError&) {
        continue;
      }
      throw UserError(std::string("--arch: ") + e.what() + "; this looks like an " + other + " architecture: add --space " + other);
    }
    throw UserError(std::string("--arch: ") + e.what());
  }
}

std::vector<Architecture> archs_from_cli(const SearchSpace& space, const std::string& arch, const std::string& arch_file) {
  if (arch.empty() == arch_file.empty())
    throw UserError("--arch: give one architecture with --arch, or a file of them with --arch-file (exactly one of the two)");
  if (!arch.empty()) return {parse_arch_from_cli(space, arch)};
  std::ifstream in(arch_file);
  if (!in) throw UserError("--arch-file: cannot read " + arch_file);
  std::vector<Architecture> archs;
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    try {
      archs.push_back(parse_arch_from_cli(space, line));
    } catch (const UserError& e) {
      throw UserError("--arch-file: " + arch_file + ":" + std::to_string(line_no) + ": " + e.what());
    }
  }
  if (archs.empty()) throw UserError("--arch-file: " + arch_file + " holds no architecture");
  return archs;
}

}  // namespace hwnas
