"""Evaluation: metric sanity, Levin et al. baseline behaviour, hint sampler, evaluate() end to end."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from engine_fixtures import make_test_model

from engine.color import hex_to_lab, lab_to_srgb, luminance
from engine.hints import Hint
from trainer import metrics
from trainer.eval_report import write_report
from trainer.evaluate import EvalError, evaluate, find_photos, main, sample_hints
from trainer.levin import levin_colorize, propagate


def _noise_image(seed=0, shape=(48, 64, 3)):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


# ---- metrics ---------------------------------------------------------------------------------------

def test_psnr_identical_is_capped_and_known_error_gives_known_value():
    img = _noise_image()
    assert metrics.psnr(img, img) == metrics.PSNR_CAP
    a = np.full((8, 8, 3), 100, np.uint8)
    b = a + np.uint8(1)  # MSE 1
    assert metrics.psnr(a, b) == pytest.approx(10 * np.log10(255.0 ** 2), abs=1e-9)
    with pytest.raises(ValueError):
        metrics.psnr(a, a[:4])


def test_ssim_identical_is_one_and_noise_lowers_it():
    img = cv2.GaussianBlur(_noise_image(), (7, 7), 2)
    assert metrics.ssim(img, img) == pytest.approx(1.0)
    noisy = np.clip(img.astype(int) + np.random.default_rng(1).integers(-40, 40, img.shape), 0, 255)
    assert metrics.ssim(noisy.astype(np.uint8), img) < 0.9


def test_colourfulness_zero_for_gray_and_hasler_value_for_flat_red():
    gray = np.repeat(_noise_image(shape=(32, 32, 1)), 3, axis=2)
    assert metrics.colourfulness(gray) == 0.0
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 255  # rg = 255, yb = 127.5, no spread: M = 0.3 * |(255, 127.5)|
    assert metrics.colourfulness(red) == pytest.approx(0.3 * np.hypot(255, 127.5))
    assert metrics.colourfulness(_noise_image()) > metrics.colourfulness(red) / 2


def test_cast_is_the_distance_between_set_means_and_mean_ab_reads_lab():
    # Errors that cancel over the set are no cast; a shared shift is, by its length.
    assert metrics.cast([(5, 0), (-5, 0)], [(0, 0), (0, 0)]) == pytest.approx(0.0)
    assert metrics.cast([(3, 4), (3, 4)], [(0, 0), (0, 0)]) == pytest.approx(5.0)
    assert metrics.cast([(1, 2), (3, 8)], [(2, 2), (2, 2)]) == pytest.approx(3.0)
    with pytest.raises(ValueError):
        metrics.cast([(1, 2)], [(1, 2), (3, 4)])
    gray = np.full((40, 30, 3), 120, np.uint8)
    assert metrics.mean_ab(gray) == pytest.approx((0.0, 0.0), abs=1e-3)
    orange = np.zeros((40, 30, 3), np.uint8)
    orange[...] = (255, 128, 0)
    a, b = metrics.mean_ab(orange)
    assert a > 20 and b > 60  # sRGB orange is about Lab (67, 43, 74)


@pytest.mark.parametrize("n,d", [(60, 16), (12, 40)])  # full-rank and rank-deficient covariances
def test_frechet_distance_zero_for_identical_and_mean_shift_squared_for_shifted(n, d):
    x = np.random.default_rng(2).normal(size=(n, d))
    assert metrics.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-6 * d)
    # A pure shift keeps the covariance: the distance is |shift|^2.
    assert metrics.frechet_distance(x, x + 0.5) == pytest.approx(0.25 * d, rel=1e-5)


@pytest.mark.parametrize("n,d", [(10, 30), (40, 12), (25, 25)])
def test_frechet_distance_equals_the_sqrtm_formula(n, d):
    import scipy.linalg

    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(n, d)), 2.0 * rng.normal(size=(n + 3, d)) @ rng.normal(size=(d, d)) + 1.0
    sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = np.real(scipy.linalg.sqrtm(sa @ sb))
    expected = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(sa) + np.trace(sb) - 2 * np.trace(covmean)
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError):
        metrics.frechet_distance(a[:1], b[:1])


# ---- Levin et al. 2004 --------------------------------------------------------------------------------

def test_levin_one_hint_on_flat_image_colours_everything_that_colour():
    color = "#c05040"
    L = np.full((40, 60), hex_to_lab(color)[0], np.float32)
    out = levin_colorize(L, [Hint(10, 30, color, 1)])
    assert np.abs(out.astype(int) - [0xC0, 0x50, 0x40]).max() <= 2


def test_levin_without_hints_is_gray():
    L = np.tile(np.linspace(10, 90, 50, dtype=np.float32), (30, 1))
    out = levin_colorize(L, [])
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()
    assert np.abs(luminance(out) - L).max() < 0.5


def test_levin_colour_stops_at_a_strong_edge_between_two_hints():
    y = np.full((30, 40), 0.3)
    y[:, 20:] = 0.8
    fixed = np.zeros(y.shape, bool)
    values = np.zeros(y.shape + (2,))
    fixed[15, 2], values[15, 2] = True, (60.0, 40.0)     # red-ish on the dark side
    fixed[15, 37], values[15, 37] = True, (-20.0, -50.0)  # blue on the bright side
    ab = propagate(y, fixed, values)
    # Right beside the edge each side keeps (within 3 of ~90 units) its own hint's colour, though it
    # is far from that hint: the affinity across the edge is exp(-7.5) of that along it.
    np.testing.assert_allclose(ab[:, :20], np.broadcast_to([60.0, 40.0], (30, 20, 2)), atol=3.0)
    np.testing.assert_allclose(ab[:, 20:], np.broadcast_to([-20.0, -50.0], (30, 20, 2)), atol=3.0)
    # Without the edge the colours blend across the middle.
    blend = propagate(np.full(y.shape, 0.5), fixed, values)
    assert abs(blend[15, 19, 0] - 60.0) > 10.0


def test_levin_full_pipeline_keeps_the_edge_at_reduced_resolution():
    L = np.full((200, 300), 35.0, np.float32)
    L[:, 150:] = 85.0
    left, right = "#7a2e22", "#8fc6ff"
    out = levin_colorize(L, [Hint(20, 100, left, 1), Hint(280, 100, right, 1)], long_side=100)
    lab = cv2.cvtColor(out.astype(np.float32) / 255, cv2.COLOR_RGB2Lab)
    for cols, color in ((slice(0, 146), left), (slice(154, 300), right)):
        want = hex_to_lab(color)[1:]
        # Gamut mapping at the other L may shrink chroma a little, never flip its hue.
        got = lab[:, cols, 1:].reshape(-1, 2).mean(0)
        assert np.dot(got, want) / (np.linalg.norm(got) * np.linalg.norm(want)) > 0.97


# ---- hint sampler and photo loading ---------------------------------------------------------------------

def test_sample_hints_exact_count_deterministic_nested_and_true_colour():
    rgb = np.zeros((60, 80, 3), np.uint8)
    rgb[:, :40] = (200, 30, 30)
    rgb[:, 40:] = (30, 30, 200)
    h10 = sample_hints(rgb, 10, "a/b.jpg")
    assert len(h10) == 10 and h10 == sample_hints(rgb, 10, "a/b.jpg")
    assert sample_hints(rgb, 4, "a/b.jpg") == h10[:4]
    assert sample_hints(rgb, 10, "a/c.jpg") != h10
    assert sample_hints(rgb, 0, "a/b.jpg") == []
    for hint in h10:
        assert 0 <= hint.x < 80 and 0 <= hint.y < 60 and hint.radius == 1
        x = int(hint.x)
        if x not in (39, 40):  # patches away from the seam are one pure colour
            assert hint.color == ("#c81e1e" if x < 40 else "#1e1ec8")


def test_find_photos_errors_name_the_problem(tmp_path):
    with pytest.raises(EvalError, match="not a folder"):
        find_photos([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(EvalError, match="no photos"):
        find_photos([tmp_path / "empty"])
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(EvalError, match="x.jpg: cannot be read"):
        find_photos([bad])


def test_gray_input_keeps_the_photo_luminance(tmp_path):
    folder = tmp_path / "set" / "sub"
    folder.mkdir(parents=True)
    rgb = _noise_image()
    cv2.imwrite(str(folder / "n.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    datasets, photos = find_photos([tmp_path / "set"])  # recursive
    assert list(datasets) == ["set"] and len(photos) == 1
    p = photos[0]
    assert np.abs(p.L - luminance(rgb)).max() < 0.5  # 8-bit gray quantisation only
    gray = (lab_to_srgb(p.L, 0 * p.L, 0 * p.L) * 255 + 0.5).astype(np.uint8)[..., 0]
    assert np.array_equal(gray, p.gray)


def test_cli_reports_bad_folder_and_missing_model_in_one_line(tmp_path, capsys, monkeypatch):
    make_test_model(tmp_path / "models", name="tiny", default=True)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path / "models"))
    assert main([str(tmp_path / "nope"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "nope: not a folder" in err
    assert main([str(tmp_path), "--model", "absent", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "absent" in err
    assert not (tmp_path / "out").exists()


# ---- end to end -----------------------------------------------------------------------------------------

def _write_photos(folder, n, seed):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        h, w = 40 + 8 * i, 56
        yy, xx = np.mgrid[0:h, 0:w]
        rgb = np.stack([xx * 4 + 20 * i, yy * 5, 255 - xx * 3], axis=2) + rng.integers(0, 20, (h, w, 3))
        cv2.imwrite(str(folder / f"p{i}.png"), cv2.cvtColor(np.clip(rgb, 0, 255).astype(np.uint8),
                                                            cv2.COLOR_RGB2BGR))


def test_evaluate_end_to_end_with_the_test_model(tmp_path, monkeypatch):
    from engine import propagate
    # Without the hints' own colour field (tested in tests/test_propagation.py), propagation adds nothing to a network
    # that already meets its hints: what lets the "network only" row be checked below.
    monkeypatch.setattr(propagate, "LOCAL_WEIGHT", 0.0)
    make_test_model(tmp_path / "models", name="tiny", default=True)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path / "models"))
    _write_photos(tmp_path / "photos" / "setA", 2, seed=5)
    _write_photos(tmp_path / "photos" / "setB", 1, seed=6)
    report = evaluate([tmp_path / "photos" / "setA", tmp_path / "photos" / "setB"], hints=(0, 1, 5),
                      vividness=(2.0,), size=64, workers=1)

    assert report.model == "tiny" and list(report.datasets) == ["setA", "setB"]
    assert [(r.dataset, r.method) for r in report.rows] == [
        (ds, m) for ds in ("setA", "setB", "all") for m in ("model", "gray", "model (vividness 2)")]
    gray, model = report.row("gray"), report.row("model")
    assert gray.images == 3 and gray.colourfulness == 0.0 and gray.colourfulness_true > 10
    assert gray.colourfulness_true == model.colourfulness_true
    assert 5 < gray.psnr < 60 and 0 < gray.ssim <= 1 and gray.frechet >= 0 and 0 <= gray.top1 <= 1
    assert report.row("gray", "setB").frechet is None  # one photo: no covariance
    # the second judge scores the same outputs on Lite2's features
    assert gray.frechet2 >= 0 and model.frechet2 != pytest.approx(model.frechet)
    assert report.row("gray", "setB").frechet2 is None
    # Gray has no chroma, so its cast is the length of the true photos' mean ab.
    truth_ab = np.mean([metrics.mean_ab(cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB))
                        for d in ("setA", "setB") for f in sorted((tmp_path / "photos" / d).iterdir())], 0)
    assert gray.cast == pytest.approx(np.hypot(*truth_ab), abs=0.2) and gray.cast > 1
    assert model.cast is not None and model.cast != pytest.approx(gray.cast)
    pooled = (2 * report.row("model", "setA").psnr + report.row("model", "setB").psnr) / 3
    assert model.psnr == pytest.approx(pooled)
    # Levin at 0 hints is the gray image; both methods are scored at every count.
    assert report.sweep_psnr("Levin 2004")[0] == pytest.approx(gray.psnr)
    assert report.sweep_psnr("model")[0] == pytest.approx(model.psnr)
    assert set(report.sweep_psnr("Levin 2004", "setB")) == {0, 1, 5}
    assert report.sweep_psnr("Levin 2004")[5] > gray.psnr  # true colours help

    paths = write_report(report, tmp_path / "out")
    assert [p.name for p in paths] == ["eval.md", "eval.json", "hints.png"]
    data = json.loads(paths[1].read_text())
    assert data["rows"][0]["method"] == "model" and len(data["sweep"]) == 3 * 3 * 3
    # The fixture network copies each hint into its own output: its error there is nil before propagation,
    # and propagation then adds nothing.
    assert set(report.hint_error) == {1, 5} and max(report.hint_error.values()) < 1e-3
    assert report.sweep_psnr("model, network only")[5] == pytest.approx(report.sweep_psnr("model")[5], abs=0.05)
    assert data["rows"][3]["dataset"] == "setB" and data["rows"][3]["frechet"] is None
    md = paths[0].read_text()
    assert "| setA | gray | 2 |" in md and "| all | model | 3 |" in md and "| 5 |" in md and "n/a" in md
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from trainer.card import card_metrics  # what `python -m trainer.card` writes into a model card
    card = card_metrics(data)
    assert card["rows"]["model/all"]["images"] == 3 and set(card["psnr_vs_hints"]["model"]) == {"0", "1", "5"}
    assert "psnr_minus_gray_db" in card["goals"] and "psnr_minus_levin_db" in card["goals"]
    assert set(card["hint_error_before_propagation"]) == {"1", "5"}
    assert card["eval_set"] == {"setA": "setA", "setB": "setB"}  # no absolute path of this machine
    assert set(card["goals"]["frechet_vs_gray_every_set"]["value"]) == {"setA"}  # setB: one photo, no FD
    second = card["goals"]["frechet_vs_gray_second_judge_every_set"]
    assert second["value"]["setA"] == pytest.approx(report.row("model", "setA").frechet2 / report.row(
        "gray", "setA").frechet2, abs=1e-3) and second["met"] == (second["value"]["setA"] < 1)
    assert "| Frechet (Lite2) |" in md
    casts = card["goals"]["cast_ab_every_set"]
    assert set(casts["value"]) == {"setA", "setB"} and casts["met"] == (max(casts["value"].values()) <= 3)
    assert "| Cast (ab) |" in md
    # The command replaces the evaluation's numbers and keeps what trainer.compare stored beside them.
    from trainer.card import main as card_main
    card_file = tmp_path / "m.json"
    card_file.write_text(json.dumps({"name": data.get("model") or "m", "metrics": {
        "per_set": {"validation": {"x": 1}}, "rows": {"stale": 1}}}))
    assert card_main([str(paths[1]), str(card_file)]) == 0
    written = json.loads(card_file.read_text())["metrics"]
    assert written["per_set"] == {"validation": {"x": 1}} and "stale" not in written["rows"]
