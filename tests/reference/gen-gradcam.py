# SPDX-License-Identifier: GPL-3.0-or-later
"""Grad-CAM references for tests/test-gradcam.c (SPEC §2), computed with PyTorch hooks.

    /usr/bin/python3 tests/reference/gen-gradcam.py

(/usr/bin/python3 is Debian's interpreter with python3-torch 1.13; the `python3` on PATH may
lack torch.)

What is computed
----------------
For fmnist-vgg (1×28×28) and resnet20 (3×16×16) — the modules of gen-net.py, imported from it,
with the weights of tests/data/net-NAME-state.safetensors and the input batch (N = 2) of
tests/data/net-NAME.safetensors, both written by gen-net.py — in evaluation mode:

  * every saliency layer (core/ss-gradcam.h): each Conv2d (its output, before batch norm),
    each ReLU, each max / average / adaptive-average pool, and each BasicBlock's output; a
    BasicBlock's output is taken from a hook on the BasicBlock module itself (not on its
    relu2), so the engine's "block output = the block's last node" is checked, not assumed;
  * A = the layer's output, captured by a forward hook, and g = ∂y_c/∂A, captured by a hook
    on that output tensor during backward (as pytorch-grad-cam does), where y_c is the logit
    of class c before softmax, backpropagated as Σ_n y[n, c_n] in one backward;
  * α = g.mean((2, 3)), cam = ReLU(Σ_k α_k A_k), each sample's map divided by its maximum
    (an all-zero map stays zero);
  * vanilla saliency: |∂y_c/∂x|, the maximum over input channels (Simonyan et al. 2014),
    divided by its maximum the same way.

Two runs per network: "pred" (c = the arg-max logit) and "target" (c = a chosen class,
different from the predicted one, for every sample).  Everything is computed in float64 from
the float32 weights and input and stored as float32, so a difference in the C test is the
engine's own float32 rounding.  For scale the script also prints how far the same computation
in float32 (PyTorch's) is from the float64 one.

gen-net.py chose the input so that every ReLU input and max-pool lead is at least 2e-5 away
from a kink, so no mask can flip.  A 1×1 map (fmnist-vgg's relu5, resnet20's avgpool) is 0 or
1 by the sign of Σ_k α_k A_k; the script prints the smallest |Σ_k α_k A_k| of those so one can
see the sign is not a rounding matter.

File: tests/data/gradcam-NAME.safetensors
    input              (N, C, H, W)  float32
    RUN/classes        (N)           int64    the class c of each sample
    RUN/logits         (N, K)
    RUN/cam/LAYER      (N, h, w)     normalised Grad-CAM, LAYER the engine's node name
                                     (a block output is the block's last node: "layer1.0.relu2")
    RUN/vanilla        (N, H, W)     normalised vanilla saliency
  metadata: supersign.builtin, gradcam.layers = JSON [[name, kind], ...] in node order (kind
  conv / activation / pooling / block), generator, torch.

Rerunning rewrites the files bit for bit on the same torch build (nothing random is drawn).
"""

import importlib.util
import json
import os
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sstio  # noqa: E402

_spec = importlib.util.spec_from_file_location("gen_net", os.path.join(HERE, "gen-net.py"))
gen_net = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_net)

DATA = os.path.normpath(os.path.join(HERE, "..", "data"))

torch.set_num_threads(1)


def saliency_layers(model):
    """[(engine name, kind, module)] in the engine's node order."""
    layers = []
    for name, m in model.named_modules():
        if isinstance(m, gen_net.BasicBlock):
            continue   # added when its relu2 comes up, see below
        if isinstance(m, nn.Conv2d):
            layers.append((name, "conv", m))
        elif isinstance(m, nn.ReLU):
            parent = name.rsplit(".", 1)[0] if "." in name else ""
            pmod = dict(model.named_modules())[parent] if parent else None
            if isinstance(pmod, gen_net.BasicBlock) and pmod.relu2 is m:
                # The block's output, hooked on the block itself.
                layers.append((name, "block", pmod))
            else:
                layers.append((name, "activation", m))
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)):
            layers.append((name, "pooling", m))
    return layers


def normalise(maps):
    """Each sample's map divided by its maximum; an all-zero map stays zero. maps (N, ...)."""
    peak = maps.flatten(1).amax(1)
    scale = torch.where(peak > 0, peak, torch.ones_like(peak))
    return maps / scale.view(-1, *([1] * (maps.dim() - 1)))


def gradcam(model, layers, x, classes):
    """Normalised Grad-CAM for every layer, vanilla saliency, logits, the raw 1×1 values."""
    acts, grads, handles = {}, {}, []

    def hook(name):
        def f(module, inp, out):
            acts[name] = out

            def g(grad):
                grads[name] = grad
            out.register_hook(g)
        return f

    for name, _, m in layers:
        handles.append(m.register_forward_hook(hook(name)))
    model.eval()
    model.zero_grad(set_to_none=True)
    xin = x.clone().requires_grad_(True)
    logits = model(xin)
    if classes is None:
        classes = logits.argmax(1)
    logits.gather(1, classes.view(-1, 1)).sum().backward()
    for h in handles:
        h.remove()

    cams, raw1 = {}, []
    for name, _, _ in layers:
        a, g = acts[name].detach(), grads[name]
        if a.dim() == 2:   # after a linear layer: (N, C) is (N, C, 1, 1)
            a, g = a[:, :, None, None], g[:, :, None, None]
        alpha = g.mean((2, 3), keepdim=True)
        raw = (alpha * a).sum(1)
        if raw.shape[1:] == (1, 1):
            raw1.append(raw.abs().min().item())
        cams[name] = normalise(torch.relu(raw))
    vanilla = normalise(xin.grad.abs().amax(1))
    return logits.detach(), classes, cams, vanilla, raw1


def make_case(name, factory, classes):
    ref = sstio.load_file(os.path.join(DATA, "net-%s.safetensors" % name))
    state = sstio.load_file(os.path.join(DATA, "net-%s-state.safetensors" % name))
    x32 = ref["input"].clone()

    model = factory()
    model.load_state_dict(state, strict=True)
    layers = saliency_layers(model)

    runs = {}
    model.double()
    logits, pred, cams, vanilla, raw1 = gradcam(model, layers, x32.double(), None)
    target = torch.tensor([(p + 3 + i) % classes for i, p in enumerate(pred.tolist())])
    assert (target != pred).all()
    runs["pred"] = (logits, pred, cams, vanilla)
    logits_t, _, cams_t, vanilla_t, raw1_t = gradcam(model, layers, x32.double(), target)
    runs["target"] = (logits_t, target, cams_t, vanilla_t)
    print("%s: predicted %s, targets %s; smallest |Σ α·A| of a 1×1 map %.3g" %
          (name, pred.tolist(), target.tolist(), min(raw1 + raw1_t)))

    # The same in float32, for scale.
    model.float()
    for run, cls in (("pred", pred), ("target", target)):
        _, _, c32, v32, _ = gradcam(model, layers, x32, cls)
        worst = max((c32[n] - runs[run][2][n]).abs().max().item() for n, _, _ in layers)
        print("  %s: PyTorch float32 vs float64, max |Δcam| %.3g, |Δvanilla| %.3g" %
              (run, worst, (v32 - runs[run][3]).abs().max().item()))

    t = {"input": x32}
    for run, (lg, cls, cm, van) in runs.items():
        t[run + "/classes"] = cls.to(torch.int64).clone()
        t[run + "/logits"] = gen_net.f32(lg)
        for lname, _, _ in layers:
            t["%s/cam/%s" % (run, lname)] = gen_net.f32(cm[lname])
        t[run + "/vanilla"] = gen_net.f32(van)
    meta = {"supersign.builtin": name,
            "gradcam.layers": json.dumps([[n, k] for n, k, _ in layers]),
            "generator": "tests/reference/gen-gradcam.py",
            "torch": torch.__version__}
    path = os.path.join(DATA, "gradcam-%s.safetensors" % name)
    sstio.save_file(t, path, meta)
    print("wrote %s: %d bytes, %d layers" % (os.path.relpath(path), os.path.getsize(path),
                                            len(layers)))


if __name__ == "__main__":
    make_case("fmnist-vgg", gen_net.FmnistVgg, 10)
    make_case("resnet20", gen_net.ResNet20, 10)
