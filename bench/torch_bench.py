#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The work of `supersign-cli bench`, done by PyTorch.

Run with Debian's /usr/bin/python3 (python3-torch): the same networks, batches, thread count
and per-iteration work as app/cli-bench.c, timed the same way (warm-up iterations, then the
median of per-iteration wall-clock times), printed as JSON with the same keys.

    /usr/bin/python3 bench/torch_bench.py -m fmnist-vgg --threads 2 --json
"""

import argparse
import json
import os
import platform
import re
import resource
import statistics
import sys
import time

MODELS = ("fmnist-vgg", "resnet20")
# Input shapes, as `supersign-cli info -m NAME` prints them.
INPUTS = {"fmnist-vgg": (1, 28, 28), "resnet20": (3, 32, 32)}
N_CLASSES = 10
# Warm-up iterations, as in app/cli-bench.c (3 training steps, 2 inference forwards).
TRAIN_WARMUP = 3
INFER_WARMUP = 2


def rss_now_mib():
    """The current resident set size (VmRSS), not the high-water mark."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def peak_rss_mib():
    # Linux reports ru_maxrss in KiB, as supersign-cli reads it.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_capability(torch):
    """The ATen kernel level in use (AVX2, AVX512, ...), from the build summary."""
    m = re.search(r"CPU capability usage: (\S+)", torch.__config__.show())
    return m.group(1) if m else None


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-m", "--model", default="fmnist-vgg", choices=MODELS)
    p.add_argument("-t", "--threads", type=int, default=0,
                   help="intra-op threads (default: os.cpu_count(), as supersign-cli uses "
                        "all processors)")
    p.add_argument("-b", "--batch", type=int, default=64, help="training batch (default 64)")
    p.add_argument("--infer-batch", type=int, default=256,
                   help="inference batch (default 256)")
    p.add_argument("-i", "--iterations", type=int, default=20,
                   help="timed iterations of each (default 20; the median is reported)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--channels-last", action="store_true",
                   help="NHWC model and inputs (torch.channels_last): oneDNN then skips the "
                        "NCHW reorders around each conv; off by default, as Supersign is NCHW "
                        "and most PyTorch code does not ask for it")
    p.add_argument("--no-layer-timing", action="store_true",
                   help="skip the extra pass that times each conv layer's forward with hooks")
    p.add_argument("--json", action="store_true",
                   help="print one JSON document (the only output format; accepted for "
                        "symmetry with supersign-cli)")
    args = p.parse_args(argv)
    if args.batch < 2 or args.infer_batch < 1 or args.iterations < 1 or args.threads < 0:
        p.error("--batch ≥ 2, --infer-batch ≥ 1, --iterations ≥ 1, --threads ≥ 0")
    return args


def main(argv):
    args = parse_args(argv)
    threads = args.threads or len(os.sched_getaffinity(0))

    # torch's Linear layers call the system BLAS (OpenBLAS on Debian), which keeps its own
    # thread pool sized to the machine: hold it to the same thread count.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))

    # Baseline before torch, to show how much the library alone weighs.
    rss_python = rss_now_mib()
    t_import = time.perf_counter()
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    t_import = time.perf_counter() - t_import

    # Inter-op threads must be set before any parallel work starts.
    torch.set_num_interop_threads(1)
    torch.set_num_threads(threads)
    torch.manual_seed(args.seed)

    class FmnistVgg(nn.Module):
        """Supersign's fmnist-vgg: conv1..conv4 (3×3, pad 1, bias) with BN and ReLU, two 2×2
        max pools, fc1 (3136→128) ReLU fc2 (128→10)."""

        def __init__(self, c, n_classes):
            super().__init__()
            self.conv1 = nn.Conv2d(c, 32, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(32)
            self.conv2 = nn.Conv2d(32, 32, 3, padding=1)
            self.bn2 = nn.BatchNorm2d(32)
            self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
            self.bn3 = nn.BatchNorm2d(64)
            self.conv4 = nn.Conv2d(64, 64, 3, padding=1)
            self.bn4 = nn.BatchNorm2d(64)
            self.fc1 = nn.Linear(64 * 7 * 7, 128)
            self.fc2 = nn.Linear(128, n_classes)

        def forward(self, x):
            x = F.relu(self.bn1(self.conv1(x)))
            x = F.relu(self.bn2(self.conv2(x)))
            x = F.max_pool2d(x, 2)
            x = F.relu(self.bn3(self.conv3(x)))
            x = F.relu(self.bn4(self.conv4(x)))
            x = F.max_pool2d(x, 2)
            x = torch.flatten(x, 1)
            return self.fc2(F.relu(self.fc1(x)))

    class BasicBlock(nn.Module):
        """torchvision's BasicBlock; option-B shortcut (1×1 conv + BN) when the shape
        changes, as in Supersign's ss_arch_append_basic_block()."""

        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            shortcut = x if self.downsample is None else self.downsample(x)
            return F.relu(out + shortcut)

    class CifarResNet(nn.Module):
        """He et al. (2016) §4.2: 16-32-64 channels, 3 stages of `blocks` basic blocks."""

        def __init__(self, blocks, c, n_classes):
            super().__init__()
            self.conv1 = nn.Conv2d(c, 16, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            layers, cin = [], 16
            for stage, width in enumerate((16, 32, 64)):
                stage_blocks = []
                for b in range(blocks):
                    stride = 2 if stage > 0 and b == 0 else 1
                    stage_blocks.append(BasicBlock(cin, width, stride))
                    cin = width
                layers.append(nn.Sequential(*stage_blocks))
            self.layer1, self.layer2, self.layer3 = layers
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(64, n_classes)

        def forward(self, x):
            x = F.relu(self.bn1(self.conv1(x)))
            x = self.layer3(self.layer2(self.layer1(x)))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    c, h, w = INPUTS[args.model]
    if args.model == "fmnist-vgg":
        model = FmnistVgg(c, N_CLASSES)
    else:
        model = CifarResNet(3, c, N_CLASSES)

    # Synthetic data of the model's shape, as supersign-cli uses: N(0, 1) inputs, uniform labels.
    bmax = max(args.batch, args.infer_batch)
    x = torch.randn(bmax, c, h, w)
    y = torch.randint(0, N_CLASSES, (bmax,))
    x_train, y_train = x[: args.batch].contiguous(), y[: args.batch].contiguous()
    x_infer = x[: args.infer_batch].contiguous()
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x_train = x_train.contiguous(memory_format=torch.channels_last)
        x_infer = x_infer.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)

    rss_baseline = rss_now_mib()   # torch imported, model, optimiser and inputs created

    # Training: zero_grad, train-mode forward, cross-entropy, backward, SGD step.
    model.train()
    times = []
    for i in range(-TRAIN_WARMUP, args.iterations):
        t0 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x_train), y_train)
        loss.backward()
        optimizer.step()
        if i >= 0:
            times.append(time.perf_counter() - t0)
    train_ips = args.batch / statistics.median(times)
    rss_after_train = peak_rss_mib()

    # Inference: evaluation-mode forward.
    model.eval()
    times = []
    with torch.inference_mode():
        for i in range(-INFER_WARMUP, args.iterations):
            t0 = time.perf_counter()
            model(x_infer)
            if i >= 0:
                times.append(time.perf_counter() - t0)
    infer_ips = args.infer_batch / statistics.median(times)
    peak = peak_rss_mib()   # before the per-layer pass, whose hooks keep nothing alive

    # Per-conv-layer forward GFLOP/s, in a separate pass so the hooks do not slow the timed
    # iterations above. Eager CPU execution is synchronous, so pre-hook to hook is the layer.
    conv_layers = []
    if not args.no_layer_timing:
        convs = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]
        seconds = {name: 0.0 for name, _ in convs}
        macs = {}
        started = {}
        handles = []

        def pre_hook(name):
            def hook(module, inputs):
                started[name] = time.perf_counter()
            return hook

        def post_hook(name):
            def hook(module, inputs, output):
                seconds[name] += time.perf_counter() - started[name]
                if name not in macs:
                    k = module.kernel_size[0] * module.kernel_size[1]
                    macs[name] = (output[0].numel() * k * module.in_channels
                                  // module.groups)
            return hook

        for name, m in convs:
            handles.append(m.register_forward_pre_hook(pre_hook(name)))
            handles.append(m.register_forward_hook(post_hook(name)))
        with torch.inference_mode():
            model(x_infer)   # warm-up, not counted
            for s in seconds:
                seconds[s] = 0.0
            for _ in range(args.iterations):
                model(x_infer)
        for hd in handles:
            hd.remove()
        for name, _ in convs:
            gflop = 2.0 * macs[name] * 1e-9
            conv_layers.append({
                "name": name,
                "forward_gflops": gflop * args.infer_batch * args.iterations / seconds[name],
                "backward_gflops": None,
            })

    result = {
        "model": args.model,
        "threads": torch.get_num_threads(),
        "train_batch": args.batch,
        "infer_batch": args.infer_batch,
        "train_images_per_second": train_ips,
        "infer_images_per_second": infer_ips,
        "peak_rss_mib": peak,
        "peak_rss_note": "ru_maxrss of the Python process: includes the interpreter and the "
                         "torch libraries; baseline_rss_mib is VmRSS after import torch and "
                         "model/optimiser/input creation, peak_rss_increase_mib the rest",
        "python_rss_mib": rss_python,
        "baseline_rss_mib": rss_baseline,
        "peak_rss_increase_mib": peak - rss_baseline,
        "peak_rss_after_train_mib": rss_after_train,
        "conv_layers": conv_layers,
        "iterations": args.iterations,
        "warmup": {"train": TRAIN_WARMUP, "infer": INFER_WARMUP},
        "interop_threads": torch.get_num_interop_threads(),
        "channels_last": args.channels_last,
        "torch_version": torch.__version__,
        "mkldnn": torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled,
        "cpu_capability": cpu_capability(torch),
        "import_seconds": t_import,
        "python": platform.python_version(),
    }
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
