#!/usr/bin/env bash
# Zero-cost proxy table of the whole nb201 space, for the search benchmark suite (#17):
# synflow and naswot of one member of every canonical class (6,985 of the 15,625 cells), scored by
# `hwnas proxy --arch-file` on the reduced copy the `train` source uses by default (C=8, N=1;
# the full network's naswot takes ~2 s a cell on this machine), seed 0, naswot on a minibatch of
# 64 Fashion-MNIST images (dataset-fashion-mnist). bench/data/nb201_proxies.csv was made with
#   bench/proxy_table.sh build/hwnas bench/data/nb201_proxies.csv
# (two processes, one core each; about 20 min on 2 cores.) Columns: arch_str, synflow, naswot.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "Usage: bench/proxy_table.sh HWNAS OUT.csv [JOBS]" >&2
  exit 2
fi
hwnas=$1 out=$2 jobs=${3:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$hwnas" enumerate --space nb201 --out "$tmp/all.csv" >/dev/null
# The first member of each canonical class, in enumeration order.
/usr/bin/python3 - "$tmp/all.csv" >"$tmp/archs.txt" <<'PY'
import csv, sys
seen = set()
for r in csv.DictReader(open(sys.argv[1])):
    if r["hash"] not in seen:
        seen.add(r["hash"])
        print(r["arch_str"])
PY
split -n "l/$jobs" -d "$tmp/archs.txt" "$tmp/part"
for p in "$tmp"/part*; do
  "$hwnas" proxy --arch-file "$p" --proxy synflow,naswot --space-options '{"channels": 8, "cells_per_stage": 1}' >"$p.jsonl" &
done
wait
cat "$tmp"/part*.jsonl | /usr/bin/python3 -c '
import csv, json, sys
w = csv.writer(open(sys.argv[1], "w", newline=""))
w.writerow(["arch_str", "synflow", "naswot"])
n = 0
for line in sys.stdin:
    j = json.loads(line)
    if j.get("errors"):
        sys.exit(j["arch"] + ": " + json.dumps(j["errors"]))
    w.writerow([j["arch"], repr(j["synflow"]), repr(j["naswot"])])
    n += 1
print(f"wrote {sys.argv[1]} ({n} classes)", file=sys.stderr)
' "$out"
