"""Pack photos into one size-capped tar (WebP, or their own bytes) to carry to a remote GPU machine."""
from __future__ import annotations

import argparse
import io
import os
import sys
import tarfile
import tempfile
import warnings
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

import cv2
import numpy as np

from trainer.data import SEG_SUFFIX, ByteReader, DataWarning, decode_rgb, index_sources, mean_chroma

MIB = 1 << 20


@dataclass
class PackResult:
    count: int        # photos written
    bytes: int        # final tar size
    skipped_gray: int
    skipped_bad: int
    complete: bool    # False when the size cap stopped packing early
    labelled: int = 0  # photos whose label map came along


def shrink(rgb: np.ndarray, short_side: int) -> np.ndarray:
    """HxWx3 uint8 -> same, short side reduced to `short_side` with INTER_AREA; never upscales."""
    h, w = rgb.shape[:2]
    if min(h, w) <= short_side:
        return rgb
    f = short_side / min(h, w)
    size = (max(short_side, round(w * f)), max(short_side, round(h * f)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def _member_name(name: str, file: str, is_tar_member: bool, ext: str = ".webp") -> str:
    if is_tar_member:
        return os.path.splitext(name)[0] + ext
    # A loose photo becomes <its folder>/<stem><ext>, keeping the <group>/<name> layout of shards.
    p = Path(file)
    return f"{p.parent.name or 'photos'}/{p.stem}{ext}"


def _round_robin(file_id: np.ndarray, files: list[str], sizes: np.ndarray) -> list[int]:
    """Photo order taking one from each shard in turn (loose photos count as one source per folder)."""
    groups: dict[str, list[int]] = {}
    for i, fid in enumerate(file_id):
        key = files[fid] if sizes[i] >= 0 else str(Path(files[fid]).parent)
        groups.setdefault(key, []).append(i)
    return [i for batch in zip_longest(*groups.values()) for i in batch if i is not None]


def _label_map(reader: ByteReader, index, i: int, shape, small_shape, where: str) -> bytes | None:
    """Photo i's label map resized (nearest: classes never blend) to its packed photo's size, as PNG bytes;
    None when it has none or it cannot be read (with a warning)."""
    if index.seg_file_id[i] < 0:
        return None
    try:
        lab = cv2.imdecode(np.frombuffer(reader.read(int(index.seg_file_id[i]), int(index.seg_offset[i]),
                                                     int(index.seg_size[i])), np.uint8), cv2.IMREAD_UNCHANGED)
    except OSError:
        lab = None
    if lab is None or lab.dtype != np.uint8 or lab.shape != tuple(shape):
        warnings.warn(f"{where}: label map unreadable or not its photo's size; packed without it", DataWarning,
                      stacklevel=3)
        return None
    if lab.shape != tuple(small_shape):
        lab = cv2.resize(lab, (small_shape[1], small_shape[0]), interpolation=cv2.INTER_NEAREST)
    ok, png = cv2.imencode(".png", lab, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    return png.tobytes() if ok else None


def _padded(n: int) -> int:
    return -(-n // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE


def pack(sources: list[str | Path], out: Path, short_side: int = 128, quality: int = 60, max_mb: float = 46.0,
         gray_threshold: float = 0.0, part: int = 0, parts: int = 1, original: bool = False) -> PackResult:
    """Write `out` atomically; stops before the tar (incl. end blocks and record padding) would exceed max_mb MiB.

    original: keep each photo's own bytes, size and format (short_side and quality unused). A model trained on
    WebP quality 35 at short side 128 was worse on the original photos than the one it started from (ab RMSE
    11.67 against 11.19) while better on such WebP photos (10.56 against 10.68): docs/gpu-run-2026-11-30.md.

    part/parts: only every parts-th photo of the round-robin order, starting at the part-th, so `parts` packs
    (each small enough to travel with one device call) hold every photo once, each a mix of every source."""
    if not 0 <= part < parts:
        raise ValueError(f"part must be in 0..{parts - 1}, got {part}")
    out = Path(out)
    index = index_sources(sources)
    for f in index.files:
        if out.exists() and out.resolve() == Path(f).resolve():
            raise ValueError(f"{out}: output would overwrite an input")
    reader, cap = ByteReader(index.files), int(max_mb * MIB)
    count = gray = bad = labelled = 0
    complete, seen = True, set()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fobj:
            with tarfile.open(fileobj=fobj, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for i in _round_robin(index.file_id, index.files, index.size)[part::parts]:
                    where = str(index.names[i]) if index.size[i] < 0 else \
                        f"{index.files[index.file_id[i]]}:{index.names[i]}"
                    try:
                        rgb = decode_rgb(reader.read(int(index.file_id[i]), int(index.offset[i]),
                                                     int(index.size[i])))
                    except OSError:
                        rgb = None
                    if rgb is None:
                        warnings.warn(f"{where}: unreadable photo; skipped", DataWarning, stacklevel=2)
                        bad += 1
                        continue
                    if gray_threshold > 0 and mean_chroma(rgb) < gray_threshold:
                        gray += 1
                        continue
                    if original:
                        small, ext = rgb, os.path.splitext(str(index.names[i]))[1].lower() or ".jpg"
                        data = reader.read(int(index.file_id[i]), int(index.offset[i]), int(index.size[i]))
                    else:
                        small, ext = shrink(rgb, short_side), ".webp"
                        ok, buf = cv2.imencode(".webp", cv2.cvtColor(small, cv2.COLOR_RGB2BGR),
                                               [cv2.IMWRITE_WEBP_QUALITY, int(quality)])
                        if not ok:
                            warnings.warn(f"{where}: WebP encoding failed; skipped", DataWarning, stacklevel=2)
                            bad += 1
                            continue
                        data = buf.tobytes()
                    name = _member_name(str(index.names[i]), index.files[index.file_id[i]], index.size[i] >= 0, ext)
                    stem = name[:-len(ext)]
                    if name in seen:  # same <group>/<name> in two sources: keep both
                        name = f"{stem}__{i}{ext}"
                        stem = name[:-len(ext)]
                    members = [(name, data)]
                    seg = _label_map(reader, index, i, rgb.shape[:2], small.shape[:2], where)
                    if seg is not None:  # beside its photo, under the name trainer/data.py pairs it by
                        members.append((stem + SEG_SUFFIX, seg))
                    infos = []
                    end = tar.offset + 2 * tarfile.BLOCKSIZE
                    for member, data in members:
                        info = tarfile.TarInfo(member)
                        info.size, info.mtime, info.mode = len(data), 0, 0o644
                        end += len(info.tobuf(tar.format, tar.encoding, tar.errors)) + _padded(len(data))
                        infos.append((info, data))
                    if -(-end // tarfile.RECORDSIZE) * tarfile.RECORDSIZE > cap:
                        complete = False
                        break
                    for info, data in infos:
                        tar.addfile(info, io.BytesIO(data))
                    seen.add(name)
                    count += 1
                    labelled += seg is not None
            fobj.flush()
            os.fsync(fobj.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it owner-only; give the usual file mode
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return PackResult(count, out.stat().st_size, gray, bad, complete, labelled)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m trainer.pack", description=__doc__)
    ap.add_argument("sources", nargs="+", help="tar shards, photo folders or photos")
    ap.add_argument("-o", "--out", required=True, type=Path, help="output .tar (written atomically)")
    ap.add_argument("--short-side", type=int, default=128, help="target short side in px (never upscales)")
    ap.add_argument("--quality", type=int, default=60, help="WebP quality 1..100")
    ap.add_argument("--max-mb", type=float, default=46.0, help="size cap in MiB; packing stops before it")
    ap.add_argument("--parts", type=int, default=1, help="split the photos over this many packs (every Nth photo)")
    ap.add_argument("--part", type=int, default=0, help="which of --parts this pack is, from 0")
    ap.add_argument("--original", action="store_true",
                    help="keep each photo's own bytes (no resizing or WebP): what the models are used on")
    ap.add_argument("--gray-threshold", type=float, default=0.0,
                    help="drop near-gray photos (mean chroma below this; training skips them anyway); 0 keeps all")
    a = ap.parse_args(argv)
    if a.short_side < 1 or not 1 <= a.quality <= 100 or a.max_mb <= 0:
        print("error: need --short-side >= 1, --quality in 1..100 and --max-mb > 0", file=sys.stderr)
        return 2
    with warnings.catch_warnings():  # one plain line per skipped photo, no source location
        warnings.simplefilter("always", DataWarning)
        warnings.showwarning = lambda msg, *args, **kw: print(f"warning: {msg}", file=sys.stderr)
        try:
            r = pack(a.sources, a.out, a.short_side, a.quality, a.max_mb, a.gray_threshold, a.part, a.parts,
                     a.original)
        except (OSError, ValueError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
    note = "" if r.complete else f" (stopped at the {a.max_mb:g} MiB cap)"
    print(f"{a.out}: {r.count} images ({r.labelled} with label maps), {r.bytes / MIB:.2f} MiB{note}; "
          f"skipped {r.skipped_gray} gray, {r.skipped_bad} unreadable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
