#include "hwnas/nas/space_cli.h"

#include "hwnas/core/error.h"

namespace hwnas {

std::unique_ptr<SearchSpace> make_space_from_cli(const std::string& name, const std::string& options_text) {
  nlohmann::json options = nullptr;
  if (!options_text.empty()) {
    try {
      options = nlohmann::json::parse(options_text);
    } catch (const nlohmann::json::parse_error& e) {
      throw UserError(std::string("--space-options: invalid JSON: ") + e.what());
    }
  }
  return make_space(name, options);
}

}  // namespace hwnas
