"""Kept answers (engine/kept.py): found by the arrays' contents and shapes, the least recently used dropped first."""
import numpy as np

from engine.kept import Kept


def test_keys_follow_contents_shape_and_dtype():
    a = np.arange(6, dtype=np.float32)
    assert Kept.key(a) == Kept.key(a.copy())
    assert Kept.key(a) != Kept.key(a.reshape(2, 3))
    assert Kept.key(a) != Kept.key(a.astype(np.float64))
    assert Kept.key(a, a) != Kept.key(a)
    b = a.copy()
    b[3] += 1
    assert Kept.key(a) != Kept.key(b)
    assert Kept.key(a.reshape(2, 3).T) == Kept.key(np.ascontiguousarray(a.reshape(2, 3).T))


def test_the_least_recently_used_answer_goes_first():
    kept = Kept(2)
    kept.put(b"a", 1)
    kept.put(b"b", 2)
    assert kept.get(b"a") == 1       # a is now the most recent
    kept.put(b"c", 3)                # so b goes
    assert kept.get(b"b") is None and kept.get(b"a") == 1 and kept.get(b"c") == 3
    kept.clear()
    assert kept.get(b"a") is None
