#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Spatial aura matrix entropy (SPEC §1) in plain numpy, timed like `supersign-cli bench --ame`.

The same maps as the CLI (integers below 2**24 as float32, from the integer hash mix() that
app/cli-bench-ame.c uses), the same sizes (28x28, 56x56, 224x224), B = 256, plug-in entropies,
one map at a time: quantise in float64, H0 from np.bincount of the codes, the four offset joint
histograms from np.bincount of q1*B + q2, H_R clamped to [0, 1], their mean. Prints maps/s per
size (median over repeats) as JSON.

Before timing it checks its AME against Supersign's: it reads the "check" values (four maps of
different kinds per size: AME, H0, the four H_R) and the mean AME of the 64 timed maps from the
CLI's JSON (--check-json FILE, or it runs `supersign-cli bench --ame --json` itself with --cli)
and stops with status 1 if any differs by more than --tolerance (default 1e-12).

Run with Debian's /usr/bin/python3 (python3-numpy), not another python3 on PATH:

    /usr/bin/python3 bench/ame_numpy.py --cli build/app/supersign-cli
"""

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # one thread, as the CLI's AME
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = (28, 56, 224)
BINS = 256
POOL_MAPS = 64           # as app/cli-bench-ame.c
MIN_REPEAT_SEC = 0.05
KINDS = ("noise", "smooth", "relu", "blocks")
CHECK_SEED = 1000        # check map of kind k has seed CHECK_SEED + k


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the maps (as the CLI's)

U32 = np.uint32


def mix(i, seed):
    """The CLI's 32-bit hash of cell indices i (uint32 array) and a seed, wrapping mod 2**32."""
    with np.errstate(over="ignore"):
        h = i * U32(0x9E3779B1) + U32((seed * 0x85EBCA77) & 0xFFFFFFFF)
        h ^= h >> U32(16)
        h *= U32(0x7FEB352D)
        h ^= h >> U32(15)
        h *= U32(0x846CA68B)
        h ^= h >> U32(16)
    return h


def make_map(kind, seed, h, w):
    cell = np.arange(h * w, dtype=U32)
    i, j = np.divmod(cell, U32(w))
    if kind == "noise":
        v = mix(cell, seed) >> U32(8)
    elif kind == "smooth":
        v = (i * i + j * j) * U32(8) + (mix(cell, seed) >> U32(29))
    elif kind == "relu":
        v = mix(cell, seed) >> U32(8)
        v = np.where(v > U32(1 << 23), v - U32(1 << 23), U32(0))
    elif kind == "blocks":
        block = (i // U32(max(h // 4, 1))) * U32(4) + j // U32(max(w // 4, 1))
        v = mix(block, seed) >> U32(28)
    else:
        raise ValueError(kind)
    return v.astype(np.float32).reshape(h, w)


# ---------------------------------------------------------------- the AME

def entropy_nats(counts, n):
    """Plug-in entropy (nats) of a histogram of n items."""
    c = counts[counts > 0].astype(np.float64)
    if c.size <= 1:
        return 0.0
    return max(math.log(n) - float(np.dot(c, np.log(c))) / n, 0.0)


def ame(x, bins=BINS, histograms=4):
    """AME of one 2-D map, with H0 (bits) and the four H_R (offsets (-1,0), (0,-1), (1,0),
    (0,1)). Maps of at least 2x2 cells; NaN/Inf and constant maps give 0 as SPEC §1 says."""
    x = np.asarray(x, dtype=np.float64)
    if not np.isfinite(x).all():
        return 0.0, float("nan"), [float("nan")] * 4
    lo, hi = x.min(), x.max()
    if lo == hi:
        return 0.0, 0.0, [0.0] * 4
    q = np.minimum(((x - lo) / (hi - lo) * bins).astype(np.intp), bins - 1)
    h0 = entropy_nats(np.bincount(q.ravel()), q.size)

    def joint(a, b):
        counts = np.bincount((a * bins + b).ravel())
        return entropy_nats(counts, a.size)

    up, down, left, right = q[1:, :], q[:-1, :], q[:, 1:], q[:, :-1]
    hj = [joint(up, down), joint(left, right)]          # (-1,0), (0,-1)
    if histograms == 4:
        hj += [joint(down, up), joint(right, left)]    # (1,0), (0,1)
    else:
        hj += hj                                       # H(k,l) = H(-k,-l): a transpose
    hr = [0.0 if h0 <= 0 else min(max((h - h0) / h0, 0.0), 1.0) for h in hj]
    return ((hr[0] + hr[2]) + (hr[1] + hr[3])) / 4, h0 / math.log(2), hr


# ---------------------------------------------------------------- checking against Supersign

def find_cli():
    sys.path.insert(0, HERE)
    from compare import find_cli as find   # bench/compare.py's search
    return find()


def supersign_checks(args):
    if args.check_json:
        with open(args.check_json) as f:
            return json.load(f), args.check_json
    cli = args.cli or find_cli()
    if cli is None:
        raise SystemExit("ame_numpy.py: no supersign-cli to check against; pass --cli or "
                         "--check-json, or --no-check")
    cmd = [cli, "bench", "--ame", "--json", "--iterations", "1", "--profile-repeats", "0"]
    log("  $ " + " ".join(cmd))
    out = subprocess.run(cmd, stdout=subprocess.PIPE, check=True, text=True).stdout
    return json.loads(out), os.path.abspath(cli)


def check(args, pools):
    ref, source = supersign_checks(args)
    worst, compared, failures = 0.0, 0, []

    def cmp(what, mine, theirs):
        nonlocal worst, compared
        compared += 1
        if theirs is None or mine is None or (isinstance(mine, float) and math.isnan(mine)):
            ok = (theirs is None) and (mine is None or math.isnan(mine))
            d = 0.0 if ok else float("inf")
        else:
            d = abs(mine - theirs)
        worst = max(worst, d)
        if not d <= args.tolerance:
            failures.append(f"{what}: numpy {mine!r}, Supersign {theirs!r}")

    by_size = {(s["h"], s["w"]): s for s in ref["sizes"]}
    for size in SIZES:
        s = by_size.get((size, size))
        if s is None:
            failures.append(f"{size}x{size}: not in Supersign's JSON")
            continue
        if s.get("bins", ref.get("bins")) != BINS:
            failures.append(f"Supersign used B = {ref.get('bins')}")
        mean = statistics.fmean(ame(m, histograms=args.histograms)[0] for m in pools[size])
        cmp(f"{size}x{size} mean AME of the {POOL_MAPS} timed maps", mean, s["pool_ame_mean"])
        for c in s["check"]:
            a, h0, hr = ame(make_map(c["kind"], c["seed"], size, size),
                            histograms=args.histograms)
            cmp(f"{size}x{size} {c['kind']} AME", a, c["ame"])
            cmp(f"{size}x{size} {c['kind']} H0", h0, c["h0_bits"])
            for o, (mine, theirs) in enumerate(zip(hr, c["h_rel"])):
                cmp(f"{size}x{size} {c['kind']} H_R[{o}]", mine, theirs)
    if failures:
        for f in failures:
            log("ame_numpy.py: MISMATCH " + f)
        raise SystemExit(1)
    log(f"ame_numpy.py: {compared} values agree with Supersign's within {args.tolerance:g} "
        f"(largest difference {worst:.3g})")
    return {"against": source, "values": compared, "max_abs_diff": worst,
            "tolerance": args.tolerance}


# ---------------------------------------------------------------- timing

def run_pool(pool, rounds, histograms):
    sink = 0.0
    t0 = time.perf_counter()
    for _ in range(rounds):
        for m in pool:
            sink += ame(m, histograms=histograms)[0]
    return time.perf_counter() - t0, sink


def bench_size(size, repeats, histograms):
    pool = [make_map("noise", m, size, size) for m in range(POOL_MAPS)]
    rounds = 1
    while True:                                   # calibration, and the warm-up
        t, _ = run_pool(pool, rounds, histograms)
        if t >= MIN_REPEAT_SEC:
            break
        rounds = max(rounds + 1, math.ceil(rounds * 1.2 * MIN_REPEAT_SEC / t)) if t > 0 \
            else rounds * 4
    maps = rounds * POOL_MAPS
    rates = [maps / run_pool(pool, rounds, histograms)[0] for _ in range(repeats)]
    return {"h": size, "w": size, "maps_per_repeat": maps,
            "maps_per_second": statistics.median(rates),
            "maps_per_second_min": min(rates), "maps_per_second_max": max(rates)}


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--iterations", "--repeats", type=int, default=20, dest="repeats",
                   help="timed repeats per size; the median is reported (default 20)")
    p.add_argument("--histograms", type=int, choices=(2, 4), default=4,
                   help="joint histograms per map: 4 as SPEC §1 words it (default), or 2 "
                        "using H(k,l) = H(-k,-l) as Supersign does")
    p.add_argument("--cli", help="supersign-cli to check against (default: as compare.py finds)")
    p.add_argument("--check-json", metavar="FILE",
                   help="check against this saved `supersign-cli bench --ame --json` output "
                        "instead of running the CLI")
    p.add_argument("--no-check", action="store_true", help="skip the check against Supersign")
    p.add_argument("--tolerance", type=float, default=1e-12,
                   help="largest absolute difference accepted (default 1e-12)")
    p.add_argument("--json", action="store_true",
                   help="accepted for symmetry with the CLI; the output is always JSON")
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error("--iterations ≥ 1")

    pools = {s: [make_map("noise", m, s, s) for m in range(POOL_MAPS)] for s in SIZES}
    verified = None if args.no_check else check(args, pools)
    sizes = [bench_size(s, args.repeats, args.histograms) for s in SIZES]
    for s in sizes:
        s["pool_ame_mean"] = statistics.fmean(ame(m)[0] for m in pools[s["h"]])
    print(json.dumps({
        "benchmark": "ame",
        "implementation": "numpy",
        "numpy_version": np.__version__,
        "python": f"{sys.executable} {platform.python_version()}",
        "bins": BINS,
        "miller_madow": False,
        "histograms": args.histograms,
        "ame_threads": 1,
        "repeats": args.repeats,
        "sizes": sizes,
        "verified": verified,
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
