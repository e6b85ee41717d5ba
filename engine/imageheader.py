"""Image format sniffing and dimensions from file headers, before any pixel is decoded."""
from __future__ import annotations

import struct
from dataclasses import dataclass

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


@dataclass(frozen=True)
class Header:
    """What the header says: format ('png', 'jpeg', 'bmp', 'webp', 'tiff'), size (None if unknown), extras."""

    format: str
    width: int | None = None
    height: int | None = None
    has_alpha: bool = False
    scan_start: int = 0  # JPEG: offset of the first top-level start-of-scan, for the truncation check


def sniff(data: bytes) -> Header | None:
    """Header of an image from its leading bytes (the whole file for JPEG); None if not a known image."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 26 and data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        return Header("png", w, h, has_alpha=data[25] in (4, 6))
    if data[:2] == b"\xff\xd8":
        return _jpeg(data)
    if data[:2] == b"BM" and len(data) >= 26:
        w, h = struct.unpack("<ii", data[18:26])
        return Header("bmp", abs(w), abs(h))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp(data)
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return Header("tiff")
    return None


def _jpeg(data: bytes) -> Header:
    i, n = 2, len(data)
    w = h = None
    while i + 4 <= n:
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if marker in _SOF and i + 9 <= n:
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
        if marker == 0xDA:
            return Header("jpeg", w, h, scan_start=i)
        i += 2 + length
    return Header("jpeg", w, h, scan_start=-1)


def _webp(data: bytes) -> Header:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        w, h = struct.unpack("<HH", data[26:30])
        return Header("webp", w & 0x3FFF, h & 0x3FFF)
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return Header("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, has_alpha=bool(bits >> 28 & 1))
    if chunk == b"VP8X" and len(data) >= 30:
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return Header("webp", w, h, has_alpha=bool(data[20] & 0x10))
    return Header("webp")
