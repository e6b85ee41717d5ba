"""Restoration before colorizing: toned prints, dust/scratch clean-up, denoise and local contrast on luminance.

Tone is detected on the original (by default: a toned print's tint is taken out by its own white point);
every other step works on the neutral luminance (an HxW array of the input's dtype, so 16-bit scans keep
16 bits), which is what the colorizer then sees.
"""
from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, fields

import numpy as np

from .. import restore  # the package: engine/restore/__init__.py


@dataclass(frozen=True)
class RestoreOptions:
    """detect_tone: find toned monochrome prints (sepia, cyanotype, selenium) and take their tint out by its
    white point; detone: strip toning even when detection is off (to neutral L* if the print is not toned);
    keep_tone 0..1: blend the print's tone back into the colours (the tone kept as a look);
    clean_dust + dust_sensitivity 0..1 + dust_mask (PNG path, white = defect); denoise, local_contrast 0..1."""

    detone: bool = False
    keep_tone: float = 0.0
    clean_dust: bool = False
    dust_sensitivity: float = 0.5
    dust_mask: str | None = None
    denoise: float = 0.0
    local_contrast: float = 0.0
    detect_tone: bool = True

    def __post_init__(self):
        for name in ("keep_tone", "dust_sensitivity", "denoise", "local_contrast"):
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name.replace('_', '-')} must be between 0 and 1, got {value}")

    @property
    def active(self) -> bool:
        return (self.detone or self.detect_tone or self.keep_tone > 0 or self.luminance_steps)

    @property
    def luminance_steps(self) -> bool:
        """Whether any step after the tone rewrites the luminance."""
        return self.clean_dust or self.dust_mask is not None or self.denoise > 0 or self.local_contrast > 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "RestoreOptions":
        known = {f.name for f in fields(cls)}
        data = dict(data or {})
        # Recipes written before tone detection existed were rendered without it; they keep that meaning.
        data.setdefault("detect_tone", False)
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Restored:
    """pixels: HxW luminance (input dtype) to colorize, or the untouched input when no option is on;
    alpha: HxW or None; tone: ToneInfo of the original (None unless detone/keep_tone)."""

    pixels: np.ndarray
    alpha: np.ndarray | None
    tone: restore.ToneInfo | None


def load_dust_mask(path: str, shape: tuple[int, int]) -> np.ndarray:
    """HxW bool from a mask image (non-black = defect); raises ImageError when its size differs."""
    from ..errors import ImageError
    from ..io.image import read_image

    px = read_image(path, to_srgb=False).pixels
    gray = px if px.ndim == 2 else px[..., :3].max(axis=2)
    if gray.shape != tuple(shape):
        raise ImageError(path, f"dust mask is {gray.shape[1]}x{gray.shape[0]} but the photo is "
                               f"{shape[1]}x{shape[0]}")
    return gray > 0


def prepare(pixels: np.ndarray, opts: RestoreOptions, dust_mask: np.ndarray | None = None) -> Restored:
    """Apply the restoration steps to HxW / HxWx3 / HxWx4 uint8/uint16 pixels (see module docstring)."""
    alpha = pixels[..., 3] if pixels.ndim == 3 and pixels.shape[2] == 4 else None
    base = pixels[..., :3] if alpha is not None else pixels
    wants_tone = opts.detone or opts.detect_tone or opts.keep_tone > 0
    tone = restore.detect_tone(base) if wants_tone and base.ndim == 3 else None
    untint = tone is not None and tone.toned and (opts.detone or opts.detect_tone)
    luminance_steps = opts.luminance_steps or dust_mask is not None
    if not (untint or opts.detone or luminance_steps):
        # The luminance stays the photo's own, so the colorizer may read the photo itself.
        return Restored(pixels, alpha, tone)
    if untint:
        gray = restore.gray_twin(base, tone.tint)
    else:
        # remove_tone gives the exact L* as neutral gray: the colorizer sees the same luminance.
        gray = restore.remove_tone(base) if base.ndim == 3 else base
    if opts.clean_dust or dust_mask is not None:
        auto = None if opts.clean_dust else np.zeros(gray.shape, bool)
        gray = restore.clean_defects(gray, mask=auto, user_mask=dust_mask,
                                     sensitivity=opts.dust_sensitivity).image
    if opts.denoise > 0:
        gray = restore.denoise_luminance(gray, opts.denoise)
    if opts.local_contrast > 0:
        gray = restore.local_contrast(gray, opts.local_contrast)
    return Restored(gray, alpha, tone)


def tone_back(rgb: np.ndarray, tone: restore.ToneInfo | None, opts: RestoreOptions) -> np.ndarray:
    """Colorized HxWx3 (any size, e.g. a preview) -> the print's tone blended back by keep_tone; else as is."""
    if tone is not None and opts.keep_tone > 0 and tone.kind != "neutral":
        return restore.apply_tone(rgb[..., :3], tone, opts.keep_tone)
    return rgb


def finish(rgb: np.ndarray, restored: Restored, opts: RestoreOptions) -> np.ndarray:
    """Colorized HxWx3 -> final HxWx3/4: the print's tone blended back by keep_tone, alpha re-attached."""
    rgb = tone_back(rgb, restored.tone, opts)
    if restored.alpha is not None:
        rgb = np.dstack([rgb[..., :3], restored.alpha])
    return rgb


def _unit(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1: {text!r}")
    return value


def add_restore_args(parser: argparse.ArgumentParser) -> None:
    """The restoration flags shared by `tinta colorize` and `tinta batch`."""
    g = parser.add_argument_group("restoration (applied to luminance before colorizing)")
    g.add_argument("--no-detect-tone", dest="detect_tone", action="store_false",
                   help="do not look for toned prints (sepia, cyanotype, selenium); by default their tint is "
                        "taken out by its own white point before colorizing")
    g.add_argument("--detone", action="store_true",
                   help="strip toning even with --no-detect-tone (to neutral gray if the print is not toned)")
    g.add_argument("--keep-tone", type=_unit, default=0.0, nargs="?", const=1.0, metavar="AMOUNT",
                   help="keep the print's tone as a look: blend it back into the colours, 0..1 (alone: 1)")
    g.add_argument("--clean-dust", action="store_true", help="find and fill dust specks and scratches")
    g.add_argument("--dust-sensitivity", type=_unit, default=0.5, metavar="S",
                   help="0..1, higher finds fainter defects (default 0.5)")
    g.add_argument("--dust-mask", metavar="PNG", help="mask image the photo's size; white marks defects to fill")
    g.add_argument("--denoise", type=_unit, default=0.0, metavar="S", help="film-grain denoising strength 0..1")
    g.add_argument("--local-contrast", type=_unit, default=0.0, metavar="S", help="local contrast (CLAHE) 0..1")


def options_from_args(args) -> RestoreOptions:
    return RestoreOptions(detone=args.detone, keep_tone=args.keep_tone, clean_dust=args.clean_dust,
                          dust_sensitivity=args.dust_sensitivity, dust_mask=args.dust_mask,
                          denoise=args.denoise, local_contrast=args.local_contrast,
                          detect_tone=args.detect_tone)
