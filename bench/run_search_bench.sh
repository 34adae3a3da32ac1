#!/usr/bin/env bash
# Search-quality benchmark, hwnas strategies against Optuna, on the same nb201 table problem.
#
#   bench/run_search_bench.sh [--problem synthetic] [--seeds N] [--quick] [--normalize front|table]
#                                          (env: SAMPLERS=nsga2,tpe  BUILD_DIR  JOBS  OUT)
#
# --problem: an nb201 problem of bench_strategies (synthetic, synflow, naswot-latency,
# synflow-latency-energy; bench/bench_problems.h). Builds bench_strategies and hwnas, writes the
# problem's tables (each objective for all 15,625 cells, plus `hwnas enumerate` for canonical
# hashes), runs bench_strategies
# (random, evolution, local, bo, mcts) and bench/optuna_nb201.py (Optuna NSGA-II and TPE, run with
# /usr/bin/python3, which has python3-optuna) and prints both tables side by side: the median over
# seeds of the evaluations until the front found reaches 95% / 99% of the true normalized
# hypervolume (normalized by the true front's ideal and nadir, or with --normalize table by the
# whole table's bounds, in both). Finally it runs `hwnas search` once on the same problem through a config with a
# table objective, to show the end-to-end path. --quick: 3 seeds, smaller limits.
set -euo pipefail
cd "$(dirname "$0")/.."

SEEDS=10
MAX_EVALS=4000
MAX_TRIALS=2000
MAX_TRIALS_TPE=400   # Optuna 3.1 multi-objective TPE costs ~0.3 s per trial at 300 trials
PROBLEM=synthetic
NORMALIZE=front
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) SEEDS="$2"; shift 2 ;;
    --problem) PROBLEM="$2"; shift 2 ;;
    --normalize) NORMALIZE="$2"; shift 2 ;;
    --quick) SEEDS=3; MAX_EVALS=2000; MAX_TRIALS=1000; MAX_TRIALS_TPE=400; shift ;;
    *) echo "usage: $0 [--problem P] [--seeds N] [--quick] [--normalize front|table]" >&2; exit 2 ;;
  esac
done

SAMPLERS=${SAMPLERS:-nsga2,tpe}
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-2}
PY=/usr/bin/python3
if ! $PY -c "import optuna" 2>/dev/null; then
  echo "run_search_bench: $PY has no optuna (apt install python3-optuna)" >&2
  exit 1
fi

ninja -C "$BUILD_DIR" -j "$JOBS" bench_strategies hwnas >/dev/null
OUT=${OUT:-$BUILD_DIR/search_bench/$PROBLEM}
mkdir -p "$OUT/tables"

echo "== tables"
"$BUILD_DIR/hwnas" enumerate --space nb201 --out "$OUT/enum.csv"
rm -f "$OUT"/tables/*.csv
"$BUILD_DIR/bench_strategies" --problem "$PROBLEM" --seeds 1 --no-quality --no-timing --tables "$OUT/tables" | grep -v '^$'
TABLES=$(ls "$OUT"/tables/*.csv | tr '\n' ',' | sed 's/,$//')

echo
echo "== hwnas strategies (bench_strategies, $SEEDS seeds)"
"$BUILD_DIR/bench_strategies" --problem "$PROBLEM" --seeds "$SEEDS" --max-evals "$MAX_EVALS" --no-timing --normalize "$NORMALIZE" | tee "$OUT/hwnas.txt"

echo
echo "== Optuna ($SEEDS seeds)"
$PY bench/optuna_nb201.py --objectives "$TABLES" --enumerate "$OUT/enum.csv" \
  --seeds "$SEEDS" --normalize "$NORMALIZE" --samplers "$SAMPLERS" --max-trials "$MAX_TRIALS" --max-trials-tpe "$MAX_TRIALS_TPE" --csv "$OUT/optuna.csv" | tee "$OUT/optuna.txt"

echo
echo "== side by side: evaluations until 95% / 99% of the true hypervolume (median of $SEEDS seeds)"
$PY - "$OUT/hwnas.txt" "$OUT/optuna.txt" <<'PYEOF'
import re, sys
rows = []
for path in sys.argv[1:]:
    for line in open(path):
        f = line.split()
        if len(f) >= 4 and re.fullmatch(r">?\d+", f[1] or "") and re.fullmatch(r">?\d+", f[2] or ""):
            name = f[0] if f[0].startswith("optuna") else "hwnas-" + f[0]
            distinct = f"{f[5]} / {f[6]}" if len(f) >= 7 else f"{f[1]} / {f[2]}"
            rows.append((name, f[1], f[2], f[3], distinct))
print(f"{'strategy':<18} {'evals->95%':>11} {'evals->99%':>11} {'HV@200':>8}   distinct canonical evals 95% / 99%")
for r in rows:
    print(f"{r[0]:<18} {r[1]:>11} {r[2]:>11} {r[3]:>8}   {r[4]}")
PYEOF

[ "$PROBLEM" = synthetic ] || exit 0
echo
echo "== hwnas search end to end on the same table (evolution, 300 evaluations)"
cat > "$OUT/table_search.json" <<JSON
{
  "space": {"name": "nb201"},
  "objectives": [
    {"name": "error", "source": {"table": {"file": "tables/error.csv", "value": "value"}}},
    {"name": "params", "source": "params"}
  ],
  "strategy": {"name": "evolution"},
  "budget": {"evaluations": 300},
  "parallelism": 2,
  "seed": 0,
  "output": {"dir": "$OUT/runs", "name": "table_search"}
}
JSON
rm -rf "$OUT/runs/table_search"
"$BUILD_DIR/hwnas" search "$OUT/table_search.json" --quiet
# The run's own hypervolume is normalized by the bounds of its evaluations; against the table's
# bounds (as above) its front reaches this fraction of the true hypervolume:
PYTHONPATH=bench $PY - "$OUT" <<'PYEOF'
import csv, sys
import optuna_nb201 as b
out = sys.argv[1]
p = b.Problem([f"{out}/tables/error.csv", f"{out}/tables/params.csv"])
with open(f"{out}/runs/table_search/pareto.csv", newline="") as f:
    front = [p.normalize((float(r["error"]), float(r["params"]))) for r in csv.DictReader(f)]
print(f"hwnas search front: {len(front)} points, {b.hypervolume_2d(front, (b.REFERENCE, b.REFERENCE)) / p.true_hv:.4f} of the true hypervolume")
PYEOF
