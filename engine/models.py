"""Model registry: finds model cards (resources/models/*.json and TINTA_MODELS_DIR), checks SHA-256."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np

from . import contract
from .decoding import Decoding
from .levels import InputLevels
from .sharpness import InputSharpness
from .errors import ModelError

ENV_DIRS = "TINTA_MODELS_DIR"
HOW_TO_GET = ("reinstall Tinta, or train and export one with `python -m trainer.train` "
              "then `python -m trainer.export`")
_REQUIRED = ("name", "file", "sha256")


@dataclass(frozen=True)
class ModelCard:
    """A model card; `path` is the .onnx file beside the card, `bins` K x 2 float32 (a, b) or None.

    `files` maps a role ("encoder", "decoder") to (path, sha256) for cards of multi-file models
    (the variant sampler); `path`/`sha256` then name one of them too. `int8` is (path, sha256) of the
    int8 copy the CPU runs (engine/precision.py), or None. `input_levels`: the black and white points the
    network's input is moved to (engine/levels.py), or None to feed it the photo's luminance as it is;
    `input_sharpness`: the least and most fine detail the network is shown (engine/sharpness.py), or None to
    feed it the photo's detail as it is.
    """

    name: str
    path: Path
    sha256: str
    card_path: Path
    version: str = ""
    task: str = ""
    default: bool = False
    multiple: int = contract.MULTIPLE
    default_long_side: int = contract.DEFAULT_LONG_SIDE
    default_temperature: float = contract.DEFAULT_TEMPERATURE
    outputs: tuple = contract.OUTPUTS
    bins: np.ndarray | None = field(default=None, compare=False, repr=False)
    training: dict = field(default_factory=dict, compare=False)
    metrics: dict = field(default_factory=dict, compare=False)
    licences: object = None
    files: dict = field(default_factory=dict, compare=False)
    decoding: Decoding = field(default_factory=Decoding, compare=False)
    int8: tuple | None = field(default=None, compare=False)
    input_levels: InputLevels | None = field(default=None, compare=False)
    input_sharpness: InputSharpness | None = field(default=None, compare=False)
    raw: dict = field(default_factory=dict, compare=False, repr=False)


def model_dirs() -> list[Path]:
    """Folders searched for cards: TINTA_MODELS_DIR entries first, then the shipped resources/models
    (left out when TINTA_SHIPPED_MODELS=0, so a user's or a test's folder can stand alone)."""
    dirs = [Path(p) for p in os.environ.get(ENV_DIRS, "").split(os.pathsep) if p.strip()]
    if os.environ.get("TINTA_SHIPPED_MODELS", "1") != "0":
        dirs.append(Path(str(files("resources") / "models")))
    return dirs


def load_card(card_path: Path) -> ModelCard:
    """Parse one card JSON; raises ModelError naming the card when it is malformed."""
    try:
        raw = json.loads(Path(card_path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{card_path}: model card is not readable JSON ({exc})") from None
    if not isinstance(raw, dict) or any(k not in raw for k in _REQUIRED):
        raise ModelError(f"{card_path}: model card lacks one of {', '.join(_REQUIRED)}")
    rule = raw.get("input_size_rule") or {}
    bins = raw.get("bins")
    files = raw.get("files") or {}
    int8 = raw.get("int8")
    try:
        if not isinstance(files, dict) or not all(isinstance(f, dict) and "file" in f and "sha256" in f
                                                  for f in files.values()):
            raise ValueError('"files" must map each role to {"file": ..., "sha256": ...}')
        if int8 is not None and not (isinstance(int8, dict) and "file" in int8 and "sha256" in int8):
            raise ValueError('"int8" must be {"file": ..., "sha256": ...}')
        bins_arr = None if bins is None else np.asarray(bins, np.float32).reshape(-1, 2)
        return ModelCard(
            name=str(raw["name"]), path=Path(card_path).parent / str(raw["file"]),
            sha256=str(raw["sha256"]).lower(), card_path=Path(card_path),
            version=str(raw.get("version", "")), task=str(raw.get("task", "")),
            default=bool(raw.get("default", False)),
            multiple=int(rule.get("multiple", contract.MULTIPLE)),
            default_long_side=int(rule.get("default_long_side", contract.DEFAULT_LONG_SIDE)),
            default_temperature=float(raw.get("default_temperature", contract.DEFAULT_TEMPERATURE)),
            outputs=tuple(raw.get("outputs") or contract.OUTPUTS) if not isinstance(raw.get("outputs"), dict)
            else tuple(raw["outputs"]),
            bins=bins_arr, training=dict(raw.get("training") or {}), metrics=dict(raw.get("metrics") or {}),
            licences=raw.get("licences"), raw=raw, decoding=Decoding.from_raw(raw.get("decoding")),
            input_levels=InputLevels.from_raw(raw.get("input_levels")),
            input_sharpness=InputSharpness.from_raw(raw.get("input_sharpness")),
            files={str(role): (Path(card_path).parent / str(f["file"]), str(f["sha256"]).lower())
                   for role, f in files.items()},
            int8=None if int8 is None else (Path(card_path).parent / str(int8["file"]), str(int8["sha256"]).lower()))
    except (TypeError, ValueError, AttributeError) as exc:
        raise ModelError(f"{card_path}: model card has a malformed field ({exc})") from None


def list_cards() -> tuple[list[ModelCard], list[str]]:
    """All readable cards in search order, and one-line problems for cards that could not be read."""
    cards, problems = [], []
    for d in model_dirs():
        if not d.is_dir():
            continue
        for p in sorted(d.glob("*.json")):
            try:
                cards.append(load_card(p))
            except ModelError as exc:
                problems.append(str(exc))
    return cards, problems


def find_card(name: str | None = None) -> ModelCard:
    """The card called `name` (card name or file stem), or the first with "default": true."""
    cards, problems = list_cards()
    if name is None:
        chosen = next((c for c in cards if c.default), None)
        if chosen is None:
            extra = f" ({problems[0]})" if problems else ""
            raise ModelError(f"no colorization model is installed{extra}; {HOW_TO_GET}")
        return chosen
    for c in cards:
        if name in (c.name, c.path.stem, c.card_path.stem):
            return c
    known = ", ".join(sorted({c.name for c in cards})) or "none"
    raise ModelError(f"no model called {name!r} (installed: {known}); {HOW_TO_GET}")


_verified: dict[tuple, str] = {}


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(card: ModelCard) -> Path:
    """Check the model file (and each of `files`) exists and matches the card's SHA-256; returns `path`."""
    for path, sha in [(card.path, card.sha256), *card.files.values()]:
        _verify_file(card, path, sha)
    return card.path


def verify_int8(card: ModelCard) -> tuple | None:
    """The card's int8 copy (path, sha256) once checked like `verify` does, or None when it has none."""
    if card.int8 is not None:
        _verify_file(card, *card.int8)
    return card.int8


def _verify_file(card: ModelCard, path: Path, expected: str) -> None:
    try:
        st = path.stat()
    except OSError:
        raise ModelError(f"model file {path} (for model {card.name!r}) is missing; {HOW_TO_GET}") from None
    key = (str(path), st.st_size, st.st_mtime_ns)
    digest = _verified.get(key) or file_sha256(path)
    if digest != expected:
        raise ModelError(f"model file {path} does not match its card (sha256 {digest[:12]}..., "
                         f"expected {expected[:12]}...): it is damaged or was altered; {HOW_TO_GET}")
    _verified[key] = digest
