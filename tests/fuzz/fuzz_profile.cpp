// Fuzz target: device profiles (parse_json, then DeviceProfile::from_json and a prediction).
#include "fuzz_common.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/hw_models/device_profile.h"

HWNAS_FUZZ_TARGET({
  const nlohmann::json j = hwnas::parse_json(input, "fuzz.json");
  const hwnas::DeviceProfile p = hwnas::DeviceProfile::from_json(j, "fuzz.json");
  p.to_json().dump();
})
