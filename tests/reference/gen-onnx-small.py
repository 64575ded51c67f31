# SPDX-License-Identifier: GPL-3.0-or-later
"""Small ONNX models and their expected outputs for tests/test-onnx.c (docs/onnx.md).

    /usr/bin/python3 tests/reference/gen-onnx-small.py

(/usr/bin/python3 is Debian's interpreter with python3-torch 1.13 and python3-onnx 1.12.)

Models (input N×3×16×16, float32, random weights from fixed seeds):

  small-bn.onnx      SmallNet, a little ResNet: conv-BN-ReLU-maxpool, two torchvision-style
                     BasicBlocks (the second with a 1×1 conv + BN downsample), a padded
                     AvgPool2d (count_include_pad), AdaptiveAvgPool2d(1), flatten, Dropout and
                     Linear. Exported with training=PRESERVE and do_constant_folding=False,
                     which keep the BatchNormalization nodes and the state_dict names (the
                     model is in eval mode, so they are the inference form); opset 13, batch
                     axis dynamic ("N").
  small-folded.onnx  The same network exported with the defaults: torch folds every BN into
                     the conv before it (weights "onnx::Conv_NN"); opset 11, batch fixed.
  small-head.onnx    HeadNet: a 5×5 conv, a ceil_mode max-pool that tiles exactly, ReLU called
                     twice (torch names the second call relu_1), AdaptiveAvgPool2d(4) (an
                     AveragePool with kernel = stride), x.view(N, -1) (Reshape by a Constant),
                     x @ w + b (MatMul + Add) and a final softmax; opset 17, batch fixed.
  small-group.onnx   GroupNet: a conv with groups = 3 and dilation 2, batch norm, a depthwise
                     conv (groups = channels, 2 filters each, stride 2); exported as small-bn.
  small-graph.onnx   Built node by node with onnx.helper (opset 12), for what torch does not
                     emit: Conv with auto_pad SAME_UPPER (stride 1, and stride 2 with an even
                     kernel), BatchNormalization with ε = 1e-3, Identity, Dropout with a ratio
                     input, Reshape by an initializer [-1, F], Gemm with transB = 0 and a 1×M
                     bias.
  external/small-graph.onnx + external/small-graph.onnx.data
                     The same graph with its larger tensors in a side file (onnx's external
                     data, location "small-graph.onnx.data").

These models and a minimal one (tiny.onnx) are also the fuzzer's seeds,
tests/fuzz/corpus-onnx.

Expected outputs: tests/data/onnx/small-ref.safetensors
    MODEL/input    (2, 3, 16, 16) float32
    MODEL/logits   (2, K)         float32: the network's logits (before any softmax),
                                  computed in float64 from the float32 weights and input
    small-bn/cam/MODULE (2, h, w) Grad-CAM of SmallNet at the PyTorch module MODULE (SPEC §2,
                                  predicted class, each map divided by its maximum, float64
                                  as gen-gradcam.py), for MODULE in CAM_MODULES
The script checks that PyTorch in float32 lands within 1e-5 of the float64 maps and logits,
so no ReLU or max-pool tie is near enough to flip in the engine's float32.
"""

import io
import os
import shutil
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sstio  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "data", "onnx"))
torch.set_num_threads(1)

CAM_MODULES = ["features.0", "features.2", "features.3", "layer1.0.conv1", "layer1.0.relu",
               "layer1.0", "layer1.1", "layer1.1.downsample.0", "pool", "avgpool"]


class BasicBlock(nn.Module):
    """torchvision's BasicBlock: one ReLU module called twice, downsample as a Sequential."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class SmallNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8),
                                      nn.ReLU(), nn.MaxPool2d(2))
        self.layer1 = nn.Sequential(BasicBlock(8, 8, 1), BasicBlock(8, 12, 2))
        self.pool = nn.AvgPool2d(3, stride=1, padding=1)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.3), nn.Linear(12, 5))

    def forward(self, x):
        x = self.layer1(self.features(x))
        x = self.avgpool(self.pool(x))
        return self.classifier(torch.flatten(x, 1))


class HeadNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 5, padding=2)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2, ceil_mode=True)
        self.conv2 = nn.Conv2d(6, 6, 3, padding=1)
        self.avg = nn.AdaptiveAvgPool2d(4)
        self.w = nn.Parameter(torch.randn(96, 7) * 0.2)
        self.b = nn.Parameter(torch.randn(7) * 0.1)

    def forward(self, x, logits=False):
        x = self.pool(self.relu(self.conv(x)))
        x = self.avg(self.relu(self.conv2(x)))
        x = x.view(x.size(0), -1) @ self.w + self.b
        return x if logits else torch.softmax(x, 1)


class GroupNet(nn.Module):
    """Grouped and dilated convolutions (a ResNeXt / MobileNet-style middle)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 6, 3, padding=1)
        self.relu = nn.ReLU()
        self.grouped = nn.Conv2d(6, 6, 3, padding=2, dilation=2, groups=3)
        self.bn = nn.BatchNorm2d(6)
        self.depthwise = nn.Conv2d(6, 12, 3, stride=2, padding=1, groups=6, bias=False)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(12, 4)

    def forward(self, x):
        x = self.relu(self.stem(x))
        x = self.relu(self.bn(self.grouped(x)))
        x = self.pool(self.relu(self.depthwise(x)))
        return self.fc(torch.flatten(x, 1))


def randomise_bn(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = torch.rand(c, generator=gen) + 0.5
            m.bias.data = torch.randn(c, generator=gen) * 0.1
            m.running_mean = torch.randn(c, generator=gen) * 0.1
            m.running_var = torch.rand(c, generator=gen) + 0.5


def export(model, x, path, **kw):
    f = io.BytesIO()
    torch.onnx.export(model, x, f, input_names=["input"], output_names=["output"], **kw)
    with open(path, "wb") as out:
        out.write(f.getvalue())
    return onnx.load_from_string(f.getvalue())


def normalise(maps):
    peak = maps.flatten(1).amax(1)
    scale = torch.where(peak > 0, peak, torch.ones_like(peak))
    return maps / scale.view(-1, *([1] * (maps.dim() - 1)))


def gradcam(model, modules, x):
    """Normalised Grad-CAM at each module (its last call's output), for the predicted class."""
    acts, grads, handles = {}, {}, []
    named = dict(model.named_modules())

    def hook(name):
        def f(module, inp, out):
            acts[name] = out
            # A module called twice (a block's relu): keep the last call's gradient only.
            out.register_hook(lambda g, o=out: grads.__setitem__(name, g)
                              if acts[name] is o else None)
        return f

    for name in modules:
        handles.append(named[name].register_forward_hook(hook(name)))
    xin = x.clone().requires_grad_(True)
    logits = model(xin)
    classes = logits.argmax(1)
    logits.gather(1, classes.view(-1, 1)).sum().backward()
    for h in handles:
        h.remove()
    cams = {}
    for name in modules:
        a, g = acts[name].detach(), grads[name]
        cams[name] = normalise(torch.relu((g.mean((2, 3), keepdim=True) * a).sum(1)))
    return logits.detach(), cams


def small_graph(gen):
    """The hand-built graph and a float64 torch function computing its logits."""
    def w(*shape, scale=0.3):
        return (torch.randn(*shape, generator=gen) * scale).float()

    conv1_w, conv1_b = w(6, 3, 3, 3), w(6, scale=0.1)
    conv2_w = w(8, 6, 4, 4, scale=0.2)
    bn = [torch.rand(8, generator=gen).float() + 0.5, w(8, scale=0.1), w(8, scale=0.1),
          torch.rand(8, generator=gen).float() * 0.01]   # small variances: ε = 1e-3 matters
    fc_w, fc_b = w(8 * 8 * 8, 4, scale=0.05), w(1, 4, scale=0.1)

    def t(name, x):
        return numpy_helper.from_array(x.numpy(), name)

    inits = [t("conv1.weight", conv1_w), t("conv1.bias", conv1_b), t("conv2.weight", conv2_w),
             t("bn.weight", bn[0]), t("bn.bias", bn[1]), t("bn.running_mean", bn[2]),
             t("bn.running_var", bn[3]), t("fc.weight", fc_w), t("fc.bias", fc_b),
             numpy_helper.from_array(np.array([-1, 8 * 8 * 8], dtype=np.int64), "shape"),
             numpy_helper.from_array(np.array(0.25, dtype=np.float32), "ratio")]
    nodes = [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["c1"], name="conv1",
                         auto_pad="SAME_UPPER", kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Identity", ["r1"], ["r1b"], name="same"),
        helper.make_node("Conv", ["r1b", "conv2.weight"], ["c2"], name="conv2",
                         auto_pad="SAME_LOWER", strides=[2, 2]),
        helper.make_node("BatchNormalization", ["c2", "bn.weight", "bn.bias", "bn.running_mean",
                                                "bn.running_var"], ["b2"], name="bn",
                         epsilon=1e-3),
        helper.make_node("Relu", ["b2"], ["r2"], name="relu2"),
        helper.make_node("Dropout", ["r2", "ratio"], ["d2"], name="drop"),
        helper.make_node("Reshape", ["d2", "shape"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["output"], name="fc"),
    ]
    graph = helper.make_graph(
        nodes, "small-graph",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 16, 16])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 4])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)],
                              producer_name="gen-onnx-small.py")
    onnx.checker.check_model(model)

    def forward(x):
        d = torch.float64
        y = F.relu(F.conv2d(x, conv1_w.to(d), conv1_b.to(d), padding=1))
        # SAME_LOWER with k = 4, s = 2 on 16: 2 padding rows in total, 1 on each side.
        y = F.conv2d(y, conv2_w.to(d), None, stride=2, padding=1)
        y = F.batch_norm(y, bn[2].to(d), bn[3].to(d), bn[0].to(d), bn[1].to(d), False, 0.0,
                         1e-3)
        y = F.relu(y).reshape(x.shape[0], -1)
        return y @ fc_w.to(d) + fc_b.to(d)

    return model, forward


def tiny_graph():
    """The smallest useful model, a fast seed for the fuzzer: 1×4×4 → conv, ReLU, pool, Gemm."""
    gen = torch.Generator().manual_seed(5)
    inits = [numpy_helper.from_array((torch.randn(2, 1, 3, 3, generator=gen) * 0.3).numpy(),
                                     "conv.weight"),
             numpy_helper.from_array(np.array([0.1, -0.2], dtype=np.float32), "conv.bias"),
             numpy_helper.from_array((torch.randn(3, 2, generator=gen)).numpy(), "fc.weight"),
             numpy_helper.from_array(np.zeros(3, dtype=np.float32), "fc.bias")]
    nodes = [
        helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"], name="/conv/Conv",
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="/relu/Relu"),
        helper.make_node("GlobalAveragePool", ["r"], ["p"], name="/pool/GlobalAveragePool"),
        helper.make_node("Flatten", ["p"], ["f"], name="/Flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], name="/fc/Gemm",
                         transB=1),
    ]
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model


def main():
    os.makedirs(os.path.join(OUT, "external"), exist_ok=True)
    ref = {}

    # SmallNet, BN kept and folded.
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(2)
    net = SmallNet()
    randomise_bn(net, gen)
    net.eval()
    x = torch.rand(2, 3, 16, 16, generator=gen) * 2 - 1
    m = export(net, x, os.path.join(OUT, "small-bn.onnx"), opset_version=13,
               training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
               dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})
    assert any(n.op_type == "BatchNormalization" for n in m.graph.node)
    m = export(net, x, os.path.join(OUT, "small-folded.onnx"), opset_version=11)
    assert not any(n.op_type == "BatchNormalization" for n in m.graph.node)
    logits64, cams64 = gradcam(net.double(), CAM_MODULES, x.double())
    logits32, cams32 = gradcam(net.float(), CAM_MODULES, x)
    worst = max((cams32[k].double() - cams64[k]).abs().max().item() for k in CAM_MODULES)
    print("small-bn: classes %s, float32 vs float64 max |Δcam| %.2g, |Δlogit| %.2g" %
          (logits64.argmax(1).tolist(), worst, (logits32.double() - logits64).abs().max()))
    assert worst < 1e-5
    for name in ("small-bn", "small-folded"):
        ref[name + "/input"] = x.clone()
        ref[name + "/logits"] = logits64.float()
    for k in CAM_MODULES:
        ref["small-bn/cam/" + k] = cams64[k].float().contiguous()

    # HeadNet.
    torch.manual_seed(3)
    head = HeadNet().eval()
    x = torch.rand(2, 3, 16, 16, generator=gen) * 2 - 1
    export(head, x, os.path.join(OUT, "small-head.onnx"), opset_version=17)
    with torch.no_grad():
        ref["small-head/input"] = x.clone()
        ref["small-head/logits"] = head.double()(x.double(), logits=True).float()

    # GroupNet.
    torch.manual_seed(4)
    group = GroupNet()
    randomise_bn(group, gen)
    group.eval()
    x = torch.rand(2, 3, 16, 16, generator=gen) * 2 - 1
    export(group, x, os.path.join(OUT, "small-group.onnx"), opset_version=13,
           training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    with torch.no_grad():
        ref["small-group/input"] = x.clone()
        ref["small-group/logits"] = group.double()(x.double()).float()

    # The hand-built graph, inline and with external data.
    model, forward = small_graph(gen)
    onnx.save_model(model, os.path.join(OUT, "small-graph.onnx"))
    data = os.path.join(OUT, "external", "small-graph.onnx.data")
    if os.path.exists(data):
        os.unlink(data)   # onnx appends to an existing data file
    onnx.save_model(model, os.path.join(OUT, "external", "small-graph.onnx"),
                    save_as_external_data=True, all_tensors_to_one_file=True,
                    location="small-graph.onnx.data", size_threshold=64)
    x = torch.rand(2, 3, 16, 16, generator=gen) * 2 - 1
    ref["small-graph/input"] = x.clone()
    ref["small-graph/logits"] = forward(x.double()).float()

    # The fuzzer's seeds (tests/fuzz/corpus-onnx): these models and a minimal one.
    corpus = os.path.normpath(os.path.join(HERE, "..", "fuzz", "corpus-onnx"))
    os.makedirs(corpus, exist_ok=True)
    for name in ("small-bn", "small-folded", "small-head", "small-graph", "small-group"):
        shutil.copyfile(os.path.join(OUT, name + ".onnx"), os.path.join(corpus, name + ".onnx"))
    onnx.save_model(tiny_graph(), os.path.join(corpus, "tiny.onnx"))

    path = os.path.join(OUT, "small-ref.safetensors")
    sstio.save_file(ref, path, {"generator": "tests/reference/gen-onnx-small.py",
                                "torch": torch.__version__, "onnx": onnx.__version__})
    for f in sorted(os.listdir(OUT)) + ["external/" + f for f in
                                        sorted(os.listdir(os.path.join(OUT, "external")))]:
        p = os.path.join(OUT, f)
        if f.startswith(("small", "external/")) and os.path.isfile(p):
            print("%-34s %7d bytes" % (f, os.path.getsize(p)))


if __name__ == "__main__":
    main()
