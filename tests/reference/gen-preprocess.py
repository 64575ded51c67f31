# SPDX-License-Identifier: GPL-3.0-or-later
"""torchvision's Resize + CenterCrop (+ ToTensor, Normalize) on PIL images, for
tests/test-dataset-preprocess.c (core/ss-preprocess.h).

    /usr/bin/python3 tests/reference/gen-preprocess.py

(/usr/bin/python3 is Debian's interpreter with python3-torch 1.13, torchvision 0.14 and Pillow
9.4.)

Each case is a small PNG drawn here (hard edges, stripes, rings, noise: content that shows
whether a downscale averages its whole footprint) and the bytes torchvision makes of it:

    img = PIL.Image.open (png)                  # mode "L" or "RGB"
    img = img.convert (MODE)                    # when the model's channels differ
    img = transforms.Resize (S) (img)           # PIL bilinear, antialiased
    img = transforms.CenterCrop ((H, W)) (img)
    expected = transforms.PILToTensor () (img)  # (C, H, W) uint8

The cases cover downscaling by 1.5× to 6×, upscaling, the real ImageNet sizes (Resize (256),
CenterCrop (224)), an image already at size S (Pillow then copies it: no resampling pass), a
crop larger than the resized image (zero padding), odd margins (Python's round, half to even:
2.5 → 2, 7.5 → 8), and gray ↔ RGB conversion.  One case also records the float tensor after ToTensor and ImageNet's Normalize.

Files in tests/data/preprocess/ (safetensors in Supersign holds F32 and I64 only, so bytes
travel as PNG, which is lossless):
    CASE.png            the source picture
    CASE-expected.png   torchvision's output bytes (gray or RGB, H × W)
    reference.safetensors
        rgb-down/normalised (3, H, W) F32  ToTensor + Normalize (ImageNet mean and std)
      metadata: cases = JSON [{name, resize, crop_h, crop_w, channels, source_w, source_h,
      source_mode}], generator, torchvision, pillow.
"""

import io
import json
import os
import sys

import numpy as np
import PIL
import PIL.Image
import torch
import torchvision
import torchvision.transforms as T

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sstio  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "data", "preprocess"))
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def drawing(w, h, seed, mode):
    """A w × h test picture: rings, stripes, a checker patch, a disc, noise in one corner."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = np.hypot(x - 0.4 * w, y - 0.6 * h)
    # Posterised (8 levels): hard edges everywhere, and a PNG that compresses.
    rings = np.round(3.5 + 3.5 * np.sin(r / max(2.3, min(w, h) / 25))) / 7
    # Features a few source pixels wide, wider on big pictures (which would not compress).
    step = max(2, min(w, h) // 50)
    stripes = ((x + 2 * y) // (step + 1) % 2).astype(np.float64)
    checker = ((x // step + y // step) % 2).astype(np.float64)
    img = np.stack([rings, 0.3 + 0.7 * stripes * np.round(4 * y / h) / 4,
                    0.5 * (rings + np.round(8 * x / w) / 8)], -1)
    patch = (x > 0.6 * w) & (y < 0.35 * h)
    img[patch] = checker[patch][:, None] * np.array([1.0, 0.2, 0.7])
    disc = np.hypot(x - 0.25 * w, y - 0.3 * h) < 0.15 * min(w, h)
    img[disc] = [0.95, 0.9, 0.1]
    corner = (x < min(0.2 * w, 16)) & (y > max(0.8 * h, h - 16))
    img[corner] = rng.random((corner.sum(), 3))
    pixels = np.clip(np.round(img * 255), 0, 255).astype(np.uint8)
    im = PIL.Image.fromarray(pixels, "RGB")
    return im.convert("L") if mode == "L" else im


CASES = [
    # name,           source (w, h, mode), resize S, crop (h, w), model channels
    ("rgb-down",      (97, 61, "RGB"),   40, (32, 32), 3),
    ("rgb-far-down",  (190, 150, "RGB"), 26, (24, 26), 3),
    ("gray-imagenet", (300, 257, "L"),   256, (224, 224), 1),
    ("rgb-up",        (23, 17, "RGB"),   40, (36, 36), 3),
    ("gray-pad",      (50, 30, "L"),     20, (28, 28), 1),
    ("rgb-tall",      (31, 200, "RGB"),  16, (16, 16), 3),
    ("rgb-same",      (40, 40, "RGB"),   40, (40, 40), 3),
    ("rgb-crop-only", (64, 50, "RGB"),   50, (50, 49), 3),
    ("gray-to-rgb",   (45, 70, "L"),     24, (24, 24), 3),
    ("rgb-to-gray",   (70, 45, "RGB"),   24, (24, 24), 1),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    tensors, meta_cases = {}, []
    for i, (name, (w, h, mode), s, (ch, cw), channels) in enumerate(CASES):
        im = drawing(w, h, seed=i, mode=mode)
        buf = io.BytesIO()
        im.save(buf, "PNG", optimize=True)
        png = buf.getvalue()
        # Decode the bytes we store, as the C side will.
        img = PIL.Image.open(io.BytesIO(png))
        img.load()
        img = img.convert("RGB" if channels == 3 else "L")
        out = T.CenterCrop((ch, cw))(T.Resize(s)(img))
        expected = T.PILToTensor()(out)
        assert tuple(expected.shape) == (channels, ch, cw), (name, expected.shape)
        with open(os.path.join(OUT, name + ".png"), "wb") as f:
            f.write(png)
        out.save(os.path.join(OUT, name + "-expected.png"), "PNG", optimize=True)
        # The file holds exactly expected's bytes.
        back = T.PILToTensor()(PIL.Image.open(os.path.join(OUT, name + "-expected.png")))
        assert torch.equal(back, expected), name
        if name == "rgb-down":
            tensors[name + "/normalised"] = T.Normalize(MEAN, STD)(T.ToTensor()(out))
        rw, rh = T.Resize(s)(img).size
        meta_cases.append({"name": name, "resize": s, "crop_h": ch, "crop_w": cw,
                           "channels": channels, "source_w": w, "source_h": h,
                           "source_mode": mode})
        print("%-15s %s %3d×%-3d → Resize(%d) %d×%d → CenterCrop(%d, %d); PNG %d bytes" %
              (name, mode, w, h, s, rw, rh, ch, cw, len(png)))
    meta = {"cases": json.dumps(meta_cases),
            "generator": "tests/reference/gen-preprocess.py",
            "torchvision": torchvision.__version__,
            "pillow": PIL.__version__}
    sstio.save_file(tensors, os.path.join(OUT, "reference.safetensors"), meta)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("wrote %s: %d files, %d bytes" % (os.path.relpath(OUT), len(os.listdir(OUT)), total))


if __name__ == "__main__":
    main()
