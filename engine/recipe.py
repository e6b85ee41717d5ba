"""Per-output recipe sidecars: everything needed to re-render an output exactly, and to tell it is done.

A sidecar `<source name>.recipe.json` sits beside each output.  It is written (atomically) once before
the output, without the output's hash, to claim the file name, and again after it with the hash, so an
output without a matching sidecar is never taken as finished.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import metadata as pkg_metadata
from pathlib import Path

from .io.atomic import write_atomic
from .errors import ImageError, TintaError
from .models import file_sha256

SIDECAR_SUFFIX = ".recipe.json"
FORMAT_VERSION = 1


def tinta_version() -> str:
    try:
        return pkg_metadata.version("tinta")
    except pkg_metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "source"


@dataclass(frozen=True)
class Recipe:
    """Settings that fix an output: model (name + sha256), working size, vividness, hints
    ([{x, y, color, radius}] in source pixels), variant seed, restoration options, output format
    ('png' | 'jpg' | 'tif' | None = png, or tif for 16-bit), JPEG quality, the look (saturation, warmth;
    sidecars written before it have neither and mean the neutral 1.0, 0.0), the regions (engine/regions.py
    Region.to_json dicts) and a variant's latent z (from an app session; older sidecars have neither and mean
    none), the colour reference photo ({path, sha256, strength} or None; engine/reference.py) and the
    session whose hints are carried onto each photo ({path, sha256} or None); source size and mtime tell a
    re-scanned original from the one rendered."""

    model: str
    model_sha256: str
    size: int | None = None
    vividness: float = 1.0
    hints: list = field(default_factory=list)
    seed: int | None = None
    restore: dict = field(default_factory=dict)
    format: str | None = None
    quality: int = 95
    saturation: float = 1.0
    warmth: float = 0.0
    regions: list = field(default_factory=list)
    z: list | None = None
    reference: dict | None = None
    hints_from: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Recipe":
        try:
            return cls(**data)
        except TypeError as exc:
            raise TintaError(f"recipe has unknown or missing fields ({exc})") from None


@dataclass(frozen=True)
class Sidecar:
    """What a sidecar records: the recipe, the source (path, size, mtime_ns), and the output's name and sha256."""

    recipe: Recipe
    source: str
    source_size: int
    source_mtime_ns: int
    output: str
    output_sha256: str
    tinta: str = ""

    def to_json(self) -> str:
        data = {"format": FORMAT_VERSION, "tinta": self.tinta, "source": self.source,
                "source_size": self.source_size, "source_mtime_ns": self.source_mtime_ns,
                "output": self.output, "output_sha256": self.output_sha256, "recipe": self.recipe.to_dict()}
        return json.dumps(data, indent=1)


def sidecar_path(out_folder: Path, source: Path) -> Path:
    return Path(out_folder) / f"{Path(source).name}{SIDECAR_SUFFIX}"


def read_sidecar(path) -> Sidecar:
    """Parse a sidecar; raises TintaError naming the file when it is unreadable or malformed."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return Sidecar(recipe=Recipe.from_dict(data["recipe"]), source=str(data["source"]),
                       source_size=int(data["source_size"]), source_mtime_ns=int(data["source_mtime_ns"]),
                       output=str(data["output"]), output_sha256=str(data["output_sha256"]),
                       tinta=str(data.get("tinta", "")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TintaError(f"{path}: recipe sidecar is not readable JSON ({exc.__class__.__name__})") from None
    except (KeyError, TypeError, ValueError, TintaError) as exc:
        raise TintaError(f"{path}: recipe sidecar is malformed ({exc})") from None


def write_sidecar(path: Path, sidecar: Sidecar) -> None:
    """Write atomically (engine.io.atomic); ImageError names the file when the folder or disk refuses."""
    try:
        write_atomic(path, sidecar.to_json())
    except OSError as exc:
        raise ImageError(path, f"cannot write recipe ({exc.strerror or exc})") from None


def is_done(sidecar_file: Path, source: Path, recipe: Recipe) -> bool:
    """True when the sidecar matches `recipe` and this source, and the output it names still has its hash."""
    try:
        side = read_sidecar(sidecar_file)
        st = source.stat()
    except (TintaError, OSError):
        return False
    if side.recipe != recipe or side.source_size != st.st_size or side.source_mtime_ns != st.st_mtime_ns:
        return False
    out = Path(sidecar_file).parent / side.output
    try:
        return out.is_file() and file_sha256(out) == side.output_sha256
    except OSError:
        return False
