#!/usr/bin/env bash
# Multi-fidelity with real training: `hwnas search` with a `train` objective (Fashion-MNIST, a
# reduced nb201 copy) at full fidelity, with successive halving and with ASHA, for several seeds,
# the same step budget each; then bench_multifidelity --runs scores the hypervolume of each run's
# full-fidelity front against the training steps spent.
#   bench/multifidelity_train.sh build/hwnas 3 10          # 3 seeds, 10 full trainings of 81 steps
#   STRATEGY=mcts bench/multifidelity_train.sh build/hwnas 3 10   # proposals by mcts (default random)
# STRATEGY_OPTIONS (JSON, default {}) are the strategy's options, e.g. '{"initial_random": 5}'.
# GPU_SECONDS=S gives every run a device-time budget of S seconds (budget.gpu_seconds: the
# evaluations' own time, summed) instead of the step budget. Either way the scores count both.
# REMEASURE=SEED trains every architecture that some run evaluated at full fidelity once more,
# with training seed SEED (the runs use seeds 0..SEEDS-1), and scores the runs a second time with
# each front judged by those values (bench_multifidelity --remeasured): a front of lucky draws
# then no longer scores twice (bench/train_repeatability.py measures how much the seed decides).
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "Usage: bench/multifidelity_train.sh HWNAS SEEDS FULL_TRAININGS [STEPS] [OUT_DIR]" >&2
  exit 2
fi
hwnas=$1 seeds=$2 trainings=$3 steps=${4:-81} out=${5:-$(mktemp -d)}
strategy=${STRATEGY:-random} strategy_options=${STRATEGY_OPTIONS:-\{\}}
bench=$(dirname "$hwnas")/bench_multifidelity
min=$((steps / 9))
budget="{\"steps\": $((trainings * steps))}"
if [ -n "${GPU_SECONDS:-}" ]; then budget="{\"gpu_seconds\": $GPU_SECONDS}"; fi
mkdir -p "$out"
dirs=()
for seed in $(seq 0 $((seeds - 1))); do
  for method in full sh asha; do
    cat >"$out/$method-$seed.json" <<JSON
{
  "space": {"name": "nb201"},
  "objectives": [
    {"name": "acc", "direction": "maximize", "source": {"train": {"steps": $steps, "batch_size": 32, "validation_images": 500,
      "reduce": {"channels": 4, "cells_per_stage": 1, "input_size": 16}}}},
    {"name": "params", "source": "params", "log": true}
  ],
  "strategy": {"name": "$strategy", "options": $strategy_options},
  "budget": $budget,
  "parallelism": 2, "batch_size": 2, "seed": $seed
}
JSON
    if [ "$method" != full ]; then
      /usr/bin/python3 - "$out/$method-$seed.json" "$method" "$min" <<'PY'
import json, sys
p, name, lo = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = json.load(open(p)); c["scheduler"] = {"name": name, "min_fidelity": lo, "eta": 3}
json.dump(c, open(p, "w"), indent=2)
PY
    fi
    "$hwnas" search "$out/$method-$seed.json" --out "$out/$method-$seed" --force --quiet
    dirs+=("$out/$method-$seed")
  done
done
"$bench" --runs "${dirs[@]}"
if [ -n "${REMEASURE:-}" ]; then
  /usr/bin/python3 - "$hwnas" "$REMEASURE" "$out/remeasured.csv" "${dirs[@]}" <<'PY'
import json, os, subprocess, sys
hwnas, seed, out, dirs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
archs, train = [], None
for d in dirs:
    config = json.load(open(d + ".json"))  # the config as written above
    train = next(o["source"]["train"] for o in config["objectives"] if o["name"] == "acc")
    full = config.get("scheduler", {}).get("max_fidelity", train["steps"])
    for line in open(os.path.join(d, "evaluations.jsonl")):
        r = json.loads(line)
        if r.get("status", "ok") == "ok" and r.get("fidelity", full) == full and r["arch"] not in archs:
            archs.append(r["arch"])
with open(out, "w") as f:
    f.write("arch_str,acc\n")
    for a in archs:
        j = json.loads(subprocess.run([hwnas, "proxy", "--arch", a, "--proxy", "train", "--train",
                                       json.dumps(dict(train, seed=seed)), "--json"],
                                      capture_output=True, text=True, check=True).stdout)
        f.write('"%s",%s\n' % (a, j["train"]))
print("re-measured %d architectures with training seed %d: %s" % (len(archs), seed, out))
PY
  "$bench" --runs "${dirs[@]}" --remeasured "$out/remeasured.csv"
fi
