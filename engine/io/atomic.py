"""Atomic file writes: a temp file in the destination's folder, fsync, then rename over the destination."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PART_SUFFIX = ".part"  # BatchLock sweeps `.*.part` left by killed runs, so every temp name must match
_UMASK = os.umask(0o22)
os.umask(_UMASK)  # mkstemp makes 0600 files; outputs get the usual permissions instead


@contextmanager
def atomic_path(path) -> Iterator[str]:
    """Yield a temp path beside `path` for a writer that takes a filename; on success it becomes `path`.

    The rename happens only after the data is on disk, so a crash or a full disk leaves either the old file
    or the new one, never half of one. OSError (read-only folder, disk full) propagates after cleanup.
    """
    p = Path(path)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=PART_SUFFIX)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)
        _fsync_file(tmp)
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(p.parent)


def write_atomic(path, data: bytes | str) -> None:
    """Write bytes (or UTF-8 text) to `path` atomically; raises OSError."""
    blob = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(blob)


def _fsync_file(path: str) -> None:
    # r+b, not rb: Windows refuses to flush a handle opened read-only.
    with open(path, "r+b") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable where the OS allows it (POSIX); best effort."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
