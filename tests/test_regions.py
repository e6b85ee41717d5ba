"""Regions as masks: edge snapping, colour layers that keep L, protected areas that hints do not change, storage."""
import json

import numpy as np
import pytest

from engine import color
from engine.colorizer import Colorizer
from engine.hints import Hint
from engine.regions import MASK_LONG_SIDE, Region, apply_regions, mask_shape, snap_mask
from engine_fixtures import gradient_image, make_test_model


@pytest.fixture
def blind(tmp_path, monkeypatch):
    """A model that ignores hints: whatever a hint changes is the engine's spreading (engine/propagate.py)."""
    make_test_model(tmp_path, follows_hints=False)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    return Colorizer()


def _two_tone(h=256, w=256, edge=128):
    L = np.full((h, w), 80.0, np.float32)
    L[:, edge:] = 20.0
    return L


def _painted(h, w, x0, x1, y0=60, y1=200):
    m = np.zeros((h, w), np.uint8)
    m[y0:y1, x0:x1] = 255
    return m


def test_snap_stops_an_overshooting_stroke_at_the_edge():
    L = _two_tone()
    raw = _painted(256, 256, 60, 132)            # 4 px past the edge at x = 128
    snapped = snap_mask(raw, L).astype(np.float32) / 255
    rows = slice(90, 170)
    assert snapped[rows, 129:132].max() < 0.1    # the dark side it spilled onto is dropped
    assert snapped[rows, 100:128].min() > 0.9    # the bright side is kept to the edge
    assert snapped[rows, 150:].max() == 0.0


def test_snap_grows_a_short_stroke_to_the_edge():
    L = _two_tone()
    raw = _painted(256, 256, 60, 124)            # 4 px short of the edge
    snapped = snap_mask(raw, L).astype(np.float32) / 255
    rows = slice(90, 170)
    assert snapped[rows, 124:128].min() > 0.8
    assert snapped[rows, 128:].max() < 0.1


def test_snap_keeps_a_thin_stroke_and_an_empty_one():
    L = _two_tone()
    thin = _painted(256, 256, 40, 44)
    assert snap_mask(thin, L)[100:160, 41:43].min() == 255
    assert not snap_mask(np.zeros((256, 256), np.uint8), L).any()
    with pytest.raises(ValueError):
        snap_mask(thin, L[:100])


def test_colour_region_sets_chroma_and_keeps_luminance(blind):
    img = gradient_image(120, 160)
    mask = np.zeros(mask_shape(img.shape), np.uint8)
    mask[10:60, 90:150] = 255
    region = Region(mask, "#2f6fb0")
    plain = blind.colorize(img, size=80)
    res = blind.colorize(img, size=80, regions=[region])
    L_in = color.luminance(img)
    assert np.abs(color.luminance(res.rgb) - L_in).max() <= 0.6    # 8-bit rounding only
    lab = color.srgb_to_lab(res.rgb.astype(np.float32) / 255)
    _, ca, cb = color.hex_to_lab("#2f6fb0")
    inner = lab[20:50, 100:140]
    assert np.abs(inner[..., 1] - ca).max() < 2.5 and np.abs(inner[..., 2] - cb).max() < 2.5
    # Outside the region (away from its edge) nothing changed.
    assert np.array_equal(res.rgb[80:, :60], plain.rgb[80:, :60])


def test_opacity_blends_and_hidden_changes_nothing():
    ab = np.zeros((2, 10, 10), np.float32)
    mask = np.full((10, 10), 255, np.uint8)
    _, ca, cb = color.hex_to_lab("#c04030")
    half = apply_regions(ab, [Region(mask, "#c04030", opacity=0.5)])
    assert np.allclose(half[:, 5, 5], [ca / 2, cb / 2], atol=1e-4)
    assert np.array_equal(apply_regions(ab, [Region(mask, "#c04030", visible=False)]), ab)
    # A protect region above a colour layer puts the chroma under both back.
    assert np.array_equal(apply_regions(ab, [Region(mask, "#c04030"), Region(mask, kind="protect")]), ab)


def test_protect_region_stops_a_nearby_hint(blind):
    img = gradient_image(120, 160)
    mask = np.zeros(mask_shape(img.shape), np.uint8)
    mask[:, :70] = 255                                     # the left part of the photo, kept as it is
    protect = Region(mask, kind="protect")
    hint = [Hint(85, 60, "#20a040", radius=3)]              # just right of it
    before = blind.colorize(img, size=80, regions=[protect]).rgb
    after = blind.colorize(img, size=80, hints=hint, regions=[protect]).rgb
    unprotected = blind.colorize(img, size=80, hints=hint).rgb
    inner = (slice(None), slice(0, 60))
    assert np.array_equal(after[inner], before[inner])
    # Without the protection the hint's colour does spread there, so the comparison means something.
    assert np.abs(unprotected[inner].astype(int) - before[inner].astype(int)).max() > 10
    # and the hint still colours its own side.
    assert np.abs(after[50:70, 80:90].astype(int) - before[50:70, 80:90].astype(int)).max() > 10


def test_protect_keeps_the_model_colours_with_a_hint_aware_network(tmp_path, monkeypatch):
    make_test_model(tmp_path)                                # copies hints into its output
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    c = Colorizer()
    img = gradient_image(120, 160)
    mask = np.zeros(mask_shape(img.shape), np.uint8)
    mask[30:90, 30:110] = 255
    protect = Region(mask, kind="protect")
    hint = [Hint(70, 60, "#20a040", radius=3)]              # inside: the network itself would take it
    before = c.colorize(img, size=80, regions=[protect]).rgb
    after = c.colorize(img, size=80, hints=hint, regions=[protect]).rgb
    assert np.array_equal(after[45:75, 45:95], before[45:75, 45:95])


def test_region_storage_is_small_and_exact():
    h, w = mask_shape((3000, 4000))
    assert max(h, w) == MASK_LONG_SIDE
    yy, xx = np.mgrid[0:h, 0:w]
    mask = snap_mask(((yy - 200) ** 2 + (xx - 260) ** 2 < 90 ** 2).astype(np.uint8) * 255,
                     (40 + 30 * np.sin(xx / 20.0)).astype(np.float32))
    r = Region(mask, "#AA3322", 0.7, "colour", False)
    text = json.dumps(r.to_json())
    assert len(text) < 12_000
    back = Region.from_json(json.loads(text))
    assert np.array_equal(back.mask, r.mask) and (back.color, back.opacity, back.kind, back.visible) == \
        ("#aa3322", 0.7, "colour", False)


@pytest.mark.parametrize("bad, why", [
    ({"mask": "%%%"}, "base64"),
    ({"mask": ""}, "8-bit gray PNG"),
    ({"mask": Region(np.ones((4, 4), np.uint8)).to_json()["mask"], "kind": "paint"}, "kind"),
    ({"mask": Region(np.ones((4, 4), np.uint8)).to_json()["mask"], "opacity": 2}, "opacity"),
    ("region", "object"),
])
def test_bad_region_json_names_the_problem(bad, why):
    with pytest.raises(ValueError, match=why):
        Region.from_json(bad)


def test_session_keeps_regions_and_stays_small(tmp_path):
    from engine.session import Session, load_session, save_session

    photo = tmp_path / "p.jpg"
    h, w = mask_shape((2400, 3200))
    masks = []
    for i in range(6):
        m = np.zeros((h, w), np.uint8)
        m[40 + 50 * i:120 + 50 * i, 30 + 60 * i:200 + 60 * i] = 255
        masks.append(m)
    regions = [Region(m, "#30a0c0", 0.5 + 0.05 * i, "protect" if i == 2 else "colour", i != 4)
               for i, m in enumerate(masks)]
    path = save_session(photo, Session(regions=regions))
    assert path.stat().st_size < 8_000
    back = load_session(path).regions
    assert [(r.kind, r.visible, r.opacity) for r in back] == [(r.kind, r.visible, r.opacity) for r in regions]
    assert all(np.array_equal(a.mask, b.mask) for a, b in zip(back, regions))
