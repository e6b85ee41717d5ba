"""Split: a colorizer graph cut in two where the hints come in, so a stroke re-runs only the part that reads them.

Why: in the desktop app every stroke runs the network again with new hints, at two working sizes. When the graph's
encoder reads the photo's L alone (tinta-base 1.7 on: trainer/model.py, ModelConfig.stem_hints), its answer is the
same for every stroke on a photo, and it is about half of the network's time (the encoder's features, scene and
context). The engine then opens two sessions: the encoder, L -> the tensors the rest of the graph reads from it,
run once per photo and size (Colorizer keeps the last few answers), and the rest, which takes those tensors with
the hints and gives the outputs. A graph whose hints reach its first layers has no such part and runs whole.

The cut is found in the graph itself, not named by the card: a tensor belongs to the encoder when it is computed
from L and constants alone, and the encoder's outputs are those of its tensors that a hint-reading node takes in.
So every model with that shape gets it, at whatever precision the engine opens it (fp16 and int8 copies too), made
at load time with `onnx.utils.Extractor`, as engine/pruning.py cuts outputs.

Shapes: as the contract's colorizer (engine/contract.py); the encoder's outputs are whatever the graph has there
(for tinta-base: five feature maps at strides 2-32 and a 128-wide context, N first).
"""
from __future__ import annotations

import ctypes
import sys
import threading
import warnings

from . import pruning

ENCODER_INPUT = "L"
# A split pays when the encoder holds a fair share of the work; a graph whose hints reach its stem would give
# an "encoder" of one convolution and cost an extra run and a copy for nothing.
MIN_CONV_SHARE = 0.25

# Graphs found to have no such encoder, by (key, wanted), so they are not parsed again. The parts themselves are kept
# only from the encoder's opening to the rest's (`part`): providers.session_for keeps the sessions made from them,
# and a longer-lived copy would hold 21 MB for nothing.
_unsplit: set[tuple] = set()
_handed: list = [None]  # ((key, wanted), (encoder, rest)) between part("encoder") and part("rest")
_lock = threading.Lock()


class SplitWarning(UserWarning):
    """A graph with a hint-free encoder could not be cut in two; it runs whole (slower strokes, same colours)."""


def frontier(graph) -> tuple[list[str], float]:
    """(the encoder's outputs in graph order, the share of the graph's Conv nodes that are in the encoder).

    Encoder tensors: computed from L and constants alone, each depending on L. Its outputs: those a node outside
    the encoder reads (constants feed both parts from the graph's own initializers, so they are not outputs)."""
    const = {t.name for t in graph.initializer}
    static = {ENCODER_INPUT}
    convs = encoder_convs = 0
    outputs: dict[str, None] = {}
    for node in _in_order(graph):
        ins = [i for i in node.input if i]
        is_conv = node.op_type in ("Conv", "ConvInteger", "QLinearConv")
        convs += is_conv
        body = any(a.g.node or a.graphs for a in node.attribute)  # If/Loop: not looked into; they run in the rest
        if not body and all(i in const for i in ins):
            const.update(node.output)
        elif not body and all(i in const or i in static for i in ins):
            static.update(node.output)
            encoder_convs += is_conv
        else:
            outputs.update({i: None for i in ins if i in static and i != ENCODER_INPUT})
    outputs.update({o.name: None for o in graph.output if o.name in static})
    return list(outputs), encoder_convs / max(convs, 1)


def _in_order(graph) -> list:
    """The graph's nodes, each after those whose outputs it reads. ONNX asks for that order, but converters do not
    always keep it (the fp16 copy's input casts come last)."""
    made = {o: n for n in graph.node for o in n.output}
    done: set[int] = set()
    order = []
    for root in graph.node:
        stack = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if id(node) in done:
                continue
            if ready:
                done.add(id(node))
                order.append(node)
                continue
            stack.append((node, True))
            stack.extend((made[i], False) for i in node.input if i in made and id(made[i]) not in done)
    return order


def part(source, key: str, wanted: tuple[str, ...] | None, which: str) -> bytes | None:
    """One of parts(...)'s two ("encoder" or "rest"), or None. The encoder is opened first and the rest after it,
    so the pair is cut once and handed over between the two calls (cut twice, opening took 0.66 s; once, 0.48 s)."""
    with _lock:
        held = _handed[0]
        pieces = held[1] if held is not None and held[0] == (key, wanted) else None
    if pieces is None:
        pieces = parts(source, key, wanted)
    with _lock:
        _handed[0] = ((key, wanted), pieces) if which == "encoder" and pieces is not None else None
    return None if pieces is None else pieces[("encoder", "rest").index(which)]


def parts(source, key: str, wanted: tuple[str, ...] | None = None) -> tuple[bytes, bytes] | None:
    """(encoder, rest) serialized for a model given as a path or bytes, or None when the graph has no encoder
    worth splitting off. `wanted`: the outputs the rest computes (None: all the graph's); the rest takes every
    input of the graph (those it does not read too, as the engine feeds the contract's) and the encoder's
    outputs. `key` identifies the source (its SHA-256 and precision): a graph found not to split is not parsed
    again."""
    with _lock:
        if (key, wanted) in _unsplit:
            return None
        import onnx
        from onnx.utils import Extractor

        model = pruning.parse(source, key, keep=False)
        names = [i.name for i in model.graph.input]
        cut, share = frontier(model.graph)
        result = None
        if ENCODER_INPUT in names and cut and share >= MIN_CONV_SHARE:
            outs = [o.name for o in model.graph.output if wanted is None or o.name in wanted]
            try:  # the cut's tensors become graph inputs and outputs, which need their types: infer them first
                ex = Extractor(onnx.shape_inference.infer_shapes(model))
                encoder = ex.extract_model([ENCODER_INPUT], cut)
                rest = ex.extract_model(names + cut, outs)
                have = {i.name for i in rest.graph.input}
                rest.graph.input.extend(i for i in model.graph.input if i.name not in have)
                result = (encoder.SerializeToString(), rest.SerializeToString())
            except Exception as exc:  # any graph the extractor cannot cut still runs whole
                warnings.warn(f"cannot split the model at its hints ({str(exc)[:120]}); running it whole",
                              SplitWarning, stacklevel=2)
        if result is None:
            _unsplit.add((key, wanted))
        del model
        _give_back_memory()
        return result


def _give_back_memory() -> None:
    """Return freed heap to the system: parsing, shape inference and cutting a 21 MB graph leave tens of MB in
    glibc's free lists that the process would otherwise keep (measured after opening tinta-base 1.7: 241 MB
    resident without this, 208 MB with it; 1.6, opened whole, 171 MB)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # another C library (musl): nothing to do
            pass
