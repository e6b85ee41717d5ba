"""Undoable edits (QUndoCommand): every change to hints, regions, variant, settings or restoration goes through one."""
from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from desktop.document import Document, VariantChoice

_SETTING_ID = 1000  # consecutive moves of one slider merge into one undo step
_RESTORE_ID = 1100
_REGIONS_ID = 1200


class SetHints(QUndoCommand):
    """Replace the whole hint list (a stroke, a region, an erase or clear-all).

    Hint lists are short (tens to hundreds), so keeping both copies is cheaper and safer than
    recording diffs.
    """

    def __init__(self, doc: Document, hints, text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.old = tuple(doc.hints)
        self.new = tuple(hints)

    def redo(self) -> None:
        self.doc.set_hints(self.new)

    def undo(self) -> None:
        self.doc.set_hints(self.old)


class SetRegions(QUndoCommand):
    """Replace the whole region list (a new region, a recolour, hide, fade or delete).

    Regions are immutable and share their masks, so both lists cost little. `merge`, when given, names a
    continuous change (an opacity drag of one region): consecutive steps with the same name are one undo step.
    """

    def __init__(self, doc: Document, regions, text: str, merge: str | None = None) -> None:
        super().__init__(text)
        self.doc = doc
        self.old = tuple(doc.regions)
        self.new = tuple(regions)
        self.merge = merge

    def id(self) -> int:
        return -1 if self.merge is None else _REGIONS_ID

    def mergeWith(self, other) -> bool:
        if not isinstance(other, SetRegions) or other.merge != self.merge:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.doc.set_regions(self.new)

    def undo(self) -> None:
        self.doc.set_regions(self.old)


class SetVariant(QUndoCommand):
    def __init__(self, doc: Document, choice: VariantChoice | None, text: str = "Apply variant") -> None:
        super().__init__(text)
        self.doc = doc
        self.old = doc.variant
        self.new = choice

    def redo(self) -> None:
        self.doc.set_variant(self.new)

    def undo(self) -> None:
        self.doc.set_variant(self.old)


class SetSetting(QUndoCommand):
    """Change working size, vividness, saturation or warmth; drags of the same control merge into one step."""

    _KEYS = {"size": 0, "vividness": 1, "saturation": 2, "warmth": 3}

    def __init__(self, doc: Document, name: str, value, text: str | None = None) -> None:
        super().__init__(text or f"Change {name}")
        self.doc = doc
        self.name = name
        self.old = getattr(doc, name)
        self.new = value

    def id(self) -> int:
        return _SETTING_ID + self._KEYS[self.name]

    def mergeWith(self, other) -> bool:
        if not isinstance(other, SetSetting) or other.name != self.name:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.doc.set_setting(self.name, self.new)

    def undo(self) -> None:
        self.doc.set_setting(self.name, self.old)


class SetRestore(QUndoCommand):
    """Change the restoration (RestoreOptions); moves of one slider (`what`, a level's name) merge into one step,
    each tick of a box is a step of its own."""

    _LEVELS = ("keep_tone", "dust_sensitivity", "denoise", "local_contrast")

    def __init__(self, doc: Document, options, what: str, text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.what = what
        self.old = doc.restore
        self.new = options

    def id(self) -> int:
        return _RESTORE_ID + self._LEVELS.index(self.what) if self.what in self._LEVELS else -1

    def mergeWith(self, other) -> bool:
        if not isinstance(other, SetRestore) or other.what != self.what:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.doc.set_restore(self.new)

    def undo(self) -> None:
        self.doc.set_restore(self.old)
