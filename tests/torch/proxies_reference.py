#!/usr/bin/env python3
"""An independent reference for hwnas's zero-cost proxies synflow, grad_norm and snip.

It shares no code with hwnas: it loads the network from the exported model.py (PyTorch source),
puts in the weights the C++ side wrote, and computes each score with Debian's python3-torch from
the published definitions (Tanaka et al. 2020 for synflow, Lee et al. 2019 for snip, as
implemented in the zero-cost proxies code of Abdelfattah et al. 2021):

  synflow    the model in float64, every parameter and floating-point buffer replaced by its
             absolute value, BatchNorm in inference mode, one all-ones input, on the
             linearised network (ReLU6 unbounded: F.relu6 runs as F.relu); R = sum(output);
             score = sum over Conv2d and Linear weights w of sum |w * dR/dw|
  grad_norm  training mode, L = mean cross-entropy of the minibatch;
             score = sum over Conv2d and Linear weights of ||dL/dw||_2
  snip       the same loss; score = sum over Conv2d and Linear weights of sum |w * dL/dw|

Each score starts from a freshly built network with the given weights, as hwnas does.

Run by tests/torch/proxies_test.cpp (Proxies.MatchAnIndependentPyTorchReference). By hand:

    /usr/bin/python3 tests/torch/proxies_reference.py DIR...

where each DIR holds model.py (`hwnas export --formats pytorch`), weights.txt ("name numel" per
line) with weights.bin (those tensors, float32 little-endian, in that order), x.txt (the
minibatch shape "N C H W") with x.bin (float32) and labels.txt (one class per line). Prints
"DIR synflow grad_norm snip" per folder, or "FAIL DIR reason".
"""
import importlib.util
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_case(d):
    names = []
    for line in open(d + "/weights.txt"):
        name, numel = line.split()
        names.append((name, int(numel)))
    flat = torch.frombuffer(bytearray(open(d + "/weights.bin", "rb").read()), dtype=torch.float32)
    weights, at = {}, 0
    for name, numel in names:
        weights[name] = flat[at:at + numel].clone()
        at += numel
    if at != flat.numel():
        raise ValueError("weights.bin has %d values, weights.txt lists %d" % (flat.numel(), at))
    shape = [int(v) for v in open(d + "/x.txt").read().split()]
    x = torch.frombuffer(bytearray(open(d + "/x.bin", "rb").read()), dtype=torch.float32).clone().reshape(shape)
    labels = torch.tensor([int(v) for v in open(d + "/labels.txt").read().split()], dtype=torch.int64)
    return weights, x, labels


def build(d, weights):
    spec = importlib.util.spec_from_file_location("model", d + "/model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.build()
    state = net.state_dict()
    floating = {k for k, v in state.items() if v.is_floating_point()}
    if floating != set(weights):
        raise ValueError("parameter names differ: model.py only %s, written only %s"
                         % (sorted(floating - set(weights)), sorted(set(weights) - floating)))
    for k in floating:
        if state[k].numel() != weights[k].numel():
            raise ValueError("%s: %d values, model.py expects %d" % (k, weights[k].numel(), state[k].numel()))
        state[k] = weights[k].reshape(state[k].shape)
    net.load_state_dict(state, strict=True)
    return net, module.INPUT_SHAPE


def scored_weights(net):
    return [m.weight for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def synflow(d, weights):
    net, input_shape = build(d, weights)
    net = net.double()
    net.eval()
    with torch.no_grad():
        for v in net.state_dict().values():
            if v.is_floating_point():
                v.abs_()
    relu6 = F.relu6
    F.relu6 = lambda x, inplace=False: F.relu(x, inplace=inplace)  # the linearised network
    try:
        out = net(torch.ones((1,) + tuple(input_shape), dtype=torch.float64))
    finally:
        F.relu6 = relu6
    torch.sum(out).backward()
    return sum(float((w * w.grad).abs().sum()) for w in scored_weights(net) if w.grad is not None)


def loss_gradients(d, weights, x, labels):
    net, _ = build(d, weights)
    net.train()
    F.cross_entropy(net(x), labels).backward()
    return [w for w in scored_weights(net) if w.grad is not None]


def grad_norm(d, weights, x, labels):
    return sum(float(w.grad.norm()) for w in loss_gradients(d, weights, x, labels))


def snip(d, weights, x, labels):
    return sum(float((w * w.grad).abs().sum()) for w in loss_gradients(d, weights, x, labels))


def main(dirs):
    torch.set_num_threads(1)
    failed = False
    for d in dirs:
        try:
            weights, x, labels = read_case(d)
            scores = (synflow(d, weights), grad_norm(d, weights, x, labels), snip(d, weights, x, labels))
            print("%s %.17g %.17g %.17g" % ((d,) + scores))
        except Exception as e:  # one line per folder, so the test can name the case
            print("FAIL %s %s" % (d, e))
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
