"""Desktop building blocks without a window: array->QImage, stroke/region geometry, session file, export rules, jobs."""
from __future__ import annotations

import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtGui import QImage

from desktop import regions
from engine.regions import mask_shape
from desktop.exporter import ExportError, ExportRequest, check_target, to_bits
from desktop.qimage import array_to_qimage, qimage_to_rgb, to_display_rgb8
from desktop.session import Session, SessionError, load_session, save_session, session_path
from desktop.workers import Job, JobRunner
from engine.hints import Hint
from engine.restore.pipeline import RestoreOptions

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("propagateSizeHints")]


# --- qimage -------------------------------------------------------------------------------------------
def test_gray8_to_qimage_keeps_values(qapp):
    g = np.arange(12 * 7, dtype=np.uint8).reshape(7, 12) * 3
    img = array_to_qimage(g[:, ::1])
    assert img.format() == QImage.Format.Format_Grayscale8
    assert (img.width(), img.height()) == (12, 7)
    np.testing.assert_array_equal(qimage_to_rgb(img)[..., 1], g)


def test_rgb8_to_qimage_keeps_channel_order(qapp):
    rgb = np.zeros((5, 9, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 200, 100, 7
    rgb[2, 3] = (1, 2, 3)
    img = array_to_qimage(rgb)
    assert img.format() == QImage.Format.Format_RGB888
    np.testing.assert_array_equal(qimage_to_rgb(img), rgb)


def test_sixteen_bit_gray_and_rgb(qapp):
    g = np.array([[0, 257 * 128, 65535]], np.uint16)
    img = array_to_qimage(g)
    assert img.format() == QImage.Format.Format_Grayscale16
    assert [img.pixelColor(x, 0).red() for x in range(3)] == [0, 128, 255]
    rgb = np.zeros((2, 3, 3), np.uint16)
    rgb[0, 1] = (65535, 0, 257 * 64)
    img = array_to_qimage(rgb)
    assert img.format() == QImage.Format.Format_RGBA64
    c = img.pixelColor(1, 0)
    assert (c.red(), c.green(), c.blue(), c.alpha()) == (255, 0, 64, 255)


def test_qimage_copy_outlives_array_and_slices_work(qapp):
    a = np.full((40, 60, 3), 50, np.uint8)
    img = array_to_qimage(a[::2, ::3])  # non-contiguous view
    del a
    assert (img.width(), img.height()) == (20, 20)
    assert qimage_to_rgb(img)[10, 10].tolist() == [50, 50, 50]


def test_qimage_rejects_bad_layouts(qapp):
    with pytest.raises(ValueError, match="unsupported"):
        array_to_qimage(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ValueError, match="HxW"):
        array_to_qimage(np.zeros(4, np.uint8))


def test_display_rgb8_from_gray16_and_rgba():
    assert to_display_rgb8(np.full((2, 2), 65535, np.uint16)).tolist() == [[[255] * 3] * 2] * 2
    assert to_display_rgb8(np.zeros((2, 2, 4), np.uint8)).shape == (2, 2, 3)


# --- regions -------------------------------------------------------------------------------------------
def test_brush_hints_follow_the_stroke_inside_the_image():
    hints = regions.brush_hints([(10, 10), (110, 10), (500, 10)], "#ff0000", 2, (200, 100), unit=2.0)
    xs = [h.x for h in hints]
    assert xs[0] == 10 and all(x < 200 for x in xs)
    assert np.allclose(np.diff(xs), 10, atol=1.0)  # one patch width = 2 * 2.5 * 2
    assert all(h.y == 10 and h.color == "#ff0000" and h.radius == 2 for h in hints)


def test_erase_removes_only_near_hints():
    hints = [Hint(10, 10, "#ff0000", 2), Hint(50, 10, "#00ff00", 2)]
    kept = regions.erase_hints(hints, [(0, 10), (20, 10)], radius=5)
    assert kept == [hints[1]]


def test_lasso_mask_is_the_engine_region_shape():
    poly = [(100, 100), (300, 100), (300, 200), (100, 200)]
    mask, scale = regions.lasso_mask(poly, (2048, 1024))
    assert scale == 0.25 and mask.shape == mask_shape((1024, 2048)) == (256, 512)
    ys, xs = np.nonzero(mask)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (25, 75, 25, 50)


def test_empty_lasso_gives_an_empty_mask():
    mask, _ = regions.lasso_mask([(1, 1), (2, 2)], (50, 50))
    assert not mask.any()


# --- session -------------------------------------------------------------------------------------------
def test_session_round_trip_is_atomic(tmp_path):
    photo = tmp_path / "old.jpg"
    s = Session(hints=[Hint(1.5, 2, "#A0b0c0", 3)], variant={"seed": 7}, size=384, vividness=1.5,
                saturation=1.25, warmth=-0.4,
                restore=RestoreOptions(detone=True, keep_tone=0.3, clean_dust=True, dust_sensitivity=0.7,
                                       denoise=0.2, local_contrast=0.1, detect_tone=False))
    path = save_session(photo, s)
    assert path == session_path(photo) == tmp_path / "old.jpg.tinta.json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.jpg.tinta.json"]  # no temp file left
    back = load_session(path)
    assert back.hints == [Hint(1.5, 2.0, "#a0b0c0", 3)]
    assert (back.variant, back.size, back.vividness) == ({"seed": 7}, 384, 1.5)
    assert (back.saturation, back.warmth) == (1.25, -0.4)
    assert back.restore == s.restore


def test_session_without_a_look_means_neutral(tmp_path):
    p = tmp_path / "x.png.tinta.json"
    p.write_text('{"format": "tinta-session", "version": 1, "settings": {"vividness": 1.2}}')
    back = load_session(p)
    assert (back.vividness, back.saturation, back.warmth) == (1.2, 1.0, 0.0)
    assert back.restore == RestoreOptions()  # the app's default on open: toned prints are looked for
    assert back.regions == []  # sessions from before regions open without any


@pytest.mark.parametrize("content, problem", [
    ("{not json", "cannot read session"),
    ('{"format": "other"}', "not a Tinta session"),
    ('{"format": "tinta-session", "hints": [{"x": 1, "y": 1, "color": "red", "radius": 1}]}', "bad colour"),
    ('{"format": "tinta-session", "hints": [{"x": -1, "y": 1, "color": "#ff0000"}]}', "non-negative numbers"),
    ('{"format": "tinta-session", "hints": [{"x": 1, "y": 1}]}', "lacks color"),
    ('{"format": "tinta-session", "settings": {"vividness": -1}}', "vividness"),
    ('{"format": "tinta-session", "settings": {"saturation": 5}}', "saturation must be between 0 and 2"),
    ('{"format": "tinta-session", "settings": {"warmth": -3}}', "warmth must be between -1 and 1"),
    ('{"format": "tinta-session", "restore": {"denoise": 1.5}}', "denoise must be between 0 and 1"),
    ('{"format": "tinta-session", "restore": {"clean_dust": "yes"}}', "restore clean_dust must be true or false"),
    ('{"format": "tinta-session", "restore": {"keep_tone": "lots"}}', "restore keep_tone must be a number"),
    ('{"format": "tinta-session", "restore": [1]}', "restore must be an object"),
])
def test_bad_session_files_give_one_line_errors(tmp_path, content, problem):
    p = tmp_path / "x.png.tinta.json"
    p.write_text(content)
    with pytest.raises(SessionError) as info:
        load_session(p)
    msg = str(info.value)
    assert str(p) in msg and problem in msg and "\n" not in msg


# --- export rules --------------------------------------------------------------------------------------
def test_export_refuses_the_original_and_bad_formats(tmp_path):
    photo = tmp_path / "a.png"
    photo.write_bytes(b"x")
    with pytest.raises(ExportError, match="original"):
        check_target(ExportRequest(tmp_path / "." / "a.png"), photo)
    with pytest.raises(ExportError, match="16-bit"):
        check_target(ExportRequest(tmp_path / "b.jpg", bits=16), photo)
    with pytest.raises(ExportError, match=".png, .jpg or .tif"):
        check_target(ExportRequest(tmp_path / "b.gif"), photo)
    with pytest.raises(ExportError, match="does not exist"):
        check_target(ExportRequest(tmp_path / "missing" / "b.png"), photo)
    with pytest.raises(ExportError, match="JPEG quality must be between 1 and 100, got 0"):
        check_target(ExportRequest(tmp_path / "b.jpg", quality=0), photo)
    check_target(ExportRequest(tmp_path / "b.tif", bits=16), photo)
    check_target(ExportRequest(tmp_path / "b.jpg", quality=100), photo)


def test_bit_depth_conversion_is_full_range():
    a8 = np.array([0, 128, 255], np.uint8)
    assert to_bits(a8, 16).tolist() == [0, 32896, 65535]
    assert to_bits(to_bits(a8, 16), 8).tolist() == [0, 128, 255]


# --- jobs ----------------------------------------------------------------------------------------------
def test_job_reports_result_progress_and_error(qtbot):
    runner = JobRunner()
    seen = []

    def work(token, progress):
        progress(0.5)
        return 42

    job = Job(work)
    job.signals.progress.connect(seen.append)
    with qtbot.waitSignal(job.signals.result, timeout=5000) as got:
        runner.start(job)
    assert got.args == [42]
    qtbot.waitUntil(lambda: not runner.busy)
    assert seen == [0.5]
    bad = Job(lambda token, progress: (_ for _ in ()).throw(ValueError("photo.png: broken\ndetails")))
    with qtbot.waitSignal(bad.signals.error, timeout=5000) as got:
        runner.start(bad)
    assert got.args == ["photo.png: broken"]


def test_cancelled_job_never_delivers_its_result(qtbot):
    runner = JobRunner()
    started, release = threading.Event(), threading.Event()

    def work(token, progress):
        started.set()
        release.wait(5)
        return "late"

    job = Job(work)
    results = []
    job.signals.result.connect(results.append)
    runner.start(job)
    assert started.wait(5)
    with qtbot.waitSignal(job.signals.cancelled, timeout=5000):
        job.cancel()
        release.set()
    qtbot.waitUntil(lambda: not runner.busy)
    assert results == []


def test_region_tools_make_masks_not_hints():
    from desktop.canvas import Tool
    from desktop.tools import region_mask, stroke_edit
    for tool in (Tool.REGION_PAINT, Tool.PROTECT):
        assert stroke_edit(tool, [(20, 50), (180, 50)], (), "#abcdef", 1, (200, 100), unit=1.0) is None
        mask = region_mask(tool, [(20, 50), (180, 50)], 5, (200, 100))
        ys, xs = np.nonzero(mask)
        assert mask.shape == (100, 200) and set(np.unique(mask)) == {0, 255}
        assert 44 <= ys.min() and ys.max() <= 56 and xs.min() >= 14 and xs.max() <= 186
    assert stroke_edit(Tool.EYEDROPPER, [(1, 1)], (), "#abcdef", 1, (200, 100), unit=1.0) is None
    with pytest.raises(ValueError):
        region_mask(Tool.BRUSH, [(1, 1)], 5, (200, 100))
