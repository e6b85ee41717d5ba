"""The parallel PNG encoder writes files that other decoders read back exactly, in one piece or many."""
import io
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from engine.io import png
from engine.io.image import read_image, write_image

SHAPES = [((1, 1), np.uint8), ((37, 53), np.uint8), ((37, 53, 3), np.uint8), ((40, 61, 4), np.uint8),
          ((29, 31), np.uint16), ((33, 45, 3), np.uint16), ((21, 17, 4), np.uint16)]


def _pixels(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, np.iinfo(dtype).max + 1, shape, dtype=np.int64).astype(dtype)


def _opencv(data: bytes) -> np.ndarray:
    out = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if out.ndim == 3:
        out = cv2.cvtColor(out, cv2.COLOR_BGRA2RGBA if out.shape[2] == 4 else cv2.COLOR_BGR2RGB)
    return out


@pytest.fixture(params=["one piece", "many pieces"])
def pieces(request, monkeypatch):
    if request.param == "many pieces":  # force several workers' pieces and several bands in each, on small images
        monkeypatch.setattr(png, "MIN_PIECE_BYTES", 64)
        monkeypatch.setattr(png, "BAND_BYTES", 200)
        monkeypatch.setattr(png, "_workers", lambda: 3)
    return request.param


@pytest.mark.parametrize("shape,dtype", SHAPES)
def test_opencv_and_pillow_read_back_the_same_pixels(shape, dtype, pieces):
    px = _pixels(shape, dtype)
    data = png.encode(px)
    np.testing.assert_array_equal(_opencv(data), px)
    if dtype == np.uint8:  # Pillow opens 16-bit colour PNGs at 8 bits
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(data))), px)


def test_many_pieces_make_one_zlib_stream_of_the_same_size(monkeypatch):
    px = cv2.GaussianBlur(_pixels((300, 400, 3), np.uint8), (0, 0), 3)
    whole = png.encode(px)
    monkeypatch.setattr(png, "MIN_PIECE_BYTES", 1024)
    monkeypatch.setattr(png, "_workers", lambda: 4)
    split = png.encode(px)
    assert split != whole and abs(len(split) - len(whole)) < 0.01 * len(whole)

    def idat(data: bytes) -> bytes:
        at = data.index(b"IDAT")
        return data[at + 4:at + 4 + int.from_bytes(data[at - 4:at], "big")]
    assert zlib.decompress(idat(split)) == zlib.decompress(idat(whole))  # zlib checks the combined Adler-32


def test_adler32_combine_matches_zlib():
    rng = np.random.default_rng(1)
    for n in (0, 1, 5, 65521, 200_000):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        for cut in {0, n // 3, n}:
            a, b = data[:cut], data[cut:]
            assert png.adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(data)


def test_write_image_keeps_16_bits_and_metadata(tmp_path):
    from engine.io.metadata import Metadata
    px = _pixels((48, 64, 3), np.uint16)
    write_image(tmp_path / "a.png", px, metadata=Metadata(software="Tinta test", note="a note"))
    back = read_image(tmp_path / "a.png")
    np.testing.assert_array_equal(back.pixels, px)
    assert b"Tinta test" in back.metadata.exif and b"a note" in back.metadata.xmp  # embedded after IHDR


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 3), np.float32), np.zeros((4, 4, 5), np.uint8),
                                 np.zeros((0, 4), np.uint8)])
def test_what_png_cannot_hold_is_refused(bad):
    with pytest.raises(ValueError, match="as PNG"):
        png.encode(bad)
