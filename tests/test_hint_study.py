"""The hint-following study (trainer/hint_study.py): engine settings scored against Levin on the same hints."""

import numpy as np
import pytest

pytest.importorskip("scipy")

from engine import propagate  # noqa: E402
from tests.engine_fixtures import make_test_model  # noqa: E402
from tests.test_decoding_study import _photos  # noqa: E402  (flat colours with a rectangle, in named sets)


def test_settings_are_scored_on_cached_network_answers_and_put_back(tmp_path, monkeypatch):
    from engine.colorizer import Colorizer
    from trainer.hint_study import levin_means, prepare, score_photos

    def score(col, cases, settings=None):  # mean PSNR per hint count
        return {n: np.mean(v) for n, v in score_photos(col, cases, settings).items()}
    make_test_model(tmp_path, follows_hints=False)  # the network ignores hints: only the solve spreads them
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    col = Colorizer()
    cases = prepare(col, _photos(3), counts=(1, 20))
    assert len(cases) == 6 and all(np.isfinite(c["levin"]) for c in cases)
    lev = levin_means(cases)
    assert lev[20] > lev[1]
    before = propagate.SIGMA_L
    shipped = score(col, cases)
    unspread = score(col, cases, {"ITERATIONS": 0, "FINE_ITERATIONS": 0})  # hints pinned, spread nowhere
    assert shipped[20] > unspread[20] + 1.0 and shipped[20] > shipped[1]
    assert propagate.SIGMA_L == before and propagate.ITERATIONS > 0  # a setting lasts only its run
    with pytest.raises(ValueError, match="unknown propagation settings: NOPE"):
        score(col, cases, {"NOPE": 1})


def test_paired_differences_are_taken_photo_by_photo():
    from trainer.hint_study import paired
    old = [20.0, 30.0, 25.0, 22.0]
    p = paired(old, [x + 0.5 for x in old])  # the same gain on every photo: no spread, however far apart they are
    assert p["mean"] == pytest.approx(0.5) and p["low"] == pytest.approx(0.5) and p["high"] == pytest.approx(0.5)
    assert p["share_above"] == 1.0
    mixed = paired(old, [20.4, 29.8, 25.3, 21.9])
    assert mixed["low"] < mixed["mean"] < mixed["high"] and 0 < mixed["share_above"] < 1
    with pytest.raises(ValueError, match="same photos"):
        paired(old, old[:3])


def test_by_group_means_each_groups_own_photos():
    from trainer.hint_study import by_group

    photos = ["cities/a.jpg", "faces/b.jpg", "cities/c.jpg"]
    got = by_group(photos, {5: [-1.0, 2.0, 0.0], 10: [1.0, 4.0, 3.0]})
    assert got == {"cities": {5: -0.5, 10: 2.0}, "faces": {5: 2.0, 10: 4.0}}
