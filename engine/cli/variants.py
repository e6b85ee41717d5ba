"""`tinta colorize --variants N` and `--z-from FILE --pick K`: write variants and their latents, re-render one.

OUTDIR/<stem>.v<i>.<ext> holds variant i; OUTDIR/<stem>.variants.json records everything needed to
re-render any of them exactly: model, size, vividness, the hints themselves, and each variant's seed and z.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..io.atomic import write_atomic
from ..errors import HintError, SourcedError
from ..hints import Hint, parse_hints

FORMAT = "tinta-variants/1"


class VariantsFileError(SourcedError):
    """A .variants.json that cannot be read or does not fit."""


def variant_path(outdir: Path, stem: str, index: int, ext: str) -> Path:
    return outdir / f"{stem}.v{index}.{ext}"


def record_path(outdir: Path, stem: str) -> Path:
    return outdir / f"{stem}.variants.json"


def _hints_json(hints) -> list[dict]:
    return [{"x": h.x, "y": h.y, "color": h.color, "radius": h.radius} for h in hints or ()]


def write_record(path: Path, src: Path, colorizer, variants: list, files: list[Path], size, vividness,
                 hints) -> None:
    """Write the .variants.json atomically (engine.io.atomic); VariantsFileError when it cannot be written."""
    first = variants[0]
    data = {
        "format": FORMAT, "image": str(src), "model": colorizer.card.name,
        "sampler": colorizer.variant_sampler().card.name, "size": size, "vividness": vividness,
        "spread": first.spread, "seed": first.seed, "hints": _hints_json(hints),
        "variants": [{"index": i, "seed": v.seed, "file": f.name, "z": [float(x) for x in v.z]}
                     for i, (v, f) in enumerate(zip(variants, files))],
    }
    try:
        write_atomic(path, json.dumps(data, indent=1))
    except OSError as exc:
        raise VariantsFileError(path, f"cannot write variants file ({exc.strerror or exc})") from None


def read_pick(path: str | Path, pick: int) -> tuple[dict, dict, list[Hint]]:
    """(record, its variant `pick`, hints) from a .variants.json; VariantsFileError names the problem."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VariantsFileError(path, "variants file does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VariantsFileError(path, f"cannot read variants file ({exc.__class__.__name__})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("variants"), list):
        raise VariantsFileError(path, f"not a Tinta variants file (expected \"format\": \"{FORMAT}\")")
    entries = {e.get("index"): e for e in data["variants"] if isinstance(e, dict)}
    if pick not in entries:
        raise VariantsFileError(path, f"has no variant {pick} (it holds {len(data['variants'])}, from 0)")
    entry = entries[pick]
    z = entry.get("z")
    if not isinstance(z, list) or not z or not all(isinstance(x, (int, float)) for x in z):
        raise VariantsFileError(path, f"variant {pick} has no valid z")
    try:
        hints = parse_hints({"hints": data.get("hints") or []}, path)
    except HintError as exc:
        raise VariantsFileError(path, exc.problem) from None
    return data, entry, hints


def render_variants(colorizer, pic, src: Path, outdir: Path, ext: str, n: int, seed: int, hints, size,
                    vividness, spread, write_image, check_dest, opts=None, look_args=(1.0, 0.0)) -> None:
    """Sample n variants of one picture, writing each as it is rendered, then the record. Each goes through
    the same restoration (opts, a RestoreOptions), look ((saturation, warmth), engine/look.py), colour
    management and metadata as a single colorization."""
    from .. import look
    from ..render_job import finish_output, restore as restore_input
    from ..restore.pipeline import RestoreOptions

    opts = opts or RestoreOptions()
    dests = [variant_path(outdir, src.stem, i, ext) for i in range(n)]
    record = record_path(outdir, src.stem)
    for d in dests + [record]:
        check_dest(src, d)
    restored = restore_input(pic, opts, list(hints or []))
    outdir.mkdir(parents=True, exist_ok=True)
    kept = []
    for v, dest in zip(colorizer.iter_variants(restored.pixels, n, seed, hints, size, vividness, spread), dests):
        out = finish_output(colorizer, pic, restored, look.apply(v.result.rgb, *look_args), opts)
        write_image(dest, out.pixels, metadata=out.metadata)
        v.result = None  # the record needs z and seed only; full-size pixels can go
        kept.append(v)
    write_record(record, src, colorizer, kept, dests, size, vividness, hints)


def rerender(colorizer, pic, src: Path, outdir: Path, ext: str, z_file: str, pick: int, write_image,
             check_dest, opts=None, look_args=(1.0, 0.0)) -> Path:
    """Re-render variant `pick` of a .variants.json exactly (same z, size, vividness and hints; the restoration
    options and the look are this run's, as they are not recorded)."""
    from .. import look
    from ..render_job import finish_output, restore as restore_input
    from ..restore.pipeline import RestoreOptions

    opts = opts or RestoreOptions()
    data, entry, hints = read_pick(z_file, pick)
    z = np.asarray(entry["z"], np.float32)
    dim = colorizer.variant_sampler().latent_dim
    if z.size != dim:
        raise VariantsFileError(z_file, f"variant {pick} has a {z.size}-d z; model {colorizer.card.name!r} "
                                        f"needs {dim} (made with {data.get('sampler')!r})")
    dest = variant_path(outdir, src.stem, pick, ext)
    check_dest(src, dest)
    restored = restore_input(pic, opts, list(hints or []))
    v = colorizer.render_z(restored.pixels, z, hints or None, data.get("size"), float(data.get("vividness", 1.0)),
                           seed=int(entry.get("seed", -1)), spread=data.get("spread"))
    outdir.mkdir(parents=True, exist_ok=True)
    out = finish_output(colorizer, pic, restored, look.apply(v.result.rgb, *look_args), opts)
    write_image(dest, out.pixels, metadata=out.metadata)
    return dest
