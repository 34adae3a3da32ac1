#pragma once
// Helpers shared by the command-line subcommands that take a space: parse `--space-options`
// JSON text and create the space, with errors naming the option.
#include <memory>
#include <string>

#include "hwnas/nas/search_space.h"

namespace hwnas {

/// `options_text` is JSON (an object) or empty. Bad JSON -> UserError naming --space-options.
std::unique_ptr<SearchSpace> make_space_from_cli(const std::string& name, const std::string& options_text);

}  // namespace hwnas
