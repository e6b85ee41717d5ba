"""Off-GUI-thread jobs: a QRunnable that reports progress, result, error or cancellation by signal."""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised inside a job when its token was cancelled."""


class CancelToken:
    """A thread-safe flag that the GUI sets and the job polls between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()


class JobSignals(QObject):
    """Signals of one job; created in the GUI thread so slots run there (queued connections)."""

    progress = Signal(float)    # fraction done, 0..1
    result = Signal(object)     # whatever the job's function returned
    error = Signal(str)         # one-line message for the user
    cancelled = Signal()
    finished = Signal()         # always last, after result/error/cancelled


JobFn = Callable[[CancelToken, Callable[[float], None]], Any]


class Job(QRunnable):
    """Runs fn(token, report_progress) on a pool thread.

    A cancelled job emits `cancelled` and never `result`, even when fn could not be interrupted
    mid-way (one ONNX run): the GUI is released at once and the late result is dropped.
    """

    def __init__(self, fn: JobFn, name: str = "job") -> None:
        super().__init__()
        self.setAutoDelete(False)  # Python owns the object; the pool must not delete it under us
        self.fn = fn
        self.name = name
        self.cancellable = True  # False: cancel_all() leaves it running (the model load)
        self.token = CancelToken()
        self.signals = JobSignals()

    def cancel(self) -> None:
        self.token.cancel()

    def run(self) -> None:  # noqa: D401 - Qt override
        signals = self.signals
        try:
            self.token.check()
            value = self.fn(self.token, lambda f: _emit(signals.progress, f))
            self.token.check()
        except Cancelled:
            _emit(signals.cancelled)
        except Exception as exc:  # every failure reaches the user as a message, never a crash
            log.exception("%s failed", self.name)
            if self.token.cancelled:
                _emit(signals.cancelled)
            else:
                _emit(signals.error, _one_line(exc))
        else:
            _emit(signals.result, value)
        _emit(signals.finished)


def _emit(signal, *args) -> None:
    # At application exit the receivers may already be gone; a late job then has no one to tell.
    try:
        signal.emit(*args)
    except RuntimeError:
        log.debug("job signal dropped: receiver deleted")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text and text[0] else type(exc).__name__


class JobRunner(QObject):
    """Keeps jobs alive until they finish and runs them on its own pool.

    One thread by default: ONNX Runtime already uses every core, so running two inferences at
    once would only make both slower.
    """

    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None, threads: int = 1) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._live: set[Job] = set()

    def start(self, job: Job) -> Job:
        was_busy = bool(self._live)
        self._live.add(job)
        job.signals.finished.connect(lambda j=job: self._on_finished(j))
        self.pool.start(job)
        if not was_busy:
            self.busyChanged.emit(True)
        return job

    def cancel_all(self, everything: bool = False) -> None:
        """Cancel the cancellable jobs (everything=True: all of them, at shutdown)."""
        for job in list(self._live):
            if everything or job.cancellable:
                job.cancel()

    @property
    def busy(self) -> bool:
        return bool(self._live)

    def wait(self, msecs: int = -1) -> bool:
        return self.pool.waitForDone(msecs)

    def _on_finished(self, job: Job) -> None:
        self._live.discard(job)
        if not self._live:
            self.busyChanged.emit(False)
