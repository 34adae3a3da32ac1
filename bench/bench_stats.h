#pragma once
// The rank statistics the fidelity benchmarks report (defined once, in the library).
#include "hwnas/core/rank_stats.h"

namespace hwnas::bench {

using hwnas::kendall;
using hwnas::mape;
using hwnas::pearson;
using hwnas::ranks;
using hwnas::spearman;

}  // namespace hwnas::bench
