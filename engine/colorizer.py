"""Colorizer: luminance in, network at a working size, edge-aware chroma upsampling, sRGB out."""
from __future__ import annotations

import math
import threading
import time
import warnings
from dataclasses import dataclass

import cv2
import numpy as np

from . import contract, decoding, ensemble, levels, propagate, render, sharpness
from . import regions as _regions
from . import uncertainty as uncertain
from . import variants as sampling
from .color import luminance
from .errors import ModelError, ProviderError
from .hints import Hint, check_inside, hints_to_inputs
from .kept import Kept
from . import precision as _precision
from . import pruning
from .split import SplitWarning
from .models import find_card, verify, verify_int8
from .providers import canonical, session_for


# Encoder answers kept (engine/split.py): a photo's two working sizes, and the one opened before it. About 1 MB each
# at the default working size.
ENCODED_KEEP = 4


@dataclass
class ColorizeResult:
    """rgb: H x W x 3 (x 4 with the input's alpha), input dtype, full resolution.

    ab_work: 2 x h x w float32 a*/b* at working resolution (unpadded); prob: K x ceil(h/4) x ceil(w/4)
    float32 or None (made on first use by Colorizer.distribution); work_shape: (h, w); provider: ORT
    provider that ran; seconds: wall time; inputs: the network's feeds (padded L* 1 x 1 x Hp x Wp, hint
    tensors or None, temperature) when the distribution can be made later, else None (a variant's);
    luminance: H x W float32 L* of rgb, made on first use by the uncertainty methods and kept.
    """

    rgb: np.ndarray
    ab_work: np.ndarray
    prob: np.ndarray | None
    work_shape: tuple[int, int]
    provider: str
    seconds: float
    temperature: float
    inputs: tuple | None = None
    luminance: np.ndarray | None = None


@dataclass(frozen=True)
class Chroma:
    """ab_work: 2 x h x w float32 after the hints and regions; coef: h x w x 4 guided-filter coefficients."""

    ab_work: np.ndarray
    coef: np.ndarray


@dataclass
class Job:
    """One colorization's inputs: image (checked), L_full H x W and L_work h x w float32 L*, L_pad
    Hp x Wp (multiples of the card's; the network's input, engine/levels.py), hint tensors 1 x 2|1 x Hp x Wp
    or None, temperature, start time, and the regions (engine/regions.py) composited over the result."""

    image: np.ndarray
    L_full: np.ndarray
    L_work: np.ndarray
    L_pad: np.ndarray
    hint_ab: np.ndarray | None
    hint_mask: np.ndarray | None
    temperature: float
    start: float
    regions: tuple = ()


@dataclass
class Prediction:
    """Network outputs, NCHW float32: ab/ab_reg/ab_cls N x 2 x H x W, prob N x K x H/4 x W/4 (or None).

    `ab` is the chroma as the card's decoding makes it (engine/decoding.py); `ab_cls` the network's
    own annealed-mean output and `ab_reg` its regression head, both as they came.
    """

    ab: np.ndarray
    ab_reg: np.ndarray | None
    prob: np.ndarray | None
    ab_cls: np.ndarray | None = None  # None when the decoding did not need it


class Colorizer:
    """A verified model with an ONNX Runtime session; `card` is its ModelCard, `provider` the one in use."""

    def __init__(self, model: str | None = None, provider: str | None = None, precision: str | None = None,
                 split: bool = True):
        """`precision` ("auto", "fp32", "fp16", "int8") overrides TINTA_PRECISION (engine/precision.py).
        `split`: run a hint-free encoder apart, once per photo (engine/split.py), when the graph has one. It pays
        where a photo is colorized again with other hints (the app's strokes); cutting the graph costs about
        0.1 s at load, which a job that colorizes each photo once (the CLI, batches) need not pay."""
        if precision is not None and precision not in _precision.MODES:
            raise ValueError(f"precision must be one of {', '.join(_precision.MODES)}, got {precision!r}")
        if provider is not None:
            canonical(provider)  # a misspelt provider is reported before any model problem
        self.card = find_card(model)
        self._requested_provider = provider
        self._sampler = None
        if self.card.files:  # a variant model's card (encoder + decoder): colorize is its z = 0 sample
            self._sampler = sampling.Sampler(self.card, provider)
            self._session, self.provider = None, self._sampler.provider
            return
        path = verify(self.card)
        self._open = (path, self.card.sha256, provider, verify_int8(self.card), precision)
        self._full = None
        self._full_parts = None  # (encoder, the whole graph's rest) when the graph is split
        self._full_lock = threading.Lock()
        try:
            self._outputs = list(pruning.graph_outputs(path, self.card.sha256))
            # The card's decoding reads one or two outputs; the rest of the graph (the class head, half the
            # CPU time of tinta-base) runs only when a distribution is asked for (engine/pruning.py).
            wanted = self.card.decoding.outputs(self._outputs)
            # A graph whose encoder reads L alone runs in two parts, the encoder once per photo and working size
            # (engine/split.py): a stroke then re-runs only what reads the hints. The part that does stands in
            # for the whole graph, which is then not opened at all (it would hold its weights twice).
            self._split = None
            try:
                encoder, _ = session_for(*self._open, outputs=wanted, part="encoder") if split else (None, None)
                if encoder is not None:
                    rest, provider = session_for(*self._open, outputs=wanted, part="rest")
                    if _pairs(encoder, rest):
                        self._split, self._session, self.provider = (encoder, rest), rest, provider
            except ProviderError:
                raise
            except Exception as exc:  # parts ONNX Runtime will not open: the whole graph still may
                warnings.warn(f"{path}: cannot run the model in two parts ({str(exc)[:120]}); running it whole",
                              SplitWarning, stacklevel=2)
            if self._split is None:
                self._session, self.provider = session_for(*self._open, outputs=wanted)
        except ProviderError:
            raise
        except Exception as exc:  # onnxruntime and onnx raise their own exception types on bad graphs
            raise ModelError(f"{path}: ONNX Runtime cannot load this model ({str(exc)[:120]})") from None
        names = {i.name for i in self._session.get_inputs()}
        missing = [n for n in contract.INPUTS if n not in names]
        if missing:
            raise ModelError(f"{path}: model lacks the contract inputs {', '.join(missing)}")
        if "ab" not in self._outputs:
            raise ModelError(f"{path}: model has no 'ab' output")
        self._fast = {o.name for o in self._session.get_outputs()}
        self._encoded = Kept(ENCODED_KEEP)

    def _session_for(self, names) -> "object":
        """The cut-down session when it computes `names`, else the whole graph's, opened on first need."""
        if set(names) <= self._fast:
            return self._session
        with self._full_lock:
            if self._full is None and self._split is not None:  # the whole graph's rest, on the same encoder
                rest, _ = session_for(*self._open, part="rest")
                if _pairs(self._split[0], rest):
                    self._full, self._full_parts = rest, (self._split[0], rest)
            if self._full is None:
                self._full = session_for(*self._open)[0]
        return self._full

    @property
    def has_distribution(self) -> bool:
        """Whether this model has a class head, so results can show where it is unsure."""
        return "prob" in getattr(self, "_outputs", ())

    def predict(self, L: np.ndarray, hint_ab: np.ndarray | None = None, hint_mask: np.ndarray | None = None,
                temperature: float | None = None, decode: decoding.Decoding | None = None,
                distribution: bool = False) -> Prediction:
        """Run the network on NCHW float32 arrays: L N x 1 x H x W (0..100), H and W multiples of 32.

        `decode` replaces the card's decoding (the validation study compares several); `distribution` also
        returns the class head's `prob`, which otherwise only decodings that read it get."""
        n, _, h, w = L.shape
        m = self.card.multiple
        if h % m or w % m:
            raise ValueError(f"L is {h}x{w}; both sides must be multiples of {m}")
        if hint_ab is None:
            hint_ab = np.zeros((n, 2, h, w), np.float32)
        if hint_mask is None:
            hint_mask = np.zeros((n, 1, h, w), np.float32)
        t = self.card.default_temperature if temperature is None else temperature
        if self._session is None:
            ab = np.concatenate([self._sampler.decode(self._sampler.encode(L[i:i + 1], _one(hint_ab, i),
                                                                           _one(hint_mask, i)),
                                                      np.zeros((1, self._sampler.latent_dim), np.float32), t)
                                 for i in range(n)])
            return Prediction(ab, None, None)
        feeds = {"L": np.ascontiguousarray(L, np.float32), "hint_ab": np.ascontiguousarray(hint_ab, np.float32),
                 "hint_mask": np.ascontiguousarray(hint_mask, np.float32),
                 "temperature": np.array([t], np.float32)}
        dec = self.card.decoding if decode is None else decode
        names = list(dec.outputs(self._outputs))
        if distribution and "prob" in self._outputs and "prob" not in names:
            names.append("prob")
        session = self._session_for(names)
        parts = self._split if session is self._session else self._full_parts if session is self._full else None

        def run(L, hint_ab, hint_mask):
            feeds.update(L=np.ascontiguousarray(L, np.float32), hint_ab=np.ascontiguousarray(hint_ab, np.float32),
                         hint_mask=np.ascontiguousarray(hint_mask, np.float32))
            if parts is None:
                return dict(zip(names, session.run(names, feeds)))
            rest = parts[1]
            given = {**feeds, **self._encode(parts[0], feeds["L"])}
            return dict(zip(names, rest.run(names, {i.name: given[i.name] for i in rest.get_inputs()})))
        out = ensemble.ensemble(run, L, hint_ab, hint_mask, dec.scales, m)
        vividness = self.card.default_temperature / t
        ab = decoding.decode(out.get("ab"), out.get("ab_reg"), out.get("prob"), dec, vividness)
        return Prediction(ab, out.get("ab_reg"), out.get("prob"), out.get("ab"))

    def forget_encoded(self) -> None:
        """Drop the encoder answers kept for recent photos (engine/split.py, and the variant sampler's), as if no photo
        had been seen."""
        if self._session is not None:
            self._encoded.clear()
        if self._sampler is not None:
            self._sampler.forget_encoded()

    def _encode(self, encoder, L: np.ndarray) -> dict[str, np.ndarray]:
        """The encoder part's outputs for L (N x 1 x H x W float32), kept for the last ENCODED_KEEP inputs: every
        stroke on a photo asks again for the same L at each working size."""
        key = Kept.key(L)
        hit = self._encoded.get(key)
        if hit is not None:
            return hit
        out = dict(zip((o.name for o in encoder.get_outputs()), encoder.run(None, {"L": L})))
        self._encoded.put(key, out)
        return out

    def working_shape(self, shape: tuple[int, int], size: int | None = None) -> tuple[int, int]:
        """(h, w) with long side `size` (card default if None) and the aspect ratio of `shape` (H, W)."""
        return contract.working_shape(shape, int(size or self.card.default_long_side))

    def colorize(self, image: np.ndarray, hints: list[Hint] | None = None, size: int | None = None,
                 vividness: float = 1.0, regions=()) -> ColorizeResult:
        """Colorize HxW gray or HxWx3/4 RGB(A), uint8/uint16/float32 0..1; alpha is passed through.

        regions: engine/regions.py Regions composited over the result (colour layers, protected areas)."""
        job = self.prepare(image, hints, size, vividness, regions)
        pred = self.predict(job.L_pad[None, None], job.hint_ab, job.hint_mask, job.temperature)
        return self.finish(job, pred.ab[0], None if pred.prob is None else pred.prob[0], own=True)

    def prepare(self, image: np.ndarray, hints: list[Hint] | None = None, size: int | None = None,
                vividness: float = 1.0, regions=()) -> "Job":
        """Luminance, working size, padding and hint tensors: everything before the network runs."""
        start = time.perf_counter()
        image = _checked(image)
        H, W = image.shape[:2]
        temperature = contract.temperature_for(vividness, self.card.default_temperature)
        L_full = _full_luminance(image)
        h, w = self.working_shape((H, W), size)
        L_work = cv2.resize(L_full, (w, h), interpolation=cv2.INTER_AREA)
        m = self.card.multiple
        hp, wp = math.ceil(h / m) * m, math.ceil(w / m) * m
        # Reflect padding keeps the border statistics natural; the pad is cropped off after.
        L_pad = np.pad(L_work, ((0, hp - h), (0, wp - w)), mode="reflect")
        # A faded photo is shown to the network with its black and white points moved into the range of the
        # training photos (the card's input_levels); the result keeps L_full, the photo's own luminance.
        L_pad = levels.network_input(L_work, L_pad, self.card.input_levels)
        # A photo softer (or crisper) than the training photos at this size is shown with its fine detail brought
        # within theirs (the card's input_sharpness); the result keeps L_full too.
        L_pad = sharpness.network_input(L_work, L_pad, self.card.input_sharpness)
        hint_ab = hint_mask = None
        if hints:
            check_inside(hints, (H, W))
            hint_ab, hint_mask = hints_to_inputs(hints, (H, W), (h, w), (hp, wp))
        return Job(image, L_full, L_work, L_pad, hint_ab, hint_mask, temperature, start, tuple(regions or ()))

    def needs_plain(self, job: "Job") -> bool:
        """Whether finish needs the model's chroma without hints: protect regions and hints together."""
        return job.hint_mask is not None and _regions.has_protect(job.regions)

    def finish(self, job: "Job", ab: np.ndarray, prob: np.ndarray | None = None,
               plain_ab: np.ndarray | None = None, own: bool = False, chroma: "Chroma | None" = None) -> ColorizeResult:
        """Network output (ab 2 x Hp x Wp, prob K x Hp/4 x Wp/4 or None) -> full-resolution result.

        plain_ab (2 x Hp x Wp): the network's chroma for the same job without hints, which protect regions keep;
        made here (one more network run) when needs_plain(job) and the caller has none. `own`: `ab` is this
        model's answer to the job's inputs (not a variant's), so its distribution can be made later. `chroma`:
        what `chroma(job, ab, plain_ab)` gave for these inputs, so a render at another size skips the hint solve."""
        image = job.image
        h, w = job.L_work.shape
        H, W = image.shape[:2]
        if chroma is None:
            chroma = self.chroma(job, ab, plain_ab)
        s = contract.PROB_STRIDE
        prob = None if prob is None else np.ascontiguousarray(prob[:, :-(-h // s), :-(-w // s)])
        out = np.empty((H, W, 4 if image.ndim == 3 and image.shape[2] == 4 else 3), image.dtype)
        render.render(job.L_full, chroma.coef, out)
        if out.shape[2] == 4:
            out[..., 3] = image[..., 3]
        inputs = (job.L_pad[None, None], job.hint_ab, job.hint_mask, job.temperature) if own else None
        return ColorizeResult(out, chroma.ab_work, prob, (h, w), self.provider, time.perf_counter() - job.start,
                              job.temperature, inputs)

    def chroma(self, job: "Job", ab: np.ndarray, plain_ab: np.ndarray | None = None) -> "Chroma":
        """The working-grid chroma of a network answer after the hints and regions, and its guided-filter
        coefficients: everything of finish that does not depend on the size it renders at."""
        L_work = job.L_work
        h, w = L_work.shape
        ab_work = np.ascontiguousarray(ab[:, :h, :w], np.float32)
        plain = None
        if self.needs_plain(job):
            if plain_ab is None:
                plain_ab = self.predict(job.L_pad[None, None], None, None, job.temperature).ab[0]
            plain = np.ascontiguousarray(plain_ab[:, :h, :w], np.float32)
        if job.hint_mask is not None:
            hint_mask = job.hint_mask[0, 0, :h, :w]
            if plain is not None:  # a hint inside a protected area does not spread from it
                hint_mask = hint_mask * (1.0 - _regions.protect_alpha(job.regions, (h, w)))
            ab_work = propagate.follow_hints(L_work, ab_work, job.hint_ab[0, :, :h, :w], hint_mask)
        if job.regions:
            ab_work = _regions.apply_regions(ab_work, job.regions, plain)
        coef = render.guided_coefficients(L_work * np.float32(0.01), ab_work.transpose(1, 2, 0),
                                          render.guide_radius(max(h, w)))
        return Chroma(ab_work, coef)

    # -- variants: alternative colourings from the conditional VAE (engine/variants.py) ----------------
    def variant_sampler(self) -> sampling.Sampler:
        """This model's sampler: its own encoder/decoder, or its card's "variants_model" companion,
        loaded on first use (plain colorizing never pays for it). ModelError when there is none."""
        if self._sampler is None:
            card = sampling.sampler_card(self.card)
            if card is None:
                raise ModelError(f"model {self.card.name!r} has no variant sampler (its card lacks \"variants\")")
            self._sampler = sampling.Sampler(card, self._requested_provider)
        return self._sampler

    def iter_variants(self, image: np.ndarray, n: int, seed: int, hints: list[Hint] | None = None,
                      size: int | None = None, vividness: float = 1.0, spread: float | None = None, regions=()):
        """Yield n variants one at a time (see `variants`); the network runs once for all of them."""
        sampler = self.variant_sampler()
        if not 1 <= int(n) <= sampling.MAX_VARIANTS:
            raise ValueError(f"n must be 1..{sampling.MAX_VARIANTS}, got {n}")
        spread = sampler.spread if spread is None else float(spread)
        if spread <= 0:
            raise ValueError(f"spread must be positive, got {spread}")
        seeds = sampling.variant_seeds(seed, int(n))
        zs = np.stack([sampling.z_for_seed(s, sampler.latent_dim, spread) for s in seeds])
        source = sampling.Source(image, tuple(hints or ()), size, vividness, tuple(regions or ()))
        return sampling.iter_decoded(self, sampler, source, zs, seeds, spread)

    def variants(self, image: np.ndarray, n: int, seed: int, hints: list[Hint] | None = None,
                 size: int | None = None, vividness: float = 1.0,
                 spread: float | None = None, regions=()) -> list[sampling.Variant]:
        """n alternative colourings, z ~ N(0, spread^2 I) (spread: the card's "variant_spread").

        Deterministic for a seed; variant i's own seed reproduces it: variants(image, 1, v.seed, ...)
        with the same hints, size, vividness and spread. Each goes through colorize's full-resolution
        rendering; results carry no `prob`.
        """
        return list(self.iter_variants(image, n, seed, hints, size, vividness, spread, regions))

    def more_like(self, variant: sampling.Variant, spread: float = 0.5, n: int = 6,
                  seed: int | None = None) -> list[sampling.Variant]:
        """n variants near `variant`: z + spread * variant.spread * N(0, I), deterministic for `seed`
        (default: the variant's own). Re-render one from its `z` with render_z, not from its seed."""
        if spread <= 0 or not 1 <= int(n) <= sampling.MAX_VARIANTS:
            raise ValueError(f"need spread > 0 and n in 1..{sampling.MAX_VARIANTS}, got {spread}, {n}")
        if variant.source is None:
            raise ValueError("this variant does not carry its source image; use render_z")
        seeds, zs = sampling.near(variant.z, spread * variant.spread, variant.seed if seed is None else seed, int(n))
        return list(sampling.iter_decoded(self, self.variant_sampler(), variant.source, zs, seeds, variant.spread))

    def render_z(self, image: np.ndarray, z: np.ndarray, hints: list[Hint] | None = None, size: int | None = None,
                 vividness: float = 1.0, seed: int = -1, spread: float | None = None,
                 regions=()) -> sampling.Variant:
        """The variant for an explicit latent z (D,), e.g. one saved in a .variants.json or interpolated;
        `seed` and `spread` are only recorded on the result (-1: z was not drawn from a seed)."""
        sampler = self.variant_sampler()
        z = np.asarray(z, np.float32).reshape(1, -1)
        source = sampling.Source(image, tuple(hints or ()), size, vividness, tuple(regions or ()))
        spread = sampler.spread if spread is None else float(spread)
        return next(sampling.iter_decoded(self, sampler, source, z, [int(seed)], spread))

    interpolate = staticmethod(sampling.interpolate)

    def reference_hints(self, image: np.ndarray, reference: np.ndarray, strength: float = 0.5):
        """Hints for `image` transferred from the colour photo `reference` (engine/reference.py); the
        matcher sees both through the variant model's encoder, so it needs that companion model."""
        from .reference import reference_hints
        try:
            sampler = self.variant_sampler()
        except ModelError as exc:
            raise ModelError(f"colour from a reference photo needs the variant model's encoder ({exc})") from None
        return reference_hints(sampler, image, reference, strength)

    def carry_hints(self, source: np.ndarray, hints: list[Hint], target: np.ndarray):
        """`hints` given on the photo `source` moved onto the same content in `target` (engine/reference.py)."""
        from .reference import carry_hints
        try:
            sampler = self.variant_sampler()
        except ModelError as exc:
            raise ModelError(f"carrying hints between photos needs the variant model's encoder ({exc})") from None
        return carry_hints(sampler, source, hints, target)

    # -- where the model is unsure (engine/uncertainty.py) -----------------------------------------
    def can_explain(self, result: ColorizeResult) -> bool:
        """Whether `result` has, or can be given, the class head's colour distribution (not a variant's)."""
        return result.prob is not None or (self.has_distribution and result.inputs is not None)

    def distribution(self, result: ColorizeResult) -> np.ndarray:
        """The class head's prob (K x ceil(h/4) x ceil(w/4)) for `result`, made on first use by running the
        whole graph on the result's inputs and kept on it; ModelError when there is none to make."""
        if result.prob is None:
            if not self.has_distribution:
                raise ModelError(f"model {self.card.name!r} has no class head, so no colour distribution")
            if result.inputs is None:
                raise ModelError("this colouring (a variant) has no colour distribution of its own")
            L, hint_ab, hint_mask, temperature = result.inputs
            prob = self.predict(L, hint_ab, hint_mask, temperature, distribution=True).prob[0]
            h, w, s = *result.work_shape, contract.PROB_STRIDE
            result.prob = np.ascontiguousarray(prob[:, :-(-h // s), :-(-w // s)])
        return result.prob

    def _distribution(self, result: ColorizeResult) -> tuple[np.ndarray, np.ndarray]:
        """(prob K x h4 x w4, bins K x 2) of a result; ModelError when the model gives no distribution."""
        self.distribution(result)
        bins = self.card.bins
        if bins is None or len(bins) != result.prob.shape[0]:
            raise ModelError(f"card {self.card.card_path} bins do not match the model's {result.prob.shape[0]} classes")
        return result.prob, bins

    def uncertainty(self, result: ColorizeResult) -> np.ndarray:
        """H x W float32 in [0, 1]: how unsure the model is of each pixel's colour (normalised entropy
        of its class head), upsampled along the photo's edges; ModelError without a class head."""
        prob, _ = self._distribution(result)
        return uncertain.uncertainty_map(prob, result.work_shape, _result_luminance(result))

    def likely_colours(self, result: ColorizeResult, x: int, y: int, k: int = 5) -> list[uncertain.LikelyColour]:
        """The k most probable colours at full-image pixel (x, y), neighbouring ab bins merged, ranked by
        probability, as sRGB at that pixel's L*."""
        prob, bins = self._distribution(result)
        H, W = result.rgb.shape[:2]
        if not (0 <= x < W and 0 <= y < H):
            raise ValueError(f"pixel ({x}, {y}) is outside the {W}x{H} image")
        h, w = result.work_shape
        s = contract.PROB_STRIDE
        px = min(prob.shape[2] - 1, min(w - 1, int((x + 0.5) * w / W)) // s)
        py = min(prob.shape[1] - 1, min(h - 1, int((y + 0.5) * h / H)) // s)
        L = float(luminance(result.rgb[y:y + 1, x:x + 1, :3])[0, 0])
        return uncertain.likely_colours(prob[:, py, px], bins, L, k)

    def likely_colors(self, result: ColorizeResult, x: int, y: int, k: int = 5) -> list[tuple[str, float]]:
        """likely_colours as ('#rrggbb', probability) pairs, most probable first (the app's swatches)."""
        return [(c.hex, c.probability) for c in self.likely_colours(result, x, y, k)]

    def suggest_hints(self, result: ColorizeResult, n: int = 5, hints: list[Hint] | None = None,
                      min_distance: float = uncertain.MIN_DISTANCE) -> list[uncertain.Suggestion]:
        """Up to n places (full-image pixels, best first, one per region) where a hint should remove the
        most colour error; `hints` already given are taken into account (nothing is suggested near them)."""
        prob, bins = self._distribution(result)
        h, w = result.work_shape
        L_work = cv2.resize(_result_luminance(result), (w, h), interpolation=cv2.INTER_AREA)
        return uncertain.suggest_hints(prob, bins, L_work.reshape(h, w), result.rgb.shape[:2], int(n),
                                       result.ab_work, [(hh.x, hh.y) for hh in hints or ()], min_distance)


def _pairs(encoder, rest) -> bool:
    """Whether `rest` takes every output of `encoder` at its type: both parts at one precision (an accelerator could
    take one part's fp16 copy and not the other's)."""
    takes = {i.name: i.type for i in rest.get_inputs()}
    return all(takes.get(o.name) == o.type for o in encoder.get_outputs())


def _one(x: np.ndarray | None, i: int) -> np.ndarray | None:
    return None if x is None else x[i:i + 1]


def _checked(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))):
        raise ValueError(f"image must be HxW, HxWx3 or HxWx4, got shape {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"image has no pixels: shape {image.shape}")
    if image.dtype.kind == "f" and image.dtype != np.float32:
        image = image.astype(np.float32)
    if image.dtype not in (np.uint8, np.uint16, np.float32):
        raise ValueError(f"image dtype must be uint8, uint16 or float32, got {image.dtype}")
    return image


def _result_luminance(result: ColorizeResult) -> np.ndarray:
    """L* of a result's rgb, computed once: the map and the suggestions of one result both need it."""
    if result.luminance is None:
        result.luminance = _full_luminance(result.rgb[..., :3])
    return result.luminance


def _full_luminance(image: np.ndarray) -> np.ndarray:
    """L* (H x W float32) computed in row bands so colour inputs never need full-size float copies."""
    if image.ndim == 2 and image.dtype != np.float32:
        return luminance(image)
    H, W = image.shape[:2]
    L = np.empty((H, W), np.float32)
    step = render.band_rows(W)
    for y0 in range(0, H, step):
        L[y0:y0 + step] = luminance(image[y0:y0 + step])
    return L
