"""Region edits: a paint, lasso or protect gesture becomes a snapped region off the GUI thread; recolour, fade,
hide and delete are each one undoable step."""
from __future__ import annotations

import cv2

from desktop import tools
from desktop.canvas import Tool
from desktop.commands import SetRegions
from desktop.workers import Job
from engine.color import luminance
from engine.regions import Region, snap_mask

LABELS = {"colour": "Colour region", "protect": "Protect region"}


def make_region(tool: Tool, points: list, radius: float, size: tuple[int, int], preview, color: str) -> Region | None:
    """The region a gesture draws, its edge snapped to the photo's (engine/regions.py); None when it is empty.

    preview: the display copy (Hd x Wd x 3 uint8) whose luminance guides the snapping; size: (width, height)."""
    raw = tools.region_mask(tool, points, radius, size)
    if not raw.any():
        return None
    h, w = raw.shape
    L = cv2.resize(luminance(preview), (w, h), interpolation=cv2.INTER_AREA)
    mask = snap_mask(raw, L)
    if not mask.any():
        return None
    return Region(mask, color, 1.0, "protect" if tool is Tool.PROTECT else "colour")


class RegionEdits:
    """The document's regions, changed through the editor's undo stack (editor: the EditorController)."""

    def __init__(self, editor) -> None:
        self.editor = editor

    def stroke(self, tool: Tool, points: list) -> None:
        """Make a region from a finished gesture; the snapping (a fraction of a second) runs on the job runner."""
        editor, doc = self.editor, self.editor.doc
        if doc is None or not points:
            return
        radius, size, preview, color = editor.edits.region_radius(), doc.full_size, doc.preview, editor.edits.color

        job = Job(lambda token, progress: make_region(tool, points, radius, size, preview, color), "region")
        job.signals.result.connect(lambda region, d=doc: self._made(d, region))
        job.signals.error.connect(lambda msg: editor.errorRaised.emit("Cannot make region", msg))
        editor.statusMessage.emit("Snapping the region to the photo's edges…")
        editor.runner.start(job)

    def _made(self, doc, region: Region | None) -> None:
        if doc is not self.editor.doc:
            return  # another photo was opened meanwhile
        if region is None:
            self.editor.statusMessage.emit("That region is empty; draw a larger area")
            return
        self.editor.undo.push(SetRegions(doc, doc.regions + (region,), LABELS[region.kind]))

    def _change(self, index: int, text: str, merge: str | None = None, **changes) -> None:
        doc = self.editor.doc
        if doc is None or not 0 <= index < len(doc.regions):
            return
        old = doc.regions[index]
        new = old.with_(**changes)
        if all(getattr(new, k) == getattr(old, k) for k in changes):
            return
        regions = list(doc.regions)
        regions[index] = new
        self.editor.undo.push(SetRegions(doc, regions, text, merge))

    def recolour(self, index: int, color: str) -> None:
        self._change(index, "Recolour region", color=color.lower())

    def set_opacity(self, index: int, opacity: float) -> None:
        """A drag of the fade slider over one region is one undo step."""
        self._change(index, "Fade region", f"opacity {index}", opacity=min(1.0, max(0.0, float(opacity))))

    def set_visible(self, index: int, visible: bool) -> None:
        self._change(index, "Show region" if visible else "Hide region", visible=bool(visible))

    def delete(self, index: int) -> None:
        doc = self.editor.doc
        if doc is not None and 0 <= index < len(doc.regions):
            regions = list(doc.regions)
            del regions[index]
            self.editor.undo.push(SetRegions(doc, regions, "Delete region"))
