// Fuzz target: a run's evaluations.jsonl (parse_evaluation_log), as --resume reads it.
#include "fuzz_common.h"
#include "hwnas/search/run_store.h"

HWNAS_FUZZ_TARGET({
  hwnas::parse_evaluation_log(input, "evaluations.jsonl", {"params", "macs", "latency_ms"});
})
