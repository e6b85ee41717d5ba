"""How far one recolour dab tints a photo (trainer/hint_reach.py): the bound on the hint solve's reach."""

import numpy as np
import pytest

from engine import propagate
from engine.color import hex_to_lab
from tests.engine_fixtures import make_test_model
from tests.test_decoding_study import _photos  # flat colours with a rectangle


def test_the_dab_has_the_opposite_hue_and_at_least_the_set_chroma():
    from trainer.hint_reach import DAB_CHROMA, opposite_dab
    L = np.full((40, 60), 55, np.float32)
    ab = np.zeros((2, 40, 60), np.float32)
    ab[0], ab[1] = 6.0, 8.0                   # chroma 10, a warm hue
    dab = opposite_dab(L, ab, (400, 600))
    assert (dab.x, dab.y) == (300.0, 200.0)
    _, a, b = hex_to_lab(dab.color)
    assert np.hypot(a, b) > 0.9 * DAB_CHROMA
    assert (a * 6 + b * 8) / (np.hypot(a, b) * 10) < -0.98   # the opposite hue


def test_reach_is_measured_per_setting_on_cached_answers_and_put_back(tmp_path, monkeypatch):
    from engine.colorizer import Colorizer
    from trainer.hint_reach import measure, prepare
    make_test_model(tmp_path, follows_hints=False)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    col = Colorizer()
    cases = prepare(col, _photos(3))
    shipped = measure(col, cases)
    assert shipped["near"] > 2 * shipped["far"] and len(shipped["far_per_photo"]) == 3
    wide = measure(col, cases, {"LOCAL_DECAY": 1.0, "DECAY": 4.0})
    assert wide["far"] > shipped["far"] + 1.0
    assert propagate.LOCAL_DECAY == 0.1 and propagate.DECAY == 1.0   # a setting lasts only its run
    with pytest.raises(ValueError, match="unknown propagation settings: NOPE"):
        measure(col, cases, {"NOPE": 1})
