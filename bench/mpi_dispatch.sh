#!/usr/bin/env bash
# MPI on this machine (2 cores):
#  1. how many evaluations per second the controller dispatches with a zero-cost objective (a table
#     look-up), single process vs mpirun -np 3 (2 evaluator ranks): the ceiling on the evaluators
#     one controller can feed (8 threads per evaluator, so 16 trials are in flight);
#  2. wall-clock speedup of a train-objective search with 1 and 2 evaluator ranks.
# Seconds are the search's own (the summary line), without mpirun's start-up.
#   bash bench/mpi_dispatch.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
hw=$(cd "$build" && pwd)/hwnas
work=$(mktemp -d /tmp/mpi_dispatch.XXXX)
trap 'rm -rf "$work"' EXIT
mpi=(mpirun --oversubscribe --allow-run-as-root)
secs() { sed -n 's/.*duplicates skipped [0-9]*\(, replayed from the log [0-9]*\)*, \([0-9.e+-]*\) s$/\2/p'; }

# 1. zero-cost objective: the err column of an all-cells table, random strategy, 6,000 evaluations.
"$hw" enumerate --out "$work/cells.csv" > /dev/null
awk -F, 'NR==1 {print "arch_str,err"; next} {printf "%s,%.6f\n", $1, (NR * 7919 % 1000) / 1000}' "$work/cells.csv" > "$work/err.csv"
cat > "$work/table.json" <<JSON
{"space": {"name": "nb201"}, "objectives": [{"name": "err", "source": {"table": {"file": "err.csv", "value": "err"}}},
 {"name": "params", "source": "params"}], "strategy": {"name": "random"}, "budget": {"evaluations": 6000},
 "batch_size": 64, "parallelism": 8, "dispatch": "DISPATCH", "seed": 0}
JSON
for d in synchronous asynchronous; do
  sed "s/DISPATCH/$d/" "$work/table.json" > "$work/t_$d.json"
  s1=$("$hw" search "$work/t_$d.json" --out "$work/one_$d" --force | secs)
  s3=$("${mpi[@]}" -np 3 "$hw" search "$work/t_$d.json" --out "$work/mpi_$d" --force 2>/dev/null | secs)
  echo "table objective, $d: single process $(awk "BEGIN {printf \"%.0f\", 6000 / $s1}") evaluations/s ($s1 s), mpirun -np 3 $(awk "BEGIN {printf \"%.0f\", 6000 / $s3}") evaluations/s ($s3 s)"
done

# 2. train objective: 8 nb201 networks, 60 steps each on Fashion-MNIST (one thread per rank).
cat > "$work/train.json" <<JSON
{"space": {"name": "nb201"}, "objectives": [{"name": "acc", "source": {"train": {"steps": 60}}, "direction": "maximize"},
 {"name": "params", "source": "params"}], "strategy": {"name": "random"}, "budget": {"evaluations": 8},
 "batch_size": 2, "seed": 0}
JSON
t1=$("${mpi[@]}" -np 2 "$hw" search "$work/train.json" --out "$work/train1" 2>/dev/null | secs)
t2=$("${mpi[@]}" -np 3 "$hw" search "$work/train.json" --out "$work/train2" 2>/dev/null | secs)
cmp -s "$work/train1/pareto.json" "$work/train2/pareto.json" && same=yes || same=no
echo "train objective, 8 evaluations: 1 evaluator rank $t1 s, 2 evaluator ranks $t2 s, speedup $(awk "BEGIN {printf \"%.2f\", $t1 / $t2}"); same front: $same"
