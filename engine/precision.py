"""Precision: an fp16 copy of a model, made at load time, for GPU providers; the card's int8 copy on the CPU.

Why load time, not export time: one shipped file (and one card SHA-256) serves every machine, and the
conversion of the 21 MB default model takes under a second.

Why onnxruntime.transformers.float16: it ships inside the onnxruntime / onnxruntime-gpu wheel we already
depend on, is maintained by the ONNX Runtime team in step with the runtime's kernels (its default block
list keeps ops without fp16 kernels, e.g. Range, TopK, Upsample, in fp32), and needs only the `onnx`
package beside it. onnxconverter-common's converter is the same code base, older, as an extra package.
`keep_io_types=True` keeps the graph's inputs and outputs float32, so the engine's feeds and the
contract (engine/contract.py) do not change; Cast nodes at the edges do the conversion on the device.

int8 is the other way round: made once by the trainer (`python -m trainer.quantize`, static QDQ calibrated
on training photos) and shipped beside the fp32 file, because calibration needs photos the user does not
have. A card names it under "int8" only when its measured quality loss is within the bounds the card states
and it is faster enough, and the CPU then runs it. tinta-base ships none: trainer/quantize.py says why.
"""
from __future__ import annotations

import os
import warnings

# Providers that run fp16 kernels natively. CoreML is left out on purpose: Core ML already runs an fp32
# graph at fp16 on the GPU / Neural Engine, and with ORT's default (NeuralNetwork) CoreML format an fp16
# graph's nodes fall back to the CPU, where fp16 is slow.
FP16_PROVIDERS = frozenset({"CUDAExecutionProvider", "DmlExecutionProvider"})
ENV = "TINTA_PRECISION"
MODES = ("auto", "fp32", "fp16", "int8")
CPU = "CPUExecutionProvider"


class PrecisionWarning(UserWarning):
    """fp16 was wanted but could not be made; the fp32 model runs instead."""


def mode() -> str:
    """TINTA_PRECISION: auto (fp16 on FP16_PROVIDERS, the card's int8 copy on the CPU, else fp32), fp32
    (always), fp16 or int8 (always where possible; for checks and comparisons)."""
    value = os.environ.get(ENV, "auto").strip().lower() or "auto"
    if value not in MODES:
        warnings.warn(f"{ENV}={value!r} is not one of {', '.join(MODES)}; using auto", PrecisionWarning,
                      stacklevel=2)
        return "auto"
    return value


def wants_fp16(provider: str, how: str | None = None) -> bool:
    """Whether a session whose first provider is `provider` should run the fp16 copy."""
    how = how or mode()
    return how == "fp16" or (how == "auto" and provider in FP16_PROVIDERS)


def wants_int8(provider: str, how: str | None = None) -> bool:
    """Whether a session whose first provider is `provider` should run the card's int8 copy (when it has one).
    Only the CPU: GPU providers run QDQ graphs by dequantizing, slower than their fp16 path."""
    how = how or mode()
    return how == "int8" or (how == "auto" and provider == CPU)


_fp16_cache: dict[str, bytes] = {}


def fp16_model(model_path, sha256: str) -> bytes | None:
    """Serialized fp16 copy of the model (float32 inputs/outputs), cached per SHA-256; None, with a
    PrecisionWarning, when the converter (onnxruntime.transformers, left out of CPU app bundles) is missing
    or fails."""
    cached = _fp16_cache.get(sha256)
    if cached is not None:
        return cached
    try:
        import onnx
        from onnxruntime.transformers.float16 import convert_float_to_float16
    except ImportError as exc:
        warnings.warn(f"half precision needs onnxruntime.transformers and onnx; running fp32 "
                      f"({exc.name or exc})", PrecisionWarning, stacklevel=2)
        return None
    try:
        model = onnx.load(str(model_path))
        half = convert_float_to_float16(model, keep_io_types=True)
        data = half.SerializeToString()
    except Exception as exc:  # a graph the converter cannot handle still runs, in fp32
        warnings.warn(f"{model_path}: fp16 conversion failed ({exc.__class__.__name__}: {str(exc)[:120]}); "
                      "running fp32", PrecisionWarning, stacklevel=2)
        return None
    _fp16_cache[sha256] = data
    return data
