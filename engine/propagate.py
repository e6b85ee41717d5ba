"""Edge-aware spreading of hint corrections: makes the network's chroma agree with the user's hints.

The network already re-colours around hints, but a briefly trained one under-reacts. The residual
(hint colour minus predicted colour) at hinted pixels is spread over the image by a screened,
luminance-weighted graph Laplacian (Levin et al. 2004's idea, applied to the residual instead of
the colour), so regions the hints don't reach keep the network's colours. Near the hints the hints' own colours,
interpolated the same way, also take a share of the answer (LOCAL_WEIGHT): where hints are dense they say more
than the network's texture of colour does. Pure numpy: the sparse system is solved matrix-free by conjugate
gradients on a small grid.
"""
from __future__ import annotations

import cv2
import numpy as np

# Chosen on the validation split (48 photos, 3 and 10 true-colour hints, PSNR through the engine): 128 px and
# 80 fine steps 26.533 dB in 48.8 ms, 128/40 26.542 dB, 96/40 26.527 dB, 96/30 26.525 dB in 12.6 ms, 64/30
# 26.489 dB. 40 fine steps on the 128 grid score best and halve a stroke's solve; a coarser grid would be
# faster still but lets a hint leak across strong edges (4% at 96 px in tests/test_propagation.py).
GRID_SIDE = 128        # the solve runs at this long side (or the working size, if smaller)
SIGMA_L = 2.0          # L* difference at which a neighbour's pull falls to exp(-1/2) (4 before the global gain)
DECAY = 1.0            # residuals fade over about this many long sides
HINT_WEIGHT = 50.0
ITERATIONS = 60        # coarse grid (validation with 40 fine steps: 200 26.542 dB, 100 26.544, 60 26.545, 40 26.521)
# Fine grid, from the coarse answer. With the five-channel solve (below) 20 steps cost what 40 did with two (10 hints,
# 192 x 128 working grid, one core: 34 ms with 2 channels and 40 steps, 58 ms with 5 and 40, 36 ms with 5 and 20)
# and score within 0.04 dB of 40 (120 validation photos, PSNR over Levin at 1/5/10/50/100 hints: 20 +1.46/+0.85/
# +0.91/+0.52/+0.41, 40 +1.47/+0.86/+0.93/+0.56/+0.44; the engine before the field, 40 steps: +1.45/+0.77/+0.80/
# +0.27/+0.12).
FINE_ITERATIONS = 20
# The coarse answer reaches the fine grid by nearest neighbour: bilinear smears it across an edge that lies on a
# coarse cell's border, and a region no hint reaches sheds that colour only slowly (tests/test_propagation.py's
# strong edge: 2.6% leaked at 25 steps, 1.4% at 40 with two channels; none with nearest). Same scores as bilinear.
INIT_INTERP = cv2.INTER_NEAREST

# The global part of a correction: before the residual is spread, the network's chroma is scaled by one gain fitted
# to the hinted pixels' chroma magnitudes (hue left out: a hint of another hue is a local fact, while the network's
# saturation is off by about as much everywhere, and a few hints say by how much). The fit is pulled toward 1 by
# GAIN_PRIOR hinted working pixels' worth of evidence and kept within GAIN_RANGE. Chosen on the validation split
# (trainer/hint_study.py, 60 photos, PSNR against Levin et al. on the same hints at 1/5/10/50/100 hints): without
# the gain and with SIGMA_L 4, +0.44/-0.30/-0.04/-0.26/-0.20 dB; with prior 1 and SIGMA_L 2, range 0.5-2.5
# +0.85/+0.15/+0.39/+0.16/+0.19, 0.7-1.5 +0.84/+0.10/+0.35/+0.14/+0.18, 0.8-1.25 +0.81/+0.08/+0.30/+0.11/+0.16.
# All three are above Levin at every count; the narrowest is shipped because a user's stroke is often a local
# recolour rather than a true colour (painting a coat gray should not pale the whole photo by 30%). The hue-aware
# fit (sum w x.h) did slightly better (+0.87/+0.18/+0.42/+0.19/+0.22 at 0.5-2.5) but pales every colour when a hint
# only changes a hue; held at 1 or above it did nothing (the hints mostly ask for less chroma than the x1.25
# decoding gives); an offset as well did nothing. (Those two fits were measured with the code of commit 8cccc1f.)
# Re-measured with tinta-base 1.6 (two working sizes, x2 knee 40; same 60 photos): 0.8-1.25 +1.13/+0.51/+0.72/+0.28/
# +0.21, 0.7-1.25 +1.25/+0.65/+0.82/+0.36/+0.29, 0.6-1.25 (and 0.5, 0.4) +1.26/+0.74/+0.85/+0.40/+0.33; the
# narrow range stays for the same reason, and is above Levin at every count there too.
# Since 2026-12-02 (later; with tinta-base 2.1) a hinted pixel has a say in the gain only as far as its hue agrees with
# the model's there (GAIN_AGREEMENT: the cosine of the angle between the two chroma vectors, from 0 at a right angle,
# and none below 4 ab of chroma, where a hue means nothing). A gray dab or a dab of another hue is a recolour and says
# nothing about how vivid the rest of the photo should be, so it no longer pales the photo (a gray coat: x0.8 before),
# and the range could widen for the hints that do agree. On the validation split (trainer/hint_study.py, 120 photos,
# over Levin at 1/5/10/50/100 hints): 0.8-1.25 without agreement (shipped until then) +1.23/+0.71/+0.72/+0.53/+0.43 dB,
# with it +1.20/+0.71/+0.71/+0.53/+0.43; 0.6-1.5 +1.36/+0.92/+0.90/+0.61/+0.47 (paired with the shipped: +0.13/+0.21/
# +0.18/+0.08/+0.04 dB, above in 96-100% of draws); 0.5-2 +1.36/+0.93/+0.91/+0.61/+0.47; 0.6-1.5 without agreement
# +1.39/+0.93/+0.91/+0.61/+0.48, which a gray dab would pale by 40%. Each connected stroke counted as one piece of
# evidence (against a prior of 0.5 / 1 / 2 strokes, so a single long stroke moves the gain less) lost most of it:
# +1.15/+0.85/+0.86, +1.01/+0.79/+0.82, +0.88/+0.70/+0.77 at 1/5/10 hints. What remains is that one stroke of the
# model's own hue, much more (or less) vivid, scales the photo's chroma by up to x1.5 (x0.6): the stroke says the
# model's saturation is off, and a few hints are the only evidence of that there is. Around the pick (same photos):
# GAIN_PRIOR 0.5 +0.05/+0.01/+0.01 dB at 1/5/10 hints, 2 -0.08/-0.03/-0.01; ranges 0.5-1.5 and 0.6-1.75 within 0.01. The
# prior stays at 1: a weaker one lets a single small dab move the whole photo more, for 0.05 dB at one hint.
GAIN_PRIOR = 1.0
GAIN_RANGE = (0.6, 1.5)
GAIN_AGREEMENT = 1.0  # 0: every hinted pixel has its full say, as before 2026-12-02

# Near the hints, a share of the chroma is the hints' own colours, interpolated along luminance as above (normalised,
# so it is the hints' colour and not their fading): out = (1 - LOCAL_WEIGHT v) (network + spread residual) +
# LOCAL_WEIGHT S, where v in [0, 1] is how far the hints reach a pixel (1 at a hint, fading over about LOCAL_DECAY long
# sides, sharply across an edge) and S the hints' colours weighted by it. Where hints are dense the answer leans on
# them as Levin et al.'s does, instead of keeping the network's texture of colour between them; a region no hint
# reaches keeps the network's colours. The residual and this field are one conjugate-gradient solve of five channels.
# The reach is a product rule first: a recolour stroke must not tint the photo far from it, so with a model that
# already meets its hints, the far side of a photo with no edge between stays as it was: in tests/test_desktop_app.py
# within 2 RGB levels (decay 0.1 keeps that, 0.15 moves it 5 levels, 0.25 14), in tests/test_propagation.py under 1 ab
# (0.1: yes; 0.25: 8.8; 1: 45.7). On 48 validation photos with one opposite-hue dab each, the mean change beyond 0.4
# long sides from the dab is 4.29 ab without the field (the residual's own spreading), 4.30 with decay 0.1 and weight
# 1, 4.54 at 0.25/0.75, 5.97 at 1/0.5. Within that, chosen on the validation split (trainer/hint_study.py, 120 photos,
# PSNR against Levin et al. at 1/5/10/50/100 hints): off +1.45/+0.77/+0.80/+0.27/+0.12 dB; decay 0.1 with weight 0.5
# +1.46/+0.81/+0.87/+0.43/+0.33, 0.75 +1.46/+0.83/+0.89/+0.49/+0.40, 1 +1.46/+0.85/+0.91/+0.52/+0.41; decay 0.05 and
# weight 1 +1.45/+0.79/+0.83/+0.38/+0.29. Wider reaches score more (decay 1, weight 0.5: +1.59/+1.25/+1.18/
# +0.68/+0.51) and break the rule. LOCAL_WEIGHT 0 is the engine before this field.
# Re-checked with the field on (same photos): SIGMA_L 1.5 or 3, HINT_WEIGHT 200, decay 0.08 or 0.12 move no count by
# more than 0.07 dB (sigma 3: +0.04 at 5 hints, -0.07 at 100), so the other settings stay.
# With the hue-agreeing gain (2026-12-02, later; 120 photos): a pull that falls off at max(SIGMA_L, k x the local 3 x 3
# std of L*), as Levin et al.'s affinity does, so that colour crosses texture, lost at 5 hints and more: k 0.5
# +1.43/+0.89/+0.84/+0.45/+0.30 dB over Levin, k 1 +1.47/+0.86/+0.72/-0.12/-0.44, against +1.36/+0.92/+0.90/+0.61/
# +0.47 without it; it helped cities and streets at one hint only. Not kept.
LOCAL_WEIGHT = 1.0
LOCAL_DECAY = 0.1
# Where the network gave no colour, the hints' own colours reach farther (2026-12-02, evening): LOCAL_DECAY
# times 1 + REACH_GRAY (1 - chroma / GRAY_CHROMA), so 1.1 long sides where the network's chroma is 0 and LOCAL_DECAY
# from GRAY_CHROMA up. A region the model left gray has no colour of its own to keep, and a dab there fills it along
# luminance as Levin et al.'s solve would; a region it coloured stays as the rule above says (the no-edge tests pass
# unchanged, their models give colour). Chosen on the validation split, within a bound on how far one recolour dab
# tints a photo (trainer/hint_reach.py, 48 photos, one opposite-hue dab at the centre, mean ab change beyond 0.4 long
# sides; bound: at most 10% above the shipped 8.57, most of which is the network's own answer to the dab). Over the
# shipped settings (trainer/hint_study.py, 120 photos, at 1/2/5/10/20/50/100 hints): REACH_GRAY 10 with GRAY_CHROMA 20
# +0.11/+0.20/+0.26/+0.24/+0.12/+0.04/-0.02 dB (above in 100% of 1,000 paired draws up to 20 hints), far change 9.29;
# 5/30 +0.10/+0.18/+0.26/+0.26 at 1/2/5/10 (9.27); 3/20 +0.04/+0.07/+0.13/+0.14 (8.78); 20/20 +0.14/+0.26/+0.28/
# +0.25 (9.62) and 10/30 +0.15/+0.27/+0.31/+0.28 (9.92) break the bound. A uniform LOCAL_DECAY buys as much per unit
# of far change (0.2: +0.04/+0.06/+0.12/+0.11, 8.75; 0.3: +0.08/+0.15/+0.23/+0.17, 9.18) but tints a coloured
# region as far as a gray one, which the no-edge tests forbid. REACH_GRAY 0 is the engine before.
REACH_GRAY = 10.0
GRAY_CHROMA = 20.0

_SHIFTS = ((0, 1), (1, 0), (1, 1), (1, -1))  # each undirected 8-neighbour edge once
_TINY = np.float32(1e-30)


def _edge_weights(L: np.ndarray) -> list[np.ndarray]:
    """h x w float32 L* -> one weight map per shift: w[y, x] links (y, x) to (y+dy, x+dx); 0 off the grid."""
    h, w = L.shape
    out = []
    for dy, dx in _SHIFTS:
        wt = np.zeros((h, w), np.float32)
        ys, ye = 0, h - dy
        xs, xe = max(0, -dx), w - max(0, dx)
        d = L[ys:ye, xs:xe] - L[ys + dy:ye + dy, xs + dx:xe + dx]
        wt[ys:ye, xs:xe] = np.exp(-(d * d) / (2 * SIGMA_L ** 2)) / (1.0 if dy == 0 or dx == 0 else 1.4142)
        # Across an edge of more than ~20 L* the weight is a subnormal float, and a product with subnormals costs
        # ~10x a normal one: flushed to 0 (no pull at all instead of 1e-40 of one), the solve runs ~4x faster.
        wt[wt < _TINY] = 0.0
        out.append(wt)
    return out


class _Operator:
    """The graph Laplacian of an h x w grid on flat arrays with a zero border, so that each of the 8 neighbours
    is one contiguous slice: 17 passes over C x P floats a product, 0.27 ms on a 128 x 94 grid of 5 channels
    where the shifted 2-D views of an h x w x C array took 1.37 ms (the solve is most of a stroke's time).
    P = (h + 2)(w + 2); `grid` and `flat` move between the two layouts."""

    def __init__(self, weights: list[np.ndarray]):
        h, w = weights[0].shape
        self.h, self.w, self.row = h, w, w + 2
        self.size = (h + 2) * (w + 2)
        self.margin = w + 3                       # the farthest neighbour's offset, so every slice is in bounds
        self.neighbours = []                      # (offset, weight P): out -= weight * u[q + offset]
        self.degree = np.zeros(self.size, np.float32)
        for (dy, dx), wt in zip(_SHIFTS, weights):
            off = dy * self.row + dx
            fwd = self.flat(wt[None])[0]          # edge q -> q + off, stored at q
            back = np.zeros_like(fwd)             # the same edge seen from q + off
            back[off:] = fwd[:self.size - off]
            self.neighbours += [(off, fwd), (-off, back)]
            self.degree += fwd + back

    def flat(self, a: np.ndarray) -> np.ndarray:
        """C x h x w -> C x P with zeros on the border."""
        out = np.zeros((a.shape[0], self.h + 2, self.w + 2), np.float32)
        out[:, 1:-1, 1:-1] = a
        return out.reshape(a.shape[0], self.size)

    def grid(self, a: np.ndarray) -> np.ndarray:
        """C x P -> C x h x w."""
        return a.reshape(a.shape[0], self.h + 2, self.w + 2)[:, 1:-1, 1:-1]

    def buffer(self, channels: int) -> tuple[np.ndarray, np.ndarray]:
        """(flat buffer, u): u is a contiguous C x P view of the buffer's middle, whose neighbours a product reads
        around it. Channels lie end to end: a read past a channel's end lands in the next one's zero border."""
        buf = np.zeros(channels * self.size + 2 * self.margin, np.float32)
        return buf, buf[self.margin:self.margin + channels * self.size].reshape(channels, self.size)

    def apply(self, diag: np.ndarray, buf: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> np.ndarray:
        """out = (diag - adjacency) u for u in buf's middle; diag C x P holds degree + the screening terms."""
        m, total = self.margin, out.size
        shape = out.shape
        np.multiply(diag, buf[m:m + total].reshape(shape), out=out)
        for off, wt in self.neighbours:
            np.multiply(wt, buf[m + off:m + off + total].reshape(shape), out=tmp)
            out -= tmp
        return out


def _screening(op: _Operator, decay: list, side: int) -> np.ndarray:
    """mu = 1 / (decay x side)^2 per channel: C x 1 when every decay is one number, else C x P, where an h x w
    decay map screens each pixel by its own reach (the border keeps the pixel's neighbour's, never 0: a 0 on the
    diagonal would make the preconditioner divide by it)."""
    if all(np.ndim(d) == 0 for d in decay):
        return (1.0 / (np.asarray(decay, np.float32) * np.float32(side)) ** 2)[:, None]
    mu = np.empty((len(decay), op.size), np.float32)
    for c, d in enumerate(decay):
        m = np.broadcast_to(1.0 / (np.asarray(d, np.float32) * np.float32(side)) ** 2, (op.h, op.w))
        mu[c] = np.pad(m, 1, mode="edge").reshape(-1)
    return mu


def spread(L: np.ndarray, residual: np.ndarray, confidence: np.ndarray, init: np.ndarray | None = None,
           iterations: int | None = None, decay=None) -> np.ndarray:
    """Solve (Lap + mu I + lambda diag(c)) u = lambda c r by Jacobi-preconditioned conjugate gradients.

    L: h x w float32 L*; residual: h x w x C; confidence: h x w in [0, 1] (hint coverage). Returns h x w x C.
    decay: DECAY (None), or one per channel, each a number or an h x w map; mu = 1 / (decay * long side)^2. The
    channels are independent systems solved together (one block-diagonal system, so one set of steps serves them
    all).
    """
    h, w = L.shape
    op = _Operator(_edge_weights(L.astype(np.float32)))
    C = residual.shape[2]
    if decay is None:
        decay = DECAY
    mu = _screening(op, list(decay) if isinstance(decay, (list, tuple)) else [decay] * C, max(h, w))
    lam = op.flat(HINT_WEIGHT * confidence.astype(np.float32)[None])
    diag = op.degree + mu + lam                                   # C x P
    inv_diag = 1.0 / diag
    b = lam * op.flat(residual.astype(np.float32).transpose(2, 0, 1))
    u = np.zeros_like(b) if init is None else op.flat(init.astype(np.float32).transpose(2, 0, 1))
    pbuf, p = op.buffer(C)
    ap, tmp = np.empty_like(b), np.empty_like(b)
    p[...] = u
    r = b - op.apply(diag, pbuf, ap, tmp)
    z = inv_diag * r
    p[...] = z
    rz = float(np.vdot(r, z))
    stop = 1e-10 * max(float(np.vdot(b, b)), 1e-12)
    # In place throughout (every array contiguous, so no temporaries and no copies for the dot products): the
    # steps are short, and follow_hints ran 14% faster for it (26-27 -> 22-24 ms, alternating in one process).
    for _ in range(ITERATIONS if iterations is None else iterations):
        op.apply(diag, pbuf, ap, tmp)
        alpha = np.float32(rz / max(float(np.vdot(p, ap)), 1e-30))
        np.multiply(p, alpha, out=tmp)
        u += tmp
        np.multiply(ap, alpha, out=tmp)
        r -= tmp
        if float(np.vdot(r, r)) < stop:
            break
        np.multiply(inv_diag, r, out=z)
        rz_new = float(np.vdot(r, z))
        p *= np.float32(rz_new / rz)
        p += z
        rz = rz_new
    return op.grid(u).transpose(1, 2, 0)


def global_gain(ab: np.ndarray, hint_ab: np.ndarray, weight: np.ndarray) -> float:
    """The gain g minimising sum w (|hint| - g |ab|)^2 + GAIN_PRIOR * 400 (g - 1)^2, within GAIN_RANGE.

    ab, hint_ab: 2 x n chroma at the hinted pixels; weight: n hint coverage, times each pixel's hue agreement
    (GAIN_AGREEMENT). Chroma magnitudes only (see above); the prior is GAIN_PRIOR pixels of a 20 ab chroma saying
    "no change". GAIN_PRIOR 0 turns the gain off.
    """
    if GAIN_PRIOR <= 0:
        return 1.0
    w = weight.astype(np.float64)
    mx, my = np.hypot(*ab.astype(np.float64)), np.hypot(*hint_ab.astype(np.float64))
    if GAIN_AGREEMENT > 0:
        cos = (ab.astype(np.float64) * hint_ab).sum(0) / np.maximum(mx * my, 1e-6)
        agree = np.clip(cos, 0.0, 1.0) * np.clip(np.minimum(mx, my) / 4.0, 0.0, 1.0)  # no hue below ~4 ab
        w = w * (1.0 - GAIN_AGREEMENT + GAIN_AGREEMENT * agree)
    k = GAIN_PRIOR * 400.0
    return float(np.clip(((w * mx * my).sum() + k) / ((w * mx * mx).sum() + k), *GAIN_RANGE))


def _resize(a: np.ndarray, size: tuple[int, int], interpolation: int) -> np.ndarray:
    """h x w x C -> size (w, h) x C for any C (OpenCV resizes at most 4 channels at a time)."""
    parts = [cv2.resize(np.ascontiguousarray(a[..., i:i + 4]), size, interpolation=interpolation)
             for i in range(0, a.shape[2], 4)]
    return np.concatenate([p.reshape(size[1], size[0], -1) for p in parts], axis=2)


def _gray_reach(ab: np.ndarray) -> np.ndarray:
    """2 x h x w chroma -> h x w multiple of LOCAL_DECAY: 1 where the network gives a colour (chroma >= GRAY_CHROMA),
    rising linearly to 1 + REACH_GRAY where it gives none."""
    chroma = np.sqrt(ab[0] * ab[0] + ab[1] * ab[1])
    return (1.0 + REACH_GRAY * np.clip(1.0 - chroma / np.float32(GRAY_CHROMA), 0.0, 1.0)).astype(np.float32)


def follow_hints(L_work: np.ndarray, ab_work: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray) -> np.ndarray:
    """Correct ab_work (2 x h x w) so it meets the hints (hint_ab 2 x h x w, hint_mask h x w, working grid)."""
    if not hint_mask.any():
        return ab_work
    on = hint_mask > 0
    gain = global_gain(ab_work[:, on], hint_ab[:, on], hint_mask[on])
    if gain != 1.0:
        ab_work = ab_work * np.float32(gain)
    h, w = L_work.shape
    s = min(1.0, GRID_SIDE / max(h, w))
    gh, gw = max(2, round(h * s)), max(2, round(w * s))
    area = cv2.INTER_AREA
    # Channels: the residual (2), then with LOCAL_WEIGHT the hints' colours (2) and their reach (1).
    values = [hint_ab - ab_work]
    decay = [DECAY, DECAY]
    if LOCAL_WEIGHT > 0:
        values += [hint_ab, np.ones((1, h, w), np.float32)]
        decay += [LOCAL_DECAY] * 3
    far = _gray_reach(ab_work) if LOCAL_WEIGHT > 0 and REACH_GRAY > 0 else None  # h x w, 1 where it has a colour
    stack = np.concatenate(values).transpose(1, 2, 0) * hint_mask[..., None]
    cover = cv2.resize(hint_mask.astype(np.float32), (gw, gh), interpolation=area)
    vals_g = _resize(stack.astype(np.float32), (gw, gh), area) / np.maximum(cover, 1e-6)[..., None]
    Lg = cv2.resize(L_work.astype(np.float32), (gw, gh), interpolation=area)
    conf = np.clip(cover * 4.0, 0.0, 1.0)
    # Coarse to fine: a converged solve on a 4x smaller grid starts the fine one close to its answer,
    # so the fine grid needs few iterations (global spreading is what CG is slow at).
    ch, cw = max(2, gh // 4), max(2, gw // 4)
    c_cover = cv2.resize(cover, (cw, ch), interpolation=area)
    c_vals = _resize(vals_g * cover[..., None], (cw, ch), area) / np.maximum(c_cover, 1e-6)[..., None]
    decay_g, decay_c = decay, decay
    if far is not None:
        far_g = cv2.resize(far, (gw, gh), interpolation=area)
        decay_g = decay[:2] + [LOCAL_DECAY * far_g] * 3
        decay_c = decay[:2] + [LOCAL_DECAY * cv2.resize(far_g, (cw, ch), interpolation=area)] * 3
    coarse = spread(cv2.resize(Lg, (cw, ch), interpolation=area), c_vals, np.clip(c_cover * 16.0, 0.0, 1.0),
                    decay=decay_c)
    init = _resize(coarse, (gw, gh), INIT_INTERP)
    u = spread(Lg, vals_g, conf, init=init, iterations=FINE_ITERATIONS, decay=decay_g)
    up = _resize(u, (w, h), cv2.INTER_LINEAR).transpose(2, 0, 1)
    out = ab_work + up[:2]
    if LOCAL_WEIGHT > 0:
        reach = np.clip(up[4:5], 0.0, 1.0)
        out = (1.0 - np.float32(LOCAL_WEIGHT) * reach) * out + np.float32(LOCAL_WEIGHT) * up[2:4]
    # At the hinted pixels themselves the user's colour is exact.
    return np.where(hint_mask[None] > 0, hint_ab, out).astype(np.float32)
