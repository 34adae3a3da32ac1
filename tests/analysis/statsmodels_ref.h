#pragma once
// Reference results from Python's statsmodels for the analysis tests: writes a small script,
// runs /usr/bin/python3 on a CSV the test wrote, and returns what statsmodels reports as JSON.
// The system Python holds statsmodels (python3-statsmodels); the `python3` on PATH may not.
//
// Example:
//   auto ref = statsmodels_ols({.csv = path, .formula = "FLOPs ~ Parameters * Domain"});
//   if (!ref.available) GTEST_SKIP() << ref.why;
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli.h"

namespace hwnas::test {

struct OlsQuery {
  std::string csv;
  std::string formula;
  bool robust = false;
  std::vector<std::string> numeric;  // columns coerced with pd.to_numeric(errors="coerce")
  std::vector<std::string> log10;    // columns replaced by log10 (non-positive -> NaN, dropped)
  std::vector<std::string> joint;    // terms of a joint zero test (wald_test, use_f = use_t)
};

struct Reference {
  bool available = false;
  std::string why;  // when not available
  nlohmann::json result;
};

inline const char* kStatsmodelsScript = R"PY(
import sys, json
try:
    import numpy as np, pandas as pd
    import statsmodels.formula.api as smf
except Exception as e:
    print(json.dumps({"skip": "cannot import statsmodels in /usr/bin/python3: %s" % e}))
    sys.exit(0)
import warnings
warnings.simplefilter("ignore")
a = json.loads(sys.argv[1])
df = pd.read_csv(a["csv"])
for c in a["numeric"]:
    df[c] = pd.to_numeric(df[c], errors="coerce")
for c in a["log10"]:
    df[c] = np.log10(df[c].where(df[c] > 0))
m = smf.ols(a["formula"], data=df)
r = m.fit(cov_type="HC1") if a["robust"] else m.fit()
ci = r.conf_int()
out = {"terms": list(r.params.index), "coef": list(r.params), "se": list(r.bse), "stat": list(r.tvalues),
       "p": list(r.pvalues), "lo": list(ci[0]), "hi": list(ci[1]), "nobs": r.nobs, "r2": r.rsquared,
       "adj_r2": r.rsquared_adj, "df_resid": r.df_resid, "use_t": bool(r.use_t)}
if a["joint"]:
    names = list(r.params.index)
    R = np.zeros((len(a["joint"]), len(names)))
    for i, t in enumerate(a["joint"]):
        R[i, names.index(t)] = 1
    w = r.wald_test(R)
    out["joint_stat"] = float(np.squeeze(w.statistic))
    out["joint_p"] = float(w.pvalue)
print(json.dumps(out))
)PY";

inline Reference statsmodels_ols(const OlsQuery& q) {
  Reference ref;
  if (!std::filesystem::exists("/usr/bin/python3")) {
    ref.why = "/usr/bin/python3 is not installed";
    return ref;
  }
  const std::string script = scratch_dir() + "/statsmodels_ref.py";
  write_text(script, kStatsmodelsScript);
  const nlohmann::json args = {{"csv", q.csv},         {"formula", q.formula}, {"robust", q.robust},
                               {"numeric", q.numeric}, {"log10", q.log10},     {"joint", q.joint}};
  const CliResult r = run_program("/usr/bin/python3", {script, args.dump()});
  if (r.exit_code != 0) {
    ADD_FAILURE() << "statsmodels script failed (" << r.exit_code << "): " << r.err;
    ref.why = "statsmodels script failed";
    return ref;
  }
  ref.result = nlohmann::json::parse(r.out);
  if (ref.result.contains("skip")) {
    ref.why = ref.result["skip"].get<std::string>();
    return ref;
  }
  ref.available = true;
  return ref;
}

/// Relative difference, with an absolute floor for values that are zero up to rounding (a p-value
/// that underflows, a coefficient whose true value is 0).
inline double rel_diff(double a, double b, double floor = 1e-300) {
  if (a == b) return 0;
  return std::fabs(a - b) / std::max({std::fabs(a), std::fabs(b), floor});
}

}  // namespace hwnas::test
