"""Archival restoration API: toned prints, dust and scratches, grain and local contrast.

Arrays are HxW (gray) or HxWx3 (RGB), uint8 / uint16 / float32 in 0..1; every function
returns its input's dtype and bit depth.  Large scans are processed in row bands.
"""
from __future__ import annotations

from .defects import CleanResult, clean_defects, detect_defects
from .enhance import denoise_luminance, local_contrast
from .tiles import estimate_noise, process_tiled
from .tint import Tint, fit_tint, gray_twin
from .tone import ToneInfo, apply_tone, detect_tone, remove_tone

__all__ = [
    "CleanResult", "Tint", "ToneInfo", "apply_tone", "clean_defects", "denoise_luminance",
    "detect_defects", "detect_tone", "estimate_noise", "fit_tint", "gray_twin", "local_contrast",
    "process_tiled", "remove_tone",
]
