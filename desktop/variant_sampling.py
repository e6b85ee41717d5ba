"""Variants in the app: sample alternative colourings off the GUI thread, apply one (undoable) or drop it."""
from __future__ import annotations

import numpy as np

from desktop.commands import SetVariant
from desktop.document import Document, VariantChoice, make_preview
from desktop.variants import preview_hints, variants_supported
from desktop.workers import Job

HISTORY_SETS = 8  # earlier sets kept for the gallery's history row
THUMB_SIDE = 200  # the gallery's largest thumbnail (desktop/variants_panel.py THUMB): made once, in the job


class VariantSampling:
    """The last sampled variants of the editor's document (editor: the EditorController)."""

    def __init__(self, editor) -> None:
        self.editor = editor
        self.sampled: list = []   # engine Variants of the current document, as last shown
        self.history: list[list] = []  # earlier sets of this document, the most recent first
        self._thumbs: dict[int, np.ndarray] = {}  # id(variant) -> its thumbnail, for the variants kept

    def forget(self) -> None:
        """A new photo: the old variants no longer apply."""
        self.sampled = []
        self.history = []
        self._thumbs = {}
        self.editor.variantsChanged.emit([])
        self.editor.variantHistoryChanged.emit([])

    def sample(self, n: int = 6, seed: int | None = None, like: int | None = None, spread: float = 0.5,
               like_set: int = -1) -> None:
        """Sample n variants, or more like variant `like` of the newest set (like_set -1) or of the earlier
        set `like_set` (0: the one before the newest)."""
        editor = self.editor
        if editor.doc is None or editor.colorizer is None or not variants_supported(editor.colorizer):
            return
        doc, colorizer = editor.doc, editor.colorizer
        hints = preview_hints(doc, list(doc.hints))
        extra = {"regions": doc.regions} if doc.regions else {}  # the gallery shows them as the preview does
        source = self.sampled if like_set < 0 else (self.history[like_set] if like_set < len(self.history) else [])
        base = source[like] if like is not None and 0 <= like < len(source) else None
        seed = int(np.random.default_rng().integers(0, 2**31 - 1)) if seed is None else seed

        def work(token, progress):
            if base is not None:
                vs = list(colorizer.more_like(base, spread))
            else:
                vs = list(colorizer.variants(doc.preview, n, seed, hints=hints, **extra))
            return [(v, make_preview(v.result.rgb, THUMB_SIDE)) for v in vs]

        job = Job(work, "variants")
        job.signals.result.connect(lambda vs, d=doc: self._on_variants(d, vs))
        job.signals.error.connect(lambda msg: editor.errorRaised.emit("Variants failed", msg))
        editor.statusMessage.emit("Sampling variants…")
        editor.runner.start(job)

    def _on_variants(self, doc: Document, made: list) -> None:
        if doc is not self.editor.doc:
            return
        if self.sampled:
            self.history = [self.sampled] + self.history[:HISTORY_SETS - 1]
        self.sampled = [v for v, _ in made]
        kept = {id(v) for vs in [self.sampled, *self.history] for v in vs}
        self._thumbs = {i: t for i, t in self._thumbs.items() if i in kept}
        self._thumbs.update((id(v), t) for v, t in made)
        self.editor.variantsChanged.emit([self._thumbs[id(v)] for v in self.sampled])
        self.editor.variantHistoryChanged.emit([[self._thumbs[id(v)] for v in vs] for vs in self.history])

    def apply(self, index: int) -> None:
        doc = self.editor.doc
        if doc is None or not 0 <= index < len(self.sampled):
            return
        v = self.sampled[index]
        self.editor.undo.push(SetVariant(doc, VariantChoice.of(v), f"Apply variant {index + 1}"))

    def apply_earlier(self, k: int, index: int) -> None:
        """Apply variant `index` of the earlier set `k` (0: the set before the newest)."""
        doc = self.editor.doc
        if doc is None or not 0 <= k < len(self.history) or not 0 <= index < len(self.history[k]):
            return
        v = self.history[k][index]
        self.editor.undo.push(SetVariant(doc, VariantChoice.of(v), f"Apply variant {index + 1} of set -{k + 1}"))

    def clear(self) -> None:
        doc = self.editor.doc
        if doc is not None and doc.variant is not None:
            self.editor.undo.push(SetVariant(doc, None, "Back to the model's colours"))
