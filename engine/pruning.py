"""Pruning: a model's graph cut down to the outputs the engine fetches, made at load time.

Why: ONNX Runtime runs every node of a graph whatever `run` is asked for. tinta-base is decoded from its
regression head, yet its class head (a 3x3 convolution, 262 logits, softmax and annealed mean at stride 4)
cost half the CPU time of a preview: 58-64 ms at 256 x 192 on 2 cores with all heads, 29-34 ms without
(bench/engine.py prints both). The colour distribution is still there when it is wanted: the full graph
is opened on first use (engine/colorizer.py, Colorizer.distribution).

Why load time, not a second shipped file: the card's one SHA-256 covers one file, every model (a user's
own too) gets it, and cutting the 21 MB default model takes about 0.1 s with `onnx.utils.Extractor`, the
ONNX project's own tool (the `onnx` package, already what the fp16 copy is made with).
"""
from __future__ import annotations

import threading
import warnings

from . import graph_rewrite

_cache: dict[tuple, bytes | None] = {}
_names: dict[str, tuple[str, ...]] = {}
_lock = threading.Lock()
_last: list = [None]  # (key, parsed model): parsed once at start-up, by graph_outputs, for the cut that follows
_rewritten: dict[str, int] = {}  # key -> nodes engine/graph_rewrite.py rewrote when the graph was parsed


def parse(source, key: str, keep: bool):
    """The ModelProto of `source`, reusing the last one parsed for `key`; kept for the next call only if `keep`
    (outputs_only and engine/split.py's parts take it, so a model is parsed once when it is opened)."""
    import onnx

    hit = _last[0]
    if hit is not None and hit[0] == key:
        model = hit[1]
    else:
        model = onnx.load_from_string(source) if isinstance(source, bytes) else onnx.load(str(source))
        _rewritten[key] = graph_rewrite.softmax_in_plain_ops(model)  # every cut runs ORT's fast kernels
    _last[0] = (key, model) if keep else None
    return model


def whole(source, key: str):
    """`source` itself, or the serialized whole graph when a load-time rewrite (engine/graph_rewrite.py) changes it;
    a graph found to need none is not parsed again."""
    with _lock:
        if _rewritten.get(key) == 0:
            return source
        model = parse(source, key, keep=False)
        return model.SerializeToString() if _rewritten[key] else source


class PruningWarning(UserWarning):
    """A graph could not be cut down; the whole model runs (slower, same colours)."""


def graph_outputs(source, key: str) -> tuple[str, ...]:
    """The output names of an ONNX model given as a path or serialized bytes, cached per `key`."""
    with _lock:
        hit = _names.get(key)
        if hit is None:
            model = parse(source, key, keep=True)  # the Colorizer cuts this model next: parse it once
            hit = _names[key] = tuple(o.name for o in model.graph.output)
        return hit


def outputs_only(source, key: str, wanted: tuple[str, ...]) -> bytes | None:
    """The serialized model computing only the outputs in `wanted` (those it has), or None when that is the
    whole graph or cannot be made. `source` is a path or bytes, `key` what identifies it (its SHA-256 and
    precision): results are cached per (key, wanted)."""
    with _lock:
        if (key, wanted) in _cache:
            return _cache[(key, wanted)]
        from onnx.utils import Extractor

        model = parse(source, key, keep=False)
        names = _names[key] = tuple(o.name for o in model.graph.output)
        keep = [n for n in names if n in wanted]
        data = None
        if keep and len(keep) < len(names):
            try:
                cut = Extractor(model).extract_model([i.name for i in model.graph.input], keep)
                # Extractor drops inputs nothing reads; the engine's feeds are the contract's, so keep them all.
                have = {i.name for i in cut.graph.input}
                cut.graph.input.extend(i for i in model.graph.input if i.name not in have)
                data = cut.SerializeToString()
            except Exception as exc:  # any graph the extractor cannot cut still runs whole
                warnings.warn(f"cannot cut the model down to {', '.join(keep)} ({str(exc)[:120]}); running "
                              f"all of it", PruningWarning, stacklevel=2)
        _cache[(key, wanted)] = data
        return data
