"""The decoding study (trainer/decoding_study.py) and the per-set comparison (trainer/compare.py)."""
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from engine.decoding import Decoding  # noqa: E402
from trainer import compare  # noqa: E402
from trainer.decoding_study import ALL, Candidate, annealed, choose, score_candidates, summarise  # noqa: E402
from tests.engine_fixtures import BINS, make_test_model  # noqa: E402


def test_annealed_mean_from_the_softmax_goes_from_mean_to_mode():
    bins = np.array([[0, 0], [50, 0], [0, 50]], np.float32)
    prob = np.array([0.5, 0.3, 0.2], np.float32).reshape(1, 3, 1, 1)
    assert np.allclose(annealed(prob, bins, 1.0, (1, 1))[0, :, 0, 0], [15, 10], atol=1e-4)
    assert np.allclose(annealed(prob, bins, 0.01, (1, 1))[0, :, 0, 0], [0, 0], atol=1e-3)
    assert annealed(prob, bins, 0.38, (4, 8)).shape == (1, 2, 4, 8)


def _summary(fd, colour, psnr):
    return {"fd_ratio_mean": fd, "colourfulness_ratio": colour, "psnr_minus_gray": psnr}


def test_choice_is_the_lowest_fd_among_colourful_enough_decodings_that_keep_psnr():
    s = {"pale": _summary(0.5, 0.6, 2.0), "worse psnr": _summary(0.55, 0.9, -0.1),
         "ok": _summary(0.7, 0.8, 0.5), "ok but further": _summary(0.8, 0.9, 1.0)}
    assert choose(s, list(s)) == "ok"
    assert choose({"pale": s["pale"]}, ["pale"]) == "pale"  # nothing qualifies: still the best FD
    # within 0.005 of the lowest FD the most colourful wins; beyond it, FD decides
    t = {"floor": _summary(0.634, 0.71, 2.3), "tied": _summary(0.636, 0.75, 2.1), "far": _summary(0.647, 0.87, 1.5)}
    assert choose(t, list(t)) == "tied"
    assert choose({**t, "tied": _summary(0.640, 0.75, 2.1)}, list(t)) == "floor"


def _photos(n=4):
    from trainer.evaluate import photo_from_rgb
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        img = np.zeros((48, 64, 3), np.uint8)
        img[:] = rng.integers(30, 220, 3)
        img[10:30, 20:50] = rng.integers(30, 220, 3)
        out.append(photo_from_rgb(img, "setA" if i < 2 else "setB", Path(f"p{i}.png")))
    return out


def test_study_scores_every_decoding_per_group_against_gray(tmp_path, monkeypatch):
    from engine.colorizer import Colorizer
    make_test_model(tmp_path)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    col = Colorizer()
    cands = [Candidate("annealed", Decoding("annealed")), Candidate("reg x2", Decoding("regression", reg_gain=2.0))]
    res = score_candidates(col, _photos(), cands, log=lambda m: None)
    assert set(res) == {"gray", "annealed", "reg x2"} and set(res["gray"]) == {"setA", "setB", ALL}
    assert res["gray"][ALL]["colourfulness"] == 0 and res["gray"][ALL]["images"] == 4
    # the fixture's regression head is its ab: twice the gain, (about) twice the colourfulness
    assert res["reg x2"][ALL]["colourfulness"] > 1.5 * res["annealed"][ALL]["colourfulness"] > 0
    s = summarise(res)
    assert s["gray"]["fd_ratio_mean"] == pytest.approx(1.0) and s["gray"]["colourfulness_ratio"] == 0
    rows = compare.set_rows({"result": res}, "reg x2")
    assert rows[ALL]["fd_ratio"] == pytest.approx(s["reg x2"]["fd_ratio"][ALL], abs=1e-3)
    table = compare.table([("x2", rows)])
    assert "| setA | 2 |" in table and "| all | 4 |" in table
    assert len(BINS) == col.card.bins.shape[0]
