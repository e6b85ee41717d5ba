"""The editing session file `<photo>.tinta.json` beside the photo: hints, chosen variant, settings."""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from engine import look
from engine.hints import Hint

FORMAT = "tinta-session"
VERSION = 1
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


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

    def to_json(self, photo: Path) -> dict:
        return {
            "format": FORMAT, "version": VERSION, "photo": photo.name,
            "hints": [{"x": float(h.x), "y": float(h.y), "color": h.color, "radius": int(h.radius)}
                      for h in self.hints],
            "variant": self.variant,
            "settings": {"size": self.size, "vividness": self.vividness,
                         "saturation": self.saturation, "warmth": self.warmth},
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
        variant = data.get("variant")
        if variant is not None and not isinstance(variant, dict):
            raise ValueError("variant must be an object")
    except (TypeError, ValueError, KeyError) as exc:
        raise SessionError(f"{path}: bad session content ({exc})") from None
    return Session(hints=hints, variant=variant, size=size, vividness=vividness, saturation=saturation,
                   warmth=warmth)


def _hint(d: dict) -> Hint:
    color = str(d["color"])
    if not _HEX.match(color):
        raise ValueError(f"bad colour {color!r}")
    return Hint(float(d["x"]), float(d["y"]), color.lower(), int(d["radius"]))
