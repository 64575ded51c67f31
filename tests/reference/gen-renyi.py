# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes tests/data/renyi.safetensors, numpy's answers for the matrix-based Rényi MI tests.

    /usr/bin/python3 tests/reference/gen-renyi.py

(/usr/bin/python3 is Debian's interpreter with numpy and python3-torch 1.13; torch is only used
by sstio to write the file.)  The estimator is computed literally, in float64, as
core/ss-renyi.h defines it: full N×N matrices, the Hadamard product renormalised by its trace
and numpy.linalg.eigvalsh for every spectrum — none of the shortcuts the C code takes (class
blocks, the closed form of S(B), a float32 Gram matrix), so the test checks those too.

The file holds, for maps (N, C, H, W) = (40, 5, 4, 5) and 3 classes:

    maps           (N, C, H, W) float32
    labels         (N) int64
    mi/<alpha>     (C) float32  I_f in bits, for alpha in ALPHAS
    sigma          (C) float32  the kernel width σ (the same for every alpha)

(computed in float64, stored as float32 — the loader reads F32 and I64 only — which rounds them
by 6e-8 relative, far inside the test's tolerance.)

Filters: 0 class-dependent ramps plus noise; 1 uniform noise; 2 zero in 30 of the 40 maps (the
median of the squared distances is 0, so σ² falls back to the mean of the positive ones);
3 the same map for every sample (I = 0, σ = 0); 4 Gaussian noise plus a class offset.
"""

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sstio  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "renyi.safetensors")

N, C, H, W, K = 40, 5, 4, 5, 3
ALPHAS = ["1.01", "2"]   # keep in sync with tests/test-relevance.c


def renyi_entropy(m, alpha):
    lam = np.clip(np.linalg.eigvalsh(m), 0.0, None)
    return float(np.log2(np.sum(lam ** alpha)) / (1.0 - alpha))


def renyi_mi(x, labels, alpha):
    """I in bits and σ for one filter's maps x (N, d) float64."""
    diff = x[:, None, :] - x[None, :, :]
    dist = np.sum(diff * diff, axis=2)
    upper = dist[np.triu_indices(len(x), 1)]
    if not np.any(upper > 0):
        return 0.0, 0.0
    s2 = float(np.median(upper))
    if s2 == 0.0:
        s2 = float(np.mean(upper[upper > 0]))
    k = np.exp(-dist / (2.0 * s2))
    a = k / np.trace(k)
    y = np.eye(K)[labels]
    lk = y @ y.T
    b = lk / np.trace(lk)
    j = a * b
    j = j / np.trace(j)
    mi = renyi_entropy(a, alpha) + renyi_entropy(b, alpha) - renyi_entropy(j, alpha)
    return mi, float(np.sqrt(s2))


def main():
    rng = np.random.default_rng(20240917)
    labels = rng.integers(0, K, size=N).astype(np.uint8)
    maps = np.zeros((N, C, H, W), dtype=np.float32)
    ramp = np.linspace(0.0, 1.0, H * W).reshape(H, W)
    for s in range(N):
        c = int(labels[s])
        maps[s, 0] = np.roll(ramp, 3 * c, axis=1) + 0.1 * rng.standard_normal((H, W))
        maps[s, 1] = rng.uniform(-1.0, 1.0, (H, W))
        if s >= 30:
            maps[s, 2] = np.maximum(rng.standard_normal((H, W)), 0.0)
        maps[s, 3] = ramp
        maps[s, 4] = rng.standard_normal((H, W)) + 0.7 * c
    tensors = {
        "maps": torch.from_numpy(maps.copy()),
        "labels": torch.from_numpy(labels.astype(np.int64)),
    }
    sigma = np.zeros(C)
    for alpha in ALPHAS:
        mi = np.zeros(C)
        for f in range(C):
            x = maps[:, f].reshape(N, -1).astype(np.float64)
            mi[f], sigma[f] = renyi_mi(x, labels.astype(np.int64), float(alpha))
        tensors["mi/" + alpha] = torch.from_numpy(mi.astype(np.float32))
        print("alpha", alpha, "I", mi)
    tensors["sigma"] = torch.from_numpy(sigma.astype(np.float32))
    print("sigma", sigma)
    sstio.save_file(tensors, OUT, {"generator": "tests/reference/gen-renyi.py",
                                   "numpy": np.__version__})
    print("wrote", OUT)


if __name__ == "__main__":
    main()
