"""Kept answers: a network part's last few results, found again by a digest of the arrays it was given."""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np


class Kept:
    """The last `keep` answers by key, least recently used dropped first; safe to share between threads (the app
    renders off the GUI thread while a stroke asks again)."""

    def __init__(self, keep: int):
        self.keep = int(keep)
        self._answers: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(*arrays: np.ndarray) -> bytes:
        """A digest of the arrays' shapes and contents: equal inputs, equal keys."""
        digest = hashlib.blake2b(digest_size=16)
        for a in arrays:
            a = np.ascontiguousarray(a)
            digest.update(repr((a.shape, a.dtype.str)).encode())
            digest.update(a.data)
        return digest.digest()

    def get(self, key: bytes):
        """The answer kept for key, or None."""
        with self._lock:
            hit = self._answers.get(key)
            if hit is not None:
                self._answers.move_to_end(key)
            return hit

    def put(self, key: bytes, answer) -> None:
        with self._lock:
            self._answers[key] = answer
            self._answers.move_to_end(key)
            while len(self._answers) > self.keep:
                self._answers.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
