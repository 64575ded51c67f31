#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Supersign against PyTorch: the same training and inference work, side by side.

Runs `supersign-cli bench --json` and bench/torch_bench.py alternately (Supersign, PyTorch,
Supersign, PyTorch, ... for --rounds rounds) for each model, so slow drifts in the machine's
load hit both alike, then prints the medians over the rounds and the Supersign/PyTorch ratios
(the median of the per-round ratios). Standard library only.

    /usr/bin/python3 bench/compare.py --cli build/app/supersign-cli --markdown
"""

import argparse
import datetime
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(HERE)
TORCH_BENCH = os.path.join(HERE, "torch_bench.py")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- finding the CLI

def build_options(build_dir):
    """buildtype and b_sanitize of a meson build directory, or None if unreadable."""
    path = os.path.join(build_dir, "meson-info", "intro-buildoptions.json")
    try:
        with open(path) as f:
            options = {o["name"]: o["value"] for o in json.load(f)}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return options.get("buildtype"), options.get("b_sanitize")


def find_cli():
    """build/app/supersign-cli, else the newest optimised, unsanitised build-*/ one."""
    default = os.path.join(SOURCE_ROOT, "build", "app", "supersign-cli")
    if os.access(default, os.X_OK):
        return default
    candidates = []
    for cli in glob.glob(os.path.join(SOURCE_ROOT, "build-*", "app", "supersign-cli")):
        if not os.access(cli, os.X_OK):
            continue
        opts = build_options(os.path.dirname(os.path.dirname(cli)))
        if opts is not None:
            buildtype, sanitize = opts
            if buildtype not in ("release", "debugoptimized", "minsize", "plain") \
                    or sanitize not in (None, "none"):
                continue   # a debug or ASan build would measure the wrong thing
        candidates.append((os.path.getmtime(cli), cli))
    if not candidates:
        return None
    return max(candidates)[1]


# ---------------------------------------------------------------- the machine

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def physical_cores():
    """Distinct (physical id, core id) pairs; None when /proc/cpuinfo does not say."""
    cores, phys = set(), "0"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    phys = value.strip()
                elif key == "core id":
                    cores.add((phys, value.strip()))
    except OSError:
        return None
    return len(cores) or None


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


# ---------------------------------------------------------------- running

def run_json(cmd, timeout):
    log("  $ " + " ".join(cmd))
    t0 = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"compare.py: {cmd[0]} exited with status {proc.returncode}")
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"compare.py: {cmd[0]} did not print JSON")
    log(f"    {time.monotonic() - t0:.1f} s: train {result['train_images_per_second']:.1f}, "
        f"infer {result['infer_images_per_second']:.1f} images/s, "
        f"peak RSS {result['peak_rss_mib']:.0f} MiB")
    return result


def common_args(args, model, threads):
    return ["-m", model, "--threads", str(threads), "--batch", str(args.batch),
            "--infer-batch", str(args.infer_batch), "--iterations", str(args.iterations)]


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(model, ss_runs, pt_runs, ss_baseline):
    """Medians over rounds and median per-round ratios."""
    def series(runs, key):
        return [r.get(key) for r in runs]

    def ratios(key):
        return [s[key] / p[key] for s, p in zip(ss_runs, pt_runs) if p.get(key)]

    out = {"model": model, "rows": []}
    for label, key, higher_better in (("training images/s", "train_images_per_second", True),
                                      ("inference images/s", "infer_images_per_second", True),
                                      ("peak RSS (MiB)", "peak_rss_mib", False)):
        ss, pt = series(ss_runs, key), series(pt_runs, key)
        out["rows"].append({
            "label": label, "key": key,
            "supersign": med(ss), "supersign_range": (min(ss), max(ss)),
            "pytorch": med(pt), "pytorch_range": (min(pt), max(pt)),
            "ratio": med(ratios(key)), "higher_better": higher_better,
        })
    # Memory above each side's baseline: PyTorch's VmRSS once torch is imported and the model
    # built; Supersign's peak for a batch-2 / batch-1 single-iteration run of the same CLI.
    ss_inc = [r["peak_rss_mib"] - ss_baseline for r in ss_runs] if ss_baseline else [None]
    pt_inc = series(pt_runs, "peak_rss_increase_mib")
    inc_ratios = [s / p for s, p in zip(ss_inc, pt_inc) if s is not None and p]
    out["rows"].append({
        "label": "peak RSS above baseline (MiB)", "key": "rss_increase",
        "supersign": med(ss_inc), "supersign_range": None,
        "pytorch": med(pt_inc), "pytorch_range": None,
        "ratio": med(inc_ratios), "higher_better": False,
    })
    out["baseline"] = {"supersign": ss_baseline,
                       "pytorch": med(series(pt_runs, "baseline_rss_mib"))}

    # Per-conv-layer forward GFLOP/s (PyTorch: from hooks in a separate pass).
    layers = []
    ss_layers = [{l["name"]: l for l in r.get("conv_layers", [])} for r in ss_runs]
    pt_layers = [{l["name"]: l for l in r.get("conv_layers", [])} for r in pt_runs]
    for layer in ss_runs[0].get("conv_layers", []):
        name = layer["name"]
        layers.append({
            "name": name,
            "supersign_fwd": med([d[name]["forward_gflops"] for d in ss_layers if name in d]),
            "supersign_bwd": med([d[name]["backward_gflops"] for d in ss_layers if name in d]),
            "pytorch_fwd": med([d[name]["forward_gflops"] for d in pt_layers if name in d]),
        })
    out["layers"] = layers
    return out


# ---------------------------------------------------------------- printing

def fmt(v, digits=1):
    return "–" if v is None else f"{v:,.{digits}f}"


def fmt_ratio(v):
    return "–" if v is None else f"{v:.2f}×"


def fmt_range(r):
    return "" if not r else f" ({fmt(r[0])}–{fmt(r[1])})"


def print_header(meta, markdown):
    lines = [
        f"date: {meta['date']}",
        f"machine: {meta['cpu']}, {meta['logical_cpus']} logical CPUs"
        + (f" ({meta['physical_cores']} physical cores)" if meta["physical_cores"] else "")
        + f", {meta['kernel']}",
        f"threads: {meta['threads']} (PyTorch: set_num_threads({meta['threads']}), "
        f"set_num_interop_threads(1))",
        f"load average: {meta['load_before']} before, {meta['load_after']} after",
        f"Supersign: {meta['supersign_version']} ({meta['cli']})",
        f"PyTorch: {meta['torch_version']} ({meta['python']}, oneDNN "
        f"{'on' if meta['mkldnn'] else 'off'}, ATen {meta['cpu_capability']}, "
        f"{'channels_last' if meta.get('channels_last') else 'NCHW'})",
        f"training batch {meta['batch']}, inference batch {meta['infer_batch']}, "
        f"median of {meta['iterations']} iterations per run, {meta['rounds']} alternating "
        f"rounds; ratios are medians of the per-round ratios",
    ]
    if markdown:
        print("\n".join(f"- {line}" for line in lines))
    else:
        print("\n".join(lines))
    print()


def print_table(summary, markdown, show_layers):
    model = summary["model"]
    headers = ["", "Supersign", "PyTorch", "Supersign/PyTorch"]
    rows = []
    for r in summary["rows"]:
        rows.append([r["label"],
                     fmt(r["supersign"]) + ("" if markdown else fmt_range(r["supersign_range"])),
                     fmt(r["pytorch"]) + ("" if markdown else fmt_range(r["pytorch_range"])),
                     fmt_ratio(r["ratio"])])
    base = summary["baseline"]
    note = (f"baseline RSS: Supersign {fmt(base['supersign'])} MiB (same CLI, batch 2/1, one "
            f"iteration), PyTorch {fmt(base['pytorch'])} MiB (after import torch and model "
            f"creation; PyTorch's peak includes the interpreter and libtorch)")
    layer_headers = ["conv layer", "Supersign fwd GFLOP/s", "PyTorch fwd GFLOP/s", "ratio",
                     "Supersign bwd GFLOP/s"]
    layer_rows = []
    for l in summary["layers"]:
        ratio = (l["supersign_fwd"] / l["pytorch_fwd"]
                 if l["supersign_fwd"] and l["pytorch_fwd"] else None)
        layer_rows.append([l["name"], fmt(l["supersign_fwd"]), fmt(l["pytorch_fwd"]),
                           fmt_ratio(ratio), fmt(l["supersign_bwd"])])

    if markdown:
        print(f"**{model}**\n")
        print_markdown(headers, rows)
        print(f"\n{note}.\n")
        if show_layers and layer_rows:
            print_markdown(layer_headers, layer_rows)
            print()
    else:
        print(f"{model}  (median over rounds; min–max in parentheses)")
        print_text(headers, rows)
        print(note)
        print()
        if show_layers and layer_rows:
            print_text(layer_headers, layer_rows)
            print()


def print_markdown(headers, rows):
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def print_text(headers, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    def line(cells):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))
    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


# ---------------------------------------------------------------- main

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cli", help="supersign-cli to run (default: build/app/supersign-cli, else "
                                 "the newest optimised build-*/app/supersign-cli)")
    p.add_argument("--python", default="/usr/bin/python3",
                   help="interpreter with torch for torch_bench.py (default /usr/bin/python3)")
    p.add_argument("--threads", type=int, default=0,
                   help="threads for both (default: every CPU this process may use)")
    p.add_argument("--models", default="fmnist-vgg,resnet20",
                   help="comma-separated (default fmnist-vgg,resnet20)")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    p.add_argument("--iterations", type=int, default=20,
                   help="timed iterations per run (default 20)")
    p.add_argument("--batch", type=int, default=64, help="training batch (default 64)")
    p.add_argument("--infer-batch", type=int, default=256,
                   help="inference batch (default 256)")
    p.add_argument("--channels-last", action="store_true",
                   help="run PyTorch in NHWC (torch.channels_last), its faster CPU layout")
    p.add_argument("--layers", action="store_true",
                   help="also print per-conv-layer GFLOP/s")
    p.add_argument("--markdown", action="store_true",
                   help="print Markdown tables for the README")
    p.add_argument("--save", metavar="FILE", help="write every run's JSON to FILE")
    p.add_argument("--load", metavar="FILE",
                   help="run nothing: print the tables of a file --save wrote")
    p.add_argument("--timeout", type=float, default=3600, help="per run, seconds")
    args = p.parse_args(argv)
    if args.rounds < 1 or args.iterations < 1 or args.threads < 0:
        p.error("--rounds ≥ 1, --iterations ≥ 1, --threads ≥ 0")
    return args


def main(argv):
    args = parse_args(argv)
    if args.load:
        with open(args.load) as f:
            saved = json.load(f)
        print_header(saved["meta"], args.markdown)
        for s in saved["summaries"]:
            print_table(s, args.markdown, args.layers)
        return 0
    cli = args.cli or find_cli()
    if cli is None or not os.access(cli, os.X_OK):
        raise SystemExit("compare.py: no supersign-cli found; build one "
                         "(meson setup build && ninja -C build) or pass --cli")
    cli = os.path.abspath(cli)
    threads = args.threads or len(os.sched_getaffinity(0))
    models = [m.strip() for m in args.models.split(",") if m.strip()]

    version = subprocess.run([cli, "--version"], stdout=subprocess.PIPE, text=True).stdout
    meta = {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "physical_cores": physical_cores(),
        "kernel": f"{platform.system()} {platform.release()}",
        "threads": threads,
        "cli": cli,
        "supersign_version": version.strip() or "?",
        "python": args.python,
        "batch": args.batch, "infer_batch": args.infer_batch,
        "iterations": args.iterations, "rounds": args.rounds,
        "load_before": loadavg(),
    }
    log(f"compare.py: {cli} against {args.python} {TORCH_BENCH}, {threads} threads, "
        f"load {meta['load_before']}")

    summaries, raw = [], {}
    for model in models:
        log(f"{model}:")
        # Supersign's own floor: the same CLI with the smallest batches.
        base = run_json([cli, "bench", "--json", "-m", model, "--threads", str(threads),
                         "--batch", "2", "--infer-batch", "1", "--iterations", "1"],
                        args.timeout)
        ss_runs, pt_runs = [], []
        for r in range(args.rounds):
            log(f" round {r + 1}/{args.rounds}")
            ss_runs.append(run_json([cli, "bench", "--json"] + common_args(args, model, threads),
                                    args.timeout))
            pt_runs.append(run_json([args.python, TORCH_BENCH, "--json"]
                                    + (["--channels-last"] if args.channels_last else [])
                                    + common_args(args, model, threads), args.timeout))
        for run in ss_runs:
            if run.get("threads") != threads:
                log(f"compare.py: warning: supersign-cli ran {run.get('threads')} threads")
        raw[model] = {"supersign_baseline": base, "supersign": ss_runs, "pytorch": pt_runs}
        summaries.append(summarise(model, ss_runs, pt_runs, base["peak_rss_mib"]))

    meta["load_after"] = loadavg()
    pt0 = raw[models[0]]["pytorch"][0] if models else {}
    meta["torch_version"] = pt0.get("torch_version", "?")
    meta["mkldnn"] = pt0.get("mkldnn")
    meta["cpu_capability"] = pt0.get("cpu_capability") or "?"
    meta["channels_last"] = args.channels_last

    print_header(meta, args.markdown)
    for s in summaries:
        print_table(s, args.markdown, args.layers)

    if args.save:
        with open(args.save, "w") as f:
            json.dump({"meta": meta, "runs": raw, "summaries": summaries}, f, indent=2)
        log(f"compare.py: runs written to {args.save}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
