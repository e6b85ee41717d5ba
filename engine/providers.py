"""ONNX Runtime execution providers: preference order, user override, cached sessions."""
from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import onnxruntime as ort

from . import precision, pruning, split
from .errors import ProviderError

CPU = "CPUExecutionProvider"
ALIASES = {"cpu": CPU, "cuda": "CUDAExecutionProvider", "directml": "DmlExecutionProvider",
           "dml": "DmlExecutionProvider", "coreml": "CoreMLExecutionProvider"}
# Accelerators tried in this order before falling back to the CPU.
PREFERENCE = ("CUDAExecutionProvider", "DmlExecutionProvider", "CoreMLExecutionProvider")
_PLATFORMS = {"CUDAExecutionProvider": ("linux", "win32"), "DmlExecutionProvider": ("win32",),
              "CoreMLExecutionProvider": ("darwin",)}


class ProviderWarning(UserWarning):
    """The provider in use is not the one that was asked for."""


def canonical(name: str) -> str:
    """'cuda' -> 'CUDAExecutionProvider'; full ORT names pass through; unknown names raise ProviderError."""
    n = name.strip()
    if n.lower() in ALIASES:
        return ALIASES[n.lower()]
    if n.endswith("ExecutionProvider"):
        return n
    raise ProviderError(f"unknown provider {name!r}: use cpu, cuda, directml, coreml "
                        "or a full ONNX Runtime provider name")


def platform_ok(provider: str) -> bool:
    """False for providers that cannot work on this operating system (e.g. DirectML off Windows)."""
    return sys.platform in _PLATFORMS.get(provider, (sys.platform,))


def available() -> list[str]:
    """Providers this onnxruntime build offers and this platform can use."""
    return [p for p in ort.get_available_providers() if platform_ok(p)]


def preference(requested: str | None = None) -> list[str]:
    """Provider list to hand to ORT: the requested one (if usable) or the best accelerator, then CPU."""
    avail = available()
    if requested is not None:
        want = canonical(requested)
        if want == CPU:
            return [CPU]
        if want in avail:
            return [want, CPU]
        warnings.warn(f"provider {want} is not available here (available: {', '.join(avail)}); "
                      f"using {CPU}", ProviderWarning, stacklevel=3)
        return [CPU]
    return [p for p in PREFERENCE if p in avail] + [CPU]


def physical_cores() -> int:
    """Physical core count (hyper-threads excluded where the OS tells us), at least 1."""
    try:
        import psutil  # optional; not a dependency
        n = psutil.cpu_count(logical=False)
        if n:
            return int(n)
    except ImportError:
        pass
    topo = Path("/sys/devices/system/cpu")
    cores = set()
    for d in topo.glob("cpu[0-9]*/topology"):
        try:
            cores.add(((d / "physical_package_id").read_text().strip(), (d / "core_id").read_text().strip()))
        except OSError:
            continue
    logical = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(len(cores), logical) if cores else logical)


_sessions: dict[tuple, ort.InferenceSession | None] = {}  # None: no such part (split)
_precisions: dict[int, str] = {}  # id(session) -> "int8" | "fp16" | "fp32"; cached sessions live as long as the process


def _open(source, chain: list[str]) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = physical_cores()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3  # ORT's own fallback chatter is replaced by our one-line warning
    # ORT's worker threads spin after each run, waiting for the next; on a 2-core laptop they then take the cores
    # from the numpy work that follows (rendering, the hint solve). Measured on 2 cores, one process: 8 variants at
    # working size 192 in 88 ms instead of 128, at 512 281 instead of 341; the network at 256 31-37 ms either way.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(source, sess_options=opts, providers=chain)


def session_for(model_path: Path, sha256: str, requested: str | None = None,
                int8: tuple[Path, str] | None = None, how: str | None = None,
                outputs: tuple[str, ...] | None = None, part: str | None = None):
    """A cached InferenceSession for (model sha, provider choice, precision mode, outputs, part) and the
    provider that actually runs it. GPU providers get the fp16 copy (engine/precision.py); if the accelerator
    then fails to start and ORT falls back to the CPU, the session is reopened in fp32. `int8` is the card's
    (path, sha256) of its int8 copy, run on the CPU (verified by the caller); `how` overrides TINTA_PRECISION;
    `outputs`, when given, cuts the graph down to those of its outputs (engine/pruning.py); `part` ("encoder" or
    "rest") opens that part of a graph whose encoder reads L alone (engine/split.py), and gives (None, None)
    for a graph without one."""
    chain = preference(requested)
    how = how or precision.mode()
    key = (sha256, tuple(chain), how, int8[1] if int8 else None, outputs, part)
    if key in _sessions and _sessions[key] is None:
        return None, None
    sess = _sessions.get(key)
    if sess is None:
        used = "fp32"
        try:
            if int8 is not None and precision.wants_int8(chain[0], how):
                sess, used = _open(_cut(str(int8[0]), int8[1], outputs, part), chain), "int8"
            half = precision.fp16_model(model_path, sha256) if sess is None and \
                precision.wants_fp16(chain[0], how) else None
            if half is not None:
                sess, used = _open(_cut(half, sha256 + ":fp16", outputs, part), chain), "fp16"
                if not precision.wants_fp16(sess.get_providers()[0], how):
                    sess, used = None, "fp32"
            if sess is None:
                sess = _open(_cut(str(model_path), sha256, outputs, part), chain)
        except _NoPart:
            _sessions[key] = None
            return None, None
        _sessions[key] = sess
        _precisions[id(sess)] = used
    actual = sess.get_providers()[0]
    if requested is not None and actual != canonical(requested) and chain[0] != CPU:
        warnings.warn(f"provider {chain[0]} was asked for but {actual} is in use", ProviderWarning, stacklevel=2)
    return sess, actual


class _NoPart(Exception):
    """The graph has no hint-free encoder to open apart (engine/split.py)."""


def _cut(source, key: str, outputs: tuple[str, ...] | None, part: str | None = None):
    """`source` (a path or bytes), or its graph cut down to `outputs` when that leaves something out; with
    `part`, that part of the graph (engine/split.py) computing `outputs`, or _NoPart."""
    if part is not None:
        piece = split.part(source, key, outputs, part)
        if piece is None:
            raise _NoPart(key)
        return piece
    if outputs is None:
        return pruning.whole(source, key)
    data = pruning.outputs_only(source, key, outputs)
    return source if data is None else data


def precision_of(session) -> str:
    """The precision `session` (from session_for) runs: "int8" or "fp16" for those copies, else "fp32"."""
    return _precisions.get(id(session), "fp32")
