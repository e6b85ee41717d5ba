"""Image format sniffing and dimensions from file headers, before any pixel is decoded."""
from __future__ import annotations

import struct
from dataclasses import dataclass

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_HUFFMAN_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7}
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
DEFLATE_MAX_RATIO = 1032  # deflate cannot expand data more than this (258-byte matches of 2 bits)


@dataclass(frozen=True)
class Header:
    """What the header says: format ('png', 'jpeg', 'bmp', 'webp', 'tiff'), size (None if unknown), extras."""

    format: str
    width: int | None = None
    height: int | None = None
    has_alpha: bool = False
    scan_start: int = 0  # JPEG: offset of the first top-level start-of-scan, for the truncation check
    bits_per_pixel: int = 0  # PNG: bit depth x channels
    sof: int = 0  # JPEG: the start-of-frame marker (0xC0..0xCF), which tells Huffman from arithmetic coding

    def min_file_bytes(self) -> int:
        """The fewest bytes a file of this size can have (0 if unknown): a header claiming far more pixels
        than its data can hold is lying, and decoding it would only allocate memory for nothing."""
        w, h = self.width or 0, self.height or 0
        if self.format == "png" and self.bits_per_pixel:
            return h * (1 + (w * self.bits_per_pixel + 7) // 8) // DEFLATE_MAX_RATIO
        if self.format == "jpeg" and self.sof in _HUFFMAN_SOF:
            # Every 8x8 block of a full-resolution component costs at least one Huffman bit; half that is
            # asked, as odd sampling factors can leave no component at full resolution in both directions.
            return ((w + 7) // 8) * ((h + 7) // 8) // 16
        return 0


def sniff(data: bytes) -> Header | None:
    """Header of an image from its leading bytes (the whole file for JPEG); None if not a known image."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 26 and data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        bpp = data[24] * _PNG_CHANNELS.get(data[25], 0)
        return Header("png", w, h, has_alpha=data[25] in (4, 6), bits_per_pixel=bpp)
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


def png_chunks_fit(data: bytes) -> bool:
    """False when a PNG chunk claims more bytes than the file has left (OpenCV would allocate them)."""
    i, n = 8, len(data)
    while i + 8 <= n:
        (length,) = struct.unpack(">I", data[i:i + 4])
        if i + 12 + length > n:
            return False
        if data[i + 4:i + 8] == b"IEND":
            break
        i += 12 + length
    return True


def _jpeg(data: bytes) -> Header:
    i, n = 2, len(data)
    w = h = None
    sof = 0
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
            sof = marker
        if marker == 0xDA:
            return Header("jpeg", w, h, scan_start=i, sof=sof)
        i += 2 + length
    return Header("jpeg", w, h, scan_start=-1, sof=sof)


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
