#!/usr/bin/env python3
"""Writes space_models.csv: exact counts of random networks of the two built-in spaces, the
example table of `hwnas scaling` (README, docs/scaling.md). Made by the project, not copied from a
publication: every number is `hwnas evaluate --json` of a seeded random architecture.

    /usr/bin/python3 docs/examples/make_space_models.py ./build/hwnas > docs/examples/space_models.csv
"""
import json
import random
import subprocess
import sys

NB201_OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def nb201(rng):
    ops = [rng.choice(NB201_OPS) for _ in range(6)]
    return "|%s~0|+|%s~0|%s~1|+|%s~0|%s~1|%s~2|" % tuple(ops)


def mbv(rng):
    stages = []
    for _ in range(5):
        blocks = ["k%de%d" % (rng.choice([3, 5, 7]), rng.choice([3, 4, 6])) for _ in range(rng.choice([2, 3, 4]))]
        stages.append(",".join(blocks))
    return "r%d|w%s|%s" % (rng.choice([128, 160, 192, 224]), rng.choice(["0.75", "1", "1.25"]), "|".join(stages))


def main(hwnas, per_space=40, seed=7):
    rng = random.Random(seed)
    print("space,arch,params,macs,flops")
    for space, sample in (("nb201", nb201), ("mbv", mbv)):
        seen = set()
        while len(seen) < per_space:
            arch = sample(rng)
            if arch in seen:
                continue
            out = subprocess.run([hwnas, "evaluate", "--space", space, "--arch", arch, "--json"],
                                 capture_output=True, text=True, check=True).stdout
            j = json.loads(out)
            if j.get("degenerate"):
                continue  # a constant network: no scaling to speak of
            seen.add(arch)
            print('%s,"%s",%d,%d,%d' % (space, arch, j["params"], j["macs"], j["flops"]))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "./build/hwnas")
