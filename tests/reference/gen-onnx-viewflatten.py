# SPDX-License-Identifier: GPL-3.0-or-later
"""ONNX models flattening with x.view(x.size(0), -1), for tests/test-onnx.c (docs/onnx.md).

    /usr/bin/python3 tests/reference/gen-onnx-viewflatten.py

(/usr/bin/python3 is Debian's interpreter with python3-torch 1.13 and python3-onnx 1.12.)

With a dynamic batch axis, torch.onnx exports x.view(x.size(0), -1) as a shape computation,
Shape → Gather(0) → Unsqueeze → Concat(with [-1]) → Reshape, whose nodes differ with the opset
(Unsqueeze's axes an attribute before opset 13, an input from 13) and with constant folding
(the -1 a Constant [-1], or a Constant -1 through its own Unsqueeze). All five files hold the
same network, ViewNet (input N×3×8×8): features = conv-BN-ReLU-maxpool, the flatten, then
classifier = Linear-ReLU-Linear (5 classes); random weights from fixed seeds, batch norm far
from the identity. Exported from eval mode with a batch of 2:

  viewflat-11.onnx     opset 11, batch dynamic ("N"), torch's defaults: BN folded into the conv,
                       Unsqueeze(axes=[0]) of the Gather, a Constant [-1].
  viewflat-13.onnx     opset 13, batch dynamic, training=PRESERVE and do_constant_folding=False
                       (BN kept): Unsqueeze with an axes input, also of a Constant -1.
  viewflat-17.onnx     opset 17, batch dynamic, training=PRESERVE (BN kept), folding on:
                       Unsqueeze with an axes input, a Constant [-1].
  viewflat-fixed.onnx  opset 13, batch fixed at 2, PRESERVE without folding: the batch is a
                       Constant 2 through an Unsqueeze and a Concat, no Shape at all.
  viewflat-f.onnx      the flatten in a module of its own, `view`, written
                       x.reshape(x.shape[0], 64) (F a constant rather than -1); opset 11,
                       batch dynamic, no folding (Unsqueeze(axes=[0]) of a Constant 64).

Expected outputs: tests/data/onnx/viewflat-ref.safetensors (format of gen-onnx-small.py)
    viewflat/input       (3, 3, 8, 8) float32: three samples, not the export's two, so that a
                                      dynamic batch is exercised
    viewflat/logits      (3, 5)       float32: ViewNet's logits, computed in float64
    viewflat/cam/MODULE  (3, h, w)    Grad-CAM at the PyTorch module MODULE (predicted class,
                                      each map divided by its maximum; float64 as
                                      gen-gradcam.py), for MODULE in CAM_MODULES
The script checks that PyTorch in float32 lands within 1e-5 of the float64 maps and logits.
"""

import importlib.util
import io
import os
import shutil
import sys

import onnx
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sstio  # noqa: E402

# The export, BN randomisation and Grad-CAM of gen-onnx-small.py, so that both files agree.
_spec = importlib.util.spec_from_file_location("gen_onnx_small",
                                               os.path.join(HERE, "gen-onnx-small.py"))
small = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(small)

OUT = os.path.normpath(os.path.join(HERE, "..", "data", "onnx"))
torch.set_num_threads(1)

CAM_MODULES = ["features.0", "features.2", "features.3", "features"]
SHAPE_OPS = {"Shape", "Gather", "Unsqueeze", "Concat"}


class View(nn.Module):
    """A flatten module as user code often has one, with F written out."""

    def forward(self, x):
        return x.reshape(x.shape[0], 64)


class ViewNet(nn.Module):
    def __init__(self, module_view=False):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4),
                                      nn.ReLU(), nn.MaxPool2d(2))
        self.view = View() if module_view else None
        self.classifier = nn.Sequential(nn.Linear(64, 8), nn.ReLU(), nn.Linear(8, 5))

    def forward(self, x):
        x = self.features(x)
        x = self.view(x) if self.view is not None else x.view(x.size(0), -1)
        return self.classifier(x)


def ops(model):
    return [n.op_type for n in model.graph.node]


def main():
    dynamic = {"input": {0: "N"}, "output": {0: "N"}}
    preserve = {"training": torch.onnx.TrainingMode.PRESERVE}
    torch.manual_seed(11)
    gen = torch.Generator().manual_seed(12)
    net = ViewNet()
    small.randomise_bn(net, gen)
    net.eval()
    viewed = ViewNet(module_view=True)
    viewed.load_state_dict(net.state_dict())
    viewed.eval()
    dummy = torch.rand(2, 3, 8, 8, generator=gen) * 2 - 1

    exports = [
        ("viewflat-11", net, dict(opset_version=11, dynamic_axes=dynamic)),
        ("viewflat-13", net, dict(opset_version=13, dynamic_axes=dynamic,
                                  do_constant_folding=False, **preserve)),
        ("viewflat-17", net, dict(opset_version=17, dynamic_axes=dynamic, **preserve)),
        ("viewflat-fixed", net, dict(opset_version=13, do_constant_folding=False, **preserve)),
        ("viewflat-f", viewed, dict(opset_version=11, dynamic_axes=dynamic,
                                    do_constant_folding=False)),
    ]
    for name, model, kw in exports:
        m = small.export(model, dummy, os.path.join(OUT, name + ".onnx"), **kw)
        onnx.checker.check_model(m)
        o = ops(m)
        # Each file must hold the computation it stands for.
        assert ("Reshape" in o) and ("Flatten" not in o), name
        assert ("Shape" in o) == (name != "viewflat-fixed"), name
        assert SHAPE_OPS - {"Shape", "Gather"} <= set(o), name
        assert ("BatchNormalization" in o) == (name in ("viewflat-13", "viewflat-17",
                                                        "viewflat-fixed")), name
        print("%-16s opset %2d: %s" % (name, kw["opset_version"],
                                      " ".join(x for x in o if x in SHAPE_OPS | {"Constant"})))

    x = torch.rand(3, 3, 8, 8, generator=gen) * 2 - 1
    logits64, cams64 = small.gradcam(net.double(), CAM_MODULES, x.double())
    logits32, cams32 = small.gradcam(net.float(), CAM_MODULES, x)
    with torch.no_grad():
        assert (viewed.double()(x.double()) - logits64).abs().max() == 0
    worst = max((cams32[k].double() - cams64[k]).abs().max().item() for k in CAM_MODULES)
    dlogit = (logits32.double() - logits64).abs().max().item()
    print("viewflat: classes %s, float32 vs float64 max |Δcam| %.2g, |Δlogit| %.2g" %
          (logits64.argmax(1).tolist(), worst, dlogit))
    assert worst < 1e-5 and dlogit < 1e-5
    ref = {"viewflat/input": x.clone(), "viewflat/logits": logits64.float()}
    for k in CAM_MODULES:
        ref["viewflat/cam/" + k] = cams64[k].float().contiguous()
    # Fuzzer seeds (tests/fuzz/corpus-onnx, beside gen-onnx-small.py's): the shape computation
    # reaches the importer's Shape/Gather/Unsqueeze/Concat code from the start.
    corpus = os.path.normpath(os.path.join(HERE, "..", "fuzz", "corpus-onnx"))
    for name in ("viewflat-13", "viewflat-f"):
        shutil.copyfile(os.path.join(OUT, name + ".onnx"), os.path.join(corpus, name + ".onnx"))
    path = os.path.join(OUT, "viewflat-ref.safetensors")
    sstio.save_file(ref, path, {"generator": "tests/reference/gen-onnx-viewflatten.py",
                                "torch": torch.__version__, "onnx": onnx.__version__})
    for f in sorted(os.listdir(OUT)):
        if f.startswith("viewflat"):
            print("%-28s %6d bytes" % (f, os.path.getsize(os.path.join(OUT, f))))


if __name__ == "__main__":
    main()
