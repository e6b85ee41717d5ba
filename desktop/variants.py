"""The variant sampler as the app expects it from the engine (conditional VAE, issue 4), and its helpers.

Expected engine API: Colorizer.variants(image, n, seed, hints=None) -> list[Variant(z, seed, result)],
where variant i is reproduced by variants(image, 1, seed=variants[i].seed); and
Colorizer.more_like(variant, spread) -> list[Variant]. The model card declares "variants": true.
"""
from __future__ import annotations

from desktop.document import Document, VariantChoice
from engine.hints import Hint
from engine.render_job import Edit

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


def edit_of(doc: Document, colorizer, restore=None, hints: list[Hint] | None = None,
            size: int | None = None) -> Edit:
    """The engine's frozen Edit for the document as it is now (a variant only where the model can render it);
    `hints` and `size` replace the document's (the preview works in its own pixels and size)."""
    choice: VariantChoice | None = doc.variant if variants_supported(colorizer) else None
    extra = {} if restore is None else {"restore": restore}
    return Edit(tuple(doc.hints if hints is None else hints), doc.size if size is None else size, doc.vividness,
                None if choice is None else choice.seed, None if choice is None else choice.z,
                saturation=doc.saturation, warmth=doc.warmth, regions=doc.regions, **extra)
