"""Test helpers for archival I/O: minimal ICC v2 profiles (gamma RGB, gray) and EXIF/XMP blobs, made in code."""
from __future__ import annotations

import struct

from PIL import Image

D50 = (0.9642, 1.0, 0.8249)
# Adobe RGB (1998) primaries adapted to D50, as in its published profile.
ADOBE_XYZ = ((0.6097, 0.3111, 0.0195), (0.2053, 0.6257, 0.0609), (0.1492, 0.0632, 0.7446))


def _s15(v: float) -> bytes:
    return struct.pack(">i", int(round(v * 65536)))


def _xyz(x, y, z) -> bytes:
    return b"XYZ " + b"\0" * 4 + _s15(x) + _s15(y) + _s15(z)


def _curve(gamma: float) -> bytes:
    return b"curv" + b"\0" * 4 + struct.pack(">IH", 1, int(round(gamma * 256))) + b"\0\0"


def _desc(text: str) -> bytes:
    a = text.encode("ascii") + b"\0"
    return b"desc" + b"\0" * 4 + struct.pack(">I", len(a)) + a + b"\0" * 12 + b"\0" * 67


def _profile(space: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    count = len(tags)
    offset = 128 + 4 + 12 * count
    table, data = b"", b""
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (struct.pack(">I", size) + b"lcms" + struct.pack(">I", 0x02100000) + b"mntr" + space + b"XYZ "
              + b"\0" * 12 + b"acsp" + b"APPL" + b"\0" * 4 + b"\0" * 4 + b"\0" * 4 + b"\0" * 8 + b"\0" * 4
              + _s15(D50[0]) + _s15(D50[1]) + _s15(D50[2]) + b"\0" * 4 + b"\0" * 16 + b"\0" * 28)
    assert len(header) == 128, len(header)
    return header + struct.pack(">I", count) + table + data


def adobe_rgb_icc() -> bytes:
    """A matrix/TRC RGB profile with Adobe RGB primaries and gamma 2.2 (not sRGB)."""
    (rx, ry, rz), (gx, gy, gz), (bx, by, bz) = ADOBE_XYZ
    return _profile(b"RGB ", [(b"desc", _desc("Test Adobe RGB")), (b"wtpt", _xyz(*D50)),
                              (b"rXYZ", _xyz(rx, ry, rz)), (b"gXYZ", _xyz(gx, gy, gz)),
                              (b"bXYZ", _xyz(bx, by, bz)), (b"rTRC", _curve(2.2)), (b"gTRC", _curve(2.2)),
                              (b"bTRC", _curve(2.2))])


def gray_icc(gamma: float = 1.0) -> bytes:
    """A gray profile with a pure gamma tone curve (gamma 1.0: linear-light scans)."""
    return _profile(b"GRAY", [(b"desc", _desc(f"Test Gray {gamma}")), (b"wtpt", _xyz(*D50)),
                              (b"kTRC", _curve(gamma))])


def sample_exif(orientation: int | None = None) -> bytes:
    """EXIF with Make, Artist, Copyright, DateTimeOriginal (in the Exif sub-IFD) and an orientation."""
    e = Image.Exif()
    e[0x010F] = "Kodak"
    e[0x013B] = "A. Photographer"
    e[0x8298] = "Town Archive"
    if orientation:
        e[0x0112] = orientation
    e[0x8769] = {0x9003: "1931:05:04 10:00:00"}
    return e.tobytes()


SAMPLE_XMP = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
              b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""'
              b' xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:source>Box 12, print 7</dc:source>'
              b'</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')
