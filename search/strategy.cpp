#include "hwnas/search/strategy.h"

#include <utility>

#include "hwnas/core/error.h"
#include "hwnas/core/suggest.h"
#include "hwnas/search/strategies.h"

namespace hwnas {

namespace {

using Factory = std::unique_ptr<SearchStrategy> (*)(const nlohmann::json& options, const std::string& path,
                                                    const StrategyContext& ctx);

// The built-in table (static registrars would be dropped by the linker from the static library).
const std::vector<std::pair<std::string, Factory>>& builtins() {
  static const std::vector<std::pair<std::string, Factory>> table{
      {"random",
       [](const nlohmann::json& j, const std::string& p, const StrategyContext& c) {
         return make_random_strategy(RandomOptions::from_json(j, p), c);
       }},
      {"evolution",
       [](const nlohmann::json& j, const std::string& p, const StrategyContext& c) {
         return make_evolution_strategy(EvolutionOptions::from_json(j, p), c);
       }},
      {"local",
       [](const nlohmann::json& j, const std::string& p, const StrategyContext& c) {
         return make_local_strategy(LocalOptions::from_json(j, p), c);
       }},
      {"bo",
       [](const nlohmann::json& j, const std::string& p, const StrategyContext& c) {
         return make_bo_strategy(BoOptions::from_json(j, p), c);
       }},
      {"mcts",
       [](const nlohmann::json& j, const std::string& p, const StrategyContext& c) {
         return make_mcts_strategy(MctsOptions::from_json(j, p), c);
       }},
  };
  return table;
}

}  // namespace

std::unique_ptr<SearchStrategy> make_strategy(const std::string& name, const nlohmann::json& options,
                                              const StrategyContext& ctx) {
  for (const auto& [n, f] : builtins())
    if (n == name) return f(options, "strategy.options", ctx);
  std::string known;
  for (const auto& n : strategy_names()) known += (known.empty() ? "" : ", ") + n;
  throw UserError("strategy.name: unknown strategy \"" + name + "\"" + did_you_mean(name, strategy_names()) + " (known: " + known + ")");
}

std::vector<std::string> strategy_names() {
  std::vector<std::string> out;
  for (const auto& [n, f] : builtins()) out.push_back(n);
  return out;
}

}  // namespace hwnas
