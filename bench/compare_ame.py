#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Supersign's AME against numpy's, and the entropy profile's wall time, in one session.

Runs `supersign-cli bench --ame --json` and bench/ame_numpy.py alternately (Supersign, numpy,
Supersign, numpy, ... for --rounds rounds), so a drift in the machine's load hits both alike.
The first numpy run checks its AME against the first Supersign run's values (and stops if they
differ). Prints maps/s per map size for each side (median over rounds, min-max), the
Supersign/numpy ratio on one thread each (median of the per-round ratios; target >= 50x), the
same for Supersign's ss_ame_compute_batch on --threads threads against numpy's one, and the wall
time of the full layer profile of the shipped fmnist-vgg (median over every Supersign run's
timed profiles; target < 1 s on 2 cores). Standard library only.

    /usr/bin/python3 bench/compare_ame.py --cli build/app/supersign-cli
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare import cpu_model, find_cli, loadavg, physical_cores  # noqa: E402

AME_NUMPY = os.path.join(HERE, "ame_numpy.py")
RATIO_TARGET = 50.0
PROFILE_TARGET_SEC = 1.0


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def run_json(cmd, timeout):
    log("  $ " + " ".join(cmd))
    t0 = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"compare_ame.py: {cmd[0]} exited with status {proc.returncode}")
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"compare_ame.py: {cmd[0]} did not print JSON")
    rates = ", ".join(f"{s['h']}²: {s['maps_per_second']:,.0f}" for s in result["sizes"])
    prof = result.get("profile", {}).get("seconds")
    log(f"    {time.monotonic() - t0:.1f} s: maps/s {rates}"
        + (f"; profile {prof:.3f} s" if prof is not None else ""))
    return result


def fmt(v, digits=0):
    return "–" if v is None else f"{v:,.{digits}f}"


def summarise(ss_runs, np_runs):
    rows = []
    for i, s in enumerate(ss_runs[0]["sizes"]):
        ss = [r["sizes"][i]["maps_per_second"] for r in ss_runs]
        batch = [r["sizes"][i]["batch_maps_per_second"] for r in ss_runs]
        nps = [r["sizes"][i]["maps_per_second"] for r in np_runs]
        ratios = [a / b for a, b in zip(ss, nps) if b]
        batch_ratios = [a / b for a, b in zip(batch, nps) if b]
        rows.append({"size": f"{s['h']}×{s['w']}", "histogram": s["histogram"],
                     "supersign": statistics.median(ss), "supersign_range": (min(ss), max(ss)),
                     "batch": statistics.median(batch), "batch_range": (min(batch), max(batch)),
                     "numpy": statistics.median(nps), "numpy_range": (min(nps), max(nps)),
                     "ratio": statistics.median(ratios) if ratios else None,
                     "ratio_range": (min(ratios), max(ratios)) if ratios else None,
                     "batch_ratio": statistics.median(batch_ratios) if batch_ratios else None})
    return rows


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cli", help="supersign-cli to run (default: as compare.py finds it)")
    p.add_argument("--python", default="/usr/bin/python3",
                   help="interpreter with numpy for ame_numpy.py (default /usr/bin/python3)")
    p.add_argument("--threads", type=int, default=0,
                   help="threads for the profile and Supersign's batch AME (default: every CPU "
                        "this process may use); the other AME timings are one thread on both "
                        "sides")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    p.add_argument("--iterations", type=int, default=20,
                   help="timed repeats per map size and run (default 20)")
    p.add_argument("--profile-repeats", type=int, default=3,
                   help="timed profiles per Supersign run, after one warm-up (default 3)")
    p.add_argument("--phases", action="store_true",
                   help="also time the profile's phases (in the last Supersign run)")
    p.add_argument("--histograms", type=int, choices=(2, 4), default=4,
                   help="numpy's joint histograms per map (default 4, see ame_numpy.py)")
    p.add_argument("--save", metavar="FILE", help="write every run's JSON to FILE")
    p.add_argument("--timeout", type=float, default=1800, help="per run, seconds")
    args = p.parse_args(argv)
    if args.rounds < 1 or args.iterations < 1 or args.threads < 0 or args.profile_repeats < 0:
        p.error("--rounds ≥ 1, --iterations ≥ 1, --threads ≥ 0, --profile-repeats ≥ 0")

    cli = args.cli or find_cli()
    if cli is None or not os.access(cli, os.X_OK):
        raise SystemExit("compare_ame.py: no supersign-cli found; build one "
                         "(meson setup build && ninja -C build) or pass --cli")
    cli = os.path.abspath(cli)
    threads = args.threads or len(os.sched_getaffinity(0))
    load_before = loadavg()
    log(f"compare_ame.py: {cli} against {args.python} {AME_NUMPY}, load {load_before}")

    ss_runs, np_runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        first_json = os.path.join(tmp, "supersign-ame.json")
        for r in range(args.rounds):
            log(f" round {r + 1}/{args.rounds}")
            cmd = [cli, "bench", "--ame", "--json", "--threads", str(threads),
                   "--iterations", str(args.iterations),
                   "--profile-repeats", str(args.profile_repeats)]
            if args.phases and r == args.rounds - 1:
                cmd.append("--profile-phases")
            ss_runs.append(run_json(cmd, args.timeout))
            if r == 0:
                with open(first_json, "w") as f:
                    json.dump(ss_runs[0], f)
            cmd = [args.python, AME_NUMPY, "--iterations", str(args.iterations),
                   "--histograms", str(args.histograms)]
            cmd += ["--check-json", first_json] if r == 0 else ["--no-check"]
            np_runs.append(run_json(cmd, args.timeout))
    load_after = loadavg()

    rows = summarise(ss_runs, np_runs)
    profiles = [r["profile"] for r in ss_runs if r.get("profile", {}).get("seconds")]
    verified = np_runs[0]["verified"]

    print(f"date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs"
          + (f" ({physical_cores()} physical cores)" if physical_cores() else ""))
    print(f"load average: {load_before} before, {load_after} after")
    print(f"Supersign: {cli}; numpy {np_runs[0]['numpy_version']} ({np_runs[0]['python']}), "
          f"{args.histograms} joint histograms per map")
    print(f"AME: B = {ss_runs[0]['bins']}, plug-in, one thread on both sides (batch: "
          f"Supersign's ss_ame_compute_batch on {ss_runs[0].get('batch_threads', threads)} "
          f"threads against numpy's one), 64 pseudo-random maps per size; median of "
          f"{args.iterations} repeats per run, {args.rounds} alternating rounds; ratio = median "
          f"of the per-round ratios")
    print(f"numpy's AME equals Supersign's on {verified['values']} values (largest difference "
          f"{verified['max_abs_diff']:.2g})")
    print()
    batch_threads = ss_runs[0].get("batch_threads", threads)

    def vs_target(ratio):
        return "–" if ratio is None else \
            f"{ratio:.1f}× {'≥' if ratio >= RATIO_TARGET else '<'} {RATIO_TARGET:.0f}×"

    headers = ["map", "histogram", "Supersign maps/s", "numpy maps/s", "Supersign/numpy",
               f"batch, {batch_threads} threads", f"batch/numpy ({batch_threads} vs 1 thread)"]
    table = [[r["size"], r["histogram"],
              f"{fmt(r['supersign'])} ({fmt(r['supersign_range'][0])}–"
              f"{fmt(r['supersign_range'][1])})",
              f"{fmt(r['numpy'])} ({fmt(r['numpy_range'][0])}–{fmt(r['numpy_range'][1])})",
              vs_target(r["ratio"]),
              f"{fmt(r['batch'])} ({fmt(r['batch_range'][0])}–{fmt(r['batch_range'][1])})",
              vs_target(r["batch_ratio"])] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(headers, *table)]
    for i, line in enumerate([headers] + table):
        print("  ".join(c.ljust(w) if j < 2 else c.rjust(w)
                        for j, (c, w) in enumerate(zip(line, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))

    if profiles:
        secs = [p["seconds"] for p in profiles]
        allmin = min(p["seconds_min"] for p in profiles)
        allmax = max(p["seconds_max"] for p in profiles)
        med = statistics.median(secs)
        p0 = profiles[0]
        print()
        print(f"profile: {p0['model']}, {p0['samples']} samples of {p0['data']}, "
              f"{p0['layers']} layers, {p0['threads']} threads, data loading excluded: "
              f"{med:.3f} s (median of {len(secs)} runs' medians; every profile "
              f"{allmin:.3f}–{allmax:.3f} s) {'<' if med < PROFILE_TARGET_SEC else '≥'} "
              f"{PROFILE_TARGET_SEC:g} s target")
    phased = [r["profile"] for r in ss_runs if "phases" in r.get("profile", {})]
    if phased:
        ph = phased[-1]["phases"]
        total = ph["total"]
        print(f"phases of one replayed profile ({total:.3f} s):")
        for k, v in ph.items():
            if k != "total":
                print(f"  {k:<20} {v:7.3f} s  {100 * v / total:5.1f} %")

    if args.save:
        with open(args.save, "w") as f:
            json.dump({"load_before": load_before, "load_after": load_after,
                       "supersign": ss_runs, "numpy": np_runs, "rows": rows}, f, indent=2)
        log(f"compare_ame.py: runs written to {args.save}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
