# GPU fidelity: how well the eager GPU profiles and MACs rank (Spearman, Kendall) and predict
# (median prediction/measurement ratio) networks measured on an NVIDIA H200, from the
# measurements in bench/data/gpu/h200 (made by this project; see bench/data/README.md for how).
# Sets: nb201 (CIFAR size, 160 networks) timed from Python (PyTorch eager) twice and from C++
# (`hwnas measure`, LibTorch), pruned and as built, at batch 1, 32 and 256; nb201 at 64 channels
# (60 networks, batch 32 and 256); mbv (40 networks, batch 1 and 64). Also prints how well two
# Python runs of the same networks agree: a measure of the noise in one run's figures.
# Not a test; needs SciPy (Debian's python3-scipy) and a built hwnas:
#
#   /usr/bin/python3 bench/gpu_fidelity.py build/hwnas [--device h200 ...] [--device old.json]
import argparse, collections, json, os, statistics, subprocess
from concurrent.futures import ThreadPoolExecutor
from scipy.stats import kendalltau, spearmanr

ap = argparse.ArgumentParser()
ap.add_argument('hwnas')
ap.add_argument('--device', action='append', help='profiles to score (default: h200, h100-sxm, a100-sxm, rtx-4090)')
ap.add_argument('--data', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'gpu', 'h200'))
args = ap.parse_args()
devices = args.device or ['h200', 'h100-sxm', 'a100-sxm', 'rtx-4090']


def load(name, cpp=False):
    m = collections.defaultdict(dict)
    for line in open(os.path.join(args.data, name)):
        r = json.loads(line)
        if 'arch' not in r:
            continue
        graph, variant = (('pruned' if r['prune_dead'] else 'built'), 'fp32') if cpp else (r['graph'], r['variant'])
        if variant == 'fp32':  # cuDNN's default: TF32 convolutions
            m[(graph, r['batch'])][r['arch']] = r['latency_ms']
    return m


run1 = load('nb201_python_run1.jsonl')
sets = [('nb201 python', load('nb201_python_run2.jsonl'), 'nb201', None),
        ('nb201 libtorch', load('nb201_libtorch.jsonl', cpp=True), 'nb201', None),
        ('nb201 c64 python', load('nb201_c64_python.jsonl'), 'nb201', '{"channels": 64}'),
        ('mbv python', load('mbv_python.jsonl'), 'mbv', None)]

print('Repeatability: the same 160 nb201 networks timed twice from Python (two device sessions)')
for key, d in sorted(sets[0][1].items()):
    a = sorted(set(d) & set(run1[key]))
    print(f'  {key[0]:6s} batch {key[1]:3d}: Spearman {spearmanr([run1[key][x] for x in a], [d[x] for x in a])[0]:.3f} '
          f'(median run1/run2 {statistics.median(run1[key][x] / d[x] for x in a):.2f})')


def evaluate(k):
    space, opts, arch, batch, graph = k
    cmd = [args.hwnas, 'evaluate', '--space', space, '--arch', arch, '--json', '--batch', str(batch)]
    cmd += (['--space-options', opts] if opts else []) + (['--keep-dead'] if graph == 'built' else [])
    cmd += sum((['--device', d] for d in devices), [])
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


keys = sorted({(space, opts or '', a, b, g) for _, m, space, opts in sets for (g, b), d in m.items() for a in d})
with ThreadPoolExecutor(max(1, os.cpu_count() or 1)) as ex:
    res = dict(zip(keys, ex.map(lambda k: evaluate((k[0], k[1] or None) + k[2:]), keys)))

names = None
summary = collections.defaultdict(list)
print('\nSpearman (Kendall) against the measurements, and the median prediction/measurement ratio')
for label, m, space, opts in sets:
    for (graph, batch), d in sorted(m.items()):
        archs = sorted(d)
        y = [d[a] for a in archs]
        e = [res[(space, opts or '', a, batch, graph)] for a in archs]
        names = names or list(e[0]['latency_ms'])
        macs = [x['macs'] for x in e]
        rm = spearmanr(macs, y)[0]
        line = f'{label:17s} {graph:6s} b{batch:<3d} n={len(y):3d}  MACs {rm:.3f} ({kendalltau(macs, y)[0]:.3f})'
        for n in names:
            p = [x['latency_ms'][n] for x in e]
            r, q = spearmanr(p, y)[0], statistics.median(pi / yi for pi, yi in zip(p, y))
            line += f' | {n} {r:.3f} ({kendalltau(p, y)[0]:.3f}) x{q:.2f}'
            summary[n].append((r, q, rm))
        print(line)
print('\nOver the settings:')
for n in names:
    s = summary[n]
    print(f'  {n}: mean Spearman {statistics.mean(r for r, _, _ in s):.3f}, min {min(r for r, _, _ in s):.3f}; '
          f'better than MACs on {sum(r > m for r, _, m in s)} of {len(s)}; ratio {min(q for _, q, _ in s):.2f}..{max(q for _, q, _ in s):.2f}')
