"""The preview renderer: a draft is the same colouring on a quarter of the pixels, and its refine skips the network."""
from __future__ import annotations

import numpy as np
import pytest

from desktop.preview import DRAFT_SCALE, PreviewRenderer
from engine.colorizer import Colorizer
from engine.hints import Hint
from engine_fixtures import gradient_image, make_test_model


@pytest.fixture
def colorizer(tmp_path, monkeypatch):
    make_test_model(tmp_path)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    return Colorizer()


def test_a_draft_is_half_size_and_its_refine_reuses_the_network(colorizer, monkeypatch):
    preview = np.dstack([gradient_image(240, 320)] * 3)
    r = PreviewRenderer(colorizer, preview, (480, 640), size=192)
    runs = []
    real = colorizer.predict
    monkeypatch.setattr(colorizer, "predict", lambda *a, **k: runs.append(1) or real(*a, **k))
    hints = [Hint(100, 200, "#2040ff", 2)]
    draft = r.render(hints, draft=True)
    assert draft.rgb.shape == (round(240 * DRAFT_SCALE), round(320 * DRAFT_SCALE), 3) and len(runs) == 1
    full = r.render(hints)
    assert full.rgb.shape == (240, 320, 3) and len(runs) == 1          # same inputs: no second network run
    # the draft shows the colours the refine does, at half the resolution
    small = full.rgb[::2, ::2].astype(int)
    assert np.abs(small - draft.rgb.astype(int)).mean() < 3
    r.render([Hint(10, 20, "#ff2000", 2)])
    assert len(runs) == 2                                               # new hints: the network runs again


def test_protect_regions_cost_one_plain_network_run_per_photo(colorizer, monkeypatch):
    from engine.regions import Region, mask_shape

    preview = np.dstack([gradient_image(240, 320)] * 3)
    r = PreviewRenderer(colorizer, preview, (480, 640), size=192)
    mask = np.zeros(mask_shape((480, 640)), np.uint8)
    mask[:, : mask.shape[1] // 3] = 255
    protect = Region(mask, "#808080", 1.0, "protect")
    runs = []
    real = colorizer.predict
    monkeypatch.setattr(colorizer, "predict", lambda *a, **k: runs.append(a[1] is None) or real(*a, **k))
    r.render([Hint(500, 200, "#2040ff", 2)], regions=[protect], draft=True)
    r.render([Hint(520, 200, "#2040ff", 2)], regions=[protect], draft=True)
    assert runs == [False, True, False]     # the hint-free run is made once, then reused across strokes
