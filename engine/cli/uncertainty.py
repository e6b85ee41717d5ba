"""`tinta uncertainty PHOTO -o MAP [--suggest N]`: where the model is unsure, and where a hint would help most."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ..errors import ModelError, ProviderError, TintaError


def _say(message: str) -> None:
    print(f"tinta: error: {message}", file=sys.stderr, flush=True)


def _gray8(pixels: np.ndarray) -> np.ndarray:
    """H x W x 3 uint8: the photo as the gray it is (its L*), under the heat map."""
    from ..color import lab_to_srgb, luminance

    L = luminance(pixels if pixels.ndim == 2 else pixels[..., :3])
    zero = np.zeros_like(L)
    g = (lab_to_srgb(L, zero, zero)[..., 0] * 255.0 + 0.5).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


def uncertainty_command(args) -> int:
    from .. import uncertainty
    from ..colorizer import Colorizer
    from ..hints import check_inside, load_hints
    from ..io.image import read_image, write_image

    src, dest = Path(args.photo), Path(args.output)
    if not src.exists():
        _say(f"{src}: file does not exist")
        return 1
    if dest.exists() and dest.resolve() == src.resolve():
        _say(f"{src}: output {dest} would replace the input; choose another name")
        return 1
    if dest.exists() and not args.overwrite:
        _say(f"{dest}: already exists (use --overwrite to replace it)")
        return 1
    try:
        hints = load_hints(args.hints) if args.hints else []
    except TintaError as exc:
        _say(str(exc))
        return 1
    try:
        colorizer = Colorizer(args.model, args.provider, split=False)
    except (ModelError, ProviderError) as exc:
        _say(str(exc))
        return 2
    try:
        pic = read_image(src)
        if hints:
            check_inside(hints, pic.pixels.shape, args.hints)
        result = colorizer.colorize(pic.pixels, hints=hints or None, size=args.size)
        umap = colorizer.uncertainty(result)
        suggestions = colorizer.suggest_hints(result, args.suggest, hints) if args.suggest else []
        dest.parent.mkdir(parents=True, exist_ok=True)
        write_image(dest, uncertainty.overlay(_gray8(pic.pixels), umap, suggestions))
    except ModelError as exc:
        _say(str(exc))
        return 2
    except TintaError as exc:
        _say(str(exc))
        return 1
    except MemoryError:
        _say(f"{src}: not enough memory; try a smaller --size or close other programs")
        return 1
    except OSError as exc:
        _say(f"{exc.filename or dest}: {exc.strerror or exc}")
        return 1
    lo, hi = uncertainty.display_range(umap)
    print(f"{dest}: uncertainty {umap.mean():.2f} on average (0 sure .. 1 unsure); the map's colours span "
          f"{lo:.2f} (purple) to {hi:.2f} (yellow)")
    for i, s in enumerate(suggestions, 1):
        likely = colorizer.likely_colours(result, s.x, s.y, 3)
        colours = ", ".join(f"{c.hex} {c.probability * 100:.0f}%" for c in likely)
        print(f"{i}. x {s.x}, y {s.y}: uncertainty {s.uncertainty:.2f}, {s.gain * 100:.0f}% of the gain; "
              f"likely colours {colours}")
    return 0
