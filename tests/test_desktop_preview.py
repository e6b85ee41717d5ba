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


def test_a_refine_skips_the_hint_solve_and_new_regions_do_not(colorizer, monkeypatch):
    """The draft's hint solve and guided-filter coefficients serve its refine (only the render's size differs);
    anything that changes the chroma (hints, vividness, regions) solves again."""
    from engine import propagate
    from engine.regions import Region, mask_shape

    preview = np.dstack([gradient_image(240, 320)] * 3)
    r = PreviewRenderer(colorizer, preview, (480, 640), size=192)
    solves = []
    real = propagate.follow_hints
    monkeypatch.setattr(propagate, "follow_hints", lambda *a: solves.append(1) or real(*a))
    hints = [Hint(100, 200, "#2040ff", 2)]
    draft = r.render(hints, draft=True)
    full = r.render(hints)
    assert len(solves) == 1 and full.ab_work is draft.ab_work
    fresh = PreviewRenderer(colorizer, preview, (480, 640), size=192).render(hints)   # nothing cached
    np.testing.assert_array_equal(fresh.rgb, full.rgb)
    assert len(solves) == 2
    r.render(hints, vividness=1.3)
    assert len(solves) == 3
    mask = np.zeros(mask_shape((480, 640)), np.uint8)
    mask[:, :40] = 255
    region = Region(mask, "#20c040", 1.0)
    coloured = r.render(hints, vividness=1.3, regions=[region])
    assert len(solves) == 4 and not np.array_equal(coloured.rgb, full.rgb)
    r.render(hints, vividness=1.3, regions=[region], draft=True)
    assert len(solves) == 4
    recoloured = r.render(hints, vividness=1.3, regions=[Region(mask, "#c02080", 1.0)])   # same count, new region
    assert len(solves) == 5 and not np.array_equal(recoloured.rgb, coloured.rgb)
