"""Ask/tell from Python against the same loop in C++ (build/bench_study), and hwnas.predict over
all 15,625 nb201 cells. Median of --repeats runs; prints a Markdown table for the README.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_ask_tell.py --trials 1000 --repeats 3
"""
import argparse, json, os, shutil, statistics, subprocess, time

import hwnas


def fake_acc(arch):  # FNV-1a of the arch text, as bench_study.cpp
    h = 1469598103934665603
    for c in arch.encode():
        h = ((h ^ c) * 1099511628211) % (1 << 64)
    return (h % 1000) / 1000.0


def python_loop(strategy, trials, run_dir):
    cfg = {"space": {"name": "nb201"},
           "objectives": [{"name": "acc", "source": "external", "direction": "maximize"}, {"name": "params", "source": "params"}],
           "strategy": {"name": strategy}, "budget": {"evaluations": trials}, "seed": 0}
    shutil.rmtree(run_dir, ignore_errors=True)
    study = hwnas.Study(cfg, run_dir=run_dir)
    ms = []
    for _ in range(trials):
        t0 = time.perf_counter()
        got = study.ask(1)
        if not got:
            break
        study.tell(got[0], {"acc": fake_acc(got[0].arch)})
        ms.append(1000 * (time.perf_counter() - t0))
    study.close()
    return sum(ms[:100]) / 100, sum(ms[-100:]) / 100


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--bench", default="build/bench_study")
    ap.add_argument("--strategies", default="random,evolution,bo,mcts")
    args = ap.parse_args()
    print(f"| strategy | C++ ms/trial (last 100 of {args.trials}) | Python ms/trial | Python / C++ |")
    print("|---|---|---|---|")
    for s in args.strategies.split(","):
        cpp, py = [], []
        for _ in range(args.repeats):
            out = subprocess.run([args.bench, "--trials", str(args.trials), "--strategies", s, "--dir", "/tmp/bench_study_cpp"],
                                 capture_output=True, text=True, check=True).stdout
            cpp.append(json.loads(out)["last100_ms"])
            py.append(python_loop(s, args.trials, "/tmp/bench_study_py")[1])
        c, p = statistics.median(cpp), statistics.median(py)
        print(f"| {s} | {c:.3f} | {p:.3f} | {p / c:.2f} |")
    archs = list(hwnas.enumerate("nb201")["arch"])
    t = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        hwnas.predict("raspberry-pi-4", "nb201", archs)
        t.append(time.perf_counter() - t0)
    print(f"\nhwnas.predict, raspberry-pi-4, all {len(archs)} nb201 cells: median {statistics.median(t):.3f} s")


if __name__ == "__main__":
    main()
