"""Times hwnas networks with PyTorch eager from Python, as published NAS latency tables were
measured: the `model.py` that `hwnas export --formats pytorch` writes, eval mode, no_grad, fp32
(cuDNN's default TF32 convolutions), 5 warm-ups, then 20 forwards each synchronized, median; the
way `hwnas measure` times LibTorch. Made the H200 data in bench/data/gpu/h200 (#11). Not a test.

Two steps, so the timing machine needs PyTorch but not hwnas:

  # here: export the networks (MODELS/<pruned|built>/<i>.py and MODELS/index.json)
  python3 scripts/gpu_torch_measure.py export build/hwnas ARCHS.txt MODELS [--space S] [--space-options J] [--pruned-only]
  # on the GPU machine: time them at the given batch sizes; the first N pruned networks also at the
  # largest batch without TF32, with cudnn.benchmark, fp16 and fp16 channels-last
  python3 scripts/gpu_torch_measure.py OUT MODELS 1,32,256 N

Environment: OUTFILE (gpu_measure.jsonl, under OUT), MICRO=0 skips the layer micro-benchmarks,
GRAPHS=pruned times one graph, DEV=cpu for a dry run without a GPU. Output: JSON lines, a "meta"
record (versions, GPU, clocks), "micro" records (CUDA events) and one per network and setting.
"""
import glob, importlib.util, json, os, shutil, statistics, subprocess, sys, tempfile, time

if len(sys.argv) < 2 or sys.argv[1] in ('-h', '--help') or (sys.argv[1] != 'export' and len(sys.argv) < 5):
    print(__doc__)
    sys.exit(0 if len(sys.argv) > 1 and sys.argv[1] in ('-h', '--help') else 2)

if len(sys.argv) > 1 and sys.argv[1] == 'export':
    import argparse
    ap = argparse.ArgumentParser(prog='gpu_torch_measure.py export')
    ap.add_argument('cmd'); ap.add_argument('hwnas'); ap.add_argument('archs'); ap.add_argument('out')
    ap.add_argument('--space', default='nb201'); ap.add_argument('--space-options'); ap.add_argument('--pruned-only', action='store_true')
    a = ap.parse_args()
    archs = open(a.archs).read().split()
    for i, arch in enumerate(archs):
        for graph in ('pruned',) if a.pruned_only else ('pruned', 'built'):
            with tempfile.TemporaryDirectory() as d:
                cmd = [a.hwnas, 'export', '--space', a.space, '--arch', arch, '--out', d, '--formats', 'pytorch']
                cmd += (['--space-options', a.space_options] if a.space_options else []) + (['--keep-dead'] if graph == 'built' else [])
                p = subprocess.run(cmd, capture_output=True, text=True)
                if p.returncode:
                    sys.exit(f'gpu_torch_measure: {" ".join(cmd)}: {p.stderr.strip()}')
                os.makedirs(os.path.join(a.out, graph), exist_ok=True)
                model = next(os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs if f == 'model.py')
                shutil.copy(model, os.path.join(a.out, graph, f'{i}.py'))
    json.dump(archs, open(os.path.join(a.out, 'index.json'), 'w'))
    sys.exit(0)

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT, MODELS = sys.argv[1], sys.argv[2]
BATCHES = [int(b) for b in sys.argv[3].split(',')]
VARIANT_N = int(sys.argv[4])  # how many networks also get the b256 variants
REPEATS, WARMUP = 20, 5
dev = torch.device(os.environ.get('DEV', 'cuda'))
if dev.type == 'cpu':
    torch.cuda.synchronize = lambda: None
    torch.cuda.get_device_name = lambda i: 'cpu'
    class _P: multi_processor_count = 0
    torch.cuda.get_device_properties = lambda i: _P()
out = open(os.path.join(OUT, os.environ.get('OUTFILE', 'gpu_measure.jsonl')), 'w')

def emit(rec):
    out.write(json.dumps(rec) + '\n'); out.flush()

try:
    smi = subprocess.run(['nvidia-smi', '--query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,power.limit',
                          '--format=csv'], capture_output=True, text=True).stdout
except OSError as e:
    smi = str(e)
emit({'meta': {'torch': torch.__version__, 'cuda': torch.version.cuda, 'cudnn': torch.backends.cudnn.version(),
               'gpu': torch.cuda.get_device_name(0), 'sm_count': torch.cuda.get_device_properties(0).multi_processor_count,
               'allow_tf32_cudnn': torch.backends.cudnn.allow_tf32, 'allow_tf32_matmul': torch.backends.cuda.matmul.allow_tf32,
               'cudnn_benchmark': torch.backends.cudnn.benchmark, 'nvidia_smi': smi, 'repeats': REPEATS, 'warmup': WARMUP}})

def load(path):
    spec = importlib.util.spec_from_file_location('m' + str(abs(hash(path))), path)
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); return m

def time_net(net, x):
    with torch.no_grad():
        for _ in range(WARMUP): net(x)
        torch.cuda.synchronize()
        ts = []
        for _ in range(REPEATS):
            torch.cuda.synchronize(); t = time.perf_counter(); net(x); torch.cuda.synchronize()
            ts.append((time.perf_counter() - t) * 1e3)
    ts.sort()
    return {'latency_ms': statistics.median(ts), 'min_ms': ts[0], 'p25_ms': ts[len(ts) // 4], 'p75_ms': ts[3 * len(ts) // 4]}

# 1. Micro-benchmarks of nb201's layer shapes (CUDA events, 50 runs after 10 warm-ups, median).
def micro(fn, x, n=50):
    with torch.no_grad():
        for _ in range(10): fn(x)
        torch.cuda.synchronize(); ts = []
        for _ in range(n):
            if dev.type == 'cpu':
                t = time.perf_counter(); fn(x); ts.append((time.perf_counter() - t) * 1e3); continue
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record(); fn(x); b.record(); b.synchronize(); ts.append(a.elapsed_time(b))
    return statistics.median(ts)
t0 = time.time()
for B in (BATCHES if os.environ.get('MICRO', '1') == '1' else []):
    for C, H in ((16, 32), (32, 16), (64, 8)):
        x = torch.randn(B, C, H, H, device=dev)
        ops = {'conv3x3': nn.Conv2d(C, C, 3, 1, 1, bias=False), 'conv1x1': nn.Conv2d(C, C, 1, 1, 0, bias=False),
               'bn': nn.BatchNorm2d(C), 'avgpool3x3': nn.AvgPool2d(3, 1, 1, count_include_pad=False)}
        for name, m in ops.items():
            m = m.to(dev).eval()
            emit({'micro': name, 'batch': B, 'c': C, 'hw': H, 'ms': micro(m, x)})
        emit({'micro': 'relu', 'batch': B, 'c': C, 'hw': H, 'ms': micro(F.relu, x)})
        emit({'micro': 'zeros_like', 'batch': B, 'c': C, 'hw': H, 'ms': micro(torch.zeros_like, x)})
        emit({'micro': 'add', 'batch': B, 'c': C, 'hw': H, 'ms': micro(lambda t: t + t, x)})
        emit({'micro': 'empty_launch', 'batch': B, 'c': C, 'hw': H, 'ms': micro(lambda t: t, x)})
print(f'micro-benchmarks {time.time() - t0:.1f} s', flush=True)

# 2. Whole networks.
files = sorted(glob.glob(os.path.join(MODELS, '*', '*.py')),  # MODELS/<graph>/<index>.py: network by network, pruned first
              key=lambda f: (int(os.path.basename(f)[:-3]), f.split('/')[-2] != 'pruned'))
files = [f for f in files if f.split('/')[-2] in os.environ.get('GRAPHS', 'pruned,built').split(',')]
index = json.load(open(os.path.join(MODELS, 'index.json')))
t0 = time.time()
for f in files:
    graph, i = f.split('/')[-2], int(os.path.basename(f)[:-3])
    m = load(f)
    net = m.build().to(dev).eval()
    for B in BATCHES:
        x = torch.randn(B, *m.INPUT_SHAPE, device=dev)
        emit({'arch': index[i], 'i': i, 'graph': graph, 'batch': B, 'variant': 'fp32', **time_net(net, x)})
    if i < VARIANT_N and graph == 'pruned':
      try:
        B = max(BATCHES); x = torch.randn(B, *m.INPUT_SHAPE, device=dev)
        torch.backends.cudnn.allow_tf32 = False
        emit({'arch': index[i], 'i': i, 'graph': graph, 'batch': B, 'variant': 'fp32_no_tf32', **time_net(net, x)})
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
        emit({'arch': index[i], 'i': i, 'graph': graph, 'batch': B, 'variant': 'fp32_cudnn_benchmark', **time_net(net, x)})
        torch.backends.cudnn.benchmark = False
        h = m.build().to(dev).eval().half()
        emit({'arch': index[i], 'i': i, 'graph': graph, 'batch': B, 'variant': 'fp16', **time_net(h, x.half())})
        hc = h.to(memory_format=torch.channels_last)
        emit({'arch': index[i], 'i': i, 'graph': graph, 'batch': B, 'variant': 'fp16_channels_last',
              **time_net(hc, x.half().contiguous(memory_format=torch.channels_last))})
        del h, hc
      except Exception as e:
        print('variants failed:', e, flush=True)
        torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark = True, False
    del net
    if len(files) and files.index(f) % 50 == 0: print(f'{files.index(f)} / {len(files)} networks, {time.time() - t0:.0f} s', flush=True)
print(f'networks {time.time() - t0:.1f} s', flush=True)
