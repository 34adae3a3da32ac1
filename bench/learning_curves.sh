#!/usr/bin/env bash
# Measures learning curves of nb201 networks with the `train` source (the short-training proxy's
# defaults: reduced copy C=8 N=1, batch 64, SGD+Nesterov, cosine schedule over STEPS, Fashion-MNIST)
# and writes a multi-fidelity table: one row per (architecture, step) with the validation accuracy
# at that checkpoint. bench/data/nb201_fmnist_curves.csv was made with
#   bench/learning_curves.sh build/hwnas 150 bench/data/nb201_fmnist_curves.csv
# Rows are appended as each network finishes, so a cut-short run keeps what it measured and a
# second run continues after the architectures already in the file.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "Usage: bench/learning_curves.sh HWNAS N OUT.csv [SEED]" >&2
  exit 2
fi
hwnas=$1 n=$2 out=$3 seed=${4:-0}
steps=243 checkpoints="[9, 27, 81]"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$hwnas" enumerate --space nb201 --out "$tmp/all.csv" >/dev/null
# N distinct canonical forms, drawn with a fixed seed.
/usr/bin/python3 - "$tmp/all.csv" "$n" "$seed" >"$tmp/archs.txt" <<'PY'
import csv, random, sys
rows = list(csv.DictReader(open(sys.argv[1])))
random.Random(int(sys.argv[3])).shuffle(rows)
seen, picked = set(), []
for r in rows:
    if r["hash"] in seen: continue
    seen.add(r["hash"]); picked.append(r["arch_str"])
    if len(picked) == int(sys.argv[2]): break
print("\n".join(picked))
PY
[ -s "$out" ] || echo "arch_str,steps,val_accuracy,seconds" >"$out"
while read -r arch; do
  if grep -qF -- "$arch," "$out"; then continue; fi
  json=$("$hwnas" proxy --arch "$arch" --proxy train --train "{\"steps\": $steps, \"checkpoints\": $checkpoints}" --json)
  /usr/bin/python3 -c '
import json, sys
j = json.loads(sys.argv[1]); d = j["train_details"]
if not d["ok"]:
    for s in (9, 27, 81, 243): print("%s,%d,0,%.3f" % (j["arch"], s, d["seconds"]))
else:
    for p in d["accuracy_at"]: print("%s,%d,%s,%.3f" % (j["arch"], p["step"], p["val_accuracy"], d["seconds"]))
' "$json" >>"$out"
done <"$tmp/archs.txt"
