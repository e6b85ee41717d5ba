"""Hint and settings edits: each canvas gesture, slider move or eyedropper click becomes one undoable step."""
from __future__ import annotations

from desktop import tools
from desktop.canvas import REGION_TOOLS, Tool
from desktop.commands import SetHints, SetSetting
from desktop.workers import Job
from engine.errors import TintaError


class HintEdits:
    """The brush colour and radius, and the edits made with them, on the editor's document and undo stack.

    editor: the EditorController (its doc, colorizer, result, undo, settings and signals).
    """

    def __init__(self, editor) -> None:
        self.editor = editor
        self.color = "#c04030"
        self.hint_radius = editor.settings.hint_radius
        self._likely_job: Job | None = None
        self._likely_wanted = None  # (result, px, py) whose swatches wait for the preview to settle
        editor.runner.busyChanged.connect(self._on_busy)

    def work_unit(self) -> float:
        """Full-image pixels per working pixel (hint radii are in working pixels)."""
        doc, colorizer = self.editor.doc, self.editor.colorizer
        if doc is None:
            return 1.0
        w, h = doc.full_size
        long_side = doc.size or (colorizer.card.default_long_side if colorizer else 512)
        return max(w, h) / long_side

    def brush_extent(self) -> float:
        return tools.brush_extent(self.hint_radius, self.work_unit())

    def region_radius(self) -> float:
        return tools.wide_radius(self.hint_radius, self.work_unit())

    def set_color(self, color: str) -> None:
        self.color = color.lower()

    def set_hint_radius(self, radius: int) -> None:
        self.hint_radius = int(radius)
        self.editor.settings.hint_radius = self.hint_radius

    def stroke(self, tool: Tool, points: list) -> None:
        """Turn a finished canvas gesture into one undoable edit."""
        doc = self.editor.doc
        if doc is None or not points:
            return
        if tool in REGION_TOOLS:
            self.editor.region_edits.stroke(tool, points)
            return
        edit = tools.stroke_edit(tool, points, doc.hints, self.color, self.hint_radius, doc.full_size,
                                 self.work_unit())
        if edit is not None:
            self.editor.undo.push(SetHints(doc, edit.hints, edit.label))
        if tool is Tool.BRUSH:  # after the push, so the stroke's preview is queued ahead of the swatches
            self.show_likely(*points[0])

    def clear_hints(self) -> None:
        doc = self.editor.doc
        if doc is not None and doc.hints:
            self.editor.undo.push(SetHints(doc, (), "Clear all hints"))

    def set_size(self, size: int | None) -> None:
        doc = self.editor.doc
        if doc is not None and size != doc.size:
            self.editor.undo.push(SetSetting(doc, "size", size, "Change working size"))

    def set_vividness(self, value: float) -> None:
        doc = self.editor.doc
        if doc is not None and abs(value - doc.vividness) > 1e-6:
            self.editor.undo.push(SetSetting(doc, "vividness", float(value), "Change vividness"))

    def set_look(self, name: str, value: float) -> None:
        """Saturation or warmth (engine/look.py); a drag of one slider is one undo step."""
        doc = self.editor.doc
        if doc is not None and abs(value - getattr(doc, name)) > 1e-6:
            self.editor.undo.push(SetSetting(doc, name, float(value), f"Change {name}"))

    def pick(self, x: float, y: float) -> None:
        """Eyedropper: take the current result's colour at full-image (x, y) and show likely colours."""
        if self.editor.doc is None or self.editor.result is None:
            return
        px, py = self._preview_xy(x, y)
        if px is None:
            return
        r, g, b = (int(v) for v in self.editor.result.rgb[py, px, :3])
        self.set_color(f"#{r:02x}{g:02x}{b:02x}")
        self.editor.colorPicked.emit(self.color)
        self.show_likely(x, y)

    def show_likely(self, x: float, y: float) -> None:
        """The model's likely colours at full-image (x, y) as swatches: at once when the result has its colour
        distribution, else from a job that makes it (the preview network leaves the class head out)."""
        editor = self.editor
        result, colorizer = editor.result, editor.colorizer
        self._likely_wanted = None
        if self._likely_job is not None:
            self._likely_job.cancel()
            self._likely_job = None
        if result is None or colorizer is None or not colorizer.can_explain(result):
            editor.likelyColors.emit([])
            return
        px, py = self._preview_xy(x, y)
        if px is None:
            return
        if result.prob is not None:
            try:
                editor.likelyColors.emit(colorizer.likely_colors(result, px, py, k=5))
            except (TintaError, ValueError) as exc:
                self._on_likely_error(None, str(exc))
            return
        # Making the distribution is one more network run: it waits until the stroke's preview and its refine
        # are done, so the swatches never hold up the photo's answer to the stroke.
        self._likely_wanted = (result, px, py)
        self._on_busy(editor.runner.busy)

    def _on_busy(self, busy: bool) -> None:
        editor = self.editor
        if busy or self._likely_wanted is None or not editor.scheduler.idle:
            return
        (result, px, py), self._likely_wanted = self._likely_wanted, None
        colorizer = editor.colorizer
        if colorizer is None or editor.doc is None:
            return
        job = Job(lambda token, progress: colorizer.likely_colors(result, px, py, k=5), "likely colours")
        job.signals.result.connect(lambda value, j=job: self._on_likely(j, value))
        job.signals.error.connect(lambda message, j=job: self._on_likely_error(j, message))
        self._likely_job = job
        editor.runner.start(job)

    def _on_likely(self, job: Job, colors: list) -> None:
        if job is self._likely_job:
            self._likely_job = None
            self.editor.likelyColors.emit(colors)

    def _on_likely_error(self, job: Job | None, message: str) -> None:
        if job is self._likely_job:
            self._likely_job = None
            self.editor.likelyColors.emit([])
            self.editor.statusMessage.emit(message)

    def _preview_xy(self, x: float, y: float):
        rgb = self.editor.result.rgb
        w, h = self.editor.doc.full_size
        if not (0 <= x < w and 0 <= y < h):
            return None, None
        return min(rgb.shape[1] - 1, int(x * rgb.shape[1] / w)), min(rgb.shape[0] - 1, int(y * rgb.shape[0] / h))
