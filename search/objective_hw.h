#pragma once
// Private to search/: the latency and energy objective sources (hardware models of hw_models/).
#include <memory>
#include <string>

#include "hwnas/search/objective.h"

namespace hwnas {

enum class HardwareQuantity { LatencyMs, EnergyMj };

/// spec: {"device": NAME_OR_PATH, "batch": 1, "precision": "fp32", "prune_dead": true}. Cheap (an
/// analytical model). prune_dead false costs networks as built (every op, dead edges too), as
/// eager frameworks run the reference code and as published benchmark tables measured them.
std::unique_ptr<ObjectiveSource> make_hardware_source(HardwareQuantity q, const nlohmann::json& spec,
                                                      const std::string& path, const ObjectiveContext& ctx);

}  // namespace hwnas
