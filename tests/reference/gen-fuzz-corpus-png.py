# SPDX-License-Identifier: GPL-3.0-or-later
"""Seed corpus for tests/fuzz/fuzz-png.c: tiny PNGs of every layout core/ss-png.c reads.

    /usr/bin/python3 tests/reference/gen-fuzz-corpus-png.py

Writes tests/fuzz/corpus-png/*.png with a small encoder of its own (zlib and CRCs from the
standard library), since the fuzzer learns most from seeds that already reach every branch:
gray at 1, 2, 4, 8 and 16 bits, gray + alpha, RGB at 8 and 16 bits, RGBA, palette (1, 2, 4 and 8
bits) with and without tRNS, Adam7 interlacing, all five row filters, ancillary chunks (gAMA,
sRGB, tEXt) and an IDAT split in two.  Every file is a few hundred bytes at most.  Rerunning
writes the same bytes.
"""

import os
import struct
import zlib

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", "fuzz", "corpus-png"))

CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}   # colour type → samples per pixel
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def pack_row(samples, depth):
    """Samples (ints) of one row packed at depth bits, big-endian as PNG wants."""
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    out, acc, nbits = bytearray(), 0, 0
    for s in samples:
        acc, nbits = (acc << depth) | s, nbits + depth
        if nbits == 8:
            out.append(acc)
            acc, nbits = 0, 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


def filter_row(kind, row, prev, bpp):
    """PNG row filter kind (0 none, 1 sub, 2 up, 3 average, 4 Paeth) applied to row."""
    out = bytearray()
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i] if prev else 0
        c = prev[i - bpp] if prev and i >= bpp else 0
        if kind == 0:
            p = 0
        elif kind == 1:
            p = a
        elif kind == 2:
            p = b
        elif kind == 3:
            p = (a + b) // 2
        else:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            p = a if pa <= pb and pa <= pc else b if pb <= pc else c
        out.append((x - p) & 0xFF)
    return bytes([kind]) + bytes(out)


def scanlines(pixels, w, h, ctype, depth):
    """Filtered scanlines of pixels[y][x] (tuples of samples), the filter cycling per row."""
    bpp = max(1, CHANNELS[ctype] * depth // 8)
    out, prev = bytearray(), None
    for y in range(h):
        row = pack_row([s for x in range(w) for s in pixels[y][x]], depth)
        out += filter_row(y % 5, row, prev, bpp)
        prev = row
    return bytes(out)


def png(w, h, ctype, depth, pixels, interlace=False, extra=(), palette=None, trns=None,
        split_idat=False):
    data = bytearray()
    if interlace:
        for x0, y0, dx, dy in ADAM7:
            sub = [[pixels[y][x] for x in range(x0, w, dx)] for y in range(y0, h, dy)]
            if sub and sub[0]:
                data += scanlines(sub, len(sub[0]), len(sub), ctype, depth)
    else:
        data += scanlines(pixels, w, h, ctype, depth)
    z = zlib.compress(bytes(data), 9)
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 1 if interlace else 0))
    for kind, body in extra:
        out += chunk(kind, body)
    if palette is not None:
        out += chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    if split_idat:
        out += chunk(b"IDAT", z[: len(z) // 2]) + chunk(b"IDAT", z[len(z) // 2:])
    else:
        out += chunk(b"IDAT", z)
    return out + chunk(b"IEND", b"")


def image(w, h, ctype, depth, seed=1):
    n, top = CHANNELS[ctype], (1 << depth) - 1
    return [[tuple((x * 37 + y * 91 + k * 53 + seed * 17 + x * y) % (top + 1) for k in range(n))
             for x in range(w)] for y in range(h)]


def main():
    os.makedirs(OUT, exist_ok=True)
    files = {}
    for depth in (1, 2, 4, 8, 16):
        files["gray%d.png" % depth] = png(7, 5, 0, depth, image(7, 5, 0, depth))
    files["gray-alpha8.png"] = png(5, 4, 4, 8, image(5, 4, 4, 8))
    files["gray-alpha16.png"] = png(3, 3, 4, 16, image(3, 3, 4, 16))
    files["rgb8.png"] = png(6, 5, 2, 8, image(6, 5, 2, 8))
    files["rgb16.png"] = png(4, 3, 2, 16, image(4, 3, 2, 16))
    files["rgba8.png"] = png(5, 5, 6, 8, image(5, 5, 6, 8))
    files["rgba16.png"] = png(2, 3, 6, 16, image(2, 3, 6, 16))
    for depth in (1, 2, 4, 8):
        k = 1 << depth
        pal = [((i * 71) % 256, (i * 29) % 256, (255 - i * 13) % 256) for i in range(min(k, 12))]
        pix = [[((x + 2 * y) % len(pal),) for x in range(6)] for y in range(4)]
        files["palette%d.png" % depth] = png(6, 4, 3, depth, pix, palette=pal)
    pal = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (9, 9, 9)]
    pix = [[((x + y) % 4,) for x in range(5)] for y in range(5)]
    files["palette-trns.png"] = png(5, 5, 3, 8, pix, palette=pal, trns=bytes([0, 128]))
    files["gray-trns.png"] = png(4, 4, 0, 8, image(4, 4, 0, 8), trns=struct.pack(">H", 7))
    files["rgb-trns.png"] = png(4, 4, 2, 8, image(4, 4, 2, 8), trns=struct.pack(">HHH", 1, 2, 3))
    files["interlaced-rgb8.png"] = png(9, 10, 2, 8, image(9, 10, 2, 8), interlace=True)
    files["interlaced-gray2.png"] = png(11, 7, 0, 2, image(11, 7, 0, 2), interlace=True)
    files["interlaced-1x1.png"] = png(1, 1, 0, 8, [[(200,)]], interlace=True)
    files["one-pixel.png"] = png(1, 1, 2, 8, [[(1, 2, 3)]])
    files["chunks-split-idat.png"] = png(
        8, 6, 2, 8, image(8, 6, 2, 8), split_idat=True,
        extra=[(b"gAMA", struct.pack(">I", 45455)), (b"sRGB", b"\x00"),
               (b"tEXt", b"Comment\x00seed for fuzz-png")])
    # What the fuzzer found (core/ss-png.c now refuses both at once; tests/test-png-corpus.c
    # checks they cost no memory): a tEXt chunk whose header claims 1.6 GB, in a 168-byte file,
    # which libpng allocated and zeroed before finding the file short; and a header declaring
    # 16384×16384 RGB (within the size limits) over a few bytes of data, whose 768 MiB were
    # allocated before the data ran out.
    ok = png(8, 6, 2, 8, image(8, 6, 2, 8))
    iend = ok.rindex(b"IEND") - 4
    files["regress-text-length.png"] = (ok[:iend] + struct.pack(">I", 0x61000019) + b"tEXtComm" +
                                        ok[iend:])
    files["regress-declared-size.png"] = (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16384, 16384, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(bytes(64), 9)) + chunk(b"IEND", b""))
    for name, data in sorted(files.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("%s: %d files, %d bytes" % (os.path.relpath(OUT), len(files),
                                       sum(len(d) for d in files.values())))


if __name__ == "__main__":
    main()
