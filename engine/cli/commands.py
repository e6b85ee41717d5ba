"""The `tinta` command line: colorize image files or folders, and show model and provider info."""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import warnings
from pathlib import Path

from ..batch.cli import add_batch_parser, batch_command
from ..errors import ModelError, ProviderError, TintaError
from .progress import progress_bar
from ..restore.pipeline import add_restore_args, options_from_args

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
PROG = "tinta"


def _say(kind: str, message: str) -> None:
    print(f"{PROG}: {kind}: {message}", file=sys.stderr, flush=True)


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
        return value
    return parse


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def add_look_args(parser) -> None:
    """--saturation and --warmth (engine/look.py), checked by look_problem once parsed."""
    parser.add_argument("--saturation", type=_number, default=1.0,
                        help="colour saturation after colorizing, 0 (gray) .. 2, 1 = unchanged")
    parser.add_argument("--warmth", type=_number, default=0.0,
                        help="warm/cool shift after colorizing, -1 (cool) .. 1 (warm), 0 = unchanged")


def look_problem(args) -> str | None:
    """One line saying what is wrong with --saturation / --warmth, or None."""
    from ..look import check

    try:
        check(args.saturation, args.warmth)
    except ValueError as exc:
        return f"--{exc}"
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Colorize old black-and-white photographs, offline.")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("colorize", help="colorize image files or folders (recursively)")
    c.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders")
    c.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="folder for the results")
    c.add_argument("--size", type=_positive(int), default=None, help="working long side in pixels (model default)")
    c.add_argument("--hints", metavar="FILE", help='JSON {"hints": [{"x":..,"y":..,"color":"#rrggbb"}]}')
    c.add_argument("--session", metavar="FILE",
                   help="render the app's session file (<photo>.tinta.json) for one photo: its hints, regions, "
                        "variant, size, vividness, look and restoration replace those options")
    c.add_argument("--vividness", type=_positive(float), default=1.0, help="colour strength, 1 = model default")
    c.add_argument("--reference", metavar="PHOTO", help="a colour photo of the same place, people or era to take "
                   "colours from (confident matches become hints; --hints still win)")
    c.add_argument("--reference-strength", type=_number, default=0.5, metavar="S",
                   help="0..1: how many matched points the reference may give (default 0.5)")
    add_look_args(c)
    c.add_argument("--provider", help="cpu, cuda, directml, coreml or a full ONNX Runtime provider name")
    c.add_argument("--model", help="model name (default: the installed default model)")
    c.add_argument("--format", choices=("png", "jpg", "tif"), help="output format (png, or tif for 16-bit input)")
    c.add_argument("--overwrite", action="store_true", help="replace existing outputs (never inputs)")
    c.add_argument("--variants", type=_positive(int), metavar="N",
                   help="write N alternative colourings <stem>.v0..v{N-1} and <stem>.variants.json")
    c.add_argument("--seed", type=int, default=0, help="seed of the variants (default 0)")
    c.add_argument("--spread", type=_positive(float), help="variant spread, z ~ N(0, S^2 I) (model default)")
    c.add_argument("--z-from", metavar="FILE", help="re-render a variant recorded in a .variants.json")
    c.add_argument("--pick", type=int, metavar="K", help="with --z-from: which variant (index from 0)")
    add_restore_args(c)
    add_batch_parser(sub, _positive, add_look_args)
    u = sub.add_parser("uncertainty", help="map where the model is unsure of the colours, and suggest where to hint")
    u.add_argument("photo", metavar="PHOTO", help="image file")
    u.add_argument("-o", "--output", required=True, metavar="MAP",
                   help="heat map over the photo (.png, .jpg or .tif): yellow = unsure, purple = sure")
    u.add_argument("--suggest", type=_positive(int), metavar="N",
                   help="print N places for hints (best first) with the model's likely colours there, "
                        "and ring them on the map")
    u.add_argument("--size", type=_positive(int), default=None, help="working long side in pixels (model default)")
    u.add_argument("--hints", metavar="FILE", help="hints already given (JSON, as for colorize)")
    u.add_argument("--provider", help="cpu, cuda, directml, coreml or a full ONNX Runtime provider name")
    u.add_argument("--model", help="model name (default: the installed default model)")
    u.add_argument("--overwrite", action="store_true", help="replace an existing map (never the photo)")
    i = sub.add_parser("info", help="show the model, its card and the execution providers")
    i.add_argument("--provider", help="provider to try")
    i.add_argument("--model", help="model name")
    return parser


def _collect(paths: list[str], outdir: Path):
    """(input file, output sub-folder) pairs; folders are walked, skipping the output folder itself."""
    items, problems = [], []
    out_abs = outdir.resolve()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in IMAGE_EXTS and out_abs not in f.resolve().parents:
                    items.append((f, f.parent.relative_to(p)))
        elif p.exists():
            items.append((p, Path()))
        else:
            problems.append((raw, "file does not exist"))
    return items, problems


def _prepare_outdir(outdir: Path) -> str | None:
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        probe = outdir / f".tinta-write-test-{time.time_ns()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return f"cannot write to output folder ({exc.strerror or exc.__class__.__name__})"
    return None


def colorize_command(args) -> int:
    from ..colorizer import Colorizer
    from ..hints import load_hints
    from ..io.image import read_image
    from ..render_job import Edit, reference_pixels, render, write

    start = time.perf_counter()
    problem = look_problem(args) or _variant_args_problem(args) or _session_args_problem(args)
    if problem:
        _say("error", problem)
        return 1
    try:
        restore_opts = options_from_args(args)
    except ValueError as exc:
        _say("error", str(exc))
        return 1
    outdir = Path(args.output)
    problem = _prepare_outdir(outdir)
    if problem:
        _say("error", f"{outdir}: {problem}")
        return 1
    hints = session = reference = None
    try:
        if args.hints:
            hints = load_hints(args.hints)
        if args.session:
            from ..session import load_session

            session = load_session(args.session)
        if args.reference:
            if not 0.0 <= args.reference_strength <= 1.0:
                _say("error", f"--reference-strength must be in 0..1, got {args.reference_strength:g}")
                return 1
            reference = reference_pixels(args.reference)
    except TintaError as exc:
        _say("error", str(exc))
        return 1
    try:
        colorizer = Colorizer(args.model, args.provider, split=False)
        if reference is not None:
            colorizer.variant_sampler()  # a model that cannot match fails here, once, not per photo
    except (ModelError, ProviderError) as exc:
        _say("error", str(exc) if reference is None else f"--reference: {exc}")
        return 2
    items, missing = _collect(args.paths, outdir)
    failed = 0
    for raw, why in missing:
        _say("error", f"{raw}: {why}")
        failed += 1
    bar = progress_bar(len(items), leave=False, disable=len(items) <= 1)  # cleared at the end
    written: dict[Path, Path] = {}
    ok = 0
    for src, sub in items:
        bar.set_description_str(src.name)
        try:
            pic = read_image(src)
            ext = args.format or ("tif" if pic.bit_depth == 16 else "png")
            dest = outdir / sub / f"{src.stem}.{ext}"
            if hints:
                _check_hints(hints, pic.pixels.shape, src, args.hints)
            if args.variants or args.z_from:  # engine/cli/variants.py: <stem>.v<i>.<ext> + <stem>.variants.json
                photo_hints = hints
                if reference is not None:  # the user's own hints come last, so they win where both fall
                    found = colorizer.reference_hints(pic.pixels, reference, args.reference_strength)
                    photo_hints = found.hints + list(hints or ())
                _variants_for(colorizer, pic, src, outdir / sub, ext, args, photo_hints, written, restore_opts)
                ok += 1
                continue
            _check_dest(src, dest, written, args.overwrite)
            if session is not None:
                session.check_fits(pic.pixels.shape, args.session)
                edit = session.edit(variants_ok=bool(colorizer.card.raw.get("variants", False)))
            else:
                edit = Edit(tuple(hints or ()), args.size, args.vividness, restore=restore_opts,
                            saturation=args.saturation, warmth=args.warmth)
            if reference is not None:  # matched by the render path on the restored photo, as in a batch
                edit = dataclasses.replace(edit, reference=args.reference, reference_strength=args.reference_strength)
            rendered = render(colorizer, pic, edit)
            dest.parent.mkdir(parents=True, exist_ok=True)
            write(dest, rendered)
            written[dest.resolve()] = src
            ok += 1
        except TintaError as exc:
            bar.clear()
            _say("error", str(exc))
            failed += 1
        except MemoryError:
            bar.clear()
            _say("error", f"{src}: not enough memory; try a smaller --size or close other programs")
            failed += 1
        except Exception as exc:  # one line per file, never a traceback; the other files still run
            bar.clear()
            _say("error", f"{src}: {exc.__class__.__name__}: {exc}")
            failed += 1
        finally:
            bar.update(1)
    bar.close()
    seconds = time.perf_counter() - start
    print(f"{PROG}: {ok} ok, {failed} failed in {seconds:.1f} s (provider {colorizer.provider})", flush=True)
    return 1 if failed else 0


def _variant_args_problem(args) -> str | None:
    if args.variants and args.z_from:
        return "--variants and --z-from cannot be combined"
    if (args.z_from is None) != (args.pick is None):
        return "--z-from and --pick go together"
    if args.pick is not None and args.pick < 0:
        return f"--pick must be 0 or more, got {args.pick}"
    if args.seed < 0:
        return f"--seed must be 0 or more, got {args.seed}"
    return None


def _session_args_problem(args) -> str | None:
    if not args.session:
        return None
    if args.hints or args.variants or args.z_from:
        return "--session holds the hints and the variant; it cannot be combined with --hints, --variants or --z-from"
    if len(args.paths) != 1 or Path(args.paths[0]).is_dir():
        return "--session is one photo's session: give exactly that photo"
    return None


def _variants_for(colorizer, pic, src: Path, outdir: Path, ext: str, args, hints, written: dict, opts) -> None:
    from . import variants as cli_variants
    from ..io.image import write_image

    def check(source: Path, dest: Path) -> None:
        _check_dest(source, dest, written, args.overwrite)
        written[dest.resolve()] = source

    if args.z_from:
        cli_variants.rerender(colorizer, pic, src, outdir, ext, args.z_from, args.pick, write_image, check, opts,
                              (args.saturation, args.warmth))
    else:
        cli_variants.render_variants(colorizer, pic, src, outdir, ext, args.variants, args.seed, hints, args.size,
                                     args.vividness, args.spread, write_image, check, opts,
                                     (args.saturation, args.warmth))


def _check_hints(hints, shape, src: Path, hints_path: str) -> None:
    from ..errors import HintError, ImageError
    from ..hints import check_inside

    try:
        check_inside(hints, shape, hints_path)
    except HintError as exc:
        raise ImageError(src, f"{exc.problem} (hints from {hints_path})") from None


def _check_dest(src: Path, dest: Path, written: dict, overwrite: bool) -> None:
    from ..errors import ImageError

    target = dest.resolve()
    if target == src.resolve():
        raise ImageError(src, f"output {dest} would replace the input; choose another output folder")
    if target in written:
        raise ImageError(src, f"output {dest} is already taken by {written[target]}; rename one of them")
    if dest.exists() and not overwrite:
        raise ImageError(src, f"output {dest} already exists (use --overwrite to replace it)")


def info_command(args) -> int:
    import onnxruntime as ort

    from .. import providers
    from ..colorizer import Colorizer
    from ..models import list_cards, model_dirs

    print("model folders: " + ", ".join(str(d) for d in model_dirs()))
    print("providers available: " + ", ".join(ort.get_available_providers()))
    cards, problems = list_cards()
    for problem in problems:
        _say("warning", problem)
    try:
        colorizer = Colorizer(args.model, args.provider, split=False)
    except (ModelError, ProviderError) as exc:
        _say("error", str(exc))
        return 2
    card = colorizer.card
    print(f"model: {card.name} {card.version}".rstrip())
    print(f"  file: {card.path}")
    print(f"  sha256: {card.sha256} (verified)")
    print(f"  working long side: {card.default_long_side}, temperature: {card.default_temperature}")
    d = card.decoding
    print(f"  decoding: {d.mode}" + ("" if d.mode == "annealed" else f", regression gain {d.reg_gain:g}")
          + (f" growing with chroma (knee {d.chroma_knee:g})" if d.mode != "annealed" and d.chroma_knee else "")
          + (f" + chroma lift {d.chroma_lift:g} / (c + {d.lift_knee:g})" if d.mode != "annealed" and d.chroma_lift
             else "")
          + (f", the photo's tint x{d.tint_gain:g}" if d.mode != "annealed" and d.tint_gain is not None else "")
          + (f", confidence {d.conf_lo:g}-{d.conf_hi:g}" if d.mode == "blend" else ""))
    if colorizer._session is not None:
        runs = [o.name for o in colorizer._session.get_outputs()]
        rest = [o for o in colorizer._outputs if o not in runs]
        print(f"  computes: {', '.join(runs)}" + (f" ({', '.join(rest)} only when asked for)" if rest else ""))
    for title, section in (("training", card.training), ("metrics", card.metrics)):
        print(f"  {title}:" + ("" if section else " (none)"))
        for key, value in section.items():
            print(f"    {key}: {value}")
    others = [c.name for c in cards if c.name != card.name]
    if others:
        print("other models: " + ", ".join(others))
    precision = providers.precision_of(colorizer._session)
    print(f"provider in use: {colorizer.provider}, {precision} (threads: {providers.physical_cores()})")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        # Warnings (e.g. provider fallback) become one plain line each, not Python's file:line format.
        warnings.showwarning = lambda message, *rest, **kw: _say("warning", str(message))
        try:
            if args.command == "batch":
                return batch_command(args)
            if args.command == "uncertainty":
                from .uncertainty import uncertainty_command
                return uncertainty_command(args)
            return colorize_command(args) if args.command == "colorize" else info_command(args)
        except KeyboardInterrupt:
            _say("error", "interrupted")
            return 130
        except TintaError as exc:  # last line of defence: the commands report their own, one line each
            _say("error", str(exc))
            return 1
        except OSError as exc:  # e.g. a folder that turned read-only or a disk that filled mid-run
            _say("error", f"{exc.filename or PROG}: {exc.strerror or exc}")
            return 1

