"""PNG encoding on every core: rows Sub-filtered with numpy, deflated in parallel pieces that form one zlib stream.

Why not OpenCV's or Pillow's writer: both deflate on one core, and writing a 12 MP photo was a third of issue 13's
1.5 s budget for a 12 MP JPEG to PNG (0.41-0.57 s). Deflate pieces ended with a sync flush join into one valid
stream (as pigz does), and the Adler-32 of the whole is combined from the pieces', so the file is an ordinary PNG
of the same size, and Python's zlib releases the GIL while it compresses. Measured on a 12 MP colorized photo on
2 cores: 0.50-0.61 s with OpenCV (Sub filter, level 1), 0.26-0.31 s here, 19.2 MB both. Every row takes the
Sub filter rather than libpng's per-row trial of all five: with OpenCV that was 0.37 s against 0.57 s, same size.

Shapes: H x W, H x W x 2 (gray + alpha), H x W x 3 (RGB) or H x W x 4 (RGBA); uint8 or uint16 (16-bit samples are
written big-endian, as PNG stores them).
"""
from __future__ import annotations

import os
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type: gray, gray + alpha, RGB, RGBA
BAND_BYTES = 1 << 20    # each worker filters and deflates about this much at a time (bounded extra memory)
MIN_PIECE_BYTES = 1 << 21  # below this a piece costs more in start-up than it saves
_ADLER_BASE = 65521


def _workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and the CRC-32 of type and data (computed without joining them)."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))


def adler32_combine(a1: int, a2: int, len2: int) -> int:
    """The Adler-32 of A + B from those of A (a1) and B (a2) and B's length (zlib's adler32_combine)."""
    rem = len2 % _ADLER_BASE
    s1 = a1 & 0xFFFF
    s2 = rem * s1 % _ADLER_BASE
    s1 = (s1 + (a2 & 0xFFFF) + _ADLER_BASE - 1) % _ADLER_BASE
    s2 = (s2 + (a1 >> 16) + (a2 >> 16) + _ADLER_BASE - rem) % _ADLER_BASE
    return s1 | (s2 << 16)


def _filtered(rows: np.ndarray, bpp: int) -> np.ndarray:
    """h x n bytes -> h x (1 + n) bytes: each row's Sub filter (type 1): a byte minus the one bpp before it."""
    out = np.empty((rows.shape[0], rows.shape[1] + 1), np.uint8)
    out[:, 0] = 1
    out[:, 1:bpp + 1] = rows[:, :bpp]
    np.subtract(rows[:, bpp:], rows[:, :-bpp], out=out[:, bpp + 1:])
    return out


def _deflate(rows: np.ndarray, bpp: int, level: int, last: bool) -> tuple[bytes, int, int]:
    """(raw deflate of these rows filtered, ending on a byte boundary, or the stream's end if `last`; their Adler-32;
    the number of filtered bytes)."""
    co = zlib.compressobj(level, zlib.DEFLATED, -15)
    band = max(1, BAND_BYTES // max(1, rows.shape[1]))
    parts, adler, size = [], 1, 0
    for y in range(0, rows.shape[0], band):
        data = _filtered(rows[y:y + band], bpp)
        adler = zlib.adler32(data, adler)
        size += data.nbytes
        parts.append(co.compress(data))
    parts.append(co.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH))
    return b"".join(parts), adler, size


def encode(pixels: np.ndarray, level: int = 1) -> bytes:
    """The PNG file for `pixels` (see the module for shapes), zlib level `level`, Sub row filter."""
    px = pixels if pixels.ndim == 3 else pixels[..., None]
    h, w, c = px.shape
    if c not in _COLOUR_TYPE or px.dtype not in (np.uint8, np.uint16) or h < 1 or w < 1:
        raise ValueError(f"cannot write {pixels.shape} {pixels.dtype} as PNG")
    depth = 8 * px.dtype.itemsize
    if depth == 16:
        px = px.astype(">u2", copy=False)
    rows = np.ascontiguousarray(px).view(np.uint8).reshape(h, w * c * px.dtype.itemsize)
    bpp = c * px.dtype.itemsize
    pieces = max(1, min(_workers(), rows.size // MIN_PIECE_BYTES, h))
    cuts = np.linspace(0, h, pieces + 1).astype(int)
    jobs = [(rows[a:b], bpp, level, i == pieces - 1) for i, (a, b) in enumerate(zip(cuts[:-1], cuts[1:]))]
    if pieces == 1:
        done = [_deflate(*jobs[0])]
    else:
        with ThreadPoolExecutor(pieces) as pool:
            done = list(pool.map(lambda job: _deflate(*job), jobs))
    adler = done[0][1]
    for _, a, size in done[1:]:
        adler = adler32_combine(adler, a, size)
    stream = b"".join([b"\x78\x01", *(d for d, _, _ in done), struct.pack(">I", adler)])
    header = struct.pack(">IIBBBBB", w, h, depth, _COLOUR_TYPE[c], 0, 0, 0)
    return b"".join([SIGNATURE, chunk(b"IHDR", header), chunk(b"IDAT", stream), chunk(b"IEND", b"")])
