"""The `tinta` command line: colorize image files or folders, and show model and provider info."""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

from .errors import ModelError, ProviderError, TintaError

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Colorize old black-and-white photographs, offline.")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("colorize", help="colorize image files or folders (recursively)")
    c.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders")
    c.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="folder for the results")
    c.add_argument("--size", type=_positive(int), default=None, help="working long side in pixels (model default)")
    c.add_argument("--hints", metavar="FILE", help='JSON {"hints": [{"x":..,"y":..,"color":"#rrggbb"}]}')
    c.add_argument("--vividness", type=_positive(float), default=1.0, help="colour strength, 1 = model default")
    c.add_argument("--provider", help="cpu, cuda, directml, coreml or a full ONNX Runtime provider name")
    c.add_argument("--model", help="model name (default: the installed default model)")
    c.add_argument("--format", choices=("png", "jpg", "tif"), help="output format (png, or tif for 16-bit input)")
    c.add_argument("--overwrite", action="store_true", help="replace existing outputs (never inputs)")
    i = sub.add_parser("info", help="show the model, its card and the execution providers")
    i.add_argument("--provider", help="provider to try")
    i.add_argument("--model", help="model name")
    return parser


class Progress:
    """A plain-text progress bar on stderr: redrawn in place on a terminal, one line per step otherwise."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = total, enabled
        self.tty = enabled and sys.stderr.isatty()
        self.width = 0

    def step(self, done: int, name: str) -> None:
        if not self.enabled:
            return
        filled = int(24 * done / self.total)
        line = f"[{'#' * filled}{'.' * (24 - filled)}] {done}/{self.total} {name}"
        if self.tty:
            self.clear()
            sys.stderr.write(line[:100])
            self.width = min(100, len(line))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def clear(self) -> None:
        if self.tty and self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            self.width = 0


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
    from .colorizer import Colorizer
    from .hints import load_hints
    from .imageio import read_image, write_image

    start = time.perf_counter()
    outdir = Path(args.output)
    problem = _prepare_outdir(outdir)
    if problem:
        _say("error", f"{outdir}: {problem}")
        return 1
    hints = None
    if args.hints:
        try:
            hints = load_hints(args.hints)
        except TintaError as exc:
            _say("error", str(exc))
            return 1
    try:
        colorizer = Colorizer(args.model, args.provider)
    except (ModelError, ProviderError) as exc:
        _say("error", str(exc))
        return 2
    items, missing = _collect(args.paths, outdir)
    failed = 0
    for raw, why in missing:
        _say("error", f"{raw}: {why}")
        failed += 1
    bar = Progress(len(items), enabled=len(items) > 1)
    written: dict[Path, Path] = {}
    ok = 0
    for n, (src, sub) in enumerate(items):
        bar.step(n, src.name)
        try:
            pic = read_image(src)
            ext = args.format or ("tif" if pic.bit_depth == 16 else "png")
            dest = outdir / sub / f"{src.stem}.{ext}"
            _check_dest(src, dest, written, args.overwrite)
            if hints:
                _check_hints(hints, pic.pixels.shape, src, args.hints)
            result = colorizer.colorize(pic.pixels, hints=hints, size=args.size, vividness=args.vividness)
            dest.parent.mkdir(parents=True, exist_ok=True)
            write_image(dest, result.rgb)
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
    bar.step(len(items), "")
    bar.clear()
    seconds = time.perf_counter() - start
    print(f"{PROG}: {ok} ok, {failed} failed in {seconds:.1f} s (provider {colorizer.provider})", flush=True)
    return 1 if failed else 0


def _check_hints(hints, shape, src: Path, hints_path: str) -> None:
    from .errors import HintError, ImageError
    from .hints import check_inside

    try:
        check_inside(hints, shape, hints_path)
    except HintError as exc:
        raise ImageError(src, f"{exc.problem} (hints from {hints_path})") from None


def _check_dest(src: Path, dest: Path, written: dict, overwrite: bool) -> None:
    from .errors import ImageError

    target = dest.resolve()
    if target == src.resolve():
        raise ImageError(src, f"output {dest} would replace the input; choose another output folder")
    if target in written:
        raise ImageError(src, f"output {dest} is already taken by {written[target]}; rename one of them")
    if dest.exists() and not overwrite:
        raise ImageError(src, f"output {dest} already exists (use --overwrite to replace it)")


def info_command(args) -> int:
    import onnxruntime as ort

    from . import providers
    from .colorizer import Colorizer
    from .models import list_cards, model_dirs

    print("model folders: " + ", ".join(str(d) for d in model_dirs()))
    print("providers available: " + ", ".join(ort.get_available_providers()))
    cards, problems = list_cards()
    for problem in problems:
        _say("warning", problem)
    try:
        colorizer = Colorizer(args.model, args.provider)
    except (ModelError, ProviderError) as exc:
        _say("error", str(exc))
        return 2
    card = colorizer.card
    print(f"model: {card.name} {card.version}".rstrip())
    print(f"  file: {card.path}")
    print(f"  sha256: {card.sha256} (verified)")
    print(f"  working long side: {card.default_long_side}, temperature: {card.default_temperature}")
    for title, section in (("training", card.training), ("metrics", card.metrics)):
        print(f"  {title}:" + ("" if section else " (none)"))
        for key, value in section.items():
            print(f"    {key}: {value}")
    others = [c.name for c in cards if c.name != card.name]
    if others:
        print("other models: " + ", ".join(others))
    print(f"provider in use: {colorizer.provider} (threads: {providers.physical_cores()})")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        # Warnings (e.g. provider fallback) become one plain line each, not Python's file:line format.
        warnings.showwarning = lambda message, *rest, **kw: _say("warning", str(message))
        try:
            return colorize_command(args) if args.command == "colorize" else info_command(args)
        except KeyboardInterrupt:
            _say("error", "interrupted")
            return 130


if __name__ == "__main__":
    sys.exit(main())
