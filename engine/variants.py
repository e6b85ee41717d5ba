"""Alternative colourings from the conditional VAE: the photo and hints are encoded once, N latents decoded at once.

A variant is the colorization for one latent vector z (D float32). Sampled variants draw
z ~ N(0, spread^2 I) from their own seed, so `seed` alone reproduces one; variants made by
`near` / `interpolate` are reproduced from their `z` (render_z).
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from . import decoding, render
from .errors import ModelError
from .hints import Hint
from .kept import Kept
from .models import ModelCard, find_card, verify
from .providers import physical_cores, session_for

ROLES = ("encoder", "decoder")
MAX_SEED = 2**63 - 1
DERIVED = 2**31 - 1  # derived seeds stay 31-bit, like the app's, so they survive any JSON reader
MAX_VARIANTS = 64  # all N variants' chroma is held at once before each is rendered
# Below this many pixels the variants render side by side, one per core (a 500 x 500 photo: 8 variants 1.66-1.93x
# one colorization, against 2.24x when each is split into bands instead).
SIDE_BY_SIDE_PIXELS = 1 << 18
# The encoder's answers kept, by input: a photo's next set of variants, "more like this", a re-render of one variant
# and the reference matcher ask again for the same photo and hints, and the encoder (the default network again) is
# about 30% of a set of 8 (docs/history-speed.md). Two: a set with hints and its protect regions' plain answer.
ENCODED_KEEP = 2


@dataclass(frozen=True)
class Source:
    """What a variant was made from, so more_like can decode near it: the image array (not copied)
    and the colorize settings."""

    image: np.ndarray = field(repr=False)
    hints: tuple = ()
    size: int | None = None
    vividness: float = 1.0
    regions: tuple = ()


@dataclass
class Variant:
    """z: (D,) float32 latent; seed: the seed that drew z (sampled variants) or the noise seed of a
    `more_like` step; result: the full-resolution ColorizeResult; spread: the sampling spread used."""

    z: np.ndarray
    seed: int
    result: object
    spread: float
    source: Source = field(repr=False, compare=False, default=None)


class Sampler:
    """Encoder and decoder sessions of a card with "variants": true and "files" {encoder, decoder}."""

    def __init__(self, card: ModelCard, provider: str | None = None):
        missing = [r for r in ROLES if r not in card.files]
        if missing:
            raise ModelError(f"{card.card_path}: variant model card lacks files.{', files.'.join(missing)}")
        verify(card)
        self.card = card
        self.latent_dim = int(card.raw.get("latent_dim") or 0)
        if self.latent_dim < 1:
            raise ModelError(f"{card.card_path}: variant model card needs a positive latent_dim")
        self.spread = float(card.raw.get("variant_spread", 1.0))
        try:
            (self._enc, self.provider), (self._dec, _) = (session_for(p, sha, provider)
                                                          for p, sha in (card.files[r] for r in ROLES))
        except Exception as exc:  # onnxruntime raises its own exception types on bad graphs
            raise ModelError(f"{card.card_path}: ONNX Runtime cannot load the variant model ({str(exc)[:120]})") \
                from None
        self._enc_out = [o.name for o in self._enc.get_outputs()]
        self._encoded = Kept(ENCODED_KEEP)
        self._dec_in = [i.name for i in self._dec.get_inputs()]
        if "z" not in self._dec_in or [o.name for o in self._dec.get_outputs()][:1] != ["ab"]:
            raise ModelError(f"{card.files['decoder'][0]}: decoder lacks the z input or the ab output")

    def encode(self, L: np.ndarray, hint_ab: np.ndarray | None, hint_mask: np.ndarray | None) -> dict:
        """L 1 x 1 x Hp x Wp float32 (L* 0..100; hints alike, or None) -> the decoder's feature feeds (a new dict of
        read-only arrays, shared with the answer kept for the next call with the same inputs)."""
        _, _, h, w = L.shape
        hint_ab = np.zeros((1, 2, h, w), np.float32) if hint_ab is None else hint_ab
        hint_mask = np.zeros((1, 1, h, w), np.float32) if hint_mask is None else hint_mask
        feeds = {"L": np.ascontiguousarray(L, np.float32), "hint_ab": np.ascontiguousarray(hint_ab, np.float32),
                 "hint_mask": np.ascontiguousarray(hint_mask, np.float32)}
        key = Kept.key(*feeds.values())
        hit = self._encoded.get(key)
        if hit is not None:
            return dict(hit)
        feats = dict(zip(self._enc_out, self._enc.run(self._enc_out, feeds)))
        feats["L"] = feeds["L"].copy()  # the caller's own array may come through ascontiguousarray unchanged
        for a in feats.values():
            a.flags.writeable = False  # kept for the next call: a write would change its answer
        self._encoded.put(key, feats)
        return dict(feats)

    def forget_encoded(self) -> None:
        """Drop the encoder answers kept (ENCODED_KEEP), as if no photo had been seen."""
        self._encoded.clear()

    def decode(self, feats: dict, z: np.ndarray, temperature: float) -> np.ndarray:
        """z N x D float32 -> ab N x 2 x Hp x Wp float32, one decoder run per z."""
        z = np.ascontiguousarray(np.atleast_2d(z), np.float32)
        if z.shape[1] != self.latent_dim:
            raise ValueError(f"z has {z.shape[1]} dimensions; model {self.card.name!r} needs {self.latent_dim}")
        # One run per z: a batched run's kernels may round differently from a single one, and a variant
        # re-rendered alone from its z (`--z-from`, the app's pick) must match its batch render exactly.
        feeds = {**feats, "temperature": np.array([temperature], np.float32)}
        out = []
        for row in z:
            feeds["z"] = row[None]
            out.append(self._dec.run(["ab"], {k: feeds[k] for k in self._dec_in})[0])
        return np.concatenate(out)


def sampler_card(card: ModelCard) -> ModelCard | None:
    """The card whose files sample variants for `card`: itself, its "variants_model" companion, or None."""
    if not card.raw.get("variants", False):
        return None
    if card.files:
        return card
    companion = card.raw.get("variants_model")
    if not companion:
        raise ModelError(f"{card.card_path}: says \"variants\": true but has neither files nor variants_model")
    return find_card(str(companion))


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) <= MAX_SEED:
        raise ValueError(f"seed must be an integer 0..{MAX_SEED}, got {seed!r}")
    return int(seed)


def variant_seeds(seed: int, n: int) -> list[int]:
    """Seeds of n variants: the first is `seed` itself (so variants(image, 1, seed=v.seed) repeats v),
    the others are drawn from (seed, i) so runs with neighbouring seeds do not share variants."""
    seed = check_seed(seed)
    return [seed] + [int(np.random.SeedSequence([seed, i]).generate_state(1)[0] & DERIVED)
                     for i in range(1, n)]


def z_for_seed(seed: int, dim: int, spread: float) -> np.ndarray:
    """(dim,) float32 z ~ N(0, spread^2 I) drawn from numpy's PCG64 generator seeded with `seed`."""
    return (np.random.default_rng(check_seed(seed)).standard_normal(dim) * spread).astype(np.float32)


def near(z: np.ndarray, spread: float, seed: int, n: int) -> tuple[list[int], np.ndarray]:
    """n latents around z: z + spread * N(0, I), each from its own seed derived from `seed`. -> (seeds, n x D)."""
    seeds = [int(np.random.SeedSequence([check_seed(seed), 0x6D6F7265, i]).generate_state(1)[0]
                 & DERIVED) for i in range(n)]
    z = np.asarray(z, np.float32).reshape(-1)
    return seeds, np.stack([z + spread * np.random.default_rng(s).standard_normal(z.size).astype(np.float32)
                            for s in seeds]).astype(np.float32)


def interpolate(z_a: np.ndarray, z_b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation (White 2016) from z_a (t=0) to z_b (t=1), exact at the ends.

    Keeps the norm typical of Gaussian samples, which a straight line shrinks midway; falls back
    to the straight line for (anti)parallel or zero vectors.
    """
    a, b = np.asarray(z_a, np.float64).reshape(-1), np.asarray(z_b, np.float64).reshape(-1)
    if a.shape != b.shape:
        raise ValueError(f"z_a and z_b differ in size: {a.size} and {b.size}")
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"t must lie in [0, 1], got {t}")
    if t == 0.0 or t == 1.0:
        return np.asarray(z_a if t == 0.0 else z_b, np.float32).reshape(-1).copy()
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    cos = float(a @ b / (na * nb)) if na > 0 and nb > 0 else 1.0
    omega = math.acos(min(1.0, max(-1.0, cos)))
    if math.sin(omega) < 1e-6:
        return ((1 - t) * a + t * b).astype(np.float32)
    return ((math.sin((1 - t) * omega) * a + math.sin(t * omega) * b) / math.sin(omega)).astype(np.float32)


def with_lift(ab: np.ndarray, feats: dict, dec: decoding.Decoding, vividness: float) -> np.ndarray:
    """Samples (N x 2 x Hp x Wp) plus the default decoding's chroma lift and tint shift from the same regression
    chroma. The sampler learned its_gain * ab_reg + offset without either (docs/history-tinta-vae.md); where its
    gain is the card's reg_gain (tinta-vae 4 beside tinta-base 2.1, checked in tests/test_engine_models.py) a
    sample whose offset is zero is then the default's colours."""
    if (not dec.chroma_lift > 0 and dec.tint_gain is None) or "ab_reg" not in feats:
        return ab
    return ab + decoding.chroma_lift(feats["ab_reg"], dec, vividness) + decoding.tint_shift(feats["ab_reg"], dec,
                                                                                             vividness)


def iter_decoded(colorizer, sampler: Sampler, source: Source, zs: np.ndarray, seeds: list[int],
                 spread: float) -> Iterator[Variant]:
    """Encode once, decode all of zs (N x D) in one batch, then render each variant at full
    resolution through Colorizer.finish, yielding them one at a time (so callers can write and drop).
    Each result's `seconds` counts from the start of the batch."""
    if len(zs) > MAX_VARIANTS:
        raise ValueError(f"at most {MAX_VARIANTS} variants at once, asked for {len(zs)}")
    job = colorizer.prepare(source.image, list(source.hints) or None, source.size, source.vividness, source.regions)
    feats = sampler.encode(job.L_pad[None, None], job.hint_ab, job.hint_mask)
    ab = with_lift(sampler.decode(feats, zs, job.temperature), feats, colorizer.card.decoding, source.vividness)
    plain = None
    if colorizer.needs_plain(job):  # protect regions keep each variant's own colours without the hints
        bare = sampler.encode(job.L_pad[None, None], None, None)
        plain = with_lift(sampler.decode(bare, zs, job.temperature), bare, colorizer.card.decoding, source.vividness)

    def finish(i: int):
        return colorizer.finish(job, ab[i], None, None if plain is None else plain[i])

    def finish_on_one_core(i: int):
        with render.on_one_core():
            return finish(i)

    h, w = source.image.shape[:2]
    workers = min(physical_cores(), len(zs))
    if workers > 1 and h * w < SIDE_BY_SIDE_PIXELS:
        # A render this small gains more from the variants side by side than from render.render's bands (which
        # then stay on one core each). Small renders, so holding them all at once costs little.
        with ThreadPoolExecutor(workers) as pool:
            results = pool.map(finish_on_one_core, range(len(zs)))
            for z, seed, result in zip(zs, seeds, results):
                yield Variant(np.array(z, np.float32), int(seed), result, float(spread), source)
        return
    for i, (z, seed) in enumerate(zip(zs, seeds)):
        yield Variant(np.array(z, np.float32), int(seed), finish(i), float(spread), source)
