"""Reading and atomically writing PNG, JPEG, TIFF, BMP and WebP images as RGB(A) numpy arrays, with metadata."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import tifffile

from . import colormanage, png
from .atomic import atomic_path
from ..errors import ImageError
from .header import DEFLATE_MAX_RATIO, png_chunks_fit, sniff
from .metadata import Metadata, embed_jpeg, embed_png, patch_tiff_exif, read_metadata, tiff_tags, webp_params
from .quiet import native_stderr_silenced

MAX_PIXELS = 300_000_000  # decompression-bomb guard
WRITE_FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".tif": "tiff", ".tiff": "tiff",
                 ".bmp": "bmp", ".webp": "webp"}
_ORIENT = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
           5: lambda a: a.swapaxes(0, 1), 6: lambda a: np.rot90(a, -1),
           7: lambda a: np.rot90(a, 1)[::-1], 8: lambda a: np.rot90(a, 1)}


@dataclass
class Picture:
    """Decoded image: pixels HxW (gray) or HxWx3/4 (RGB/RGBA), uint8 or uint16, orientation applied.

    Pixels are sRGB (converted from an embedded ICC profile, CMYK included) unless read with
    to_srgb=False; metadata holds the file's EXIF (orientation reset to 1), ICC profile and XMP.
    """

    pixels: np.ndarray
    path: str
    bit_depth: int
    has_alpha: bool
    metadata: Metadata = field(default_factory=Metadata)


def _check_size(path, w, h) -> None:
    if w is not None and h is not None:
        if w <= 0 or h <= 0:
            raise ImageError(path, f"image has no pixels ({w}x{h})")
        if w * h > MAX_PIXELS:
            raise ImageError(path, f"image is {w}x{h} ({w * h / 1e6:.0f} megapixels), over the "
                                   f"{MAX_PIXELS // 1_000_000} megapixel limit")


def _check_plausible(path, w, h, size: int, least: int) -> None:
    if size < least:
        raise ImageError(path, f"header says {w}x{h} pixels but the file has only {size} bytes, too few for "
                               f"that (corrupt or truncated)")


# The most a TIFF codec can expand its data; unlisted codecs (CCITT, LZMA, Zstandard...) get the generous default.
_TIFF_MAX_RATIO = {1: 1, 32773: 64, 5: 4096, 8: DEFLATE_MAX_RATIO, 32946: DEFLATE_MAX_RATIO, 7: 2048}
_TIFF_DEFAULT_RATIO = 65536


def read_image(path, to_srgb: bool = True) -> Picture:
    """Decode an image file; raises ImageError(path, problem) for anything unreadable or absurd."""
    p = Path(path)
    if not p.exists():
        raise ImageError(path, "file does not exist")
    if p.is_dir():
        raise ImageError(path, "is a folder, not an image")
    try:
        with open(p, "rb") as fh:
            head = fh.read(32)
            if not head:
                raise ImageError(path, "file is empty")
            header = sniff(head)
            if header is None:
                raise ImageError(path, "not an image (or an unsupported format; use PNG, JPEG, TIFF, BMP or WebP)")
            data = b""
            if header.format != "tiff":
                data = head + fh.read()
                # Before Pillow looks for metadata: it decodes a whole PNG to find a trailing eXIf chunk.
                header = _checked_header(p, data)
            with native_stderr_silenced():  # problems are reported once, by the ImageError below
                meta = read_metadata(p)
                icc = _usable_profile(meta.icc) if to_srgb else None
                pixels = _read_tiff(p, icc) if header.format == "tiff" else _read_cv(p, data, header, icc)
    except OSError as exc:
        raise ImageError(path, f"cannot read file ({exc.strerror or exc.__class__.__name__})") from None
    if pixels.dtype not in (np.uint8, np.uint16):
        raise ImageError(path, f"unsupported sample type {pixels.dtype}")
    if icc and not colormanage.is_srgb(icc) and colormanage.space(icc) != "CMYK":
        try:
            pixels = colormanage.convert(pixels, icc, None)
        except colormanage.ProfileError as exc:
            raise ImageError(path, str(exc)) from None
    has_alpha = pixels.ndim == 3 and pixels.shape[2] == 4
    return Picture(np.ascontiguousarray(pixels), str(path), 8 * pixels.dtype.itemsize, has_alpha, meta)


def _usable_profile(icc: bytes | None) -> bytes | None:
    """The profile if LittleCMS can parse it; a damaged one is ignored like a missing one."""
    try:
        return icc if icc and colormanage.space(icc) else None
    except colormanage.ProfileError:
        return None


def _checked_header(path, data: bytes):
    """The header of a whole PNG/JPEG/BMP/WebP file, refused when its size is absurd or its data too short."""
    header = sniff(data)
    _check_size(path, header.width, header.height)
    _check_plausible(path, header.width, header.height, len(data), header.min_file_bytes())
    if header.format == "jpeg" and (header.scan_start < 0 or data.find(b"\xff\xd9", header.scan_start) < 0):
        raise ImageError(path, "JPEG data is truncated (no end-of-image marker)")
    if header.format == "png" and not png_chunks_fit(data):
        raise ImageError(path, "corrupt or truncated PNG data (a chunk runs past the end of the file)")
    return header


def _read_cv(path, data: bytes, header, icc: bytes | None = None) -> np.ndarray:
    if header.format == "jpeg" and icc and colormanage.space(icc) == "CMYK":
        return _read_cmyk_jpeg(path, data, icc)
    # IMREAD_UNCHANGED would skip EXIF orientation, so keep it only where alpha must survive.
    keep_alpha = header.has_alpha or header.format in ("webp", "bmp")
    flags = cv2.IMREAD_UNCHANGED if keep_alpha else cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error:
        img = None
    if img is None:
        raise ImageError(path, f"corrupt or truncated {header.format.upper()} data")
    _check_size(path, img.shape[1], img.shape[0])
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA if img.shape[2] == 4 else cv2.COLOR_BGR2RGB)
    if keep_alpha:
        orientation = _exif_orientation(data)
        if orientation in _ORIENT:
            img = np.ascontiguousarray(_ORIENT[orientation](img))
    return img


def _exif_orientation(data: bytes) -> int:
    """EXIF orientation of an encoded image (1 when absent): OpenCV applies it only without IMREAD_UNCHANGED."""
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return int(im.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001 - unreadable EXIF means no orientation
        return 1


def _read_cmyk_jpeg(path, data: bytes, icc: bytes) -> np.ndarray:
    """A CMYK JPEG with its press profile: OpenCV ignores the profile, so Pillow decodes the inks."""
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            im = _pil_oriented(im)
            cmyk = np.asarray(im.convert("CMYK"))
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types for corrupt data
        raise ImageError(path, f"corrupt or truncated JPEG data ({exc.__class__.__name__})") from None
    return colormanage.cmyk_to_rgb(cmyk, icc)


def _pil_oriented(im):
    from PIL import ImageOps

    return ImageOps.exif_transpose(im)


def _read_tiff(path: Path, icc: bytes | None = None) -> np.ndarray:
    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            shape = page.shape
            planar = page.planarconfig == tifffile.PLANARCONFIG.SEPARATE and len(shape) == 3
            h, w = (shape[1], shape[2]) if planar else (shape[0], shape[1])
            _check_size(path, w, h)
            raw = w * h * page.samplesperpixel * page.bitspersample // 8
            ratio = _TIFF_MAX_RATIO.get(int(page.compression), _TIFF_DEFAULT_RATIO)
            _check_plausible(path, w, h, path.stat().st_size, raw // ratio)
            arr = page.asarray()
            orientation = page.tags.get(274)
            photometric = page.photometric
            colormap = page.colormap
    except ImageError:
        raise
    except Exception as exc:  # tifffile raises many types for corrupt data
        raise ImageError(path, f"corrupt or unsupported TIFF ({exc.__class__.__name__}: {str(exc)[:80]})") from None
    if planar:
        arr = np.moveaxis(arr, 0, -1)
    if photometric == tifffile.PHOTOMETRIC.PALETTE and colormap is not None:
        arr = np.moveaxis(colormap, 0, -1)[arr]
    elif photometric == tifffile.PHOTOMETRIC.SEPARATED and arr.ndim == 3 and arr.shape[2] >= 4:
        arr = colormanage.cmyk_to_rgb(_to_uint(path, arr[..., :4]), icc)
    elif photometric == tifffile.PHOTOMETRIC.MINISWHITE:
        arr = np.iinfo(arr.dtype).max - arr if arr.dtype.kind == "u" else 1.0 - arr
    arr = _to_uint(path, arr)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim == 3 and arr.shape[2] == 2:  # gray + alpha: the pipeline takes RGBA
        arr = np.dstack([arr[..., 0]] * 3 + [arr[..., 1]])
    if arr.ndim == 3 and arr.shape[2] > 4:
        arr = arr[..., :4]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] == 2):
        raise ImageError(path, f"unsupported TIFF layout {arr.shape}")
    if orientation is not None and orientation.value in _ORIENT:
        arr = _ORIENT[orientation.value](arr)
    return arr


def _to_uint(path, arr: np.ndarray) -> np.ndarray:
    if arr.dtype in (np.uint8, np.uint16):
        return arr
    if arr.dtype == bool:
        return arr.astype(np.uint8) * 255
    if arr.dtype.kind == "f":  # float TIFFs hold 0..1 intensities
        return (np.clip(np.nan_to_num(arr), 0, 1) * 65535 + 0.5).astype(np.uint16)
    raise ImageError(path, f"unsupported TIFF sample type {arr.dtype}")


def write_image(path, pixels: np.ndarray, quality: int = 95, metadata: Metadata | None = None) -> None:
    """Write HxW / HxWx3 / HxWx4 RGB(A) uint8 or uint16 pixels atomically; format from the extension.

    PNG and TIFF keep 16 bits; JPEG, BMP and WebP are written at 8 bits (JPEG drops alpha).
    `metadata` (EXIF, ICC, XMP, provenance note) is embedded in PNG, JPEG, TIFF and WebP; BMP has
    no place for it.  The pixels must already be in the colour space of metadata.icc.
    """
    p = Path(path)
    fmt = WRITE_FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise ImageError(path, f"cannot write {p.suffix or 'extension-less'} files; use .png, .jpg or .tif")
    px = _prepare(pixels, fmt)
    try:
        with atomic_path(p) as tmp:
            _encode_to(tmp, path, px, fmt, quality, metadata)
    except ImageError:
        raise
    except (OSError, cv2.error, ValueError) as exc:
        raise ImageError(path, f"cannot write ({getattr(exc, 'strerror', None) or exc})") from None


def _encode_to(tmp: str, path, px: np.ndarray, fmt: str, quality: int, metadata: Metadata | None) -> None:
    if fmt == "tiff":
        photometric = "rgb" if px.ndim == 3 else "minisblack"
        extra = ["unassalpha"] if px.ndim == 3 and px.shape[2] == 4 else None
        tags = tiff_tags(metadata) if metadata else []
        tifffile.imwrite(tmp, px, photometric=photometric, extrasamples=extra, compression="zlib",
                         compressionargs={"level": 3}, extratags=tags,
                         **({"metadata": None, "software": metadata.software or "tifffile.py"}
                            if metadata else {}))
        if metadata:
            patch_tiff_exif(tmp, metadata)
    elif fmt == "webp" and metadata:
        from PIL import Image

        Image.fromarray(px).save(tmp, "WEBP", quality=int(quality), **webp_params(metadata))
    elif fmt == "png":  # zlib level 1: on a 12 MP photo 0.75 s against 1.31 s at level 3, a file 2.5% larger
        data = png.encode(px, level=1)
        if metadata:
            data = embed_png(data, metadata)
        with open(tmp, "wb") as fh:
            fh.write(data)
    else:
        ok, buf = cv2.imencode("." + ("jpg" if fmt == "jpeg" else fmt), _to_bgr(px), _params(fmt, quality))
        if not ok:
            raise ImageError(path, f"encoder refused the image {px.shape} {px.dtype}")
        data = bytes(buf.data)
        if metadata and fmt == "jpeg":
            data = embed_jpeg(data, metadata)
        with open(tmp, "wb") as fh:
            fh.write(data)


def _prepare(pixels: np.ndarray, fmt: str) -> np.ndarray:
    px = pixels
    if px.dtype.kind == "f":
        px = (np.clip(px, 0, 1) * 65535 + 0.5).astype(np.uint16)
    if px.dtype == np.uint16 and fmt in ("jpeg", "bmp", "webp"):
        px = ((px.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if fmt == "jpeg" and px.ndim == 3 and px.shape[2] == 4:
        px = px[..., :3]
    return np.ascontiguousarray(px)


def _to_bgr(px: np.ndarray) -> np.ndarray:
    if px.ndim == 2:
        return px
    return cv2.cvtColor(px, cv2.COLOR_RGBA2BGRA if px.shape[2] == 4 else cv2.COLOR_RGB2BGR)


def _params(fmt: str, quality: int) -> list[int]:
    if fmt == "jpeg":
        return [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    if fmt == "webp":
        return [cv2.IMWRITE_WEBP_QUALITY, int(quality)]
    return []
