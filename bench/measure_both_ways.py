# Host: NAS-Bench-201 networks measured on this machine with LibTorch twice, with dead edges
# pruned and as built (`hwnas measure --keep-dead`: every edge runs, a `none` edge as a Zero op),
# and the two rankings compared with each other and with host.json's predictions and MACs, each
# costed both ways. Architectures are drawn (seed 3) from bench/data/hwnasbench_nb201.csv, whose
# latency columns are not used. Not a test. Needs a LibTorch build:
#
#   python3 bench/measure_both_ways.py build-t/hwnas 60
import csv, json, os, subprocess, sys, random
from itertools import combinations
B = sys.argv[1]  # hwnas binary
rows = [r for r in csv.DictReader(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'hwnasbench_nb201.csv')))]
random.seed(3)
archs = [r['arch_str'] for r in random.sample(rows, int(sys.argv[2]))]
def run(args):
    return json.loads(subprocess.run([B] + args, capture_output=True, text=True, check=True).stdout)
def kendall(a, b):
    c = d = 0
    for i, j in combinations(range(len(a)), 2):
        s = (a[i] - a[j]) * (b[i] - b[j])
        c += s > 0; d += s < 0
    return (c - d) / (c + d)
res = []
for a in archs:
    r = {'arch': a}
    for keep in (False, True):
        extra = ['--keep-dead'] if keep else []
        m = run(['measure', '--arch', a, '--repeats', '11', '--json'] + extra)
        e = run(['evaluate', '--arch', a, '--json', '--device', 'host'] + extra)
        k = 'built' if keep else 'pruned'
        r['meas_' + k] = m['latency_ms']; r['pred_' + k] = e['latency_ms']['host']; r['macs_' + k] = e['macs']
    res.append(r)
ok = res
g = lambda k: [r[k] for r in ok]
print(f"{len(ok)} nb201 networks (CIFAR-10 size), host, LibTorch, 1 thread, median of 11")
print("Kendall tau, measured pruned vs measured as built:", round(kendall(g('meas_pruned'), g('meas_built')), 3))
for k in ('pruned', 'built'):
    print(f"  {k:6s}: host.json prediction vs measured {kendall(g('pred_'+k), g('meas_'+k)):.3f}; MACs vs measured {kendall(g('macs_'+k), g('meas_'+k)):.3f}; "
          f"cross (costed {k}, measured {'built' if k=='pruned' else 'pruned'}) {kendall(g('pred_'+k), g('meas_'+('built' if k=='pruned' else 'pruned'))):.3f}")
ratio = sorted(r['meas_built'] / r['meas_pruned'] for r in ok)
print("as built / pruned measured latency: median %.3f, max %.3f" % (ratio[len(ratio)//2], ratio[-1]))
