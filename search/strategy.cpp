#include "hwnas/search/strategy.h"

#include <utility>

#include "hwnas/core/error.h"
#include "hwnas/core/named_table.h"
#include "hwnas/core/suggest.h"
#include "hwnas/search/strategies.h"

namespace hwnas {

namespace {

template <class Options, std::unique_ptr<SearchStrategy> (*Make)(const Options&, const StrategyContext&)>
StrategyEntry builtin(const char* name) {
  return {name, [](const nlohmann::json& j, const std::string& p) { return Options::from_json(j, p).to_json(); },
          [](const nlohmann::json& j, const std::string& p, const StrategyContext& c) { return Make(Options::from_json(j, p), c); },
          [] { return options_schema<Options>(); }};
}

NamedTable<StrategyEntry>& registry() {
  // The built-in table (static registrars would be dropped by the linker from the static library).
  static NamedTable<StrategyEntry> r({builtin<RandomOptions, make_random_strategy>("random"),
                                      builtin<EvolutionOptions, make_evolution_strategy>("evolution"),
                                      builtin<LocalOptions, make_local_strategy>("local"),
                                      builtin<BoOptions, make_bo_strategy>("bo"), builtin<MctsOptions, make_mcts_strategy>("mcts")});
  return r;
}

StrategyEntry find_strategy(const std::string& name) {
  if (auto e = registry().find(name)) return *e;
  const std::vector<std::string> names = strategy_names();
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  throw UserError("strategy.name: unknown strategy \"" + name + "\"" + did_you_mean(name, names) + " (known: " + known + ")");
}

}  // namespace

std::unique_ptr<SearchStrategy> make_strategy(const std::string& name, const nlohmann::json& options,
                                              const StrategyContext& ctx) {
  return find_strategy(name).make(options, "strategy.options", ctx);
}

nlohmann::json resolve_strategy_options(const std::string& name, const nlohmann::json& options, const std::string& path) {
  return find_strategy(name).resolve(options, path);
}

std::vector<std::string> strategy_names() { return registry().names(); }

nlohmann::json strategy_options_schema(const std::string& name) {
  const StrategyEntry e = find_strategy(name);
  return e.schema ? e.schema() : nlohmann::json(nullptr);
}

void register_strategy(StrategyEntry entry) { registry().add(std::move(entry)); }

void unregister_strategy(const std::string& name) { registry().remove(name); }

}  // namespace hwnas
