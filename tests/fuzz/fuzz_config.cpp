// Fuzz target: search configs (parse_json, then SearchConfig::from_json and its round trip).
#include "fuzz_common.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/search/config.h"

HWNAS_FUZZ_TARGET({
  const nlohmann::json j = hwnas::parse_json(input, "fuzz.json");
  const hwnas::SearchConfig c = hwnas::SearchConfig::from_json(j, "fuzz.json", "/nonexistent-fuzz-dir");
  c.to_json().dump();
})
