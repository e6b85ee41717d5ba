"""What the status bar says, in words a person understands (no ONNX Runtime provider names or pixel sizes)."""
from __future__ import annotations

DEVICES = {
    "CPUExecutionProvider": "the CPU",
    "CUDAExecutionProvider": "the GPU (CUDA)",
    "TensorrtExecutionProvider": "the GPU (TensorRT)",
    "ROCMExecutionProvider": "the GPU (ROCm)",
    "MIGraphXExecutionProvider": "the GPU (MIGraphX)",
    "DmlExecutionProvider": "the GPU (DirectML)",
    "WebGpuExecutionProvider": "the GPU (WebGPU)",
    "CoreMLExecutionProvider": "the GPU (Core ML)",
    "OpenVINOExecutionProvider": "the accelerator (OpenVINO)",
    "QNNExecutionProvider": "the NPU (QNN)",
}


def device(provider: str) -> str:
    """'CUDAExecutionProvider' -> 'the GPU (CUDA)'; an unknown provider keeps its short name."""
    if provider in DEVICES:
        return DEVICES[provider]
    short = provider.removesuffix("ExecutionProvider") or "an unknown device"
    return f"the {short} accelerator" if short != "an unknown device" else short


def duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds >= 0.1 else f"{max(1, round(seconds * 1000))} ms"


def rendered(seconds: float, provider: str, draft: bool = False) -> str:
    """'Colorized in 0.6 s on the CPU'; a draft (the quick preview after an edit) says so."""
    what = "Quick preview" if draft else "Colorized"
    return f"{what} in {duration(seconds)} on {device(provider)}"


def model_label(name: str, provider: str) -> str:
    """The status bar's permanent model label: 'tinta-base, on the GPU (CUDA)'."""
    return f"{name}, on {device(provider)}"
