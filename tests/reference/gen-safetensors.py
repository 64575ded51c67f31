# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes tests/data/torch-sample.safetensors, the Python side of the interop test.

    /usr/bin/python3 tests/reference/gen-safetensors.py          # (re)write the fixture
    /usr/bin/python3 tests/reference/gen-safetensors.py --check FILE

Python -> C: the fixture is written from torch tensors by sstio.save_file (the format of
huggingface/safetensors; Debian 12 has torch 1.13 but no `safetensors` package), read back
here with sstio.load_file, and read by tests/test-safetensors.c (/safetensors/interop/read),
which checks every value bit for bit.  "fc.bias" has 3 floats (12 bytes), so the next tensor
sits at an offset that is not a multiple of 8 and the C loader's re-aligning copy is exercised.

C -> Python: /safetensors/interop/write builds the same tensors and metadata with the C writer
and asserts its file is byte-identical to this fixture, so whatever sstio reads here it reads
from the C writer too.  To check a C-written file directly:

    SS_SAFETENSORS_SAMPLE_OUT=/tmp/c.safetensors \\
      build/tests/test-safetensors -p /safetensors/interop/write
    /usr/bin/python3 tests/reference/gen-safetensors.py --check /tmp/c.safetensors

--check loads FILE with sstio.load_file / load_metadata, compares it with the expected tensors
and metadata, and exits non-zero on any difference.
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sstio  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "torch-sample.safetensors")

# Keep in sync with tests/test-safetensors.c (sample_* there).
METADATA = {
    "format": "pt",
    "note": 'Supersign sample: "quoted", caf\u00e9, \u4e2d\u6587, tab\there, back\\slash,'
            ' new\nline, \x01\x1f\x7f',
}


def expected():
    return {
        # 12 bytes: misaligns what follows.  -0.0 and 2^-20 survive exactly.
        "fc.bias": torch.tensor([0.5, -0.0, 2.0 ** -20], dtype=torch.float32),
        # (2, 1, 3, 3): (i - 9) / 4 for i = 0..17
        "conv.weight": ((torch.arange(18, dtype=torch.float32) - 9) * 0.25).reshape(2, 1, 3, 3),
        # PyTorch BatchNorm's scalar counter
        "bn.num_batches_tracked": torch.tensor(1234, dtype=torch.int64),
        "labels": torch.tensor([[-1, 0, 1], [2 ** 40, -(2 ** 62), 9]], dtype=torch.int64),
        # zero elements, zero bytes
        "empty": torch.zeros(0, 4, dtype=torch.float32),
    }


def check(path):
    want = expected()
    got = sstio.load_file(path)
    ok = True
    if list(got) != list(want):
        print("%s: tensor order %s, expected %s" % (path, list(got), list(want)))
        ok = False
    for name, t in want.items():
        g = got.get(name)
        if g is None or g.dtype != t.dtype or g.shape != t.shape or \
                sstio._tensor_bytes(g) != sstio._tensor_bytes(t):
            print("%s: tensor %s differs: %r vs %r" % (path, name, g, t))
            ok = False
    meta = sstio.load_metadata(path)
    if meta != METADATA:
        print("%s: metadata %r, expected %r" % (path, meta, METADATA))
        ok = False
    return ok


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        ok = check(sys.argv[2])
        print("%s: %s" % (sys.argv[2], "ok" if ok else "MISMATCH"))
        sys.exit(0 if ok else 1)
    sstio.save_file(expected(), OUT, METADATA)
    if not check(OUT):
        sys.exit(1)
    print("wrote %s (%d bytes)" % (os.path.normpath(OUT), os.path.getsize(OUT)))


if __name__ == "__main__":
    main()
