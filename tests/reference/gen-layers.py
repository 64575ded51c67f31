# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes tests/data/layers.safetensors, PyTorch's answers for tests/test-layers-reference.c.

    /usr/bin/python3 tests/reference/gen-layers.py

(/usr/bin/python3 is Debian's interpreter with python3-torch 1.13.)  For every case of
ref_specs[] in tests/test-layers-reference.c (keep the two tables in sync) the file holds, under
"<layer>/<case>/<what>":

    x, w, b / gamma, beta     inputs and parameters (float32)
    out                       forward output
    dout                      upstream gradient fed to backward
    dx, dw, db / dgamma, dbeta   gradients of sum(out * dout)
    running_mean, running_var    BN: running statistics before the step
    running_mean_after, running_var_after   BN train: after one training forward
    labels (int64), loss      cross-entropy

Inputs are seeded, so rerunning reproduces the file bit for bit on the same torch build.
Max-pool inputs are multiples of 1/4 so that windows contain ties, which PyTorch's CPU kernel
resolves to the first element in row-major order.
"""

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sstio  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "layers.safetensors")

torch.manual_seed(20240601)
torch.set_num_threads(1)
tensors = {}


def uniform(*shape, lo=-1.0, hi=1.0):
    return torch.empty(*shape).uniform_(lo, hi)


def put(case, **named):
    for what, t in named.items():
        tensors["%s/%s" % (case, what)] = t.detach().contiguous().clone()


def run(case, module_fn, x, params, grad_names):
    """out = module_fn(x); backward of sum(out * dout); store everything."""
    x = x.clone().requires_grad_(True)
    out = module_fn(x)
    dout = uniform(*out.shape)
    out.backward(dout)
    put(case, x=x, out=out, dout=dout, dx=x.grad)
    for (pname, p), gname in zip(params, grad_names):
        put(case, **{pname: p, gname: p.grad})


# Conv2d: (name, n, c, h, w, o, k, s, p, bias); as ref_specs[] in tests/test-layers-reference.c
# (groups and dilation: at the end)
for name, n, c, h, w, o, k, s, p, bias in [
    ("3x3-s1-p1", 2, 3, 6, 5, 4, 3, 1, 1, True),
    ("3x3-s2-p1", 2, 3, 7, 6, 4, 3, 2, 1, False),
    ("1x1-s1-p0", 2, 4, 3, 5, 3, 1, 1, 0, True),
    ("5x5-s2-p2", 2, 2, 8, 7, 3, 5, 2, 2, True),
    ("3x3-s1-p1-c8", 2, 8, 5, 6, 8, 3, 1, 1, True),  # C·K ≥ 24: the row-shift GEMMs
]:
    conv = torch.nn.Conv2d(c, o, k, stride=s, padding=p, bias=bias)
    params = [("w", conv.weight)] + ([("b", conv.bias)] if bias else [])
    run("conv/" + name, conv, uniform(n, c, h, w), params, ["dw", "db"])

# BatchNorm: (name, n, c, hw, train); hw = 1 is BatchNorm1d on (N, C)
for name, n, c, h, w, train in [
    ("train-2d", 4, 3, 3, 5, True),
    ("eval-2d", 4, 3, 3, 5, False),
    ("train-1d", 6, 5, 1, 1, True),
]:
    if h * w == 1:
        bn = torch.nn.BatchNorm1d(c, eps=1e-5, momentum=0.1)
        x = uniform(n, c, lo=-2.0, hi=3.0)
    else:
        bn = torch.nn.BatchNorm2d(c, eps=1e-5, momentum=0.1)
        x = uniform(n, c, h, w, lo=-2.0, hi=3.0)
    with torch.no_grad():
        bn.weight.copy_(uniform(c, lo=0.5, hi=1.5))
        bn.bias.copy_(uniform(c, lo=-0.5, hi=0.5))
        bn.running_mean.copy_(uniform(c, lo=-0.5, hi=0.5))
        bn.running_var.copy_(uniform(c, lo=0.5, hi=2.0))
    case = "batchnorm/" + name
    put(case, running_mean=bn.running_mean, running_var=bn.running_var)
    bn.train(train)
    run(case, bn, x, [("gamma", bn.weight), ("beta", bn.bias)], ["dgamma", "dbeta"])
    if train:
        put(case, running_mean_after=bn.running_mean, running_var_after=bn.running_var)

# Pools: (name, n, c, h, w, k, s, p)
for name, n, c, h, w, k, s, p in [
    ("2x2-s2", 2, 3, 7, 6, 2, 2, 0),
    ("3x3-s2-p1", 2, 3, 7, 6, 3, 2, 1),
]:
    x = torch.randint(-4, 4, (n, c, h, w)).float() / 4  # ties in most windows
    run("maxpool/" + name, lambda t: F.max_pool2d(t, k, s, p), x, [], [])
    run("avgpool/" + name, lambda t: F.avg_pool2d(t, k, s, p, count_include_pad=True),
        uniform(n, c, h, w), [], [])

run("gap/5x4", lambda t: F.adaptive_avg_pool2d(t, 1).flatten(1), uniform(2, 3, 5, 4), [], [])

lin = torch.nn.Linear(7, 3)
run("linear/bias", lin, uniform(5, 7), [("w", lin.weight), ("b", lin.bias)], ["dw", "db"])

run("relu/24", torch.relu, uniform(2, 3, 4), [], [])

# Cross-entropy, mean over the batch; upstream gradient 1 on the loss.
logits = uniform(6, 10, lo=-3.0, hi=3.0).requires_grad_(True)
labels = torch.tensor([3, 0, 9, 3, 7, 1], dtype=torch.int64)
loss = F.cross_entropy(logits, labels)
loss.backward()
put("xent/6x10", x=logits, labels=labels, loss=loss.reshape(1), dout=torch.ones(1),
    dx=logits.grad)

# Grouped and dilated Conv2d, drawn from a seed of their own so the cases above keep their bytes:
# (name, n, c, h, w, o, k, s, p, groups, dilation, bias); as ref_specs[] in
# tests/test-layers-reference.c.
torch.manual_seed(20240602)
for name, n, c, h, w, o, k, s, p, g, d, bias in [
    ("3x3-s1-p1-g2", 2, 4, 5, 4, 6, 3, 1, 1, 2, 1, True),
    ("3x3-s1-p1-dw", 2, 4, 5, 4, 4, 3, 1, 1, 4, 1, True),        # depthwise
    ("3x3-s2-p1-dw2", 2, 3, 7, 6, 6, 3, 2, 1, 3, 1, False),      # depthwise, 2 filters each
    ("3x3-s1-p2-d2", 2, 3, 6, 5, 4, 3, 1, 2, 1, 2, True),        # dilated
    ("3x3-s1-p2-d2-c8", 1, 8, 4, 5, 8, 3, 1, 2, 1, 2, True),     # dilated, row shifts
    ("3x3-s1-p1-g2-c16", 1, 16, 5, 4, 8, 3, 1, 1, 2, 1, True),   # grouped, row shifts
    ("3x3-s2-p2-g2-d2", 1, 4, 9, 8, 6, 3, 2, 2, 2, 2, True),     # grouped + dilated + strided
    ("3x3-s1-p0-d3", 1, 2, 9, 8, 3, 3, 1, 0, 1, 3, True),        # dilated, no padding
    ("1x1-s1-p0-g4", 2, 8, 3, 5, 4, 1, 1, 0, 4, 1, True),        # grouped pointwise
]:
    conv = torch.nn.Conv2d(c, o, k, stride=s, padding=p, dilation=d, groups=g, bias=bias)
    params = [("w", conv.weight)] + ([("b", conv.bias)] if bias else [])
    run("conv/" + name, conv, uniform(n, c, h, w), params, ["dw", "db"])

sstio.save_file(tensors, OUT, {"generator": "tests/reference/gen-layers.py",
                               "torch": torch.__version__})
print("wrote %s: %d tensors, %d bytes" % (OUT, len(tensors), os.path.getsize(OUT)))
