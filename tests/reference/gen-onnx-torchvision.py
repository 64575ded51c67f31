# SPDX-License-Identifier: GPL-3.0-or-later
"""ONNX files of torchvision's AlexNet, VGG16 and ResNet50 at reduced width, with references.

    /usr/bin/python3 tests/reference/gen-onnx-torchvision.py

(/usr/bin/python3 is Debian's interpreter with python3-torch 1.13, torchvision 0.14 and
python3-onnx 1.12; the `python3` on PATH may lack them.)

Why
---
The ONNX importer (core/ss-onnx.c) must open what users export from PyTorch.  These are the
three classic architectures, built with torchvision's own classes so that every module path
("features.3", "layer2.1.conv2", "classifier.4") is torchvision's, but with fewer channels so
the committed files stay small.  The input stays 3×224×224, so the whole spatial structure is
there: AlexNet's 11×11 stride-4 stem and 3×3 stride-2 max pools without padding, VGG's five
2×2 pools, ResNet's 7×7 stride-2 stem, padded max pool, strided 1×1 downsample shortcuts, and
the adaptive average pools, which the exporter writes as AveragePool (6×6 → 6×6 and 7×7 → 7×7,
kernel 1) or GlobalAveragePool (ResNet's 1×1).

Networks (num_classes = 10)
---------------------------
  alexnet-small   torchvision.models.AlexNet with its features and classifier rebuilt in the
                  same order (same indices) with channels ÷ 8 (8, 24, 48, 32, 32) and a
                  classifier of 64 hidden units.  ONNX opset 11, batch fixed at 1.
  vgg16-small     torchvision.models.VGG on torchvision.models.vgg.make_layers (configuration
                  "D") with channels ÷ 16 (4 … 32), the classifier rebuilt in the same order
                  with 64 hidden units.  Opset 13, dynamic batch.
  resnet50-small  torchvision.models.resnet.ResNet (Bottleneck, [3, 4, 6, 3]) with every width
                  ÷ 16 (stem 4 channels, stages 4, 8, 16, 32 → 16, 32, 64, 128 out).
                  Opset 17, dynamic batch, BatchNormalization nodes kept.
  resnet50-small-folded
                  the same network and weights exported the usual way (eval mode, constant
                  folding): every BatchNormalization is folded into the Conv before it.  Opset
                  13, dynamic batch.  Its references are resnet50-small's (the logits agree to
                  float32 rounding of the folded weights; conv outputs do not exist apart from
                  their batch norm, so only activations, pools and block outputs are listed).

Weights: PyTorch's / torchvision's initialisation from torch.manual_seed, then every conv and
linear bias set to U(−0.1, 0.1) (VGG and AlexNet initialise them to 0), linear weights re-drawn
with nn.Linear's default (VGG's N(0, 0.01) gives vanishing logits at this width), and every
batch norm given random affine terms and running statistics: calibrated in training mode on a
separate random batch with momentum 1, then perturbed (mean + N(0, 0.1)·σ, var × U(0.5, 2)),
so evaluation mode is far from the identity and a batch norm left out is visible in the logits.
ReLUs are made non-in-place (the same function) so that forward hooks see each layer's own
output.

Exports: torch.onnx.export in evaluation mode.  torch 1.13 folds each BatchNorm into the Conv
before it whenever training is EVAL (the default; `_jit_pass_onnx_eval_peephole`), whatever
do_constant_folding says; training=TrainingMode.PRESERVE with the module in eval() skips that
pass and writes BatchNormalization nodes (opset 14+: training_mode = 0), and
do_constant_folding=False keeps the weights as the named initialisers ("layer1.0.bn1.weight").
Each file passes onnx.checker.check_model (full_check, with shape inference), and the script
runs each graph itself (a small interpreter over the ops found, in float64, with torch's
functional ops) and checks that it gives PyTorch's logits, so the file, not only the
exporter's promise, is tested.

Inputs (N = 2): two 8-bit RGB 224×224 images drawn deterministically (a smooth colour field
with a bright disc plus seeded noise; stripes and a dark square plus seeded noise), made into
tensors exactly as torchvision's ToTensor and Normalize do (float32 byte / 255, then
(x − mean) / std with ImageNet's mean 0.485, 0.456, 0.406 and std 0.229, 0.224, 0.225).

References: computed in float64 from the float32 weights and input and stored as float32, with
the hooks of tests/reference/gen-gradcam.py (its gradcam function is imported and used as is):
Grad-CAM of the predicted class, A the layer's output, α = mean over (h, w) of ∂y_c/∂A,
cam = ReLU(Σ_k α_k A_k), each sample's map divided by its maximum (all-zero stays zero); a
residual block's output is taken from a hook on the Bottleneck module itself.  Maps are at each
layer's own resolution.

Files (tests/data/onnx/)
------------------------
  NAME.onnx                  the model
  inputs.safetensors         input (2, 3, 224, 224) float32, shared by every model (one copy
                             instead of four keeps the fixtures small); metadata: mean, std
  NAME-ref.safetensors       logits (2, 10) float32; classes (2) int64, the predicted classes;
                             gradcam.PATH (2, h, w) float32 for each listed module path.
                             metadata: gradcam.layers = JSON [[path, kind], ...] in order (kind
                             conv / activation / pooling / block); gradcam.f32_error = JSON
                             {path: max |Δcam|} of the same computation in PyTorch float32
                             against float64 (the scale of rounding alone); logits.margin = the
                             smallest gap between the top two logits; onnx, opset, generator,
                             torch, torchvision.

Rerunning rewrites the safetensors files bit for bit on the same torch build; the .onnx files
also carry the producer version.
"""

import importlib.util
import json
import math
import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models import AlexNet, VGG
from torchvision.models.resnet import Bottleneck, ResNet
from torchvision.models.vgg import cfgs, make_layers

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sstio  # noqa: E402

_spec = importlib.util.spec_from_file_location("gen_gradcam",
                                               os.path.join(HERE, "gen-gradcam.py"))
gen_gradcam = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_gradcam)

OUT = os.path.normpath(os.path.join(HERE, "..", "data", "onnx"))
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
K = 10

torch.set_num_threads(1)


# --- networks ------------------------------------------------------------------------------

def alexnet_small():
    """torchvision's AlexNet, same module indices, channels ÷ 8, 64 hidden units."""
    torch.manual_seed(11)
    m = AlexNet(num_classes=K)
    c = [64 // 8, 192 // 8, 384 // 8, 256 // 8, 256 // 8]
    m.features = nn.Sequential(
        nn.Conv2d(3, c[0], kernel_size=11, stride=4, padding=2),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(c[0], c[1], kernel_size=5, padding=2),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(c[1], c[2], kernel_size=3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(c[2], c[3], kernel_size=3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(c[3], c[4], kernel_size=3, padding=1),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
    )
    m.classifier = nn.Sequential(
        nn.Dropout(p=0.5),
        nn.Linear(c[4] * 6 * 6, 64),
        nn.ReLU(inplace=True),
        nn.Dropout(p=0.5),
        nn.Linear(64, 64),
        nn.ReLU(inplace=True),
        nn.Linear(64, K),
    )
    layers = [("features.0", "conv"), ("features.1", "activation"), ("features.2", "pooling"),
              ("features.4", "activation"), ("features.5", "pooling"),
              ("features.7", "activation"), ("features.9", "activation"),
              ("features.11", "activation"), ("features.12", "pooling"), ("avgpool", "pooling")]
    return m, layers


def vgg16_small():
    """torchvision's VGG16 (configuration D), same module indices, channels ÷ 16."""
    torch.manual_seed(16)
    cfg = [v if v == "M" else v // 16 for v in cfgs["D"]]
    m = VGG(make_layers(cfg, batch_norm=False), num_classes=K)
    m.classifier = nn.Sequential(
        nn.Linear(cfg[-2] * 7 * 7, 64),
        nn.ReLU(True),
        nn.Dropout(p=0.5),
        nn.Linear(64, 64),
        nn.ReLU(True),
        nn.Dropout(p=0.5),
        nn.Linear(64, K),
    )
    # Index 4 is the first pool (112×112); earlier maps are 224×224 and would weigh 400 KB each.
    layers = [("features.4", "pooling"), ("features.9", "pooling"),
              ("features.15", "activation"), ("features.16", "pooling"),
              ("features.22", "activation"), ("features.23", "pooling"),
              ("features.28", "conv"), ("features.29", "activation"),
              ("features.30", "pooling"), ("avgpool", "pooling")]
    return m, layers


class SmallResNet(ResNet):
    """torchvision's ResNet with every width divided by DIV.

    torchvision.models.resnet.ResNet.__init__ runs unchanged (its module names, its
    initialisation, its forward); _make_layer is asked for planes ÷ DIV, and the stem and the
    classifier, whose widths __init__ writes as constants, are rebuilt at the same places."""

    DIV = 16

    def __init__(self, block, layers, num_classes):
        self._first_stage = True
        super().__init__(block, layers, num_classes=num_classes)
        width = 64 // self.DIV
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.fc = nn.Linear(512 // self.DIV * block.expansion, num_classes)
        nn.init.kaiming_normal_(self.conv1.weight, mode="fan_out", nonlinearity="relu")

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        if self._first_stage:
            # __init__ set inplanes = 64 for the stem's output: the stem is 64 ÷ DIV wide.
            self.inplanes = 64 // self.DIV
            self._first_stage = False
        return super()._make_layer(block, planes // self.DIV, blocks, stride, dilate)


def resnet50_small():
    torch.manual_seed(50)
    m = SmallResNet(Bottleneck, [3, 4, 6, 3], num_classes=K)
    layers = [("relu", "activation"), ("maxpool", "pooling"),
              ("layer1.0", "block"), ("layer1.2", "block"), ("layer2.0", "block"),
              ("layer2.3", "block"), ("layer3.0", "block"), ("layer3.5", "block"),
              ("layer4.0", "block"), ("layer4.2", "block"), ("avgpool", "pooling")]
    return m, layers


def randomise(model, seed):
    """Non-zero biases, nn.Linear's default weights, batch norms far from the identity."""
    gen = torch.Generator().manual_seed(seed)
    for mod in model.modules():
        if isinstance(mod, nn.ReLU):
            mod.inplace = False
        if isinstance(mod, nn.Linear):
            mod.reset_parameters()
        if isinstance(mod, (nn.Conv2d, nn.Linear)) and mod.bias is not None:
            with torch.no_grad():
                mod.bias.copy_(torch.rand(mod.bias.shape, generator=gen) * 0.2 - 0.1)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    if not bns:
        return
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = 1.0
    model.train()
    with torch.no_grad():
        model(torch.randn(4, 3, 224, 224, generator=gen))
    for bn in bns:
        c = bn.num_features
        with torch.no_grad():
            sd = bn.running_var.sqrt()
            bn.running_mean.add_(torch.randn(c, generator=gen) * 0.1 * sd)
            bn.running_var.mul_(0.5 + 1.5 * torch.rand(c, generator=gen))
            bn.weight.copy_(0.5 + torch.rand(c, generator=gen))
            bn.bias.copy_(torch.randn(c, generator=gen) * 0.2)
        bn.momentum = 0.1
        bn.num_batches_tracked.fill_(5)
    model.eval()


# --- inputs --------------------------------------------------------------------------------

def make_inputs():
    """Two 8-bit RGB images (2, 3, 224, 224), then ToTensor + Normalize as torchvision does."""
    gen = torch.Generator().manual_seed(224)
    yy, xx = torch.meshgrid(torch.arange(224.0), torch.arange(224.0), indexing="ij")
    u, v = xx / 223, yy / 223
    # 0: a smooth colour field with a bright disc off centre.
    disc = ((xx - 140) ** 2 + (yy - 90) ** 2 < 45 ** 2).float()
    a = torch.stack([0.2 + 0.6 * u, 0.3 + 0.4 * torch.sin(3 * v) ** 2, 0.7 - 0.5 * u * v])
    a = a * (1 - disc) + disc * torch.tensor([0.95, 0.85, 0.3]).view(3, 1, 1)
    # 1: diagonal stripes with a dark square.
    square = ((xx - 70).abs() < 35) & ((yy - 150).abs() < 35)
    s = 0.5 + 0.4 * torch.sin((xx + yy) / 9)
    b = torch.stack([s, 0.6 * s + 0.2 * v, 0.3 + 0.3 * (1 - s)])
    b = torch.where(square, torch.tensor([0.1, 0.05, 0.15]).view(3, 1, 1), b)
    img = torch.stack([a, b]) + torch.randn(2, 3, 224, 224, generator=gen) * 0.04
    pixels = (img.clamp(0, 1) * 255).round().to(torch.uint8)
    # torchvision: ToTensor is img.float().div(255); Normalize is sub_(mean).div_(std), float32.
    x = pixels.to(torch.float32).div(255)
    mean = torch.tensor(MEAN, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=torch.float32).view(1, 3, 1, 1)
    return x.sub(mean).div(std)


# --- a small ONNX interpreter, to check the files themselves ---------------------------------

def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _pads(at, rank=2):
    p = list(at.get("pads", [0] * (2 * rank)))
    if at.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise ValueError("auto_pad is not used by torch's exporter")
    return p


def _pool_input(x, at, value):
    p = _pads(at)
    if any(p):
        x = F.pad(x, (p[1], p[3], p[0], p[2]), value=value)
    return x


def run_onnx(model, x):
    """Runs the graph in float64 on x (N, 3, 224, 224); supports the ops torch 1.13 writes here."""
    env = {i.name: torch.from_numpy(onnx.numpy_helper.to_array(i).copy()).double()
           if onnx.numpy_helper.to_array(i).dtype.kind == "f"
           else torch.from_numpy(onnx.numpy_helper.to_array(i).copy())
           for i in model.graph.initializer}
    env[model.graph.input[0].name] = x.double()
    for node in model.graph.node:
        at = _attrs(node)
        ins = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Conv":
            p = _pads(at)
            assert p[0] == p[2] and p[1] == p[3], "asymmetric conv padding"
            y = F.conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                         stride=at.get("strides", [1, 1]), padding=(p[0], p[1]),
                         dilation=at.get("dilations", [1, 1]), groups=at.get("group", 1))
        elif op == "BatchNormalization":
            assert at.get("training_mode", 0) == 0
            y = F.batch_norm(ins[0], ins[3], ins[4], ins[1], ins[2], False, 0.0,
                             at.get("epsilon", 1e-5))
        elif op == "Relu":
            y = torch.relu(ins[0])
        elif op == "MaxPool":
            assert at.get("dilations", [1, 1]) == [1, 1]
            y = F.max_pool2d(_pool_input(ins[0], at, -math.inf), at["kernel_shape"],
                             at.get("strides", [1, 1]), ceil_mode=bool(at.get("ceil_mode", 0)))
        elif op == "AveragePool":
            assert not any(_pads(at)) and not at.get("ceil_mode", 0)
            y = F.avg_pool2d(ins[0], at["kernel_shape"], at.get("strides", [1, 1]))
        elif op == "GlobalAveragePool":
            y = ins[0].mean((2, 3), keepdim=True)
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "Flatten":
            y = ins[0].flatten(at.get("axis", 1))
        elif op == "Gemm":
            a, b = ins[0], ins[1]
            if at.get("transA", 0):
                a = a.t()
            if at.get("transB", 0):
                b = b.t()
            y = at.get("alpha", 1.0) * a @ b
            if len(ins) > 2:
                y = y + at.get("beta", 1.0) * ins[2]
        else:
            raise ValueError("the checker's interpreter does not know %s (%s)" % (op, node.name))
        env[node.output[0]] = y
    return env[model.graph.output[0].name]


# --- export, check, references ---------------------------------------------------------------

def export(model, path, opset, dynamic, fold):
    dummy = torch.zeros(1, 3, 224, 224)
    kw = dict(opset_version=opset, input_names=["input"], output_names=["logits"])
    if dynamic:
        kw["dynamic_axes"] = {"input": {0: "batch"}, "logits": {0: "batch"}}
    if fold:
        kw.update(training=torch.onnx.TrainingMode.EVAL, do_constant_folding=True)
    else:
        kw.update(training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    model.eval()
    torch.onnx.export(model, dummy, path, **kw)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    return m


def make_case(name, factory, x, opset, dynamic, seed, folded_opset=None):
    model, layers = factory()
    randomise(model, seed)
    model.eval()
    mods = dict(model.named_modules())
    hooked = [(n, k, mods[n]) for n, k in layers]

    paths = [(name, opset, dynamic, False)]
    if folded_opset is not None:
        paths.append((name + "-folded", folded_opset, True, True))

    # References in float64 (gen-gradcam.py's own function), then float32 for scale.
    model.double()
    logits, pred, cams, _, raw1 = gen_gradcam.gradcam(model, hooked, x.double(), None)
    top2 = logits.topk(2, 1).values
    margin = (top2[:, 0] - top2[:, 1]).min().item()
    model.float()
    logits32, _, cams32, _, _ = gen_gradcam.gradcam(model, hooked, x, pred)
    f32_error = {n: (cams32[n] - cams[n]).abs().max().item() for n, _ in layers}
    print("%s: predicted %s, smallest top-2 margin %.4g, float32 vs float64: logits %.3g, "
          "worst cam %.3g (%s)%s" %
          (name, pred.tolist(), margin, (logits32.double() - logits).abs().max().item(),
           max(f32_error.values()), max(f32_error, key=f32_error.get),
           "; smallest |Σ α·A| of a 1×1 map %.3g" % min(raw1) if raw1 else ""))

    for fname, op, dyn, fold in paths:
        path = os.path.join(OUT, fname + ".onnx")
        m = export(model, path, op, dyn, fold)
        ops = sorted({n.op_type for n in m.graph.node})
        n_bn = sum(n.op_type == "BatchNormalization" for n in m.graph.node)
        xs = x if dyn else x[:1]
        got = run_onnx(m, xs)
        err = (got - logits[: xs.shape[0]]).abs().max().item()
        print("  %s: opset %d, %s batch, %d nodes, %d BatchNormalization; ops %s; "
              "graph run vs PyTorch logits max |Δ| %.3g; %d bytes" %
              (os.path.relpath(path), op, "dynamic" if dyn else "fixed", len(m.graph.node),
               n_bn, " ".join(ops), err, os.path.getsize(path)))
        if err > 1e-4 * max(1.0, logits.abs().max().item()):
            raise SystemExit("%s does not compute the PyTorch model" % path)
        if name.startswith("resnet") and (n_bn == 0) != fold:
            raise SystemExit("%s: BatchNormalization nodes %s" %
                             (path, "left in" if fold else "folded away"))

    t = {"logits": gen_gradcam.gen_net.f32(logits), "classes": pred.to(torch.int64).clone()}
    for n, _ in layers:
        t["gradcam." + n] = gen_gradcam.gen_net.f32(cams[n])
    meta = {"onnx": name + ".onnx",
            "opset": str(opset),
            "gradcam.layers": json.dumps([[n, k] for n, k in layers]),
            "gradcam.f32_error": json.dumps({n: float("%.3g" % e) for n, e in f32_error.items()}),
            "logits.margin": "%.6g" % margin,
            "generator": "tests/reference/gen-onnx-torchvision.py",
            "torch": torch.__version__,
            "torchvision": torchvision.__version__}
    if folded_opset is not None:
        meta["onnx.folded"] = name + "-folded.onnx"
    path = os.path.join(OUT, name + "-ref.safetensors")
    sstio.save_file(t, path, meta)
    print("  %s: %d bytes, %d layers" % (os.path.relpath(path), os.path.getsize(path),
                                        len(layers)))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    x = make_inputs()
    path = os.path.join(OUT, "inputs.safetensors")
    sstio.save_file({"input": x}, path,
                    {"mean": json.dumps(MEAN), "std": json.dumps(STD),
                     "generator": "tests/reference/gen-onnx-torchvision.py"})
    print("%s: %d bytes" % (os.path.relpath(path), os.path.getsize(path)))
    make_case("alexnet-small", alexnet_small, x, opset=11, dynamic=False, seed=11)
    make_case("vgg16-small", vgg16_small, x, opset=13, dynamic=True, seed=4)
    make_case("resnet50-small", resnet50_small, x, opset=17, dynamic=True, seed=9,
              folded_opset=13)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("tests/data/onnx: %d bytes in all" % total)
