"""Where the model is unsure (engine/uncertainty.py): the map, likely colours at a point, hint suggestions."""
import numpy as np
import pytest

from engine import color, uncertainty
from engine.colorizer import Colorizer
from engine.errors import ModelError
from engine.hints import Hint
from engine_fixtures import gradient_image, make_test_model

GRID_BINS = np.array([[a, b] for a in range(-40, 50, 10) for b in range(-40, 50, 10)], np.float32)  # 81 bins


def _one_hot(k, shape, K=len(GRID_BINS)):
    p = np.zeros((K, *shape), np.float32)
    p[k] = 1.0
    return p


def _spread(shape, far=(0, 80)):
    """Half the mass on each of two far-apart bins: very unsure, and wrong by a lot either way."""
    p = np.zeros((len(GRID_BINS), *shape), np.float32)
    p[far[0]] = p[far[1]] = 0.5
    return p


@pytest.fixture
def colorizer(tmp_path, monkeypatch):
    make_test_model(tmp_path)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    return Colorizer()


def test_entropy_is_zero_for_one_bin_and_one_for_uniform():
    K = len(GRID_BINS)
    assert np.allclose(uncertainty.entropy(_one_hot(3, (2, 2))), 0.0, atol=1e-5)
    assert np.allclose(uncertainty.entropy(np.full((K, 2, 3), 1.0 / K, np.float32)), 1.0, atol=1e-5)
    assert uncertainty.entropy(np.ones((1, 4, 4), np.float32)).max() == 0.0


def test_map_has_the_photo_size_and_follows_its_edges():
    # Working grid 32 x 64 (photo 64 x 128): certain left of working x = 32 (a prob cell boundary),
    # unsure right of it; the photo's luminance edge is at full x = 56 (working 28), left of it.
    work = (32, 64)
    p = _one_hot(40, (8, 16))
    p[:, :, 8:] = _spread((8, 8))
    L_full = np.where(np.arange(128)[None, :] < 56, 30.0, 70.0).astype(np.float32).repeat(64, 0)
    edge = uncertainty.uncertainty_map(p, work, L_full)
    plain = uncertainty.uncertainty_map(p, work, full_shape=(64, 128))
    assert edge.shape == plain.shape == (64, 128) and edge.dtype == np.float32
    assert 0.0 <= edge.min() and edge.max() <= 1.0
    assert edge[:, :50].max() < 1e-3 and edge[:, 100:].min() == pytest.approx(np.log(2) / np.log(81), abs=0.01)
    # Edge-aware, the unsure side starts at the photo's edge; bilinear, only at the cell boundary.
    assert edge[:, 50:55].max() < 1e-3 and edge[:, 56:59].min() > 5e-3
    assert plain[:, 56:59].max() < 1e-3
    with pytest.raises(ValueError):
        uncertainty.uncertainty_map(p, work)


def test_likely_colours_merge_neighbouring_bins_and_rank_by_probability():
    i, j = 40, 41           # (0, 0) and (0, 10): neighbours on the grid
    far = 80                # (40, 40)
    p = np.zeros(len(GRID_BINS), np.float32)
    p[i], p[j], p[far] = 0.3, 0.3, 0.4
    top = uncertainty.likely_colours(p, GRID_BINS, 60.0, k=3)
    # Bin by bin the far colour (0.4) would come first; merged, the pair (0.6) does.
    assert [round(c.probability, 3) for c in top] == [0.6, 0.4]
    assert (top[0].a, top[0].b) == pytest.approx((0.0, 5.0))
    assert top[0].hex == color.lab_to_hex(60.0, 0.0, 5.0)
    assert top[1].hex == color.lab_to_hex(60.0, 40.0, 40.0)
    assert all(0.0 <= v <= 1.0 for v in top[0].rgb)
    assert len(uncertainty.likely_colours(p, GRID_BINS, 60.0, k=1)) == 1
    with pytest.raises(ValueError, match="classes"):
        uncertainty.likely_colours(p[:10], GRID_BINS, 60.0)


def _suggest(prob, L_work, n=3, **kw):
    return uncertainty.suggest_hints(prob, GRID_BINS, L_work, (L_work.shape[0] * 2, L_work.shape[1] * 2), n, **kw)


def test_suggestions_go_to_the_large_unsure_region_one_per_region():
    # A 64 x 128 working photo: a large unsure region on the right, a small unsure patch at the
    # top left, and certain elsewhere; every unsure cell is equally unsure.
    L = np.full((64, 128), 50.0, np.float32)
    L[:, 64:] = 75.0           # the large region is its own luminance region
    L[4:12, 4:12] = 20.0       # and so is the small patch
    p = _one_hot(40, (16, 32))
    p[:, :, 16:] = _spread((16, 16))
    p[:, 1:3, 1:3] = _spread((2, 2))
    first = _suggest(p, L, 1)[0]
    assert first.x >= 128 and first.uncertainty > 0.1  # full-image pixels: the photo is 128 x 256
    assert _suggest(p, L, 1, gather="error")[0].x >= 128  # gathering the expected ab error instead
    with pytest.raises(ValueError, match="gather"):
        _suggest(p, L, 1, gather="mystery")
    many = _suggest(p, L, 8)
    assert len(many) == 8 and (many[0].x, many[0].y) == (first.x, first.y)
    assert [s.gain for s in many] == sorted((s.gain for s in many), reverse=True)
    pts = np.array([(s.x, s.y) for s in many], float)
    d = np.hypot(*(pts[:, None] - pts[None]).transpose(2, 0, 1))
    assert d[np.triu_indices(8, 1)].min() >= uncertainty.MIN_DISTANCE * 256 * 0.9  # never clustered
    # The small patch (full x, y 8..24) gets one of its own, after the large region's first few,
    # and none goes to the certain part.
    patch = [i for i, s in enumerate(many) if s.x < 32 and s.y < 32]
    assert len(patch) == 1 and patch[0] >= 2
    assert all(s.x >= 128 for i, s in enumerate(many) if i != patch[0])


def test_suggestions_avoid_existing_hints_and_near_black():
    L = np.full((64, 128), 50.0, np.float32)
    L[:, :64] = 3.0                    # the left half is nearly black
    p = _spread((16, 32))               # equally unsure everywhere
    first = _suggest(p, L, 1)[0]
    assert first.x >= 128              # chroma hardly shows on black, so the mid-gray half comes first
    hinted = [(first.x, first.y)]
    again = _suggest(p, L, 1, hinted=hinted)[0]
    assert np.hypot(again.x - first.x, again.y - first.y) >= uncertainty.MIN_DISTANCE * 256 * 0.9
    assert _suggest(p, L, 0) == []


def test_colorizer_gives_the_map_likely_colours_and_suggestions(colorizer):
    img = gradient_image(90, 120)
    res = colorizer.colorize(img, size=64)
    assert res.luminance is None
    m = colorizer.uncertainty(res)
    assert m.shape == (90, 120) and m.dtype == np.float32 and 0.0 <= m.min() <= m.max() <= 1.0
    L = res.luminance  # the result's L*, made once for the map and kept for the suggestions
    np.testing.assert_array_equal(L, color.luminance(res.rgb))
    assert m.std() > 0.01  # the tiny model's distribution depends on L, so does its entropy
    top = colorizer.likely_colours(res, 30, 40, k=3)
    assert 1 <= len(top) <= 3 and [c.probability for c in top] == sorted((c.probability for c in top), reverse=True)
    assert colorizer.likely_colors(res, 30, 40, k=3) == [(c.hex, c.probability) for c in top]
    sugg = colorizer.suggest_hints(res, 3)
    assert res.luminance is L
    assert 1 <= len(sugg) <= 3 and all(0 <= s.x < 120 and 0 <= s.y < 90 for s in sugg)
    later = colorizer.suggest_hints(res, 1, hints=[Hint(sugg[0].x, sugg[0].y, "#808080")])
    assert (later[0].x, later[0].y) != (sugg[0].x, sugg[0].y)
    with pytest.raises(ValueError, match="outside"):
        colorizer.likely_colours(res, 120, 0)
    res.prob = res.inputs = None  # as a variant's result: no distribution of its own, none to make
    with pytest.raises(ModelError, match="no colour distribution"):
        colorizer.uncertainty(res)
