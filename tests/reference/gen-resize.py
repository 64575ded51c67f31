# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes tests/data/resize.safetensors, PyTorch's answers for the bilinear resize tests.

    /usr/bin/python3 tests/reference/gen-resize.py

(/usr/bin/python3 is Debian's interpreter with python3-torch 1.13.)  For every case of
CASES below (keep in sync with resize_cases[] in tests/test-mi.c) the file holds

    <case>/src   (SH, SW) float32 input
    <case>/dst   (DH, DW) float32, F.interpolate(src[None, None], size=(DH, DW),
                 mode='bilinear', align_corners=False)  (no antialias)

Inputs are seeded, so rerunning reproduces the file bit for bit on the same torch build.
"""

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sstio  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "resize.safetensors")

torch.manual_seed(20240611)
torch.set_num_threads(1)

# (name, SH, SW, DH, DW); "hand-*" use arange inputs and are also worked out in test-mi.c.
CASES = [
    ("hand-up-2x2-4x4", 2, 2, 4, 4),
    ("hand-down-4x4-2x2", 4, 4, 2, 2),
    ("up-7x7-28x28", 7, 7, 28, 28),
    ("down-28x28-7x7", 28, 28, 7, 7),
    ("up-14x14-28x28", 14, 14, 28, 28),
    ("mixed-5x3-7x11", 5, 3, 7, 11),
    ("mixed-3x5-2x9", 3, 5, 2, 9),
    ("down-4x4-1x1", 4, 4, 1, 1),
    ("up-1x1-3x3", 1, 1, 3, 3),
    ("rows-only-6x6-6x9", 6, 6, 6, 9),
    ("odd-3x3-32x32", 3, 3, 32, 32),
]

tensors = {}
for name, sh, sw, dh, dw in CASES:
    if name.startswith("hand-"):
        src = torch.arange(1, sh * sw + 1, dtype=torch.float32).reshape(sh, sw) \
            if sh == 2 else torch.arange(sh * sw, dtype=torch.float32).reshape(sh, sw)
    else:
        src = torch.empty(sh, sw).uniform_(-1.0, 2.0)
    dst = F.interpolate(src[None, None], size=(dh, dw), mode="bilinear",
                        align_corners=False)[0, 0]
    tensors[name + "/src"] = src.contiguous().clone()
    tensors[name + "/dst"] = dst.contiguous().clone()

sstio.save_file(tensors, OUT, {"generator": "tests/reference/gen-resize.py",
                               "torch": torch.__version__})
print("wrote", OUT, sum(t.numel() for t in tensors.values()), "floats")
