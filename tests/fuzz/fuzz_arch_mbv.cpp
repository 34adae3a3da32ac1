// Fuzz target: mbv architecture strings (SearchSpace::parse), then the round trip and costing.
#include "fuzz_common.h"
#include "hwnas/nas/search_space.h"

HWNAS_FUZZ_TARGET({
  static const auto space = hwnas::make_space("mbv");
  const hwnas::Architecture a = space->parse(input);
  HWNAS_CHECK(space->parse(space->to_string(a)).choices == a.choices, "mbv string round trip");
  space->canonical_hash(a);
  space->count(a);
})
