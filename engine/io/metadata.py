"""Image metadata: read EXIF, ICC and XMP from any input, embed them (plus a provenance note) into outputs.

EXIF is kept as a TIFF-structured block ('Exif\\0\\0' + TIFF header + IFDs, as Pillow writes it),
with the orientation reset to 1 because readers apply it to the pixels, and with the tags that
describe the source file's pixel layout dropped.  PNG and JPEG get their chunks/segments spliced
into OpenCV's encoded bytes; WebP is written through Pillow; TIFF takes tags through tifffile.
"""
from __future__ import annotations

import struct
import warnings
import zlib
from dataclasses import dataclass, replace

from PIL import Image, TiffImagePlugin

from .png import chunk

_LAYOUT_TAGS = {254, 255, 256, 257, 258, 259, 262, 263, 266, 273, 277, 278, 279, 280, 281, 284, 292, 293,
                317, 318, 319, 320, 322, 323, 324, 325, 330, 338, 339, 340, 341, 347, 513, 514, 529, 530,
                531, 532, 700, 33723, 34377, 34665, 34675, 34853, 37724, 50838, 50839}
_EXIF_IFD, _GPS_IFD, _ORIENTATION, _SOFTWARE = 0x8769, 0x8825, 0x0112, 0x0131
_TIFF_TEXT_TAGS = (270, 271, 272, 306, 315, 316, 33432)  # copied as plain TIFF tags into TIFF outputs
XMP_NS = "https://github.com/tinta-colorize/tinta/ns/1.0/"
_XMP_JPEG = b"http://ns.adobe.com/xap/1.0/\x00"


@dataclass(frozen=True)
class Metadata:
    """exif: 'Exif\\0\\0'-prefixed TIFF block or None; icc: ICC profile bytes; xmp: XMP packet bytes;
    note: provenance sentence added on write; software: value for EXIF/TIFF Software and PNG tEXt."""

    exif: bytes | None = None
    icc: bytes | None = None
    xmp: bytes | None = None
    note: str | None = None
    software: str | None = None

    def with_provenance(self, note: str, software: str) -> "Metadata":
        return replace(self, note=note, software=software)

    def with_icc(self, icc: bytes | None) -> "Metadata":
        return replace(self, icc=icc)


def read_metadata(path) -> Metadata:
    """Metadata of an image file; problems with metadata alone never stop a read (empty Metadata)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:  # lazy: only headers are parsed
                icc = im.info.get("icc_profile") or None
                xmp = im.info.get("xmp") or None
                if xmp is None and hasattr(im, "tag_v2"):
                    xmp = im.tag_v2.get(700)
                exif = _clean_exif(im.getexif(), im.format == "TIFF")
    except Exception:  # noqa: BLE001 - Pillow raises many types for odd headers; pixels decide readability
        return Metadata()
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    return Metadata(exif, bytes(icc) if icc else None, bytes(xmp) if xmp else None)


def _clean_exif(exif: Image.Exif, from_tiff: bool) -> bytes | None:
    out = Image.Exif()
    for tag, value in exif.items():
        if tag in _LAYOUT_TAGS or (from_tiff and tag in (282, 283, 296)):
            continue
        out[tag] = value
    for ifd in (_EXIF_IFD, _GPS_IFD):
        sub = exif.get_ifd(ifd)
        if sub:
            out[ifd] = dict(sub)
    if not len(out):
        return None
    if _ORIENTATION in out:
        out[_ORIENTATION] = 1
    try:
        return out.tobytes()
    except Exception:  # noqa: BLE001 - a malformed maker tag must not lose the image
        return None


def exif_fields(meta: Metadata) -> dict:
    """Base-IFD EXIF tags as {tag: value} (empty without EXIF); for tests and TIFF outputs."""
    if not meta.exif:
        return {}
    e = Image.Exif()
    e.load(meta.exif)
    fields = dict(e)
    for ifd in (_EXIF_IFD, _GPS_IFD):
        if e.get_ifd(ifd):
            fields[ifd] = dict(e.get_ifd(ifd))
    return fields


def _final_exif(meta: Metadata) -> bytes | None:
    if not meta.exif and not meta.software:
        return None
    e = Image.Exif()
    if meta.exif:
        e.load(meta.exif)
        for ifd in (_EXIF_IFD, _GPS_IFD):
            if e.get_ifd(ifd):
                e[ifd] = dict(e.get_ifd(ifd))
    if meta.software:
        e[_SOFTWARE] = meta.software
    if _ORIENTATION in e:
        e[_ORIENTATION] = 1  # pixels are always written upright
    return e.tobytes()


def final_xmp(meta: Metadata) -> bytes | None:
    """The XMP packet to write: the original's with a tinta:Provenance description added, or a new one."""
    if not meta.note:
        return meta.xmp
    note = (meta.note.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;"))
    desc = (f'<rdf:Description rdf:about="" xmlns:tinta="{XMP_NS}" tinta:Provenance="{note}"'
            f' tinta:Software="{(meta.software or "").replace("&", "&amp;").replace(chr(34), "&quot;")}"/>')
    if meta.xmp:
        text = meta.xmp.decode("utf-8", "replace")
        at = text.rfind("</rdf:RDF>")
        if at >= 0:
            return (text[:at] + desc + text[at:]).encode("utf-8")
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            + desc + '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode("utf-8")


# --- PNG -------------------------------------------------------------------------------------------
def embed_png(png: bytes, meta: Metadata) -> bytes:
    """PNG bytes with iCCP, eXIf, iTXt XMP and tEXt Software/Comment chunks inserted after IHDR."""
    chunks = []
    if meta.icc:
        chunks.append(chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(meta.icc)))
    exif = _final_exif(meta)
    if exif:
        chunks.append(chunk(b"eXIf", exif[6:] if exif.startswith(b"Exif\x00\x00") else exif))
    xmp = final_xmp(meta)
    if xmp:
        chunks.append(chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp))
    for key, text in (("Software", meta.software), ("Comment", meta.note)):
        if text:
            chunks.append(chunk(b"tEXt", key.encode("latin-1") + b"\x00" + text.encode("latin-1", "replace")))
    at = 8 + 8 + struct.unpack(">I", png[8:12])[0] + 4  # signature + IHDR chunk
    return png[:at] + b"".join(chunks) + png[at:]


# --- JPEG ------------------------------------------------------------------------------------------
def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def embed_jpeg(jpg: bytes, meta: Metadata) -> bytes:
    """JPEG bytes with APP1 EXIF, APP1 XMP, APP2 ICC (split in 64 KB parts) and a COM note after APP0."""
    segs = []
    exif = _final_exif(meta)
    if exif and len(exif) <= 65533:
        segs.append(_segment(0xE1, exif if exif.startswith(b"Exif") else b"Exif\x00\x00" + exif))
    xmp = final_xmp(meta)
    if xmp and len(xmp) + len(_XMP_JPEG) <= 65533:
        segs.append(_segment(0xE1, _XMP_JPEG + xmp))
    if meta.icc:
        parts = [meta.icc[i:i + 65519] for i in range(0, len(meta.icc), 65519)]
        for n, part in enumerate(parts, 1):
            segs.append(_segment(0xE2, b"ICC_PROFILE\x00" + bytes([n, len(parts)]) + part))
    if meta.note:
        segs.append(_segment(0xFE, meta.note.encode("utf-8")[:65000]))
    at = 2
    if jpg[2:4] == b"\xff\xe0":  # keep JFIF APP0 first, as readers expect
        at = 4 + struct.unpack(">H", jpg[4:6])[0]
    return jpg[:at] + b"".join(segs) + jpg[at:]


# --- WebP and TIFF ---------------------------------------------------------------------------------
def webp_params(meta: Metadata) -> dict:
    """Keyword arguments for Pillow's WebP writer."""
    params = {}
    exif = _final_exif(meta)
    if exif:
        params["exif"] = exif
    if meta.icc:
        params["icc_profile"] = meta.icc
    xmp = final_xmp(meta)
    if xmp:
        params["xmp"] = xmp
    return params


def tiff_tags(meta: Metadata) -> list[tuple]:
    """tifffile extratags: ICC, XMP and the EXIF text tags (Software goes through tifffile's own argument)."""
    tags = []
    fields = exif_fields(meta)
    for tag in _TIFF_TEXT_TAGS:
        value = fields.get(tag)
        # tifffile's own '{"shape": ...}' description describes the input's array, not the output's.
        if tag == 270 and isinstance(value, str) and value.lstrip().startswith('{"shape"'):
            continue
        if isinstance(value, str) and value:
            tags.append((tag, "s", 0, value, True))
    if meta.icc:
        tags.append((34675, "B", len(meta.icc), meta.icc, True))
    xmp = final_xmp(meta)
    if xmp:
        tags.append((700, "B", len(xmp), xmp, True))
    return tags


def patch_tiff_exif(path, meta: Metadata) -> None:
    """Give a little-endian classic TIFF (as tifffile writes) the EXIF sub-IFD of `meta`.

    tifffile refuses to write the Exif IFD pointer, so the EXIF IFD (serialised by Pillow for its
    final file offset) and a copy of IFD0 with the pointer added are appended, and the header is
    pointed at the new IFD0.  The old IFD0 stays behind as a few unreferenced bytes.
    """
    sub = exif_fields(meta).get(_EXIF_IFD)
    if not sub:
        return
    with open(path, "r+b") as fh:
        head = fh.read(8)
        if head[:4] != b"II*\x00":
            return  # BigTIFF (over 4 GB) or big-endian: left without the EXIF sub-IFD
        fh.seek(struct.unpack("<I", head[4:8])[0])
        count = struct.unpack("<H", fh.read(2))[0]
        entries = [fh.read(12) for _ in range(count)]
        next_ifd = fh.read(4)
        fh.seek(0, 2)
        end = fh.tell()
        start = end + (end & 1)
        ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")
        for key, value in sub.items():
            ifd[key] = value
        blob = ifd.tobytes(start)
        new_at = start + len(blob) + ((start + len(blob)) & 1)
        entries = [e for e in entries if struct.unpack("<H", e[:2])[0] != _EXIF_IFD]
        entries.append(struct.pack("<HHII", _EXIF_IFD, 4, 1, start))
        entries.sort(key=lambda e: struct.unpack("<H", e[:2])[0])
        fh.write(b"\x00" * (start - end) + blob + b"\x00" * (new_at - start - len(blob)))
        fh.write(struct.pack("<H", len(entries)) + b"".join(entries) + next_ifd)
        fh.seek(4)
        fh.write(struct.pack("<I", new_at))
