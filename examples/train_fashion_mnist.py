"""Drive a hardware-aware search from your own PyTorch training loop.

hwnas proposes NAS-Bench-201 cells (small: 8 channels, one cell per stage, 28x28 grey input) that
run in at most 2 ms on a Raspberry Pi 4 (predicted, checked before you train anything); this script
trains each for a few steps on Fashion-MNIST (Debian: dataset-fashion-mnist) and tells hwnas the
validation accuracy. hwnas keeps the strategy, the exact params and latency, the log and the front.

    PYTHONPATH=build/python python3 examples/train_fashion_mnist.py --trials 24 --steps 100
"""
import argparse, gzip, os

import numpy as np
import torch
import torch.nn.functional as F

import hwnas

DATA = "/usr/share/datasets/fashion-mnist"


def idx(name):  # an IDX file of Debian's Fashion-MNIST, as a NumPy array
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def train_and_validate(net, x, y, xv, yv, steps, batch=64):
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    gen = torch.Generator().manual_seed(0)
    net.train()
    for _ in range(steps):
        i = torch.randint(len(x), (batch,), generator=gen)
        opt.zero_grad()
        F.cross_entropy(net(x[i]), y[i]).backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        return (net(xv).argmax(1) == yv).float().mean().item()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=24)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--run-dir", default="runs/fashion-mnist")
    args = ap.parse_args()
    torch.manual_seed(0)
    x = torch.tensor(idx("train-images-idx3-ubyte.gz")[:5000], dtype=torch.float32).unsqueeze(1) / 255
    y = torch.tensor(idx("train-labels-idx1-ubyte.gz")[:5000], dtype=torch.long)
    xv = torch.tensor(idx("t10k-images-idx3-ubyte.gz")[:1000], dtype=torch.float32).unsqueeze(1) / 255
    yv = torch.tensor(idx("t10k-labels-idx1-ubyte.gz")[:1000], dtype=torch.long)

    # The search, in the lines a user writes:
    study = hwnas.Study({
        "space": {"name": "nb201", "options": {"channels": 8, "cells_per_stage": 1, "input_size": 28, "input_channels": 1}},
        "objectives": [
            {"name": "acc", "source": {"external": {}}, "direction": "maximize"},
            {"name": "rpi4_ms", "source": {"latency": {"device": "raspberry-pi-4"}}},
            {"name": "params", "source": "params"}],
        "constraints": [{"objective": "rpi4_ms", "max": 2}],
        "strategy": {"name": "evolution", "options": {"population": 8, "sample_size": 3}},
        "budget": {"evaluations": args.trials}, "seed": 0,
    }, run_dir=args.run_dir, force=True)
    while trials := study.ask(2):
        for t in trials:
            acc = train_and_validate(t.to_torch(), x, y, xv, yv, args.steps)
            study.tell(t, {"acc": acc})
            print(f"trial {t.id}: acc {acc:.3f}, {t.cheap['rpi4_ms']:.3f} ms, {t.cheap['params']:.0f} params  {t.arch}")
    print("Pareto front (acc, rpi4_ms, params):")
    for m in study.pareto():
        o = m["objectives"]
        print(f"  {o['acc']:.3f}  {o['rpi4_ms']:.3f} ms  {o['params']:.0f}  {m['arch']}")
    print("report:", study.report())


if __name__ == "__main__":
    main()
