"""Image reading and atomic writing: formats, bit depths, alpha, orientation, and bad files."""
import struct

import cv2
import numpy as np
import pytest
import tifffile

from engine.errors import ImageError
from engine.io.image import read_image, write_image


def _marked(h=10, w=20, channels=3, dtype=np.uint8):
    top = np.iinfo(dtype).max
    img = np.zeros((h, w, channels) if channels else (h, w), dtype)
    img[0, 0] = top  # a marker at top-left to follow rotations
    img[h - 1, w - 1] = top // 2
    return img


@pytest.mark.parametrize("ext, dtype, channels", [
    ("png", np.uint8, 3), ("png", np.uint16, 3), ("png", np.uint8, 0), ("png", np.uint8, 4),
    ("tif", np.uint16, 3), ("tif", np.uint8, 0), ("tif", np.uint16, 4), ("bmp", np.uint8, 3),
    ("webp", np.uint8, 3),
])
def test_lossless_round_trip(tmp_path, ext, dtype, channels):
    img = _marked(channels=channels, dtype=dtype)
    if channels:
        img[..., 0] = np.arange(20, dtype=dtype)[None, :]  # R differs from B: catches BGR swaps
    p = tmp_path / f"x.{ext}"
    if ext == "webp":
        ok, buf = cv2.imencode(".webp", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_WEBP_QUALITY, 101])
        p.write_bytes(buf.tobytes())
    else:
        write_image(p, img)
    pic = read_image(p)
    assert pic.pixels.dtype == dtype and pic.bit_depth == 8 * np.dtype(dtype).itemsize
    assert pic.has_alpha == (channels == 4)
    assert np.array_equal(pic.pixels, img)
    assert [f.name for f in tmp_path.iterdir()] == [p.name]  # no temp file left behind


def test_jpeg_quality_and_16_bit_reduction(tmp_path):
    img = np.full((16, 16, 3), 40000, np.uint16)
    write_image(tmp_path / "x.jpg", img, quality=95)
    pic = read_image(tmp_path / "x.jpg")
    assert pic.pixels.dtype == np.uint8 and abs(int(pic.pixels.mean()) - 156) <= 2


def test_jpeg_is_written_at_the_quality_asked(tmp_path):
    from engine_fixtures import gradient_image, jpeg_quality_of

    img = np.dstack([gradient_image(64, 96)] * 3)
    for q in (40, 92, 100):
        write_image(tmp_path / f"q{q}.jpg", img, quality=q)
        assert jpeg_quality_of(tmp_path / f"q{q}.jpg") == q
    write_image(tmp_path / "default.jpg", img)
    assert jpeg_quality_of(tmp_path / "default.jpg") == 95


def _exif_orientation_jpeg(img, orientation):
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 100])
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + struct.pack("<HHIHH", 0x0112, 3, 1,
                                                                                    orientation, 0) + b"\0" * 4
    payload = b"Exif\x00\x00" + tiff
    data = buf.tobytes()
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]


def test_jpeg_exif_orientation_applied(tmp_path):
    img = np.zeros((16, 32, 3), np.uint8)
    img[:8, :8] = 255  # bright block at top-left
    p = tmp_path / "rot.jpg"
    p.write_bytes(_exif_orientation_jpeg(img, 6))  # 6: display rotated 90 degrees clockwise
    px = read_image(p).pixels
    assert px.shape[:2] == (32, 16)
    assert px[:8, 8:].mean() > 200 and px[:8, :8].mean() < 50  # block now at top-right


def test_tiff_orientation_applied(tmp_path):
    img = _marked(channels=0)
    p = tmp_path / "rot.tif"
    tifffile.imwrite(p, img, extratags=[(274, "H", 1, 8, True)])  # 8: rotate 90 counter-clockwise
    px = read_image(p).pixels
    assert px.shape == (20, 10) and px[19, 0] == 255


def test_bad_files(tmp_path):
    good = tmp_path / "good.png"
    write_image(good, _marked())
    data = good.read_bytes()
    cases = {
        "missing.png": (None, "does not exist"),
        "empty.png": (b"", "file is empty"),
        "text.png": (b"hello, not an image at all", "not an image"),
        "trunc.png": (data[: len(data) // 2], "corrupt or truncated PNG"),
        "huge.png": (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR"
                     + struct.pack(">IIBBBBB", 20000, 20000, 8, 0, 0, 0, 0) + b"\0" * 4, "megapixel limit"),
        "zero.png": (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR"
                     + struct.pack(">IIBBBBB", 0, 10, 8, 0, 0, 0, 0) + b"\0" * 4, "no pixels"),
        "bad.tif": (b"II*\x00" + b"\xff" * 40, "corrupt or unsupported TIFF"),
    }
    ok, jpg = cv2.imencode(".jpg", np.full((64, 64), 128, np.uint8))
    cases["trunc.jpg"] = (jpg.tobytes()[:300], "truncated")
    for name, (content, words) in cases.items():
        p = tmp_path / name
        if content is not None:
            p.write_bytes(content)
        with pytest.raises(ImageError) as info:
            read_image(p)
        assert str(info.value) == f"{p}: {info.value.problem}" and words in str(info.value), name
    with pytest.raises(ImageError, match="is a folder"):
        read_image(tmp_path)


def test_write_refuses_unknown_extension_and_unwritable_place(tmp_path):
    with pytest.raises(ImageError, match="cannot write .gif"):
        write_image(tmp_path / "x.gif", _marked())
    with pytest.raises(ImageError, match="cannot write"):
        write_image(tmp_path / "no" / "such" / "dir" / "x.png", _marked())


def test_write_is_atomic_replace(tmp_path):
    p = tmp_path / "x.png"
    write_image(p, _marked())
    write_image(p, np.full((4, 4, 3), 7, np.uint8))
    assert read_image(p).pixels.shape == (4, 4, 3)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["x.png"]
