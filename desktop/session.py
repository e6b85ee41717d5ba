"""The editing session file `<photo>.tinta.json` beside the photo: hints, chosen variant, settings, restoration."""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from engine import look
from engine.hints import Hint
from engine.restore.pipeline import RestoreOptions

FORMAT = "tinta-session"
VERSION = 1
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
# The restoration steps the app offers; a dust mask file is a command-line option and never in a session.
RESTORE_FLAGS = ("detect_tone", "detone", "clean_dust")
RESTORE_LEVELS = ("keep_tone", "dust_sensitivity", "denoise", "local_contrast")


class SessionError(Exception):
    """A session file that cannot be read; the message is one line naming the file."""


@dataclass
class Session:
    hints: list[Hint] = field(default_factory=list)
    variant: dict | None = None          # {"seed": int, "spread": float|None} of the chosen variant
    size: int | None = None              # network working long side; None = the model's default
    vividness: float = 1.0
    saturation: float = 1.0              # the look after colorizing (engine/look.py); absent = neutral
    warmth: float = 0.0
    restore: RestoreOptions = field(default_factory=RestoreOptions)  # absent = the app's default on open

    def to_json(self, photo: Path) -> dict:
        return {
            "format": FORMAT, "version": VERSION, "photo": photo.name,
            "hints": [{"x": float(h.x), "y": float(h.y), "color": h.color, "radius": int(h.radius)}
                      for h in self.hints],
            "variant": self.variant,
            "settings": {"size": self.size, "vividness": self.vividness,
                         "saturation": self.saturation, "warmth": self.warmth},
            "restore": {name: getattr(self.restore, name) for name in RESTORE_FLAGS + RESTORE_LEVELS},
        }


def session_path(photo: str | os.PathLike) -> Path:
    p = Path(photo)
    return p.with_name(p.name + ".tinta.json")


def save_session(photo: str | os.PathLike, session: Session) -> Path:
    """Write the session atomically (temp file in the same folder, then os.replace)."""
    target = session_path(photo)
    text = json.dumps(session.to_json(Path(photo)), indent=1)
    fd, tmp = tempfile.mkstemp(prefix=".tinta-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


def load_session(path: str | os.PathLike) -> Session:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SessionError(f"{path}: cannot read session ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionError(f"{path}: not a Tinta session file")
    if data.get("version", 0) > VERSION:
        raise SessionError(f"{path}: written by a newer Tinta (version {data.get('version')})")
    try:
        hints = [_hint(h) for h in data.get("hints", [])]
        settings = data.get("settings") or {}
        size = settings.get("size")
        size = None if size is None else int(size)
        vividness = float(settings.get("vividness", 1.0))
        if vividness <= 0:
            raise ValueError("vividness must be positive")
        saturation, warmth = look.check(settings.get("saturation", 1.0), settings.get("warmth", 0.0))
        restore = _restore(data.get("restore"))
        variant = data.get("variant")
        if variant is not None and not isinstance(variant, dict):
            raise ValueError("variant must be an object")
    except (TypeError, ValueError, KeyError) as exc:
        raise SessionError(f"{path}: bad session content ({exc})") from None
    return Session(hints=hints, variant=variant, size=size, vividness=vividness, saturation=saturation,
                   warmth=warmth, restore=restore)


def _hint(d: dict) -> Hint:
    color = str(d["color"])
    if not _HEX.match(color):
        raise ValueError(f"bad colour {color!r}")
    return Hint(float(d["x"]), float(d["y"]), color.lower(), int(d["radius"]))


def _restore(d) -> RestoreOptions:
    """The saved restoration; a session written before restoration was kept has none and means the default."""
    if d is None:
        return RestoreOptions()
    if not isinstance(d, dict):
        raise ValueError("restore must be an object")
    values = {}
    for name in RESTORE_FLAGS:
        if name in d:
            if not isinstance(d[name], bool):
                raise ValueError(f"restore {name} must be true or false")
            values[name] = d[name]
    for name in RESTORE_LEVELS:
        if name in d:
            if isinstance(d[name], bool) or not isinstance(d[name], (int, float)):
                raise ValueError(f"restore {name} must be a number")
            values[name] = float(d[name])
    return RestoreOptions(**values)  # its own check names a level outside 0..1
