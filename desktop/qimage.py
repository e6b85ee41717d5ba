"""The one place where numpy arrays become QImages (and back, for tests and screenshots)."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

_FORMATS = {
    # (channels, dtype) -> QImage format; arrays are HxW (gray) or HxWxC, C in {3, 4}
    (1, np.dtype(np.uint8)): QImage.Format.Format_Grayscale8,
    (1, np.dtype(np.uint16)): QImage.Format.Format_Grayscale16,
    (3, np.dtype(np.uint8)): QImage.Format.Format_RGB888,
    (4, np.dtype(np.uint8)): QImage.Format.Format_RGBA8888,
    (4, np.dtype(np.uint16)): QImage.Format.Format_RGBA64,
}


def array_to_qimage(pixels: np.ndarray) -> QImage:
    """Return a QImage that owns a copy of `pixels`.

    pixels: HxW gray or HxWx3 RGB or HxWx4 RGBA, uint8 or uint16 (full range), or float in [0, 1].
    A 16-bit RGB array becomes RGBA64 with an opaque alpha, since Qt has no 48-bit RGB format.
    """
    arr = np.asarray(pixels)
    if arr.dtype.kind == "f":
        arr = (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3):
        raise ValueError(f"expected an HxW or HxWxC image, got shape {arr.shape}")
    channels = 1 if arr.ndim == 2 else arr.shape[2]
    if channels == 3 and arr.dtype == np.uint16:
        alpha = np.full(arr.shape[:2] + (1,), 65535, np.uint16)
        arr, channels = np.concatenate([arr, alpha], axis=2), 4
    fmt = _FORMATS.get((channels, arr.dtype))
    if fmt is None:
        raise ValueError(f"unsupported image layout: {channels} channel(s) of {arr.dtype}")
    arr = np.ascontiguousarray(arr)
    h, w = arr.shape[:2]
    image = QImage(arr.data, w, h, arr.strides[0], fmt)
    return image.copy()  # detach from the numpy buffer, which may be freed


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """Return an HxWx3 uint8 RGB copy of any QImage (used for screenshots, eyedropper tests)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w = rgb.height(), rgb.width()
    buf = np.frombuffer(rgb.constBits(), np.uint8, count=rgb.bytesPerLine() * h)
    return buf.reshape(h, rgb.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()


def to_display_rgb8(pixels: np.ndarray) -> np.ndarray:
    """Reduce any picture to HxWx3 uint8 RGB for the screen (gray is replicated, alpha dropped)."""
    arr = np.asarray(pixels)
    if arr.dtype == np.uint16:
        arr = (arr >> 8).astype(np.uint8)
    elif arr.dtype.kind == "f":
        arr = (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif arr.dtype != np.uint8:
        raise ValueError(f"unsupported pixel type {arr.dtype}")
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    elif arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    elif arr.shape[2] == 4:
        arr = arr[:, :, :3]
    return np.ascontiguousarray(arr)
