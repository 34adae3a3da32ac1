# How much of a `train` objective's accuracy is the architecture and how much the training seed:
# N distinct nb201 cells (canonical forms from `hwnas enumerate`, drawn with seed 7), each trained
# twice with `hwnas proxy --proxy train`, training seeds 0 and 1, validated at the checkpoints.
# Prints the Spearman correlation of each checkpoint with the final accuracy of the same run and
# of the other seed's run, and of the two seeds' final accuracies: that last one is the most any
# rung, surrogate or search can get from the objective (#18: multi-fidelity cannot prune well on a
# landscape whose final ranking the seed decides). Networks at chance level (final accuracy
# below 0.2 in either run: no path from input to output) are left out and counted. Not a test.
# Needs a LibTorch build and Fashion-MNIST (scripts/setup.sh):
#
#   python3 bench/train_repeatability.py build/hwnas 24 \
#     '{"steps": 81, "checkpoints": [9, 27], "batch_size": 32, "validation_images": 2000,
#       "reduce": {"channels": 4, "cells_per_stage": 1, "input_size": 16}}'
import csv, json, os, random, statistics, subprocess, sys, tempfile

if len(sys.argv) != 4:
    sys.exit("Usage: python3 bench/train_repeatability.py HWNAS N TRAIN_JSON")
hwnas, n, train = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([hwnas, 'enumerate', '--space', 'nb201', '--out', f'{tmp}/all.csv'],
                   check=True, stdout=subprocess.DEVNULL)
    rows = list(csv.DictReader(open(f'{tmp}/all.csv')))
random.Random(7).shuffle(rows)
archs, seen = [], set()
for r in rows:
    if r['hash'] not in seen:
        seen.add(r['hash'])
        archs.append(r['arch_str'])
    if len(archs) == n:
        break


def curve(arch, seed):
    t = dict(train, seed=seed)
    out = subprocess.run([hwnas, 'proxy', '--arch', arch, '--proxy', 'train', '--train', json.dumps(t),
                          '--json'], capture_output=True, text=True, check=True).stdout
    d = json.loads(out)['train_details']
    return {p['step']: p['val_accuracy'] for p in d['accuracy_at']} if d['ok'] else None


def ranks(a):
    order = sorted(range(len(a)), key=lambda i: a[i])
    r = [0.0] * len(a)
    i = 0
    while i < len(a):  # ties share their mean rank
        j = i
        while j + 1 < len(a) and a[order[j + 1]] == a[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    ma, mb = statistics.mean(ra), statistics.mean(rb)
    num = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    den = (sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb)) ** 0.5
    return num / den if den else float('nan')


pairs = [(curve(a, 0), curve(a, 1)) for a in archs]
steps = train['steps']
kept = [(c0, c1) for c0, c1 in pairs if c0 and c1 and c0[steps] >= 0.2 and c1[steps] >= 0.2]
final0 = [c0[steps] for c0, _ in kept]
final1 = [c1[steps] for _, c1 in kept]
print(f"{len(kept)} of {len(archs)} networks learn (final accuracy >= 0.2 in both runs); train options {json.dumps(train)}")
print(f"final accuracy, seed 0: {min(final0):.3f} to {max(final0):.3f}; mean |seed 0 - seed 1| {statistics.mean(abs(a - b) for a, b in zip(final0, final1)):.3f}")
print(f"Spearman, final accuracy seed 0 vs seed 1: {spearman(final0, final1):.3f}")
for s in sorted(train.get('checkpoints', [])):
    at = [c0[s] for c0, _ in kept]
    print(f"Spearman, step {s} vs final: same run {spearman(at, final0):.3f}, other seed {spearman(at, final1):.3f}")
