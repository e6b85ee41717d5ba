"""Fuzzing the readers: truncated, bit-flipped and header-lying PNG/JPEG/TIFF/WebP files, and absurd sizes.

Every case must end in a correct picture or one ImageError line naming the file: no other exception,
no hang, no memory blow-up. Deterministic (derandomize) so a failure reproduces; the counts are printed.
"""
import io
import re
import struct
import time
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
from PIL import Image

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from engine.cli import main  # noqa: E402
from engine.errors import ImageError  # noqa: E402
from engine.io.image import MAX_PIXELS, read_image  # noqa: E402
from engine_fixtures import gradient_image, make_test_model  # noqa: E402

ABSURD = [0, 1, 7, 4097, 20_000, 65_535, 100_000, 2 ** 24 - 1, 2 ** 31 - 1, 2 ** 32 - 1]
PROGRESS = re.compile(r"\[[#.]{24}\] \d+/\d+ ")
SECONDS_PER_CASE = 15  # generous for a loaded CI machine; a hang runs far past it
MEMORY_PER_CASE = 400 << 20  # a 24x32 image, however it lies, must not cost more


def _seeds() -> list[tuple[str, bytes]]:
    """Valid small images, one per format and layout the readers handle differently."""
    g8 = gradient_image(24, 32)
    rgb = np.dstack([g8, g8[::-1], g8[:, ::-1]])
    g16 = gradient_image(24, 32, np.uint16)
    out = []

    def cv(ext, img, *params):
        ok, buf = cv2.imencode(ext, img, list(params))
        assert ok
        out.append((ext[1:], buf.tobytes()))

    cv(".png", g8)
    cv(".png", g16)
    cv(".png", np.dstack([rgb, np.full_like(g8, 128)]))
    cv(".jpg", g8, cv2.IMWRITE_JPEG_QUALITY, 90)
    cv(".jpg", rgb, cv2.IMWRITE_JPEG_PROGRESSIVE, 1)
    cv(".webp", rgb, cv2.IMWRITE_WEBP_QUALITY, 80)
    cv(".webp", rgb, cv2.IMWRITE_WEBP_QUALITY, 101)  # lossless (VP8L)
    buf = io.BytesIO()
    Image.fromarray(np.dstack([rgb, g8])).save(buf, "WEBP", quality=70, exif=b"Exif\0\0")  # VP8X + alpha
    out.append(("webp", buf.getvalue()))
    for img, kw in ((g16, {}), (rgb, {"compression": "zlib"}), (g8, {"tile": (16, 16)}),
                    (np.moveaxis(rgb, -1, 0), {"planarconfig": "separate", "photometric": "rgb"})):
        buf = io.BytesIO()
        tifffile.imwrite(buf, img, **kw)
        out.append(("tif", buf.getvalue()))
    return out


SEEDS = _seeds()


def _fix_png_crcs(data: bytearray) -> None:
    """Recompute every chunk CRC, so a lie or a flip reaches the decoder instead of the CRC check."""
    i = 8
    while i + 12 <= len(data):
        (n,) = struct.unpack(">I", data[i:i + 4])
        if i + 12 + n > len(data):
            return
        data[i + 8 + n:i + 12 + n] = struct.pack(">I", zlib.crc32(bytes(data[i + 4:i + 8 + n])))
        i += 12 + n


def _lie(fmt: str, data: bytearray, w: int, h: int) -> None:
    """Rewrite the dimensions the header claims, leaving the pixel data as it is."""
    if fmt == "png":
        data[16:24] = struct.pack(">II", w, h)
        _fix_png_crcs(data)
    elif fmt == "jpg":
        for m in re.finditer(rb"\xff[\xc0-\xc2]", bytes(data)):
            data[m.start() + 5:m.start() + 9] = struct.pack(">HH", h & 0xFFFF, w & 0xFFFF)
            break
    elif fmt == "webp":
        chunk = bytes(data[12:16])
        if chunk == b"VP8X":
            data[24:30] = ((w - 1) % 2 ** 24).to_bytes(3, "little") + ((h - 1) % 2 ** 24).to_bytes(3, "little")
        elif chunk == b"VP8 ":
            data[26:30] = struct.pack("<HH", w & 0x3FFF, h & 0x3FFF)
        elif chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little") & ~0xFFFFFFF
            data[21:25] = (bits | ((w - 1) & 0x3FFF) | (((h - 1) & 0x3FFF) << 14)).to_bytes(4, "little")
    elif fmt == "tif":
        (ifd,) = struct.unpack("<I", data[4:8])
        (count,) = struct.unpack("<H", data[ifd:ifd + 2])
        for k in range(count):
            at = ifd + 2 + 12 * k
            tag = struct.unpack("<H", data[at:at + 2])[0]
            if tag in (256, 257):  # ImageWidth, ImageLength, rewritten as LONG
                data[at + 2:at + 12] = struct.pack("<HII", 4, 1, (w if tag == 256 else h) % 2 ** 32)


@st.composite
def broken_files(draw):
    """(format, bytes, what was done) from a valid seed: intact, truncated, bit-flipped, lying, or two of those."""
    fmt, seed = draw(st.sampled_from(SEEDS))
    data = bytearray(seed)
    done = []
    # Intact files too: the CLI must then write a correct output, which checks the happy path as well.
    kinds = draw(st.sampled_from(["intact", "truncate", "flip", "flip", "lie", "lie flip", "lie truncate",
                                  "flip truncate"])).split()
    if "lie" in kinds:
        w, h = draw(st.sampled_from(ABSURD + [32])), draw(st.sampled_from(ABSURD + [24]))
        _lie(fmt, data, w, h)
        done.append(f"lie {w}x{h}")
    if "flip" in kinds:
        flips = draw(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 7)), min_size=1, max_size=4))
        for pos, bit in flips:
            data[pos] ^= 1 << bit
        if fmt == "png" and draw(st.booleans()):
            _fix_png_crcs(data)
        done.append(f"flip {flips}")
    if "truncate" in kinds:
        cut = draw(st.integers(0, len(data) - 1))
        data = data[:cut]
        done.append(f"truncate at {cut}")
    return fmt, bytes(data), ", ".join(done) or "intact"


def _peak_rss() -> int:
    with open("/proc/self/status") as fh:
        return int(re.search(r"VmHWM:\s+(\d+)", fh.read()).group(1)) << 10


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # Linux: the peak RSS restarts from the current RSS
        return True
    except OSError:
        return False


class Meter:
    """Time and peak memory of one case, checked against the per-case limits; keeps the maxima."""

    def __init__(self):
        self.cases, self.worst_s, self.worst_mb = 0, 0.0, 0.0
        self.memory = _reset_peak()

    def __enter__(self):
        self.memory = self.memory and _reset_peak()
        self.rss0 = _peak_rss() if self.memory else 0
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        seconds = time.perf_counter() - self.t0
        grown = _peak_rss() - self.rss0 if self.memory else 0
        self.cases += 1
        self.worst_s, self.worst_mb = max(self.worst_s, seconds), max(self.worst_mb, grown / 2 ** 20)
        if exc[0] is None:
            assert seconds < SECONDS_PER_CASE, f"took {seconds:.1f} s"
            assert grown < MEMORY_PER_CASE, f"peak memory grew {grown / 2 ** 20:.0f} MB"


def _check_picture(pic) -> None:
    px = pic.pixels
    assert px.dtype in (np.uint8, np.uint16) and px.size > 0
    assert px.ndim == 2 or (px.ndim == 3 and px.shape[2] in (3, 4))
    assert px.shape[0] * px.shape[1] <= MAX_PIXELS


FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("seed, w, h", [(0, 7, 16_777_215), (2, 16_777_215, 7), (4, 4097, 20_000),
                                        (3, 20_000, 4097), (10, 7, 16_777_215), (11, 4097, 65_535)])
def test_a_header_claiming_far_more_pixels_than_the_data_holds_is_refused_before_decoding(tmp_path, seed, w, h):
    fmt, data = SEEDS[seed]
    data = bytearray(data)
    _lie(fmt, data, w, h)
    path = tmp_path / f"bomb.{fmt}"
    path.write_bytes(bytes(data))
    with Meter() as meter:
        with pytest.raises(ImageError, match=f"header says {w}x{h} pixels but the file has only"):
            read_image(path)
    assert meter.worst_mb < 32 and meter.worst_s < 2  # nothing was allocated for the claimed size


def test_a_png_chunk_longer_than_the_file_is_refused_before_decoding(tmp_path):
    data = bytearray(SEEDS[0][1])
    data[33] ^= 0x20  # the first IDAT's length, 171 bytes, now claims 512 MB (found by the fuzz test below)
    path = tmp_path / "long-chunk.png"
    path.write_bytes(bytes(data))
    with Meter() as meter:
        with pytest.raises(ImageError, match="a chunk runs past the end of the file"):
            read_image(path)
    assert meter.worst_mb < 32


def test_read_image_survives_broken_files(tmp_path, capfd):
    meter = Meter()
    outcomes = {"picture": 0, "error": 0}

    @settings(FUZZ, max_examples=3000)
    @given(broken_files())
    def case(sample):
        fmt, data, what = sample
        path = tmp_path / f"case.{fmt}"
        path.write_bytes(data)
        with meter:
            try:
                pic = read_image(path)
            except ImageError as exc:
                text = str(exc)
                assert text.startswith(f"{path}: ") and "\n" not in text, (what, text)
                outcomes["error"] += 1
                return
        _check_picture(pic)
        outcomes["picture"] += 1

    case()
    assert capfd.readouterr().err == ""  # decoders' own chatter (libpng, libjpeg, tifffile) stays hidden
    with capfd.disabled():
        print(f"\nfuzz read_image: {meter.cases} cases ({outcomes['picture']} decoded, {outcomes['error']} "
              f"one-line errors); slowest {meter.worst_s:.2f} s, peak memory growth {meter.worst_mb:.0f} MB")
    assert meter.cases >= 100


def test_colorize_survives_broken_files(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("TINTA_MODELS_DIR", str(make_test_model(tmp_path / "models").parent))
    meter = Meter()
    counts = {"files": 0, "written": 0, "errors": 0}
    runs = iter(range(10 ** 6))

    @settings(FUZZ, max_examples=200)
    @given(st.lists(broken_files(), min_size=1, max_size=4))
    def case(samples):
        folder = tmp_path / f"run{next(runs)}"
        inp, out = folder / "in", folder / "out"
        inp.mkdir(parents=True)
        paths = []
        for i, (fmt, data, _) in enumerate(samples):
            paths.append(inp / f"f{i}.{fmt}")
            paths[-1].write_bytes(data)
        capfd.readouterr()
        with meter:
            code = main(["colorize", *map(str, paths), "-o", str(out), "--size", "64"])
        err = capfd.readouterr().err  # fd level: what C libraries print counts too
        assert "Traceback" not in err and code in (0, 1), err
        lines = [line for line in err.splitlines() if line.strip() and not PROGRESS.match(line)]
        failed = 0
        for path, (_, _, what) in zip(paths, samples):
            mine = [line for line in lines if line.startswith(f"tinta: error: {path}: ")]
            outputs = list(out.glob(f"{path.stem}.*"))
            assert len(mine) + len(outputs) == 1, (what, mine, outputs)
            if outputs:
                src, res = read_image(path), read_image(outputs[0])
                assert res.pixels.shape[:2] == src.pixels.shape[:2] and res.pixels.ndim == 3, what
            failed += len(mine)
            counts["files"] += 1
            counts["written" if outputs else "errors"] += 1
        assert len(lines) == failed and code == (1 if failed else 0), lines  # nothing else on stderr

    case()
    with capfd.disabled():
        print(f"\nfuzz tinta colorize: {meter.cases} runs, {counts['files']} files ({counts['written']} written, "
              f"{counts['errors']} one-line errors); slowest run {meter.worst_s:.2f} s, "
              f"peak memory growth {meter.worst_mb:.0f} MB")
    assert counts["files"] >= 25


def test_silencing_can_be_turned_off_for_a_long_running_app(monkeypatch):
    import os
    from engine.io import quiet
    before = os.fstat(2).st_ino
    with quiet.native_stderr_silenced():
        assert os.fstat(2).st_ino != before  # fd 2 points at the null device while decoding
    assert os.fstat(2).st_ino == before
    monkeypatch.setattr(quiet, "_enabled", True)
    quiet.set_enabled(False)
    with quiet.native_stderr_silenced():
        assert os.fstat(2).st_ino == before
