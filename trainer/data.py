"""Training data: index tar shards and photo folders once, read by offset, and yield augmented Lab crops."""
from __future__ import annotations

import os
import tarfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from engine.color import srgb_to_lab
from trainer.hints_sim import simulate_hints

TAR_IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
FOLDER_IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
SEG_SUFFIX = ".seg.png"
IGNORE = 255
MAX_REDRAWS = 100  # redraws (gray / unreadable photos) before giving up on one item


class DataWarning(UserWarning):
    """An input photo, label map or shard was unreadable and has been skipped."""


def _warn(msg: str) -> None:
    warnings.warn(msg, DataWarning, stacklevel=3)


@dataclass
class SourceIndex:
    """Where every photo's bytes live. size -1 means 'the whole file'; seg_* are -1 where there is no label map.

    Arrays rather than per-photo objects so forked workers don't copy the index through refcount writes.
    """
    files: list[str]          # distinct files (shards or loose photos)
    names: np.ndarray         # [N] str, "<group>/<name>.<ext>" (tar) or the photo's path
    file_id: np.ndarray       # [N] int32 into files
    offset: np.ndarray        # [N] int64 byte offset of the data
    size: np.ndarray          # [N] int64 byte count, -1 = whole file
    seg_file_id: np.ndarray   # [N] int32, -1 = no label map
    seg_offset: np.ndarray    # [N] int64
    seg_size: np.ndarray      # [N] int64

    def __len__(self) -> int:
        return len(self.names)


def _index_tar(path: Path, rows: list, files: list[str]) -> None:
    fid = len(files)
    files.append(str(path))
    photos, segs = [], {}
    try:
        with tarfile.open(path, "r:") as tar:
            for m in tar:
                low = m.name.lower()
                if not m.isfile():
                    continue
                if low.endswith(SEG_SUFFIX):
                    segs[m.name[: -len(SEG_SUFFIX)]] = (m.offset_data, m.size)
                elif low.endswith(TAR_IMAGE_EXTS):
                    photos.append((m.name, m.offset_data, m.size))
    except (tarfile.TarError, OSError, EOFError) as e:
        _warn(f"{path}: unreadable tar shard ({e}); using the {len(photos)} members read before the error")
    for name, off, size in photos:
        seg = segs.get(os.path.splitext(name)[0])
        rows.append((name, fid, off, size) + ((fid,) + seg if seg else (-1, -1, -1)))


def _index_folder(root: Path, rows: list, files: list[str]) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            low, p = fn.lower(), Path(dirpath) / fn
            if low.endswith(".tar"):
                _index_tar(p, rows, files)
            elif low.endswith(FOLDER_IMAGE_EXTS) and not low.endswith(SEG_SUFFIX):
                _index_photo(p, rows, files)


def _index_photo(p: Path, rows: list, files: list[str]) -> None:
    fid = len(files)
    files.append(str(p))
    seg = p.with_name(p.name[: -len(p.suffix)] + SEG_SUFFIX)
    if seg.is_file():
        files.append(str(seg))
        rows.append((str(p), fid, 0, -1, fid + 1, 0, -1))
    else:
        rows.append((str(p), fid, 0, -1, -1, -1, -1))


def index_sources(sources: list[str | Path]) -> SourceIndex:
    """Index tar shards, photo folders (recursive, incl. shards inside) and single photos, in the given order."""
    rows: list[tuple] = []
    files: list[str] = []
    for src in sources:
        p = Path(src)
        if p.is_dir():
            _index_folder(p, rows, files)
        elif p.is_file() and p.name.lower().endswith(".tar"):
            _index_tar(p, rows, files)
        elif p.is_file() and p.name.lower().endswith(FOLDER_IMAGE_EXTS):
            _index_photo(p, rows, files)
        else:
            raise FileNotFoundError(f"{p}: not a tar shard, photo folder or photo")
    if not rows:
        raise ValueError(f"no photos found in {[str(s) for s in sources]}")
    cols = list(zip(*rows))
    i32, i64 = (lambda c: np.asarray(c, np.int32)), (lambda c: np.asarray(c, np.int64))
    return SourceIndex(files, np.asarray(cols[0]), i32(cols[1]), i64(cols[2]), i64(cols[3]),
                       i32(cols[4]), i64(cols[5]), i64(cols[6]))


class ByteReader:
    """Reads byte ranges with one lazily opened handle per file per process (safe across fork and spawn)."""

    def __init__(self, files: list[str]):
        self.files = files
        self._pid, self._handles = -1, {}

    def __getstate__(self):
        return {"files": self.files, "_pid": -1, "_handles": {}}

    def read(self, fid: int, offset: int, size: int) -> bytes:
        if self._pid != os.getpid():  # a forked child must not share the parent's file positions
            self._pid, self._handles = os.getpid(), {}
        if size < 0:
            with open(self.files[fid], "rb") as f:
                return f.read()
        f = self._handles.get(fid)
        if f is None:
            f = self._handles[fid] = open(self.files[fid], "rb")
        f.seek(offset)
        data = f.read(size)
        if len(data) != size:
            raise OSError(f"short read ({len(data)} of {size} bytes)")
        return data


def decode_rgb(data: bytes) -> np.ndarray | None:
    """Encoded photo -> HxWx3 uint8 RGB (8-bit, EXIF orientation applied), or None if undecodable."""
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return None if img is None else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 sRGB -> HxWx3 float32 CIE Lab (L 0..100, a/b CIE units): the engine's own conversion, so
    training targets and the L* the app feeds the network come from one formula (trainer/gpu_data.py
    matches it within 0.002)."""
    return srgb_to_lab(rgb)


def _shrunk(rgb: np.ndarray, side: int) -> np.ndarray:
    """The photo with its long side at most `side` px (area-averaged): cheap whole-photo statistics."""
    h, w = rgb.shape[:2]
    s = min(1.0, side / max(h, w))
    return cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def mean_chroma(rgb: np.ndarray, side: int = 64) -> float:
    """Mean sqrt(a^2+b^2) of the photo shrunk to `side` px long side (cheap near-gray test)."""
    lab = rgb_to_lab(_shrunk(rgb, side))
    return float(np.sqrt(lab[..., 1] ** 2 + lab[..., 2] ** 2).mean())


def check_scale(scale) -> None:
    """A crop's scale range multiplies the factor that fits the crop in the photo, so below 1 the crop would not fit."""
    if not 1.0 <= float(scale[0]) <= float(scale[1]):
        raise ValueError(f"scale range must satisfy 1 <= min <= max, got {tuple(scale)}")


def base_factor(crop: int, short: float, fit: bool) -> float:
    """The resize factor that a crop's U(scale) multiplies. Without `fit`, the photo as it is (1) or enlarged until
    its short side holds the crop: on 144-pixel photos a 128 crop at scale 1.0-1.6 then sees 89-56% of the short side.
    With `fit`, the short side is brought to the crop, down as well as up, so scale 1 frames the whole short side as
    the engine does (it runs the network on the whole photo at 192 pixels' long side: a 3:2 photo's short side is
    128)."""
    return crop / short if fit else max(1.0, crop / short)


class ColorDataset(Dataset):
    """Map-style dataset of colour crops; items are dicts of CHW float32 tensors (see __getitem__)."""

    def __init__(self, sources: list[str | Path], crop: int = 144, scale=(1.0, 1.5), hint_prob: float = 0.5,
                 hint_p: float = 1 / 8, max_hints: int = 64, gray_threshold: float = 3.0, seed: int = 0,
                 train: bool = True, with_seg: bool = False, fit: bool = False):
        check_scale(scale)
        self.index = index_sources(sources)
        self.reader = ByteReader(self.index.files)
        self._cache: list | None = None
        self.crop, self.scale, self.fit = int(crop), (float(scale[0]), float(scale[1])), bool(fit)
        self.hint_prob, self.hint_p, self.max_hints = hint_prob, hint_p, max_hints
        self.gray_threshold, self.seed, self.train, self.with_seg = gray_threshold, seed, train, with_seg
        # Shared memory so set_epoch reaches persistent workers and skip counts add up across them
        # (counter increments are not atomic: treat them as approximate under many workers).
        self._epoch = torch.zeros(1, dtype=torch.int64).share_memory_()
        self._skips = torch.zeros(2, dtype=torch.int64).share_memory_()  # [gray, unreadable]
        self._bad: set[int] = set()

    def __len__(self) -> int:
        return len(self.index)

    def cache(self, indices=None, log=None) -> np.ndarray:
        """Decode photos once into RAM (uint8, ~80 kB each at short side 144); later crops read them
        from there. Returns each cached photo's colourfulness (NaN where unreadable or not cached)."""
        from trainer.metrics import colourfulness

        if self._cache is None:
            self._cache = [None] * len(self)
        indices = range(len(self)) if indices is None else indices
        col = np.full(len(self), np.nan, np.float32)
        for k, i in enumerate(indices):
            got = self._load(int(i))
            self._cache[int(i)] = got
            if got is not None:
                col[int(i)] = colourfulness(_shrunk(got[0], 96))
            if log and k and k % 5000 == 0:  # progress, not a count of 0 before the first photo
                log(f"decoded {k} photos")
        return col

    def set_epoch(self, epoch: int) -> None:
        """Call before iterating the loader for `epoch` (also visible to already running workers)."""
        self._epoch[0] = epoch

    @property
    def gray_skips(self) -> int:
        return int(self._skips[0])

    @property
    def bad_skips(self) -> int:
        return int(self._skips[1])

    def share_cache(self, other: "ColorDataset") -> None:
        """Read photos from `other`'s decoded cache (same sources: a validation view of the training set)."""
        self._cache = other._cache

    def cached_rgb(self, i: int) -> np.ndarray | None:
        """Photo i as decoded by cache(), or None (not cached, or unreadable)."""
        got = None if self._cache is None else self._cache[i]
        return None if got is None else got[0]

    def cached_seg(self, i: int) -> np.ndarray | None:
        """Photo i's label map as decoded by cache() (with_seg datasets), or None (none, or not cached)."""
        got = None if self._cache is None else self._cache[i]
        return None if got is None else got[1]

    def _load(self, i: int) -> tuple[np.ndarray, np.ndarray | None] | None:
        if self._cache is not None and self._cache[i] is not None:
            return self._cache[i]
        ix = self.index
        try:
            rgb = decode_rgb(self.reader.read(int(ix.file_id[i]), int(ix.offset[i]), int(ix.size[i])))
        except OSError as e:
            rgb, why = None, str(e)
        else:
            why = "cannot decode image"
        if rgb is None:
            _warn(f"{self._where(i)}: {why}; skipped")
            return None
        if not self.with_seg:
            return rgb, None
        seg = np.full(rgb.shape[:2], IGNORE, np.uint8)
        if ix.seg_file_id[i] >= 0:
            try:
                data = self.reader.read(int(ix.seg_file_id[i]), int(ix.seg_offset[i]), int(ix.seg_size[i]))
                lab = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
            except OSError:
                lab = None
            if lab is not None and lab.dtype == np.uint8 and lab.shape == rgb.shape[:2]:
                seg = lab
            else:
                _warn(f"{self._where(i)}: label map unreadable or not a {rgb.shape[1]}x{rgb.shape[0]} "
                      f"uint8 image; using 'ignore' everywhere")
        return rgb, seg

    def _where(self, i: int) -> str:
        f = self.index.files[self.index.file_id[i]]
        return f if self.index.size[i] < 0 else f"{f}:{self.index.names[i]}"

    def _geometry(self, rgb: np.ndarray, seg: np.ndarray | None, rng: np.random.Generator):
        """Rescale (short side >= crop), crop SxS and maybe flip; random in training, centred in eval."""
        h, w = rgb.shape[:2]
        s = self.crop
        f = base_factor(s, min(h, w), self.fit and self.train) * (rng.uniform(*self.scale) if self.train else 1.0)
        nh, nw = max(s, round(h * f)), max(s, round(w * f))
        if (nh, nw) != (h, w):
            interp = cv2.INTER_AREA if f < 1.0 else cv2.INTER_LINEAR
            rgb = cv2.resize(rgb, (nw, nh), interpolation=interp)
            if seg is not None:
                seg = cv2.resize(seg, (nw, nh), interpolation=cv2.INTER_NEAREST)
        if self.train:
            y, x = int(rng.integers(0, nh - s + 1)), int(rng.integers(0, nw - s + 1))
            flip = bool(rng.random() < 0.5)
        else:
            y, x, flip = (nh - s) // 2, (nw - s) // 2, False
        rgb = rgb[y:y + s, x:x + s]
        seg = None if seg is None else seg[y:y + s, x:x + s]
        if flip:
            rgb = rgb[:, ::-1]
            seg = None if seg is None else seg[:, ::-1]
        return np.ascontiguousarray(rgb), (None if seg is None else np.ascontiguousarray(seg))

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        """Item dict: L [1,S,S] 0..100, ab [2,S,S], rgb [3,S,S] 0..1, hint_ab [2,S,S], hint_mask [1,S,S] {0,1}
        (all float32), plus seg [S,S] int64 (255 = ignore) when with_seg. Gray/unreadable photos are
        replaced by another index drawn from the item's own rng, so the result is still reproducible."""
        epoch = int(self._epoch[0]) if self.train else 0
        rng = np.random.default_rng([self.seed, epoch, int(index)])
        i = int(index)
        for _ in range(MAX_REDRAWS):
            loaded = None if i in self._bad else self._load(i)
            if loaded is None:
                self._bad.add(i)
                self._skips[1] += 1
            elif self.gray_threshold > 0 and mean_chroma(loaded[0]) < self.gray_threshold:
                self._skips[0] += 1
            else:
                break
            i = int(rng.integers(len(self)))
        else:
            raise RuntimeError(f"no usable colour photo after {MAX_REDRAWS} draws from item {index}: "
                               f"sources are mostly gray or unreadable (gray_threshold={self.gray_threshold})")
        rgb, seg = self._geometry(*loaded, rng)
        lab = rgb_to_lab(rgb)
        hint_ab, mask = simulate_hints(lab[..., 1:], rng, self.hint_prob, self.hint_p, self.max_hints)
        chw = lambda a: torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))  # noqa: E731
        item = {"L": chw(lab[..., :1]), "ab": chw(lab[..., 1:]),
                "rgb": chw(rgb.astype(np.float32) / 255.0),
                "hint_ab": chw(hint_ab), "hint_mask": torch.from_numpy(mask)[None]}
        if self.with_seg:
            item["seg"] = torch.from_numpy(seg.astype(np.int64))
        return item


def worker_context():
    """Start loader workers by forkserver where there is one: a plain fork copies whatever locks other
    threads (OpenCV's pool, onnxruntime's) hold at that moment, and a worker can then hang on its first
    cv2 call. Forkserver children start from a clean process."""
    import multiprocessing as mp
    return mp.get_context("forkserver") if "forkserver" in mp.get_all_start_methods() else None


def worker_init(_: int) -> None:
    # One OpenCV thread per worker: the workers already use the cores.
    cv2.setNumThreads(1)


def make_loader(dataset: ColorDataset, batch_size: int, num_workers: int, rank: int = 0, world_size: int = 1,
                seed: int = 0, drop_last: bool = True) -> DataLoader:
    """Shuffling loader. Uses a DistributedSampler for any world size (num_replicas/rank given, so no process
    group is needed) so the order depends only on (seed, epoch): call `set_loader_epoch` every epoch."""
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=seed,
                                 drop_last=drop_last)
    workers = num_workers > 0
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=num_workers,
                      multiprocessing_context=worker_context() if workers else None,
                      drop_last=drop_last, persistent_workers=workers,
                      pin_memory=workers and torch.cuda.is_available(),
                      prefetch_factor=4 if workers else None, worker_init_fn=worker_init if workers else None)


def set_loader_epoch(loader: DataLoader, epoch: int) -> None:
    """Reshuffle the sampler and reseed the dataset's augmentation for `epoch`."""
    if hasattr(loader.sampler, "set_epoch"):
        loader.sampler.set_epoch(epoch)
    if hasattr(loader.dataset, "set_epoch"):
        loader.dataset.set_epoch(epoch)
