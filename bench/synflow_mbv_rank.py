#!/usr/bin/env python3
"""How synflow ranks mbv networks against their parameter count (issue #13): Spearman over 30
random mbv networks (seeded, uniform choices), for the whole space, at resolution 224 and width 1,
and at widths 0.75 and 1.25 with random resolutions. Runs `hwnas proxy` per network (about 3 s
each on one core). Not a test.

    /usr/bin/python3 bench/synflow_mbv_rank.py ./build/hwnas
"""
import json
import random
import subprocess
import sys

from scipy.stats import spearmanr


def arch(rng, res=None, width=None):
    r = res or rng.choice([128, 160, 192, 224])
    w = width or rng.choice(["0.75", "1", "1.25"])
    stages = "|".join(",".join("k%de%d" % (rng.choice([3, 5, 7]), rng.choice([3, 4, 6]))
                               for _ in range(rng.choice([2, 3, 4]))) for _ in range(5))
    return "r%d|w%s|%s" % (r, w, stages)


def rank(hwnas, label, seed, **fixed):
    rng = random.Random(seed)
    s, p = [], []
    for _ in range(30):
        out = subprocess.run([hwnas, "proxy", "--space", "mbv", "--arch", arch(rng, **fixed), "--proxy", "synflow,params",
                              "--json"], capture_output=True, text=True, check=True).stdout
        j = json.loads(out)
        s.append(j["synflow"])
        p.append(j["params"])
    print("%-34s spearman(synflow, params) = %.3f   synflow %.3g .. %.3g" % (label, spearmanr(s, p).correlation, min(s), max(s)))


def main(hwnas):
    if hwnas in ("-h", "--help"):
        print(__doc__)
        return
    rank(hwnas, "whole space", 5)
    rank(hwnas, "resolution 224, width 1", 5, res=224, width="1")
    rank(hwnas, "width 0.75, random resolution", 9, width="0.75")
    rank(hwnas, "width 1.25, random resolution", 9, width="1.25")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "./build/hwnas")
