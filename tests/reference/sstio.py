# SPDX-License-Identifier: GPL-3.0-or-later
"""Dependency-free safetensors reader/writer for the reference scripts.

Debian 12 ships python3-torch 1.13 but no `safetensors` package, so the
reference generators use this module instead.  It follows the format of
https://github.com/huggingface/safetensors:

    8 bytes   little-endian u64 N, the header length
    N bytes   UTF-8 JSON object, padded with spaces (0x20) to a multiple of 8
              {"__metadata__": {"k": "v", ...},          (optional, str -> str)
               "name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
               ...}
    rest      the data section; offsets are relative to its start, tensors are
              contiguous, row-major, little-endian, and must cover it exactly.

Only the standard library and torch are used (no numpy, no safetensors).

    save_file(tensors, path, metadata=None)
    load_file(path) -> dict[str, torch.Tensor]
    load_metadata(path) -> dict[str, str]

save_file writes tensors in the dict's insertion order (so data_offsets
increase in that order) and the header compactly, as serde_json does, with
"__metadata__" first.  Run with /usr/bin/python3.
"""

import ctypes
import json
import os
import struct
import sys
import tempfile

import torch

__all__ = ["save_file", "load_file", "load_metadata", "DTYPES"]

if sys.byteorder != "little":
    raise ImportError("sstio assumes a little-endian host")

# safetensors dtype name -> (torch dtype, item size in bytes)
DTYPES = {
    "F64": (torch.float64, 8),
    "F32": (torch.float32, 4),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    "I64": (torch.int64, 8),
    "I32": (torch.int32, 4),
    "I16": (torch.int16, 2),
    "I8": (torch.int8, 1),
    "U8": (torch.uint8, 1),
    "BOOL": (torch.bool, 1),
}
_TORCH_TO_NAME = {v[0]: k for k, v in DTYPES.items()}

_MAX_HEADER = 100 * 1000 * 1000  # same limit as the reference implementation


def _tensor_bytes(t):
    """Raw little-endian bytes of t, contiguous and row-major."""
    t = t.detach().to("cpu").contiguous()
    n = t.numel() * t.element_size()
    if n == 0:
        return b""
    return ctypes.string_at(t.data_ptr(), n)


def save_file(tensors, path, metadata=None):
    """Write tensors (dict name -> torch.Tensor) to path as safetensors.

    metadata, if given, must map str to str.  The file is written to a
    temporary file in the same folder and renamed into place.
    """
    if not isinstance(tensors, dict):
        raise TypeError("tensors must be a dict of name -> torch.Tensor")
    header = {}
    if metadata is not None:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError("metadata must map str to str, got %r: %r" % (k, v))
        header["__metadata__"] = dict(metadata)
    blobs = []
    offset = 0
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise TypeError("tensor names must be str, got %r" % (name,))
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved")
        if not isinstance(t, torch.Tensor):
            raise TypeError("%s is not a torch.Tensor" % name)
        if t.dtype not in _TORCH_TO_NAME:
            raise ValueError("unsupported dtype %s for tensor %r" % (t.dtype, name))
        data = _tensor_bytes(t)
        header[name] = {
            "dtype": _TORCH_TO_NAME[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    hbytes = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)

    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".sstio-", dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(hbytes)))
            f.write(hbytes)
            for b in blobs:
                f.write(b)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _read(path):
    """Return (header dict, data section bytes), validating the layout."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError("%s: file is shorter than 8 bytes" % path)
    (n,) = struct.unpack("<Q", raw[:8])
    if n == 0 or n > _MAX_HEADER or n > len(raw) - 8:
        raise ValueError("%s: bad header length %d" % (path, n))
    def no_dups(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ValueError("%s: duplicate key in header" % path)
        return dict(pairs)
    header = json.loads(raw[8:8 + n].decode("utf-8"), object_pairs_hook=no_dups)
    if not isinstance(header, dict):
        raise ValueError("%s: header is not a JSON object" % path)
    data = raw[8 + n:]
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
                raise ValueError("%s: __metadata__ must map str to str" % path)
            continue
        if info.get("dtype") not in DTYPES:
            raise ValueError("%s: unsupported dtype %r for %r" % (path, info.get("dtype"), name))
        shape = info["shape"]
        b, e = info["data_offsets"]
        count = 1
        for d in shape:
            if not isinstance(d, int) or d < 0:
                raise ValueError("%s: bad shape %r for %r" % (path, shape, name))
            count *= d
        if not (0 <= b <= e <= len(data)) or e - b != count * DTYPES[info["dtype"]][1]:
            raise ValueError("%s: bad data_offsets %r for %r" % (path, [b, e], name))
        spans.append((b, e, name))
    spans.sort()
    pos = 0
    for b, e, name in spans:
        if b != pos:
            raise ValueError("%s: tensor %r overlaps or leaves a hole at %d" % (path, name, pos))
        pos = e
    if pos != len(data):
        raise ValueError("%s: %d trailing bytes in data section" % (path, len(data) - pos))
    return header, data


def load_file(path):
    """Read a safetensors file into a dict name -> torch.Tensor (CPU, copies).

    The dict is ordered by data offset, i.e. the order the writer used.
    """
    header, data = _read(path)
    entries = sorted(
        ((info["data_offsets"][0], name, info) for name, info in header.items()
         if name != "__metadata__"),
        key=lambda x: (x[0], x[2]["data_offsets"][1]))
    out = {}
    for _, name, info in entries:
        dtype = DTYPES[info["dtype"]][0]
        b, e = info["data_offsets"]
        shape = list(info["shape"])
        if e == b:
            out[name] = torch.empty(shape, dtype=dtype)
        else:
            buf = bytearray(data[b:e])
            out[name] = torch.frombuffer(buf, dtype=dtype).reshape(shape).clone()
    return out


def load_metadata(path):
    """Return the file's __metadata__ dict (empty if it has none)."""
    header, _ = _read(path)
    return dict(header.get("__metadata__", {}))


if __name__ == "__main__":
    # Self-check: python3 sstio.py  (or: python3 sstio.py FILE to dump one)
    if len(sys.argv) > 1:
        for p in sys.argv[1:]:
            print(p, load_metadata(p))
            for k, v in load_file(p).items():
                print(" ", k, v.dtype, tuple(v.shape))
        sys.exit(0)
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "t.safetensors")
        ts = {
            "w": torch.arange(24, dtype=torch.float32).reshape(2, 3, 2, 2),
            "n": torch.tensor(7, dtype=torch.int64),
            "e": torch.zeros(0, 3),
            "b": torch.tensor([1.5, -2.0], dtype=torch.float64),
        }
        save_file(ts, p, {"note": 'say "hi" \u00e9\u4e2d'})
        raw = open(p, "rb").read()
        (n,) = struct.unpack("<Q", raw[:8])
        assert n % 8 == 0 and raw[8 + n - 1:8 + n] in (b" ", b"}")
        back = load_file(p)
        assert list(back) == list(ts)
        for k in ts:
            assert back[k].dtype == ts[k].dtype and torch.equal(back[k], ts[k]), k
        assert load_metadata(p) == {"note": 'say "hi" \u00e9\u4e2d'}
    print("sstio self-check ok")
