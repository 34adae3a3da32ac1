// Fuzz target: space files (docs/spaces.md): parse_json, then GraphSpace, then the largest-choice
// network of the space is decoded, counted both ways, printed and parsed back.
#include "fuzz_common.h"
#include "hwnas/core/json_reader.h"
#include "hwnas/nas/spaces/graph_space.h"

HWNAS_FUZZ_TARGET({
  const nlohmann::json j = hwnas::parse_json(input, "fuzz_space.json");
  const hwnas::GraphSpace space(j, "fuzz_space.json: ");
  hwnas::Architecture a;
  for (const auto& d : space.decisions()) a.choices.push_back(static_cast<int>(d.choices.size()) - 1);
  const hwnas::CostTotals fast = space.count(a);
  if (!(fast == hwnas::count_costs(space.decode(a)).totals)) HWNAS_CHECK(false, "count() differs from the graph walk");
  // Up to the canonical form: a block stage's depth choices need not be sorted, so the
  // last choices may leave blocks unused, whose choices the string does not carry.
  if (!(space.canonicalize(space.parse(space.to_string(a))) == space.canonicalize(a)))
    HWNAS_CHECK(false, "to_string/parse round trip");
  space.output_depends_on_input(a);
})
