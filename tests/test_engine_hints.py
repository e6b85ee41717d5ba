"""Hints files: loading, clear errors, and conversion to network inputs."""
import json

import numpy as np
import pytest

from engine.color import hex_to_lab
from engine.errors import HintError
from engine.hints import Hint, hints_to_inputs, load_hints


def _write(tmp_path, data, name="h.json"):
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return p


def test_load_good_file(tmp_path):
    p = _write(tmp_path, {"hints": [{"x": 120, "y": 64, "color": "#A0522D", "radius": 3}, {"x": 1, "y": 2, "color": "#00ff00"}]})
    hints = load_hints(p, (100, 200))
    assert hints == [Hint(120.0, 64.0, "#a0522d", 3), Hint(1.0, 2.0, "#00ff00", 2)]


@pytest.mark.parametrize("content, words", [
    ("{not json", "malformed JSON at line 1"),
    ({"hint": []}, "expected a JSON object"),
    ({"hints": [{"x": 1, "color": "#000000"}]}, "hint 1 lacks y"),
    ({"hints": [{"x": 1, "y": 1, "color": "red"}]}, "'#rrggbb'"),
    ({"hints": [{"x": -1, "y": 1, "color": "#000000"}]}, "non-negative"),
    ({"hints": [{"x": 1, "y": 1, "color": "#000000", "radius": 1.5}]}, "radius"),
    ({"hints": [{"x": 1, "y": 1, "color": "#000000"}, {"x": 300, "y": 1, "color": "#000000"}]},
     "hint 2 at (300, 1) is outside the 200x100 image"),
])
def test_bad_files_give_one_clear_line(tmp_path, content, words):
    p = _write(tmp_path, content)
    with pytest.raises(HintError) as info:
        load_hints(p, (100, 200))
    msg = str(info.value)
    assert msg.startswith(str(p)) and words in msg and "\n" not in msg


def test_missing_file(tmp_path):
    with pytest.raises(HintError, match="does not exist"):
        load_hints(tmp_path / "nope.json")


def test_hints_to_inputs_places_patch_at_mapped_position():
    hints = [Hint(x=399, y=0, color="#a0522d", radius=2)]
    ab, mask = hints_to_inputs(hints, full_shape=(200, 400), work_shape=(50, 100), padded_shape=(64, 128))
    assert ab.shape == (1, 2, 64, 128) and mask.shape == (1, 1, 64, 128)
    assert ab.dtype == np.float32 and mask.dtype == np.float32
    ys, xs = np.nonzero(mask[0, 0])
    # x 399 of 400 maps to working column 99 (the last real one); the patch is clipped at the image edge.
    assert xs.min() == 97 and xs.max() == 99 and ys.min() == 0 and ys.max() == 2
    _, a, b = hex_to_lab("#a0522d")
    assert np.allclose(ab[0, 0][mask[0, 0] == 1], a) and np.allclose(ab[0, 1][mask[0, 0] == 1], b)
    assert not ab[:, :, mask[0, 0] == 0].any()
