#pragma once
// Helpers shared by the command-line subcommands that take a space: parse `--space-options`
// JSON text and create the space, with errors naming the option.
#include <memory>
#include <string>
#include <vector>

#include "hwnas/nas/search_space.h"

namespace hwnas {

/// `options_text` is JSON (an object) or empty. Bad JSON -> UserError naming --space-options.
std::unique_ptr<SearchSpace> make_space_from_cli(const std::string& name, const std::string& options_text);

/// `--arch` in `space`. When the string is not one of `space` but parses in another space (with
/// its default options), the error says so: "...; this looks like an mbv architecture: add
/// --space mbv".
Architecture parse_arch_from_cli(const SearchSpace& space, const std::string& text);

/// The architectures of `--arch TEXT` or `--arch-file FILE` (one string per line, blank lines
/// skipped): exactly one of the two must be given. A bad line is a UserError naming the file and
/// line; a file without architectures is an error too.
std::vector<Architecture> archs_from_cli(const SearchSpace& space, const std::string& arch, const std::string& arch_file);

}  // namespace hwnas
