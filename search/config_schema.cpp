// config_schema_defs (include/hwnas/search/config.h): the generated part of configs/schema.json.
#include "hwnas/core/options.h"
#include "hwnas/nas/spaces/mbv.h"
#include "hwnas/nas/spaces/nb201.h"
#include "hwnas/search/config.h"
#include "hwnas/search/objective_proxy.h"
#include "hwnas/search/scheduler.h"
#include "hwnas/search/strategy.h"

namespace hwnas {

nlohmann::json config_schema_defs() {
  nlohmann::json strategies = nlohmann::json::object();
  for (const std::string& name : strategy_names())
    if (nlohmann::json s = strategy_options_schema(name); !s.is_null()) strategies[name] = std::move(s);
  return {{"strategy_options", std::move(strategies)},
          {"space_options", {{"nb201", options_schema<Nb201Options>()}, {"mbv", options_schema<MbvOptions>()}}},
          {"scheduler", options_schema<SchedulerConfig>()},
          {"proxy_source", options_schema<ProxySourceOptions>()},
          {"train_source", options_schema<TrainSourceOptions>()},
          {"budget", options_schema<BudgetConfig>()},
          {"output", options_schema<OutputConfig>()},
          {"constraint", options_schema<ConstraintConfig>()}};
}

}  // namespace hwnas
