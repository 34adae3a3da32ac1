#include "hwnas/nas/space_cli.h"

#include "hwnas/core/error.h"
#include "hwnas/core/json_reader.h"

namespace hwnas {

std::unique_ptr<SearchSpace> make_space_from_cli(const std::string& name, const std::string& options_text) {
  nlohmann::json options = nullptr;
  if (!options_text.empty()) options = parse_json(options_text, "--space-options");
  return make_space(name, options);
}

}  // namespace hwnas
