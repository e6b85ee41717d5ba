"""`tinta batch`: arguments, the run (local processes or a Ray cluster), `--rerender SIDECAR`."""
from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

from ..errors import ModelError, ProviderError, TintaError
from ..restore.pipeline import add_restore_args, options_from_args


def add_batch_parser(sub, positive, add_look_args) -> None:
    b = sub.add_parser("batch", help="colorize a whole archive folder: resumable, parallel, with recipes")
    b.add_argument("indir", nargs="?", metavar="INDIR", help="folder of photos (walked recursively)")
    b.add_argument("-o", "--output", metavar="OUTDIR", help="folder for results, recipes and the report")
    b.add_argument("--workers", type=positive(int), default=None, help="worker processes (default: CPU cores)")
    b.add_argument("--ray", metavar="ADDRESS", help="run on an existing Ray cluster ('auto' or host:port)")
    b.add_argument("--rerender", metavar="SIDECAR", help="re-render one output exactly from its .recipe.json")
    b.add_argument("--size", type=positive(int), default=None, help="working long side in pixels")
    b.add_argument("--hints", metavar="FILE", help="hints JSON for every photo (a sibling NAME.hints.json wins, "
                                                   "and an app session NAME.tinta.json wins over both)")
    b.add_argument("--reference", metavar="PHOTO", help="one colour photo to take colours from for every photo "
                   "(matched per photo; recorded in each recipe)")
    b.add_argument("--reference-strength", type=float, default=0.5, metavar="S",
                   help="0..1: how many matched points the reference may give (default 0.5)")
    b.add_argument("--hints-from", metavar="SESSION", help="an app session file (photo.jpg.tinta.json): its "
                   "hints are carried onto the same content in every photo (matched per photo)")
    b.add_argument("--vividness", type=positive(float), default=1.0, help="colour strength, 1 = model default")
    add_look_args(b)
    b.add_argument("--seed", type=int, default=None, help="variant seed (models with a variant sampler)")
    b.add_argument("--provider", help="cpu, cuda, directml, coreml or a full ONNX Runtime provider name")
    b.add_argument("--model", help="model name (default: the installed default model)")
    b.add_argument("--format", choices=("png", "jpg", "tif"), help="output format (png, or tif for 16-bit input)")
    b.add_argument("--quality", type=positive(int), default=95, help="JPEG/WebP quality")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.add_argument("--overwrite", action="store_true",
                   help="replace existing files in OUTDIR that no recipe sidecar claims (never inputs)")
    add_restore_args(b)


def _say(kind: str, message: str) -> None:
    print(f"tinta: {kind}: {message}", file=sys.stderr, flush=True)


def _hint_dicts(hints) -> list[dict]:
    return [{"x": float(h.x), "y": float(h.y), "color": h.color, "radius": int(h.radius)} for h in hints]


def _matched_file(flag: str, path: str, colorizer, check) -> dict:
    """{path, sha256} of a file the matcher (engine/reference.py) reads per photo, checked once here:
    `check(path)` reads it (its error names the file) and the model must have the encoder that matches."""
    from ..models import file_sha256

    resolved = Path(path).resolve()
    check(resolved)
    try:
        colorizer.variant_sampler()
    except ModelError as exc:
        raise ModelError(f"{flag} needs the variant model's encoder ({exc})") from None
    return {"path": str(resolved), "sha256": file_sha256(resolved)}


def _reference(args, colorizer) -> dict | None:
    """The recipe's reference entry: a readable photo, strength in 0..1, a model that can match."""
    from ..render_job import reference_pixels

    if not args.reference:
        return None
    if not 0.0 <= args.reference_strength <= 1.0:
        raise ValueError(f"--reference-strength must be in 0..1, got {args.reference_strength:g}")
    entry = _matched_file("--reference", args.reference, colorizer, reference_pixels)
    return {**entry, "strength": float(args.reference_strength)}


def _hints_from(args, colorizer) -> dict | None:
    """The recipe's hints_from entry: a readable session naming a readable photo."""
    from ..render_job import hints_source

    return _matched_file("--hints-from", args.hints_from, colorizer, hints_source) if args.hints_from else None


def _session_recipe(path: Path, card, args):
    """The recipe of a photo's app session (engine/session.py): its hints, regions, variant, size, vividness, look
    and restoration; format and quality stay the batch's. SessionError (a TintaError) names the file."""
    from ..recipe import Recipe
    from ..session import load_session

    s = load_session(path)
    edit = s.edit(variants_ok=bool(card.raw.get("variants", False)))
    return Recipe(card.name, card.sha256, edit.size, edit.vividness, _hint_dicts(edit.hints), edit.seed,
                  edit.restore.to_dict(), args.format, args.quality, edit.saturation, edit.warmth,
                  [r.to_json() for r in edit.regions], None if edit.z is None else list(edit.z))


def batch_command(args) -> int:
    from .run import BatchLock, execute, plan
    from ..colorizer import Colorizer
    from ..hints import load_hints
    from ..recipe import Recipe

    if args.rerender:
        return rerender_command(args)
    if not args.indir or not args.output:
        _say("error", "batch needs INDIR and -o OUTDIR (or --rerender SIDECAR)")
        return 2
    from ..cli.commands import look_problem

    problem = look_problem(args)
    if problem:
        _say("error", problem)
        return 1
    indir, outdir = Path(args.indir), Path(args.output)
    if not indir.is_dir():
        _say("error", f"{indir}: not a folder")
        return 1
    try:
        options = options_from_args(args)
        outdir.mkdir(parents=True, exist_ok=True)
        colorizer = Colorizer(args.model, args.provider, split=False)  # checks the model once, before any worker
        base_hints = _hint_dicts(load_hints(args.hints)) if args.hints else []
        reference = _reference(args, colorizer)
        hints_from = _hints_from(args, colorizer)
    except (ModelError, ProviderError) as exc:
        _say("error", str(exc))
        return 2
    except (TintaError, ValueError) as exc:
        _say("error", str(exc))
        return 1
    except OSError as exc:
        _say("error", f"{outdir}: cannot create output folder ({exc.strerror or exc})")
        return 1
    card = colorizer.card
    restore = options.to_dict()
    if restore.get("dust_mask"):
        restore["dust_mask"] = str(Path(restore["dust_mask"]).resolve())

    from ..session import session_path

    def recipe_for(src: Path) -> Recipe:
        session = session_path(src)
        if session.exists():  # the photo's own edits, with the batch's reference and carried hints on top
            return replace(_session_recipe(session, colorizer.card, args), reference=reference, hints_from=hints_from)
        hints = base_hints
        own = src.with_name(src.name + ".hints.json")
        if own.exists():
            hints = _hint_dicts(load_hints(own))
        return Recipe(card.name, card.sha256, args.size, args.vividness, hints, args.seed, restore,
                      args.format, args.quality, args.saturation, args.warmth, reference=reference,
                      hints_from=hints_from)

    workers = args.workers or (os.cpu_count() or 1)
    settings = {"model": card.name, "model_sha256": card.sha256, "workers": workers, "ray": args.ray,
                **{k: v for k, v in recipe_for(indir / "x").to_dict().items() if k not in ("model", "model_sha256")}}
    exclude = [Path(args.dust_mask)] if args.dust_mask else []
    try:
        with BatchLock(outdir):
            p = plan(indir, outdir, None, exclude, recipe_for=recipe_for, overwrite=args.overwrite)
            if p.skipped:
                print(f"tinta: {len(p.skipped)} of {p.total} already done and verified; "
                      f"{len(p.todo)} to render", flush=True)
            by_item = p.recipes
            if args.ray:
                from .ray import run_ray

                def outcomes(pairs):
                    return run_ray(pairs, args.ray, args.model, args.provider, workers)
            else:
                from .run import run_local

                def outcomes(pairs):
                    return run_local(pairs, min(workers, max(1, len(pairs))), args.model, args.provider)
            summary = execute(p, lambda it: by_item[it.source], outcomes, outdir, settings,
                              progress=not args.quiet)
    except TintaError as exc:
        _say("error", str(exc))
        return 1
    for f in summary.failed:
        _say("error", f["error"])
    rate = summary.done / summary.seconds if summary.seconds else 0.0
    print(f"tinta: {summary.done} rendered, {summary.skipped} already done, {len(summary.failed)} failed "
          f"in {summary.seconds:.1f} s ({rate:.2f} files/s); report: {summary.report or 'not written'}", flush=True)
    if summary.report_error:
        _say("error", summary.report_error)
        return 1
    return 1 if summary.failed else 0


def rerender_command(args) -> int:
    """Render the sidecar's source again with its recipe into -o (default: beside the sidecar, a
    `rerender` folder), and say whether the result is bit-identical to the recorded output."""
    from .job import Item, render_item
    from ..colorizer import Colorizer
    from ..models import file_sha256
    from ..recipe import read_sidecar

    try:
        side = read_sidecar(args.rerender)
        colorizer = Colorizer(side.recipe.model, args.provider, split=False)
    except (ModelError, ProviderError) as exc:
        _say("error", str(exc))
        return 2
    except TintaError as exc:
        _say("error", str(exc))
        return 1
    if colorizer.card.sha256 != side.recipe.model_sha256:
        _say("error", f"{args.rerender}: recipe was made with model sha256 {side.recipe.model_sha256[:12]}..., "
                      f"installed {side.recipe.model!r} is {colorizer.card.sha256[:12]}...; install that model")
        return 2
    outdir = Path(args.output) if args.output else Path(args.rerender).parent / "rerender"
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _say("error", f"{outdir}: cannot create output folder ({exc.strerror or exc})")
        return 1
    base = Path(side.output).stem
    out = render_item(colorizer, Item(side.source, str(outdir), base, args.overwrite), side.recipe)
    if not out.ok:
        _say("error", out.error)
        return 1
    same = file_sha256(Path(out.output)) == side.output_sha256
    print(f"tinta: re-rendered {side.source} -> {out.output} "
          f"({'identical to' if same else 'differs from'} the recorded output)", flush=True)
    return 0
