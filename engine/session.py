"""The editing session file `<photo>.tinta.json` beside the photo: hints, regions, variant, settings, restoration.

Read by the app and by `tinta colorize --session`, so both render a session alike (see `Session.edit`)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import look
from .errors import HintError, TintaError
from .hints import Hint, parse_hints
from .io.atomic import write_atomic
from .regions import Region, mask_shape
from .restore.pipeline import RestoreOptions

FORMAT = "tinta-session"
VERSION = 1
# The restoration steps the app offers; a dust mask file is a command-line option and never in a session.
RESTORE_FLAGS = ("detect_tone", "detone", "clean_dust")
RESTORE_LEVELS = ("keep_tone", "dust_sensitivity", "denoise", "local_contrast")


class SessionError(TintaError):
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
    regions: list[Region] = field(default_factory=list)  # engine/regions.py, layer order; absent = none
    photo: str | None = field(default=None, compare=False)  # the file name it was saved beside, as read

    def check_fits(self, image_shape: tuple[int, int], source) -> None:
        """SessionError naming `source` when hints lie outside a photo of shape (H, W) or regions were drawn
        on a photo of another shape."""
        h, w = image_shape[:2]
        outside = [x for x in self.hints if not (0 <= x.x < w and 0 <= x.y < h)]
        if outside:
            raise SessionError(f"{source}: {len(outside)} hint(s) lie outside this {w}x{h} photo")
        mh, mw = mask_shape((h, w))
        if any(abs(r.mask.shape[0] - mh) > 1 or abs(r.mask.shape[1] - mw) > 1 for r in self.regions):
            raise SessionError(f"{source}: its regions were drawn on a photo of another shape than this {w}x{h} one")

    def edit(self, variants_ok: bool):
        """The engine's Edit (engine/render_job.py) this session renders; the chosen variant only where the
        model has a variant sampler (`variants_ok`), as the app shows it."""
        from .render_job import Edit

        v = self.variant if variants_ok else None
        seed = None if not v else int(v["seed"])
        z = None if not v or not v.get("z") else tuple(float(x) for x in v["z"])
        return Edit(tuple(self.hints), self.size, self.vividness, seed, z, self.restore, self.saturation,
                    self.warmth, tuple(self.regions))

    def to_json(self, photo: Path) -> dict:
        return {
            "format": FORMAT, "version": VERSION, "photo": photo.name,
            "hints": [{"x": float(h.x), "y": float(h.y), "color": h.color, "radius": int(h.radius)}
                      for h in self.hints],
            "variant": self.variant,
            "settings": {"size": self.size, "vividness": self.vividness,
                         "saturation": self.saturation, "warmth": self.warmth},
            "restore": {name: getattr(self.restore, name) for name in RESTORE_FLAGS + RESTORE_LEVELS},
            "regions": [r.to_json() for r in self.regions],
        }


def session_path(photo: str | os.PathLike) -> Path:
    p = Path(photo)
    return p.with_name(p.name + ".tinta.json")


def save_session(photo: str | os.PathLike, session: Session) -> Path:
    """Write the session atomically (engine/io/atomic.py); OSError when the folder refuses."""
    target = session_path(photo)
    write_atomic(target, json.dumps(session.to_json(Path(photo)), indent=1))
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
        hints = parse_hints({"hints": data.get("hints", [])}, path)  # the same checks as a hints file
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
        if variant and (not isinstance(variant.get("seed"), int) or not isinstance(variant.get("z") or [], list)):
            raise ValueError("variant needs an integer seed and a list z")
        raw_regions = data.get("regions") or []
        if not isinstance(raw_regions, list):
            raise ValueError("regions must be a list")
        regions = []
        for i, r in enumerate(raw_regions):
            try:
                regions.append(Region.from_json(r))
            except ValueError as exc:
                raise ValueError(f"region {i + 1}: {exc}") from None
    except HintError as exc:
        raise SessionError(str(exc)) from None
    except (TypeError, ValueError, KeyError) as exc:
        raise SessionError(f"{path}: bad session content ({exc})") from None
    photo = data.get("photo")
    return Session(hints=hints, variant=variant, size=size, vividness=vividness, saturation=saturation,
                   warmth=warmth, restore=restore, regions=regions, photo=photo if isinstance(photo, str) else None)


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
