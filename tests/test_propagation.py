"""Hint propagation (engine/propagate.py) through Colorizer.colorize, with a model that ignores hints."""
import numpy as np
import pytest

from engine.color import hex_to_lab, srgb_to_lab
from engine.colorizer import Colorizer
from engine.hints import Hint
from engine_fixtures import gradient_image, make_test_model

BLUE = "#3060d0"


@pytest.fixture(scope="module")
def blind_models(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    make_test_model(d, "blind", follows_hints=False)
    return d


@pytest.fixture
def blind(blind_models, monkeypatch):
    monkeypatch.setenv("TINTA_MODELS_DIR", str(blind_models))
    return Colorizer("blind")


def _correction(colorizer, image, hints, size):
    """|ab with hints - ab without| on the working grid: what the hints changed."""
    free = colorizer.colorize(image, size=size).ab_work
    hinted = colorizer.colorize(image, hints, size=size).ab_work
    return np.hypot(*(hinted - free))


def test_the_fixture_model_is_blind_to_hints(blind):
    job = blind.prepare(gradient_image(64, 96), [Hint(30, 20, BLUE, 3)], 96)
    with_hints = blind.predict(job.L_pad[None, None], job.hint_ab, job.hint_mask).ab
    without = blind.predict(job.L_pad[None, None]).ab
    np.testing.assert_array_equal(with_hints, without)


def test_hints_are_met_exactly_at_the_hinted_pixels(blind):
    image = gradient_image(192, 256)
    hints = [Hint(40, 150, "#2060c0", 2), Hint(200, 30, "#c04020", 2), Hint(128, 96, "#30a040", 1)]
    job = blind.prepare(image, hints, 128)  # the hint patches on the working grid, as the network gets them
    h, w = job.L_work.shape
    mask = job.hint_mask[0, 0, :h, :w] > 0
    want = job.hint_ab[0, :, :h, :w][:, mask]
    free = blind.colorize(image, size=128).ab_work[:, mask]
    assert np.hypot(*(free - want)).min() > 10  # the network alone is far from every hint
    np.testing.assert_allclose(blind.colorize(image, hints, size=128).ab_work[:, mask], want, atol=1e-3)
    # And in the full-resolution pixels, where the photo is flat around a hint.
    flat = np.full((96, 128), 120, np.uint8)
    rgb = blind.colorize(flat, [Hint(40, 48, BLUE, 2)], size=128).rgb
    got = srgb_to_lab(rgb[48:49, 40:41].astype(np.float32) / 255)[0, 0, 1:]
    assert np.hypot(*(got - hex_to_lab(BLUE)[1:])) < 1.5


def test_colour_stops_at_a_strong_luminance_edge(blind, monkeypatch):
    from engine import propagate
    monkeypatch.setattr(propagate, "GAIN_PRIOR", 0.0)  # the local spreading alone (the global gain is tested below)
    image = np.full((96, 128), 60, np.uint8)
    image[:, 64:] = 200  # a strong edge down the middle
    corr = _correction(blind, image, [Hint(20, 48, BLUE, 2)], 128)
    near, across = corr[:, 58:64].mean(), corr[:, 64:70].mean()
    assert near > 50 and across < 0.02 * near
    flat = _correction(blind, np.full((96, 128), 60, np.uint8), [Hint(20, 48, BLUE, 2)], 128)
    assert flat[:, 64:70].mean() > 0.8 * near  # without the edge, the hint reaches that far


def test_hint_influence_decays_with_distance(blind):
    flat = np.full((96, 256), 120, np.uint8)
    corr = _correction(blind, flat, [Hint(8, 48, BLUE, 2)], 256)
    along = [float(corr[48, x]) for x in (16, 64, 128, 192, 248)]
    assert all(a > b for a, b in zip(along, along[1:]))
    assert along[-1] < 0.9 * along[0]


def test_the_global_gain_follows_the_hints_chroma_magnitude_not_their_hue():
    from engine import propagate
    rng = np.random.default_rng(0)
    hue = rng.uniform(0, 2 * np.pi, 200)
    x = np.stack([np.cos(hue), np.sin(hue)]) * 20.0        # the network's chroma at 200 hinted pixels
    w = np.ones(200)
    gain = propagate.global_gain(x, 1.2 * x, w)              # the hints: the same hues, 1.2x as vivid
    assert gain == pytest.approx(1.2, abs=0.01)
    contrary = np.stack([-x[0], -x[1]])                      # the opposite hues at the same chroma
    assert propagate.global_gain(x, contrary, w) == pytest.approx(1.0, abs=0.01)
    assert propagate.global_gain(x, 0.1 * x, w) == propagate.GAIN_RANGE[0]   # never drains the photo
    assert propagate.global_gain(x, 5.0 * x, w) == propagate.GAIN_RANGE[1]   # nor floods it
    assert propagate.global_gain(x[:, :1], 1.2 * x[:, :1], w[:1]) < 1.15    # one pixel is weak evidence (1.1)


def test_a_recolour_says_nothing_about_the_photos_saturation():
    """A gray dab, or a vivid one of another hue, changes what it covers, not how vivid the rest of the photo is."""
    from engine import propagate
    x = np.stack([np.full(300, 18.0), np.full(300, 12.0)])  # a red-orange coat at 300 hinted pixels
    w = np.ones(300)
    assert propagate.global_gain(x, np.zeros_like(x), w) == pytest.approx(1.0)           # painted gray
    assert propagate.global_gain(x, np.stack([-x[1], x[0]]) * 3.0, w) == pytest.approx(1.0)  # vivid, at right angles
    assert propagate.global_gain(x, np.stack([x[0], -x[1]]) * 2.0, w) > 1.0  # a hue 67 degrees off has some say
    assert propagate.global_gain(x, 1.4 * x, w) == pytest.approx(1.4, abs=0.01)          # its own hue: full say


def test_a_hint_scales_the_chroma_beyond_an_edge_it_does_not_cross(blind):
    """What the local spreading stops at an edge, the global gain still reaches, as a scale of the model's chroma."""
    from engine import propagate
    from engine.color import lab_to_hex
    image = np.full((96, 128), 60, np.uint8)
    image[:, 64:] = 200
    free = blind.colorize(image, size=128).ab_work
    L = float(blind.prepare(image, None, 128).L_work[48, 20])
    paler = Hint(20, 48, lab_to_hex(L, *(0.8 * free[:, 48, 20])), 2)  # the same hue, 0.8x the chroma
    hinted = blind.colorize(image, [paler], size=128).ab_work
    ratio = np.hypot(*hinted[:, 40:56, 100:120]).mean() / np.hypot(*free[:, 40:56, 100:120]).mean()
    assert propagate.GAIN_RANGE[0] - 1e-3 <= ratio < 0.9


def test_dense_hints_lean_on_their_own_colours(blind, monkeypatch):
    """Many hints of one colour on a ramp: between them the answer is their colour more than the model's texture
    of colour (engine/propagate.py's LOCAL_WEIGHT), and it was not before."""
    from engine import propagate
    y, x = np.mgrid[0:96, 0:128].astype(np.float32)
    # Gentle texture, no edge: the model's chroma follows it (about 1.5 L* between neighbours).
    ramp = (120 + 25 * np.sin(x / 3.0) + 10 * y / 95).astype(np.uint8)
    hints = [Hint(float(hx), float(hy), BLUE, 1) for hx in range(8, 128, 24) for hy in range(8, 96, 24)]

    def off_blue(weight):
        monkeypatch.setattr(propagate, "LOCAL_WEIGHT", weight)
        ab = blind.colorize(ramp, hints, size=128).ab_work
        want = hex_to_lab(BLUE)[1:, None, None]
        # Not the hinted pixels themselves: they are exact either way.
        between = blind.prepare(ramp, hints, 128).hint_mask[0, 0, :96, :128] == 0
        return float(np.hypot(*(ab - want))[between].mean())

    leaning, alone = off_blue(propagate.LOCAL_WEIGHT), off_blue(0.0)
    assert alone > 5.0 and leaning < 0.75 * alone  # 36.8 and 23.9 ab


def test_spread_solves_each_channel_with_its_own_decay():
    """Channels solved together with a decay each equal each solved alone (the system is block-diagonal)."""
    from engine import propagate
    rng = np.random.default_rng(1)
    L = np.cumsum(rng.uniform(0, 4, (24, 32)), axis=1).astype(np.float32) % 100
    values = rng.normal(0, 20, (24, 32, 3)).astype(np.float32)
    conf = (rng.random((24, 32)) < 0.05).astype(np.float32)
    together = propagate.spread(L, values, conf, iterations=2000, decay=(1.0, 1.0, 0.05))
    first = propagate.spread(L, values[..., :2], conf, iterations=2000, decay=1.0)
    last = propagate.spread(L, values[..., 2:], conf, iterations=2000, decay=0.05)
    np.testing.assert_allclose(together, np.concatenate([first, last], axis=2), atol=0.25)
    assert np.abs(first[..., :1] - propagate.spread(L, values[..., :1], conf, iterations=2000, decay=0.05)).max() > 1


def test_a_stroke_leaves_the_photo_far_from_it_as_it_was(tmp_path, monkeypatch):
    """With a model that already meets the hints there is no residual to spread: what changes is the hints' own
    field, and it must stay near them (a recolour stroke is not a tint for the whole photo)."""
    make_test_model(tmp_path, "follows", follows_hints=True)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    follows = Colorizer("follows")
    y, x = np.mgrid[0:96, 0:256].astype(np.float32)
    ramp = (60 + 120 * x / 255 + 20 * y / 95).astype(np.uint8)  # no edge to stop anything
    stroke = [Hint(float(hx), 48.0, BLUE, 2) for hx in range(8, 40, 4)]
    free = follows.colorize(ramp, size=256).ab_work
    change = np.hypot(*(follows.colorize(ramp, stroke, size=256).ab_work - free))
    assert change[:, 40:56].mean() > 10          # next to the stroke its colour holds
    assert change[:, 192:].max() < 1.0           # a photo's length away, nothing moves


def test_spread_solves_the_screened_edge_weighted_system():
    """spread's answer is the solution of (Lap + mu I + lambda diag(c)) u = lambda c r, with the Laplacian of the
    8-neighbour graph written out here edge by edge (the engine's own product reads flat shifted slices)."""
    from engine import propagate
    rng = np.random.default_rng(2)
    h, w = 7, 9
    L = rng.uniform(0, 100, (h, w)).astype(np.float32)
    L[:, 5:] += 40                                          # an edge across which the pull is (near) zero
    values = rng.normal(0, 20, (h, w, 2)).astype(np.float32)
    conf = (rng.random((h, w)) < 0.3).astype(np.float32)
    decay = 0.3
    n = h * w
    A = np.zeros((n, n))
    for y in range(h):
        for x in range(w):
            for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
                y2, x2 = y + dy, x + dx
                if 0 <= y2 < h and 0 <= x2 < w:
                    d = float(L[y, x]) - float(L[y2, x2])
                    wt = np.exp(-d * d / (2 * propagate.SIGMA_L ** 2)) / (1.0 if dy == 0 or dx == 0 else 1.4142)
                    i, j = y * w + x, y2 * w + x2
                    A[i, i] += wt
                    A[j, j] += wt
                    A[i, j] -= wt
                    A[j, i] -= wt
    lam = propagate.HINT_WEIGHT * conf.ravel()
    A += np.diag(1.0 / (decay * max(h, w)) ** 2 + lam)
    want = np.linalg.solve(A, lam[:, None] * values.reshape(n, 2)).reshape(h, w, 2)
    got = propagate.spread(L, values, conf, iterations=500, decay=decay)
    np.testing.assert_allclose(got, want, atol=2e-3 * np.abs(want).max())


def test_edge_weights_hold_no_subnormal_floats():
    """Across a strong edge the pull is flushed to 0: a subnormal float makes every product of the solve ~10x slower."""
    from engine import propagate
    L = np.zeros((64, 16), np.float32)
    L[:, 8:] = np.linspace(24, 30, 64)[:, None]             # steps of 24-30 L*: weights from 5e-32 down to 0
    weights = np.stack(propagate._edge_weights(L))
    tiny = np.finfo(np.float32).tiny
    assert not ((weights > 0) & (weights < tiny)).any()
    assert (weights > 0).sum() > weights.size // 2          # the flat parts still pull


def test_hints_reach_farther_where_the_network_gave_no_colour(monkeypatch):
    """A dab fills a region the model left gray farther than one it coloured (engine/propagate.py, REACH_GRAY); the
    coloured region keeps exactly the reach it had."""
    from engine import propagate
    L = np.full((64, 256), 50, np.float32)
    mask = np.zeros((64, 256), np.float32)
    mask[30:35, 4:9] = 1
    hint_ab = np.zeros((2, 64, 256), np.float32)
    hint_ab[1][mask > 0] = -40
    gray = np.zeros((2, 64, 256), np.float32)
    vivid = gray.copy()
    vivid[0] = 30  # a hue at right angles to the hint's, so the global gain leaves it alone

    def far_off_hint(ab_work, reach):
        """How far from the hint's colour the answer is, half a photo away."""
        monkeypatch.setattr(propagate, "REACH_GRAY", reach)
        out = propagate.follow_hints(L, ab_work, hint_ab, mask)
        return float(np.hypot(out[0], out[1] + 40)[:, 120:136].mean())

    assert propagate.REACH_GRAY > 0
    assert far_off_hint(gray, propagate.REACH_GRAY) < 0.5 * far_off_hint(gray, 0.0)  # 0.7 and 5.5 ab
    assert far_off_hint(vivid, propagate.REACH_GRAY) == pytest.approx(far_off_hint(vivid, 0.0), abs=1e-4)


def test_spread_takes_a_decay_map_per_pixel():
    """A decay map screens each pixel by its own reach: a constant map is that number, and a longer reach on one
    side carries the value farther there."""
    from engine import propagate
    L = np.full((32, 96), 50, np.float32)
    conf = np.zeros((32, 96), np.float32)
    conf[14:18, 46:50] = 1
    values = np.zeros((32, 96, 1), np.float32)
    values[14:18, 46:50] = 10
    scalar = propagate.spread(L, values, conf, iterations=2000, decay=[0.05])
    np.testing.assert_allclose(propagate.spread(L, values, conf, iterations=2000, decay=[np.full((32, 96), 0.05)]),
                               scalar, atol=1e-3)
    sided = np.full((32, 96), 0.05, np.float32)
    sided[:, 48:] = 0.5
    u = propagate.spread(L, values, conf, iterations=2000, decay=[sided])[16, :, 0]
    assert u[80] > 3 * u[15] and u[15] == pytest.approx(scalar[16, 15, 0], rel=0.5)
