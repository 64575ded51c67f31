# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes tests/data/resnet50-hash.safetensors, torchvision's answers for tests/test-resnet50.c.

    /usr/bin/python3 tests/reference/gen-resnet50.py

(/usr/bin/python3 is Debian's interpreter with python3-torch 1.13 and python3-torchvision 0.14.)

ResNet50's 23.5 million weights would make a 94 MB fixture, so neither side stores them: every
value is a hash of its position that the C test computes the same way (hash_uniform below, with
ss-test's resnet50_hash_uniform), so only the logits and the layout are committed (a few KB).

Tensor t (0, 1, … over torchvision's state_dict in its order, num_batches_tracked skipped),
flat element j, gets u = hash(t, j) in [-0.5, 0.5) and then, in float64 and rounded once to
float32:

    conv weight (O, I, K, K)     u · 2·√(6 / (I·K·K))     (He-uniform: activations stay O(1))
    bn weight / bias             0.5 + 0.2·u  /  0.4·u   (a gain of ½ per batch norm keeps
                                 16 residual additions from blowing the logits up)
    bn running_mean / _var       0.4·u      /  1 + u      (in [0.5, 1.5))
    fc weight (classes, 2048)    u · 2·√(3 / 2048)
    fc bias                      0.2·u
    input image n, element j     2·u with t = 1000000 + n

The file holds
    logits (N, classes)    model.eval() on that input, float32 as the engine computes
and metadata
    keys      JSON list of [name, shape] of the state_dict in order (num_batches_tracked too)
    classes, height, width, batch
    params_224_1000, macs_224_1000   torchvision resnet50(num_classes=1000) counted here:
              parameters (sum of numel) and multiply-accumulates of every conv and linear on a
              3×224×224 image, O·OH·OW·(C/G)·K·K and out·in (SPEC §8), from forward hooks.
"""

import json
import math
import os
import sys

import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sstio  # noqa: E402

OUT = os.path.join(HERE, "..", "data", "resnet50-hash.safetensors")
CLASSES, HEIGHT, WIDTH, BATCH = 10, 64, 64, 2
INPUT_T = 1000000


def hash_uniform(t, n):
    """u[j] = hash(t, j) in [-0.5, 0.5), float64, for j < n (integer steps exact in int64)."""
    x = (torch.arange(n, dtype=torch.int64) * 1103515245 + t * 7919 + 12345) & 0x7FFFFFFF
    x = x ^ (x >> 13)
    x = (x * 1664525 + 1013904223) & 0x7FFFFFFF
    x = x ^ (x >> 17)
    return x.double() / 2147483648.0 - 0.5


def fill(name, shape, t):
    n = math.prod(shape)
    u = hash_uniform(t, n)
    if name.startswith("fc."):
        v = u * (2 * math.sqrt(3 / shape[1])) if name.endswith("weight") else 0.2 * u
    elif len(shape) == 4:
        v = u * (2 * math.sqrt(6 / (shape[1] * shape[2] * shape[3])))
    elif name.endswith("running_var"):
        v = 1 + u
    elif name.endswith("running_mean") or name.endswith("bias"):
        v = 0.4 * u
    else:
        v = 0.5 + 0.2 * u
    return v.float().reshape(shape)


def count_macs(model, x):
    macs = []

    def hook(module, inp, out):
        if isinstance(module, torch.nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            macs.append(out[0].numel() * module.in_channels // module.groups * k)
        elif isinstance(module, torch.nn.Linear):
            macs.append(module.in_features * module.out_features)

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return sum(macs)


def main():
    torch.set_num_threads(1)
    big = torchvision.models.resnet50(num_classes=1000).eval()
    params = sum(p.numel() for p in big.parameters())
    macs = count_macs(big, torch.zeros(1, 3, 224, 224))

    model = torchvision.models.resnet50(num_classes=CLASSES).eval()
    state = model.state_dict()
    keys, t = [], 0
    for name, tensor in state.items():
        keys.append([name, list(tensor.shape)])
        if name.endswith("num_batches_tracked"):
            continue
        with torch.no_grad():
            tensor.copy_(fill(name, list(tensor.shape), t))
        t += 1
    model.load_state_dict(state)
    x = torch.stack([(2 * hash_uniform(INPUT_T + i, 3 * HEIGHT * WIDTH)).float()
                     .reshape(3, HEIGHT, WIDTH) for i in range(BATCH)])
    with torch.no_grad():
        logits = model(x)

    meta = {
        "generator": "tests/reference/gen-resnet50.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "keys": json.dumps(keys, separators=(",", ":")),
        "classes": str(CLASSES), "height": str(HEIGHT), "width": str(WIDTH),
        "batch": str(BATCH),
        "params_224_1000": str(params), "macs_224_1000": str(macs),
    }
    sstio.save_file({"logits": logits.contiguous()}, OUT, meta)
    print("wrote %s: %d bytes; resnet50 at 224, 1000 classes: %d parameters, %d MACs"
          % (OUT, os.path.getsize(OUT), params, macs))
    print("logits", logits)


if __name__ == "__main__":
    main()
