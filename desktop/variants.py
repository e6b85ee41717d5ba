"""The variant sampler as the app expects it from the engine (conditional VAE, issue 4), and its helpers.

Expected engine API: Colorizer.variants(image, n, seed, hints=None) -> list[Variant(z, seed, result)],
where variant i is reproduced by variants(image, 1, seed=variants[i].seed); and
Colorizer.more_like(variant, spread) -> list[Variant]. The model card declares "variants": true.
"""
from __future__ import annotations

from desktop.document import Document
from engine.hints import Hint

UNSUPPORTED = "The installed model has no variant sampler."


def variants_supported(colorizer) -> bool:
    """True when the engine offers a variant sampler and the model card declares one."""
    card = getattr(colorizer, "card", None)
    raw = getattr(card, "raw", None) or {}
    return hasattr(colorizer, "variants") and bool(raw.get("variants", False))


def preview_hints(doc: Document, hints: list[Hint]) -> list[Hint]:
    """Hints in the preview image's pixel coordinates (radius stays in working pixels)."""
    w, h = doc.full_size
    pw, ph = doc.preview.shape[1], doc.preview.shape[0]
    return [Hint(min(x.x * pw / w, pw - 0.01), min(x.y * ph / h, ph - 0.01), x.color, x.radius) for x in hints]


def render_choice(colorizer, image, choice, hints: list[Hint], size: int | None = None, vividness: float = 1.0):
    """The chosen variant on `image` with `hints`: from its z when known (exact), else from its seed."""
    if choice.z is not None:
        import numpy as np
        return colorizer.render_z(image, np.asarray(choice.z, np.float32), hints=hints, size=size,
                                  vividness=vividness, seed=choice.seed)
    return colorizer.variants(image, 1, choice.seed, hints=hints, size=size, vividness=vividness)[0]
