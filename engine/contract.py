"""The ONNX contract between trainer and engine: tensor names, shapes, units and card fields.

Colorizer network (`<name>.onnx`), all float32, NCHW:
  inputs
    L            [N, 1, H, W]  CIE L* in [0, 100]; H and W multiples of MULTIPLE
    hint_ab      [N, 2, H, W]  CIE a*, b* of user hints (0 where there is none)
    hint_mask    [N, 1, H, W]  1 where a hint is given, else 0
    temperature  [1]           annealed-mean temperature (ignored by models without a class head)
  outputs
    ab           [N, 2, H, W]  decoded chroma (a*, b*) at the input's resolution
    ab_reg       [N, 2, H, W]  the regression head's chroma
    prob         [N, K, H/4, W/4]  probability over the card's K ab bins (class-head models only)

The card (`<name>.json`) beside it holds: name, version, file, sha256, task, inputs, outputs,
input_size_rule {multiple, default_long_side}, default_temperature, bins (list of [a, b] centres,
K of them, same order as `prob`'s channels), training {...}, metrics {...}, licences.
"""
from __future__ import annotations

INPUTS = ("L", "hint_ab", "hint_mask", "temperature")
OUTPUTS = ("ab", "ab_reg", "prob")
MULTIPLE = 32
PROB_STRIDE = 4
DEFAULT_TEMPERATURE = 0.38
DEFAULT_LONG_SIDE = 512


def working_shape(shape: tuple[int, int], size: int) -> tuple[int, int]:
    """(h, w) with long side `size` and the aspect ratio of `shape` (H, W): the network's working grid."""
    if size < 1:
        raise ValueError("size must be positive")
    H, W = shape[:2]
    scale = size / max(H, W)
    return max(1, round(H * scale)), max(1, round(W * scale))


def temperature_for(vividness: float, base: float = DEFAULT_TEMPERATURE) -> float:
    """Vividness 1 is the card's temperature; 2 halves it (more saturated), 0.5 doubles it."""
    if vividness <= 0:
        raise ValueError("vividness must be positive")
    return float(min(1.0, max(0.05, base / vividness)))
