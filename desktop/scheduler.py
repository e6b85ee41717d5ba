"""Preview scheduling: one render at a time, the latest edit wins, a quick draft then a full-size refine."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.document import Document
from desktop.preview import PreviewRenderer
from desktop.variants import edit_of, preview_hints, variants_supported
from desktop.workers import Job, JobRunner
from engine import render_job

INTERACTIVE_LONG_SIDE = 256   # network size for the quick preview right after an edit
REFINE_DELAY_MS = 150         # quiet after which a draft is redone at full size (at the default size only the render reruns)


@dataclass(frozen=True)
class RenderInput:
    """What one render needs, copied on the GUI thread so the job never reads live state."""
    doc: Document
    colorizer: Any
    long_side: int            # the photo's working size (network long side)


class PreviewScheduler(QObject):
    """Runs preview renders on the shared JobRunner and reports each finished one.

    A request made while a render runs is remembered (not queued twice) and started when it ends;
    a draft (network at INTERACTIVE_LONG_SIDE at most, rendered at half the preview's size) answers an edit
    fast, and the full-size render follows after REFINE_DELAY_MS of quiet, so the preview that stays matches
    the export.
    """

    rendered = Signal(object, object, bool)   # Document, ColorizeResult (rgb Hd x Wd x 3 uint8), draft?
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, runner: JobRunner, current: Callable[[], RenderInput | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.current = current
        self._renderers: dict[tuple, PreviewRenderer] = {}  # by (document, working shape)
        self._job: Job | None = None
        self._pending: bool | None = None      # asked for while one runs: draft?
        self._refine = QTimer(self, singleShot=True, interval=REFINE_DELAY_MS)
        self._refine.timeout.connect(self._on_refine)

    @property
    def idle(self) -> bool:
        return self._job is None and self._pending is None and not self._refine.isActive()

    def reset(self) -> None:
        """Forget cached luminance (new photo or model)."""
        self._renderers = {}

    def cancel(self) -> None:
        self._pending = None
        self._refine.stop()
        if self._job is not None:
            self._job.cancel()

    def request(self, draft: bool = False) -> None:
        what = self.current()
        if what is None:
            return
        self._refine.stop()
        if self._job is not None:
            self._pending = draft if self._pending is None else (self._pending or draft)
            return
        doc, colorizer, long_side = what.doc, what.colorizer, what.long_side
        hints, vividness, variant, regions = list(doc.hints), doc.vividness, doc.variant, doc.regions
        # A variant is rendered whole by its sampler: there is no cheaper draft of it to show first.
        draft = draft and not (variant is not None and variants_supported(colorizer))
        size = min(long_side, INTERACTIVE_LONG_SIDE) if draft else long_side
        key = (id(doc), colorizer.working_shape(doc.preview.shape, size))
        renderer = self._renderers.get(key)

        edit = edit_of(doc, colorizer, hints=preview_hints(doc, hints), size=long_side)

        def work(token, progress):
            if variant is not None and variants_supported(colorizer):
                if variant.variant is not None and not hints and not regions:  # it was sampled without either
                    return None, variant.variant.result
                return None, render_job.colorize(colorizer, doc.preview, edit)
            r = renderer or PreviewRenderer(colorizer, doc.preview, doc.picture.pixels.shape[:2], size)
            return r, r.render(hints, vividness, radius_scale=size / long_side, regions=regions, draft=draft)

        job = Job(work, "colorize")
        job.signals.result.connect(lambda value, d=doc, k=key, dr=draft: self._on_result(d, k, value, dr))
        job.signals.error.connect(self.failed)
        job.signals.cancelled.connect(self.cancelled)
        job.signals.finished.connect(self._on_finished)
        self._job = job
        self.runner.start(job)

    def _on_result(self, doc: Document, key, value, draft: bool) -> None:
        renderer, result = value
        if renderer is not None:
            self._renderers[key] = renderer
        self.rendered.emit(doc, result, draft)
        if draft and self._pending is None:
            self._refine.start()

    def _on_finished(self) -> None:
        self._job = None
        if self._pending is not None:
            draft, self._pending = self._pending, None
            self.request(draft)

    def _on_refine(self) -> None:
        self.request(draft=False)
