# SPDX-License-Identifier: GPL-3.0-or-later
"""Network-level PyTorch references for tests/test-net.c, and the engine→PyTorch model check.

    /usr/bin/python3 tests/reference/gen-net.py            # write fixtures, check engine model
    /usr/bin/python3 tests/reference/gen-net.py --check    # only the engine-model check

(/usr/bin/python3 is Debian's interpreter with python3-torch 1.13; the `python3` on PATH may
lack torch.)

Networks
--------
The PyTorch modules below are written out independently of the engine, with the module names
that are Supersign's node names (so state_dict keys are the engine's parameter names):

    fmnist-vgg   FmnistVgg: conv1 bn1 relu1 conv2 bn2 relu2 pool1 conv3 ... flatten fc1 relu5 fc2
                 (3×3 convs with bias, pad 1; 2×2 max pools; fc1 3136→128; fc2 128→10)
    resnet20     ResNet20: torchvision naming, BasicBlock = conv1 bn1 relu1 conv2 bn2
                 [downsample.0 (1×1 conv, stride 2, no bias) downsample.1 (BN)] add relu2, on
                 16×16 inputs (the parameters do not depend on the input size; 16×16 keeps the
                 fixture small and the number of ReLU inputs near a kink low)
    tiny         TINY_ARCH, a JSON architecture (stored in the fixture's metadata, read by the
                 C test with ss_arch_new_from_json): a stem conv, an identity-shortcut block
                 spelled out layer by layer with an explicit "add", a "residual" block with stride
                 2 and a projection shortcut, a 2×2 average pool over an odd 5×5 map, flatten and
                 a linear layer.  Built here by a small interpreter of the same JSON, whose
                 "residual" entries are the BasicBlock above.

Weights are PyTorch's default initialisation from torch.manual_seed, then the batch norms get
random affine terms and running statistics (calibrated on a separate random batch with
momentum 1, then perturbed), and num_batches_tracked = 5, so that evaluation mode is not the
identity.  All references are computed in float64 from those float32 weights and stored as
float32, so the tolerances in the C test cover only the engine's own float32 rounding.  The
input batch is chosen (by trying seeds) so that every ReLU input, in both modes, is at least
MARGIN away from 0 and every max-pool window's winner leads the runner-up by MARGIN (exact
0-0 ties after a ReLU excepted: both sides take the first), so that float32 rounding cannot
flip a mask and the gradients are comparable element by element.

Files
-----
tests/data/net-NAME-state.safetensors   the state_dict exactly as sstio.save_file(
                                         model.state_dict()) writes it (float32, int64
                                         num_batches_tracked); the C test loads it with
                                         ss_model_load_weights (PyTorch → engine interop).
tests/data/net-NAME.safetensors          the references; metadata: supersign.arch (tiny) or
                                         supersign.builtin (fmnist-vgg, resnet20), lr, momentum,
                                         weight_decay.
    input (N,C,H,W), labels (N, I64), cam_class (N, I64)
    train/logits, train/loss (scalar), train/input_grad      one forward in TRAIN mode, mean
                                                             cross-entropy, one backward
    train/param-grad/P                                       dL/dP for every trainable P
    train/state/B.running_mean|running_var|num_batches_tracked   BN buffers after that forward
    train/node-out/flatten, train/node-grad/fc1 (fmnist-vgg) the input of fc1 and dL/d(fc1 out)
                                                             in that pass: fc1.weight's
                                                             gradient is their product, which
                                                             the C test checks in full
    sgd/P, sgd-nesterov/P (tiny only)                        P after one torch.optim.SGD(lr,
                                                             momentum=0.9, weight_decay=5e-4)
                                                             step on those gradients
    eval/logits, eval/input_grad                             EVAL mode; the gradient is that of
    eval/node-out/L, eval/node-grad/L                        Σ_n y[n, cam_class[n]] (Grad-CAM's
                                                             ∂y_c/∂A) w.r.t. the input and
                                                             chosen layers' outputs (every layer
                                                             for tiny)
  To stay small, a tensor over FULL_GRAD elements (fmnist-vgg's fc1.weight) keeps only its
  elements [::S] in train/param-grad, and sgd/P keeps [::S] of tensors over FULL_SGD elements;
  such a key K has a companion "K:stride" (I64 scalar S).

The engine-made model (engine → PyTorch interop)
-----------------------------------------------
tests/data/engine-tiny.safetensors and engine-tiny-logits.safetensors are written by the
engine, not by this script:

    BUILDDIR/tests/test-net-runs --write-engine-model tests/data    (BUILDDIR e.g. build-h4)

builds the tiny architecture from net-tiny.safetensors' metadata, trains it for three SGD
steps on seeded random data (so weights, running statistics and num_batches_tracked = 3 are
the engine's own), saves it with ss_model_save, and records in engine-tiny-logits.safetensors
an input batch and the engine's logits for it in EVAL and in TRAIN mode.  This script then
(check_engine_model below):

  1. reads engine-tiny.safetensors with sstio.load_file, nothing else;
  2. checks that the layer names in its supersign.arch metadata are the leaf modules of the
     PyTorch tiny net, in order;
  3. model.load_state_dict(tensors, strict=True): every key present, no extra key, every shape
     equal (num_batches_tracked included, and compared with 3);
  4. runs the recorded input through the module in eval() and in train() mode (float32, as the
     engine) and requires |torch - engine| <= 1e-4 + 1e-4·|engine| for every logit;

and exits non-zero if any step fails.  The C test (/net/interop/engine-model) loads the same
committed file with ss_model_load and checks the same recorded logits, so a change in the
file format breaks one side or the other.

Regenerating
------------
Both steps are deterministic: rerunning gen-net.py rewrites the net-* files bit for bit on the
same torch build (it seeds before building each module; Debian's torch seeds randomly at
start-up otherwise), and --write-engine-model writes the same engine-* bytes whatever the
thread count.  After changing the networks here: run gen-net.py, then --write-engine-model
(it reads the tiny architecture from net-tiny.safetensors), then gen-net.py --check.
"""

import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sstio  # noqa: E402

DATA = os.path.normpath(os.path.join(HERE, "..", "data"))

LR = 0.1
MOMENTUM = 0.9
WEIGHT_DECAY = 5e-4
MARGIN = 2e-5        # minimum |ReLU input| and max-pool lead, see the docstring
FULL_GRAD = 65536    # larger parameter gradients are stored as a strided sample
FULL_SGD = 4096      # larger post-step tensors are stored as a strided sample
SAMPLES = 1024       # about this many elements per sampled tensor

torch.set_num_threads(1)


# ---------------------------------------------------------------------------------------------
# Modules.  Every leaf module is one engine node of the same name.

class Add(nn.Module):
    def forward(self, a, b):
        return a + b


class FmnistVgg(nn.Module):
    def __init__(self, in_c=1, classes=10):
        super().__init__()
        widths = [32, 32, 64, 64]
        c = in_c
        for i, wd in enumerate(widths, 1):
            setattr(self, "conv%d" % i, nn.Conv2d(c, wd, 3, padding=1, bias=True))
            setattr(self, "bn%d" % i, nn.BatchNorm2d(wd))
            setattr(self, "relu%d" % i, nn.ReLU())
            if i % 2 == 0:
                setattr(self, "pool%d" % (i // 2), nn.MaxPool2d(2, 2))
            c = wd
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.relu5 = nn.ReLU()
        self.fc2 = nn.Linear(128, classes)

    def forward(self, x):
        for i in range(1, 5):
            x = getattr(self, "conv%d" % i)(x)
            x = getattr(self, "relu%d" % i)(getattr(self, "bn%d" % i)(x))
            if i % 2 == 0:
                x = getattr(self, "pool%d" % (i // 2))(x)
        return self.fc2(self.relu5(self.fc1(self.flatten(x))))


class BasicBlock(nn.Module):
    """torchvision's BasicBlock with one ReLU module per use and the add as a module."""

    def __init__(self, in_c, out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_c, out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(out, out, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.downsample = None
        if stride != 1 or in_c != out:  # option B: 1×1 projection
            self.downsample = nn.Sequential(nn.Conv2d(in_c, out, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(out))
        self.add = Add()
        self.relu2 = nn.ReLU()

    def forward(self, x):
        y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        s = self.downsample(x) if self.downsample is not None else x
        return self.relu2(self.add(y, s))


class ResNet20(nn.Module):
    def __init__(self, in_c=3, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_c, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        c = 16
        for stage, wd in enumerate([16, 32, 64], 1):
            blocks = []
            for b in range(3):
                stride = 2 if stage > 1 and b == 0 else 1
                blocks.append(BasicBlock(c, wd, stride))
                c = wd
            setattr(self, "layer%d" % stage, nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.flatten(self.avgpool(x)))


TINY_ARCH = {
    "name": "tiny-res",
    "input": [3, 10, 10],
    "classes": 5,
    "layers": [
        {"type": "conv", "name": "conv1", "out": 6, "kernel": 3, "padding": 1},
        {"type": "batchnorm", "name": "bn1"},
        {"type": "relu", "name": "relu1"},
        # An identity-shortcut block, spelled out.
        {"type": "conv", "name": "block1.conv1", "out": 6, "kernel": 3, "padding": 1,
         "bias": False},
        {"type": "batchnorm", "name": "block1.bn1"},
        {"type": "relu", "name": "block1.relu1"},
        {"type": "conv", "name": "block1.conv2", "out": 6, "kernel": 3, "padding": 1,
         "bias": False},
        {"type": "batchnorm", "name": "block1.bn2"},
        {"type": "add", "name": "block1.add", "inputs": ["block1.bn2", "relu1"]},
        {"type": "relu", "name": "block1.relu2"},
        # Stride-2 block with a 1×1 projection shortcut: 6×10×10 → 8×5×5.
        {"type": "residual", "name": "block2", "out": 8, "stride": 2},
        {"type": "avgpool", "name": "pool", "kernel": 2, "stride": 2},   # 5×5 → 2×2
        {"type": "flatten", "name": "flatten"},
        {"type": "linear", "name": "fc", "out": 5},
    ],
}


class JsonNet(nn.Module):
    """Interprets an architecture JSON (the subset TINY_ARCH uses) as PyTorch modules."""

    def __init__(self, arch):
        super().__init__()
        self.order = []      # (name, module, input names)
        c, h, w = arch["input"]
        shapes = {"input": (c, h, w)}
        prev = "input"
        for layer in arch["layers"]:
            t, name = layer["type"], layer["name"]
            ins = layer.get("inputs", [prev])
            c, h, w = shapes[ins[0]]
            if t == "conv":
                k, s, p = layer["kernel"], layer.get("stride", 1), layer.get("padding", 0)
                m = nn.Conv2d(c, layer["out"], k, stride=s, padding=p, bias=layer.get("bias", True))
                shape = (layer["out"], (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1)
            elif t == "batchnorm":
                m, shape = nn.BatchNorm2d(c), (c, h, w)
            elif t == "relu":
                m, shape = nn.ReLU(), (c, h, w)
            elif t in ("maxpool", "avgpool"):
                k = layer["kernel"]
                s, p = layer.get("stride", k), layer.get("padding", 0)
                m = nn.MaxPool2d(k, s, p) if t == "maxpool" else nn.AvgPool2d(k, s, p)
                shape = (c, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1)
            elif t == "flatten":
                m, shape = nn.Flatten(), (c * h * w, 1, 1)
            elif t == "linear":
                m, shape = nn.Linear(c * h * w, layer["out"], bias=layer.get("bias", True)), \
                    (layer["out"], 1, 1)
            elif t == "add":
                assert shapes[ins[1]] == (c, h, w)
                m, shape = Add(), (c, h, w)
            elif t == "residual":
                s = layer.get("stride", 1)
                m = BasicBlock(c, layer["out"], s)
                shape = (layer["out"], (h + 2 - 3) // s + 1, (w + 2 - 3) // s + 1)
            else:
                raise ValueError("layer type %r" % t)
            self._register(name, m)
            self.order.append((name, m, ins))
            shapes[name] = shape
            prev = name

    def _register(self, dotted, module):
        parent = self
        parts = dotted.split(".")
        for p in parts[:-1]:
            if not hasattr(parent, p):
                parent.add_module(p, nn.Module())
            parent = getattr(parent, p)
        parent.add_module(parts[-1], module)

    def forward(self, x):
        outs = {"input": x}
        y = x
        for name, m, ins in self.order:
            y = m(*[outs[i] for i in ins])
            outs[name] = y
        return y


def leaf_names(model):
    return [n for n, m in model.named_modules() if n and not list(m.children())]


# ---------------------------------------------------------------------------------------------
# Weights

def randomise_bn(model, calib):
    """Random BN affine terms; running statistics from a calibration batch, perturbed."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in bns:
            bn.weight.uniform_(0.6, 1.4)
            bn.bias.uniform_(-0.3, 0.3)
            bn.momentum = 1.0
        model.train()
        model(calib)
        for bn in bns:
            std = bn.running_var.sqrt()
            bn.running_mean.add_(0.1 * std * torch.randn_like(std))
            bn.running_var.mul_(torch.empty_like(std).uniform_(0.7, 1.4))
            bn.momentum = 0.1
            bn.num_batches_tracked.fill_(5)


# ---------------------------------------------------------------------------------------------
# Margins: ReLU inputs away from 0, max-pool winners ahead of the runner-up.

class Margins:
    def __init__(self, model):
        self.relu = math.inf
        self.pool = math.inf
        self.handles = []
        for m in model.modules():
            if isinstance(m, nn.ReLU):
                self.handles.append(m.register_forward_hook(self._relu))
            elif isinstance(m, nn.MaxPool2d):
                self.handles.append(m.register_forward_hook(self._pool))

    def _relu(self, m, inp, out):
        self.relu = min(self.relu, inp[0].detach().abs().min().item())

    def _pool(self, m, inp, out):
        x = inp[0].detach()
        k, s = m.kernel_size, m.stride
        win = x.unfold(2, k, s).unfold(3, k, s).flatten(-2)
        top = win.topk(2, dim=-1).values
        gap = top[..., 0] - top[..., 1]
        real = ~((top[..., 0] == 0) & (top[..., 1] == 0))   # exact zero ties are fine
        if real.any():
            self.pool = min(self.pool, gap[real].min().item())

    def remove(self):
        for h in self.handles:
            h.remove()


# ---------------------------------------------------------------------------------------------
# Reference computation

class Taps:
    """Keeps the outputs (with retained gradients) of the named leaf modules."""

    def __init__(self, model, names):
        self.out = {}
        self.handles = []
        mods = dict(model.named_modules())
        for n in names:
            self.handles.append(mods[n].register_forward_hook(self._hook(n)))

    def _hook(self, name):
        def f(m, inp, out):
            out.retain_grad()
            self.out[name] = out
        return f

    def remove(self):
        for h in self.handles:
            h.remove()


def f32(t):
    return t.detach().to(torch.float32).contiguous().clone()


def sampled(tensors, key, t, limit):
    flat = f32(t).reshape(-1)
    if flat.numel() <= limit:
        tensors[key] = f32(t)
        return
    stride = -(-flat.numel() // SAMPLES)
    tensors[key] = flat[::stride].clone()
    tensors[key + ":stride"] = torch.tensor(stride, dtype=torch.int64)


def check_margins(model, state, x):
    """Smallest ReLU and max-pool margins over a train and an eval forward, in float64."""
    model.load_state_dict(state)
    margins = Margins(model)
    with torch.no_grad():
        model.train()
        model(x)
        model.load_state_dict(state)
        model.eval()
        model(x)
    margins.remove()
    model.load_state_dict(state)
    return min(margins.relu, margins.pool)


def make_case(name, factory, in_shape, n, classes, seed, taps, nesterov, meta, train_taps=()):
    # Debian's torch seeds its generator randomly at start-up: seed before building anything.
    torch.manual_seed(seed)
    # Default PyTorch init in float32, then the batch norms.
    model = factory().float()
    if taps is None:
        taps = leaf_names(model)
    randomise_bn(model, torch.randn(8, *in_shape))
    state32 = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.double()
    state64 = {k: v.detach().clone() for k, v in model.state_dict().items()}

    # An input batch far enough from every kink (see the docstring).
    for attempt in range(3000):
        x = torch.randn(n, *in_shape).double()
        m = check_margins(model, state64, x)
        if m >= MARGIN:
            break
    else:
        raise RuntimeError("%s: no input batch with margin %g" % (name, MARGIN))
    x = x.float().double()   # exactly the float32 input the engine sees
    labels = torch.randint(0, classes, (n,))
    cam = torch.randint(0, classes, (n,))
    print("%s: margin %.3g after %d tries" % (name, m, attempt + 1))

    t = {"input": f32(x), "labels": labels.clone(), "cam_class": cam.clone()}

    # TRAIN: forward, mean cross-entropy, backward.
    model.load_state_dict(state64)
    model.train()
    model.zero_grad(set_to_none=True)
    tap = Taps(model, train_taps)
    xin = x.clone().requires_grad_(True)
    logits = model(xin)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    tap.remove()
    t["train/logits"] = f32(logits)
    t["train/loss"] = f32(loss)
    t["train/input_grad"] = f32(xin.grad)
    for k, p in model.named_parameters():
        sampled(t, "train/param-grad/" + k, p.grad, FULL_GRAD)
    for k, b in model.named_buffers():
        t["train/state/" + k] = f32(b) if b.dtype.is_floating_point else b.clone()
    for k in train_taps:
        t["train/node-out/" + k] = f32(tap.out[k])
        t["train/node-grad/" + k] = f32(tap.out[k].grad)
    if "fc1" in train_taps:   # fc1.weight's gradient is Σ_n dout_n ⊗ in_n
        g = tap.out["fc1"].grad.t() @ tap.out["flatten"]
        assert torch.allclose(g, model.fc1.weight.grad, rtol=1e-12, atol=1e-15)

    # One SGD step (from fresh momentum) on those gradients, for each Nesterov setting.
    params = dict(model.named_parameters())
    before = {k: p.detach().clone() for k, p in params.items()}
    for nv in nesterov:
        with torch.no_grad():
            for k, p in params.items():
                p.copy_(before[k])
        opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM,
                              weight_decay=WEIGHT_DECAY, nesterov=nv)
        opt.step()
        prefix = "sgd-nesterov/" if nv else "sgd/"
        for k, p in params.items():
            sampled(t, prefix + k, p, FULL_SGD)

    # EVAL from the original state: logits, ∂(Σ_n y[n, c_n]) w.r.t. the input and taps.
    model.load_state_dict(state64)
    model.eval()
    model.zero_grad(set_to_none=True)
    tap = Taps(model, taps)
    xin = x.clone().requires_grad_(True)
    logits = model(xin)
    logits.gather(1, cam.view(-1, 1)).sum().backward()
    tap.remove()
    t["eval/logits"] = f32(logits)
    t["eval/input_grad"] = f32(xin.grad)
    for k in taps:
        t["eval/node-out/" + k] = f32(tap.out[k])
        t["eval/node-grad/" + k] = f32(tap.out[k].grad)

    meta = dict(meta)
    meta.update({"generator": "tests/reference/gen-net.py", "torch": torch.__version__,
                 "lr": repr(LR), "momentum": repr(MOMENTUM), "weight_decay": repr(WEIGHT_DECAY)})
    state_path = os.path.join(DATA, "net-%s-state.safetensors" % name)
    ref_path = os.path.join(DATA, "net-%s.safetensors" % name)
    sstio.save_file(state32, state_path)
    sstio.save_file(t, ref_path, meta)
    for p in (state_path, ref_path):
        print("wrote %s: %d bytes" % (os.path.relpath(p), os.path.getsize(p)))


def generate():
    make_case("tiny", lambda: JsonNet(TINY_ARCH), tuple(TINY_ARCH["input"]), 4,
              TINY_ARCH["classes"], 101, taps=None, nesterov=[False, True],
              meta={"supersign.arch": json.dumps(TINY_ARCH)})
    make_case("fmnist-vgg", FmnistVgg, (1, 28, 28), 2, 10, 202,
              taps=["relu4", "pool2", "relu5"], nesterov=[False],
              meta={"supersign.builtin": "fmnist-vgg"}, train_taps=["flatten", "fc1"])
    make_case("resnet20", ResNet20, (3, 16, 16), 2, 10, 303,
              taps=["layer1.2.relu2", "layer2.0.add", "layer3.0.downsample.1",
                    "layer3.2.relu2", "avgpool"],
              nesterov=[False], meta={"supersign.builtin": "resnet20"})


# ---------------------------------------------------------------------------------------------
# The engine-made model

def check_engine_model():
    path = os.path.join(DATA, "engine-tiny.safetensors")
    io_path = os.path.join(DATA, "engine-tiny-logits.safetensors")
    if not (os.path.exists(path) and os.path.exists(io_path)):
        print("MISSING %s: run BUILDDIR/tests/test-net-runs --write-engine-model tests/data" % path)
        return False
    ok = True
    tensors = sstio.load_file(path)
    meta = sstio.load_metadata(path)
    model = JsonNet(TINY_ARCH)

    arch = json.loads(meta["supersign.arch"])
    names = [layer["name"] for layer in arch["layers"]]
    if names != leaf_names(model):
        print("FAIL engine arch layers %s != PyTorch modules %s" % (names, leaf_names(model)))
        ok = False
    model.load_state_dict(tensors, strict=True)
    for k, v in tensors.items():
        if k.endswith("num_batches_tracked") and v.item() != 3:
            print("FAIL %s = %d, expected 3" % (k, v.item()))
            ok = False

    rec = sstio.load_file(io_path)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    for mode in ("eval", "train"):
        model.load_state_dict(state)
        model.train(mode == "train")
        with torch.no_grad():
            got = model(rec["input"])
        want = rec[mode + "/logits"]
        diff = (got - want).abs()
        bad = diff > 1e-4 + 1e-4 * want.abs()
        print("engine model, %s logits: max |torch - engine| = %.3g" % (mode, diff.max().item()))
        if bad.any():
            print("FAIL %s logits differ at %s" % (mode, bad.nonzero().tolist()[:5]))
            ok = False
    return ok


if __name__ == "__main__":
    if "--check" not in sys.argv[1:]:
        generate()
    sys.exit(0 if check_engine_model() else 1)
