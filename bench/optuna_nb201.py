#!/usr/bin/python3
"""Optuna's NSGA-II and TPE on the nb201 table problems of bench/bench_strategies.cpp.

Problem (the same as bench_strategies --problem P): two or three objectives over all 15,625
NAS-Bench-201 cells, all minimized, read from the CSVs that `bench_strategies --problem P --tables
DIR` writes (one per objective, columns arch_str,value). Each nb201 edge is one categorical
parameter (5 ops). The true Pareto front is that of the whole table; hypervolumes are normalized
by the true front's ideal and nadir points (its min/max; #17's definition), or with --normalize
table by the min/max of the whole table (the figures before stop 42), with reference point 1.1 per
objective (include/hwnas/search/pareto.h), so "fraction of the true hypervolume" means the same
here and in bench_strategies with the same --normalize.

Optuna knows nothing of equivalent cells, so every trial is an evaluation. With --enumerate
ENUM.csv (`hwnas enumerate --space nb201 --out ENUM.csv`, which has the canonical hash of every
cell) the script also counts "distinct" evaluations: trials whose canonical cell was seen before
are free, as in hwnas's controller cache. (hwnas strategies never propose a seen canonical cell,
so for them trials == distinct.)

Prints, per sampler, the median over seeds of the trials (and distinct evaluations) until the
front found reaches 95% and 99% of the true hypervolume, the median fraction after 200 trials,
and the mean time per trial (Optuna's ask/tell overhead, the "evaluation" is a table look-up).

Run with /usr/bin/python3 (python3-optuna 3.1):
  /usr/bin/python3 bench/optuna_nb201.py --objectives DIR/error.csv,DIR/params.csv [--enumerate enum.csv]
      [--seeds 10] [--max-trials 2000] [--max-trials-tpe 400] [--samplers nsga2,tpe] [--csv out.csv]
      [--normalize front|table] [--first-seed 0]
"""
import argparse
import csv
import statistics
import sys
import time

import optuna

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
# nb201 edges in the order of the architecture string: (1,0) | (2,0) (2,1) | (3,0) (3,1) (3,2)
EDGES = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]
REFERENCE = 1.1


def arch_string(ops):
    o = ops
    return f"|{o[0]}~0|+|{o[1]}~0|{o[2]}~1|+|{o[3]}~0|{o[4]}~1|{o[5]}~2|"


def read_table(path, key="arch_str", value="value"):
    with open(path, newline="") as f:
        return {row[key]: float(row[value]) for row in csv.DictReader(f)}


def hypervolume_2d(points, reference):
    """Exact 2-D hypervolume of minimized points; points not strictly better than the reference drop."""
    pts = sorted(p for p in points if p[0] < reference[0] and p[1] < reference[1])
    hv, best_y = 0.0, reference[1]
    for x, y in pts:
        if y < best_y:
            hv += (reference[0] - x) * (best_y - y)
            best_y = y
    return hv


def hypervolume(points, reference):
    """Exact hypervolume of minimized points in 2 or 3 dimensions (3-D: slices along the last axis)."""
    if len(reference) == 2:
        return hypervolume_2d(points, reference)
    pts = sorted(p for p in points if all(p[i] < reference[i] for i in range(3)))
    zs = sorted({p[2] for p in pts})
    hv = 0.0
    for k, z in enumerate(zs):
        top = zs[k + 1] if k + 1 < len(zs) else reference[2]
        hv += hypervolume_2d([p[:2] for p in pts if p[2] <= z], reference[:2]) * (top - z)
    return hv


def dominates_weakly(a, b):
    return all(x <= y for x, y in zip(a, b))


class Problem:
    def __init__(self, objective_csvs, enumerate_csv=None, normalize="front"):
        tables = [read_table(path) for path in objective_csvs]
        if not 2 <= len(tables) <= 3:
            sys.exit("--objectives: give 2 or 3 tables")
        for path, t in zip(objective_csvs[1:], tables[1:]):
            if set(t) != set(tables[0]):
                sys.exit(f"{path} lists different architectures from {objective_csvs[0]}")
        self.m = len(tables)
        self.values = {a: tuple(t[a] for t in tables) for a in tables[0]}
        pts = list(self.values.values())
        bounded = Front.of(pts) if normalize == "front" else pts  # the true front, or the whole table
        self.lower = [min(p[i] for p in bounded) for i in range(self.m)]
        self.upper = [max(p[i] for p in bounded) for i in range(self.m)]
        self.reference = (REFERENCE,) * self.m
        norm = [self.normalize(p) for p in pts]
        self.true_hv = hypervolume(Front.of(norm), self.reference)
        self.canonical = None
        if enumerate_csv:
            with open(enumerate_csv, newline="") as f:
                self.canonical = {row["arch_str"]: row["hash"] for row in csv.DictReader(f)}

    def normalize(self, p):
        out = []
        for i in range(self.m):
            span = self.upper[i] - self.lower[i]
            out.append((p[i] - self.lower[i]) / span if span > 0 else p[i] - self.lower[i])
        return out


class Front:
    """Incremental non-dominated set of normalized points with its hypervolume."""

    def __init__(self, reference):
        self.points = []
        self.reference = reference

    @staticmethod
    def of(points):
        f = Front(None)
        for p in points:
            f.add(p)
        return f.points

    def add(self, p):
        for q in self.points:
            if dominates_weakly(q, p):
                return False
        self.points = [q for q in self.points if not dominates_weakly(p, q)] + [p]
        return True

    def hypervolume(self):
        return hypervolume(self.points, self.reference)


def make_sampler(name, seed):
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    sys.exit(f"unknown sampler {name} (nsga2, tpe, random)")


def run_one(problem, sampler_name, seed, max_trials):
    study = optuna.create_study(directions=["minimize"] * problem.m, sampler=make_sampler(sampler_name, seed))
    front = Front(problem.reference)
    seen = set()
    result = {"t95": None, "t99": None, "d95": None, "d99": None, "hv200": None}
    distinct = 0
    t0 = time.perf_counter()
    trials = 0
    for trial_no in range(1, max_trials + 1):
        trial = study.ask()
        ops = [trial.suggest_categorical(f"edge{to}{frm}", OPS) for to, frm in EDGES]
        arch = arch_string(ops)
        values = problem.values[arch]
        study.tell(trial, list(values))
        trials = trial_no
        key = problem.canonical[arch] if problem.canonical else arch
        if key not in seen:
            seen.add(key)
            distinct += 1
        front.add(problem.normalize(values))
        frac = front.hypervolume() / problem.true_hv
        if trial_no == 200:
            result["hv200"] = frac
        if frac >= 0.95 and result["t95"] is None:
            result["t95"], result["d95"] = trial_no, distinct
        if frac >= 0.99 - 1e-12 and result["t99"] is None:
            result["t99"], result["d99"] = trial_no, distinct
        if result["t99"] is not None and trial_no >= 200:
            break
    if result["hv200"] is None:  # stopped before 200 trials: the fraction there is the final one
        result["hv200"] = front.hypervolume() / problem.true_hv
    result["seconds_per_trial"] = (time.perf_counter() - t0) / max(trials, 1)
    return result


def median_or_more(values, limit):
    """Median where a run that never got there counts as more than `limit`."""
    v = sorted(limit + 1 if x is None else x for x in values)
    m = statistics.median(v)
    return f">{limit}" if m > limit else f"{m:.0f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objectives", required=True,
                    help="comma-separated arch_str,value CSVs, one per objective (bench_strategies --tables DIR)")
    ap.add_argument("--enumerate", help="hwnas enumerate CSV with canonical hashes (optional)")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1 (to split a run)")
    ap.add_argument("--max-trials", type=int, default=2000)
    ap.add_argument("--max-trials-tpe", type=int, default=400, help="TPE's cost per trial grows with the trials")
    ap.add_argument("--samplers", default="nsga2,tpe")
    ap.add_argument("--csv", help="write the per-seed results here")
    ap.add_argument("--normalize", choices=["front", "table"], default="front",
                    help="hypervolume bounds: the true front's ideal and nadir (default) or the whole table's")
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    problem = Problem(args.objectives.split(","), args.enumerate, args.normalize)
    print(f"optuna {optuna.__version__}; nb201: {len(problem.values)} cells, "
          f"true hypervolume {problem.true_hv:.6f} (normalized by the {'true front' if args.normalize == 'front' else 'whole table'}, "
          f"ref {REFERENCE}); {args.seeds} seeds")
    header = f"{'sampler':<14} {'evals->95%':>12} {'evals->99%':>12} {'HV@200 (med)':>14} {'ms/trial':>10}"
    if problem.canonical:
        header += f" {'distinct->95%':>14} {'distinct->99%':>14}"
    print()
    print(header)
    rows = []
    for name in args.samplers.split(","):
        limit = args.max_trials_tpe if name == "tpe" else args.max_trials
        results = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            r = run_one(problem, name, seed, limit)
            r.update(sampler=name, seed=seed)
            results.append(r)
            rows.append(r)
        line = (f"{'optuna-' + name:<14} {median_or_more([r['t95'] for r in results], limit):>12} "
                f"{median_or_more([r['t99'] for r in results], limit):>12} "
                f"{statistics.median(r['hv200'] for r in results):>14.4f} "
                f"{1000 * statistics.mean(r['seconds_per_trial'] for r in results):>10.2f}")
        if problem.canonical:
            line += (f" {median_or_more([r['d95'] for r in results], limit):>14} "
                     f"{median_or_more([r['d99'] for r in results], limit):>14}")
        print(line, flush=True)
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["sampler", "seed", "t95", "t99", "d95", "d99", "hv200", "seconds_per_trial"])
            w.writeheader()
            for r in rows:
                w.writerow(r)


if __name__ == "__main__":
    main()
