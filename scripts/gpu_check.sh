#!/usr/bin/env bash
# GPU check (issue #21): on a CUDA machine, build hwnas against the PyTorch wheel's LibTorch, time
# about 100 NAS-Bench-201 networks with `hwnas measure --torch-device cuda` (as built with
# --keep-dead and pruned, at batch 1 and 256), and print how well each shipped GPU profile and
# plain MACs rank and predict the measurements (Spearman, MAPE), zero-shot and few-shot (the
# profile adapted by `hwnas calibrate --samples` to the first 10 networks, scored on the others),
# and the short-training proxy's time on the GPU vs one CPU core. Not a test, not in CI.
#
#   scripts/gpu_check.sh                                    # on the GPU machine: build + 100 networks
#   scripts/gpu_check.sh --hwnas build/hwnas --torch-device cpu --n 5 --batches 1,8   # dry run on a CPU
#
# Options: --torch-device D (cuda), --n N networks (100), --batches B1,B2 (1,256), --repeats K
# (timed runs per network, median; 20), --hwnas BIN (use this binary, skip the build),
# --build-dir DIR (build-gpu), --out DIR (runs/gpu-check; measurements and results as CSV/JSON),
# --train-archs N (networks for the training-proxy timing; 2, 0 skips it), --deps DIR (the
# unpacked bundle of scripts/gpu_deps_bundle.sh, for a machine without the Debian -dev packages).
# Needs the build dependencies of scripts/setup.sh but libtorch-dev (or --deps), and a PyTorch
# wheel (CUDA) for python3.
set -euo pipefail
CALLER=$PWD  # relative paths given to --deps are the caller's
cd "$(dirname "$0")/.."

DEVICE=cuda N=100 BATCHES=1,256 REPEATS=20 HWNAS="" BUILD_DIR=build-gpu OUT=runs/gpu-check TRAIN_ARCHS=2 DEPS=
while [ $# -gt 0 ]; do
  case "$1" in
    --torch-device) DEVICE=$2; shift 2 ;;
    --n) N=$2; shift 2 ;;
    --batches) BATCHES=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --hwnas) HWNAS=$2; shift 2 ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --train-archs) TRAIN_ARCHS=$2; shift 2 ;;
    --deps) DEPS=$(cd "$CALLER" && cd "$2" && pwd); shift 2 ;;
    -h|--help) sed -n 2,18p "$0"; exit 0 ;;
    *) echo "gpu_check: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ -z "$HWNAS" ]; then
  # The wheel's LibTorch (CUDA when the wheel has it). Wheels before PyTorch 2.7 use the pre-C++11
  # std::string ABI: then every hwnas module is compiled with it too, not only the LibTorch parts
  # (a Debian library passing std::string across, such as Boost.Graph's graphviz reader, could
  # then fail to link; hwnas does not call it).
  TORCH_DIR=$(python3 -c "import torch; print(torch.utils.cmake_prefix_path)")/Torch
  ABI=$(python3 -c "import torch; print(int(torch.compiled_with_cxx11_abi()))")
  echo "gpu_check: building against $TORCH_DIR (torch $(python3 -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)'), cxx11 abi $ABI)"
  GEN=() DEPFLAGS=()
  command -v ninja >/dev/null && GEN=(-G Ninja)
  if [ -n "$DEPS" ]; then
    DEPFLAGS=(-DEigen3_DIR="$DEPS/cmake/Eigen3" -DBoost_DIR="$DEPS/cmake/Boost" -DTBB_DIR="$DEPS/cmake/TBB"
              -Dnlohmann_json_DIR="$DEPS/cmake/nlohmann_json" -DCLI11_DIR="$DEPS/cmake/CLI11"
              -DZLIB_INCLUDE_DIR="$DEPS/include" -DZLIB_LIBRARY="$DEPS/lib/libz.so")
  fi
  cmake -S . -B "$BUILD_DIR" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release -DTorch_DIR="$TORCH_DIR" -DHWNAS_MPI=OFF "${DEPFLAGS[@]}" \
        -DHWNAS_BUILD_TESTS=OFF -DHWNAS_PYTHON=OFF -DCMAKE_CXX_FLAGS="-D_GLIBCXX_USE_CXX11_ABI=$ABI"
  cmake --build "$BUILD_DIR" -j "$(nproc)" --target hwnas
  HWNAS=$BUILD_DIR/hwnas
fi
[ -n "$DEPS" ] && export LD_LIBRARY_PATH=$DEPS/lib:${LD_LIBRARY_PATH:-}
"$HWNAS" devices >/dev/null
mkdir -p "$OUT"
python3 - "$HWNAS" "$DEVICE" "$N" "$BATCHES" "$REPEATS" "$OUT" "$TRAIN_ARCHS" <<'PY'
import csv, json, os, random, subprocess, sys, time
B, DEVICE, N, BATCHES, REPEATS, OUT, TRAIN_ARCHS = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    [int(b) for b in sys.argv[4].split(',')], int(sys.argv[5]), sys.argv[6], int(sys.argv[7])

class Failed(Exception):
    pass

def run(args, fatal=True):
    p = subprocess.run([B] + args, capture_output=True, text=True)
    if p.returncode != 0:
        msg = f"{' '.join([B] + args)} failed ({p.returncode}):\n{p.stderr}"
        if fatal: sys.exit("gpu_check: " + msg)
        raise Failed(p.stderr.strip().splitlines()[-1] if p.stderr.strip() else msg)
    return p.stdout

def ranks(v):
    order = sorted(range(len(v)), key=lambda i: v[i])
    r = [0.0] * len(v)
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]: j += 1
        for k in range(i, j + 1): r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r

def spearman(a, b):
    if len(a) < 3: return float('nan')
    ra, rb = ranks(a), ranks(b)
    ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5; vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return cov / (va * vb) if va and vb else float('nan')

def mape(pred, meas):
    return 100 * sum(abs(p - m) / m for p, m in zip(pred, meas)) / len(meas)

rows = list(csv.DictReader(open('bench/data/hwnasbench_nb201.csv')))
random.seed(3)
archs = [r['arch_str'] for r in random.sample(rows, N)]
with open(os.path.join(OUT, 'archs.txt'), 'w') as f: f.write('\n'.join(archs) + '\n')
# The datacenter and desktop GPUs (PyTorch eager), not the Jetsons (TensorRT, compiled).
gpus = [d['name'] for d in json.loads(run(['devices', '--json'])) if d.get('kind') == 'gpu' and d.get('runtime') == 'eager']
print(f"gpu_check: {N} nb201 networks (CIFAR-10 size, seed 3 from bench/data/hwnasbench_nb201.csv) on {DEVICE}, "
      f"median of {REPEATS}; GPU profiles: {', '.join(gpus)}")
few = 10
results = []
for graph in ('pruned', 'built'):
    keep = ['--keep-dead'] if graph == 'built' else []
    for batch in BATCHES:
        t0 = time.time()
        out = run(['measure', '--arch-file', os.path.join(OUT, 'archs.txt'), '--torch-device', DEVICE, '--batch', str(batch),
                   '--repeats', str(REPEATS), '--warmup', '5'] + keep)
        meas = {j['arch']: j['latency_ms'] for j in map(json.loads, out.splitlines())}
        m = [meas[a] for a in archs]
        pred = {g: [] for g in gpus}; macs = []
        for a in archs:
            e = json.loads(run(['evaluate', '--arch', a, '--json', '--batch', str(batch)] + keep +
                               sum((['--device', g] for g in gpus), [])))
            for g in gpus: pred[g].append(e['latency_ms'][g])
            macs.append(e['macs'])
        tag = f"{graph}-b{batch}"
        with open(os.path.join(OUT, f'measured-{tag}.csv'), 'w') as f:
            f.write('arch_str,latency_ms\n' + ''.join(f'{a},{x}\n' for a, x in zip(archs, m)))
        print(f"\n{graph}, batch {batch}: measured {min(m):.3f}..{max(m):.3f} ms ({time.time() - t0:.0f} s)")
        # MACs has no unit of time: its MAPE uses the one scale (ms per MAC) that fits the measurements best (median ratio).
        scale = sorted(x / c for x, c in zip(m, macs) if c > 0)[len(m) // 2]
        line = {'graph': graph, 'batch': batch, 'n': N, 'macs_spearman': spearman(macs, m),
                'macs_scaled_mape': mape([c * scale for c in macs], m)}
        print(f"  {'MACs (scaled to fit)':34s} Spearman {line['macs_spearman']:.3f}  MAPE {line['macs_scaled_mape']:6.1f}%")
        for g in gpus:
            line[g] = {'spearman': spearman(pred[g], m), 'mape': mape(pred[g], m)}
            txt = f"  {g:34s} Spearman {line[g]['spearman']:.3f}  MAPE {line[g]['mape']:6.1f}%"
            if N >= few + 3:  # few-shot: adapt to the first 10 networks, score on the rest
                csv_path = os.path.join(OUT, f'few-{tag}.csv')
                with open(csv_path, 'w') as f:
                    f.write('arch_str,latency_ms\n' + ''.join(f'{a},{x}\n' for a, x in zip(archs[:few], m[:few])))
                prof = os.path.join(OUT, f'{g}-{tag}.json')
                try:
                    run(['calibrate', '--device', g, '--samples', csv_path, '--batch', str(batch), '--out', prof] + keep,
                        fatal=False)
                    fp = [next(iter(json.loads(run(['evaluate', '--arch', a, '--json', '--batch', str(batch), '--device', prof] + keep))
                                    ['latency_ms'].values())) for a in archs[few:]]
                    line[g]['few_shot'] = {'spearman': spearman(fp, m[few:]), 'mape': mape(fp, m[few:])}
                    txt += f"   few-shot ({few}) Spearman {line[g]['few_shot']['spearman']:.3f}  MAPE {line[g]['few_shot']['mape']:6.1f}%"
                except Failed as e:  # the adaptation refused these samples: say why, go on
                    line[g]['few_shot'] = {'error': str(e)}
                    txt += f"   few-shot refused: {e}"
            print(txt)
        results.append(line)

train = []
for a in archs[:TRAIN_ARCHS]:
    t = {}
    for dev, threads in dict.fromkeys([(DEVICE, '1'), ('cpu', '1')]):  # once when DEVICE is cpu
        j = json.loads(run(['proxy', '--arch', a, '--proxy', 'train', '--dataset', 'synthetic', '--threads', threads,
                            '--torch-device', dev, '--json']))
        t[dev] = j['seconds']['train']
    train.append({'arch': a, **t})
if train:
    ratio = sorted(t['cpu'] / t[DEVICE] for t in train)
    print(f"\ntraining proxy (200 steps, reduced nb201, synthetic data): {DEVICE} "
          f"{sum(t[DEVICE] for t in train) / len(train):.2f} s vs one CPU core {sum(t['cpu'] for t in train) / len(train):.2f} s "
          f"per network; speed-up median {ratio[len(ratio) // 2]:.1f}x over {len(train)} networks")
json.dump({'device': DEVICE, 'n': N, 'repeats': REPEATS, 'fidelity': results, 'train_seconds': train},
          open(os.path.join(OUT, 'results.json'), 'w'), indent=2)
print(f"\ngpu_check: measurements and results in {OUT}/")
PY
