"""Silence what image libraries print on their own, so a bad file costs the user exactly one error line."""
from __future__ import annotations

import logging
import os
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

# tifffile logs every oddity it tolerates; without a handler Python prints them on stderr. Apps that
# configure logging still receive them through propagation.
logging.getLogger("tifffile").addHandler(logging.NullHandler())

_lock = threading.Lock()
_depth = 0
_saved: int | None = None
_enabled = True


def set_enabled(on: bool) -> None:
    """Whether decoding hides fd 2. The command line wants it (one line per bad file); a long-running app
    turns it off, because the redirect is process-wide and would swallow its other threads' warnings
    (Python logging, Qt) for as long as a big scan decodes."""
    global _enabled
    _enabled = bool(on)


def enabled() -> bool:
    return _enabled


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at the null device while C decoders run: libpng, libjpeg and OpenCV write
    warnings ("Corrupt JPEG data", "libpng error") straight to it, bypassing Python. Re-entrant and
    shared between threads: the first in redirects, the last out restores. Does nothing when disabled."""
    global _depth, _saved
    if not _enabled:
        yield
        return
    with _lock:
        if _depth == 0:
            _saved = _redirect()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                os.dup2(_saved, 2)
                os.close(_saved)
                _saved = None


def _redirect() -> int | None:
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no fd 2 (e.g. a windowed app on Windows): nothing to hide
        return None
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
    return saved
