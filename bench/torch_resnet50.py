# SPDX-License-Identifier: GPL-3.0-or-later
"""PyTorch's side of `supersign-cli bench --onnx`: torchvision's ResNet50 inference at 224×224.

    /usr/bin/python3 bench/torch_resnet50.py --out-dir DIR [--threads N] [--batches 1,8]
                                             [--iterations 10]

Builds full-size torchvision.models.resnet50 (1000 classes) with random weights (torch's and
torchvision's own initialisation after torch.manual_seed (0); the batch norms get random running
statistics so none is the identity), exports it with torch.onnx.export (opset 13, eval mode,
batch norms folded into the convolutions as usual, dynamic batch) to DIR/resnet50.onnx, then
times evaluation-mode inference under torch.inference_mode () with torch.set_num_threads (N):
for each batch size, two warm-up forwards, then the median of --iterations timed forwards
(time.perf_counter) on N(0, 1) inputs (the values do not change the work).  Prints one JSON
document on stdout:

    {"onnx": "DIR/resnet50.onnx", "threads": N, "torch": "1.13…", "torchvision": "0.14…",
     "export_seconds": …, "batches": {"1": {"seconds": median, "images_per_second": …}, …}}

supersign-cli bench --onnx runs this script, then imports the same ONNX file and times it the
same way, so both sides run the same weights on the same machine in one session.
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torchvision


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", required=True, help="where resnet50.onnx is written")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--batches", default="1,8", help="comma-separated batch sizes")
    ap.add_argument("--iterations", type=int, default=10)
    args = ap.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    if args.iterations < 1 or any(b < 1 for b in batches):
        sys.exit("torch_resnet50.py: --iterations and every batch must be ≥ 1")

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None)
    gen = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.normal_(0, 0.1, generator=gen)
                m.running_var.uniform_(0.5, 2.0, generator=gen)
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.normal_(0, 0.1, generator=gen)
    model.eval()

    path = os.path.join(args.out_dir, "resnet50.onnx")
    t0 = time.perf_counter()
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), path, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    export_seconds = time.perf_counter() - t0

    results = {}
    with torch.inference_mode():
        for b in batches:
            x = torch.randn(b, 3, 224, 224, generator=gen)
            times = []
            for i in range(-2, args.iterations):
                t0 = time.perf_counter()
                model(x)
                if i >= 0:
                    times.append(time.perf_counter() - t0)
            med = statistics.median(times)
            results[str(b)] = {"seconds": med, "images_per_second": b / med}
            print("torch_resnet50.py: batch %d: %.1f images/s" % (b, b / med), file=sys.stderr)

    json.dump({"onnx": path, "threads": args.threads, "torch": torch.__version__,
               "torchvision": torchvision.__version__, "export_seconds": export_seconds,
               "batches": results}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
