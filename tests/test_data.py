"""Tests for the trainer's data pipeline: indexing, crops, Lab, hints, gray skipping, loaders and packing."""
from __future__ import annotations

import io
import tarfile
import warnings

import cv2
import numpy as np
import pytest
import torch

from trainer.data import ColorDataset, DataWarning, index_sources, make_loader, set_loader_epoch
from trainer.hints_sim import random_hints, simulate_hints
from trainer.pack import main as pack_main
from trainer.pack import pack

RED, BLUE = (230, 30, 30), (30, 40, 220)


def colour_photo(h: int, w: int, seed: int) -> np.ndarray:
    """HxWx3 uint8 RGB: smooth colourful gradients (compress well, clearly non-gray)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.random.default_rng(seed).uniform(0.02, 0.2, 3)
    rgb = np.stack([128 + 110 * np.sin(r[0] * x), 128 + 110 * np.cos(r[1] * y), 128 + 110 * np.sin(r[2] * (x + y))], -1)
    return rgb.astype(np.uint8)


def gray_photo(h: int, w: int) -> np.ndarray:
    g = np.linspace(20, 230, w, dtype=np.float32)[None].repeat(h, 0).astype(np.uint8)
    return np.dstack([g, g, g])


def encode(rgb: np.ndarray, ext: str) -> bytes:
    ok, buf = cv2.imencode(ext, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return buf.tobytes()


def add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


@pytest.fixture(scope="module")
def shard(tmp_path_factory):
    """A tar with 6 colour photos (jpg/png/webp), 1 gray photo, 1 corrupt member and a non-image member."""
    path = tmp_path_factory.mktemp("shard") / "train-000.tar"
    with tarfile.open(path, "w") as tar:
        for k, ext in enumerate([".jpg", ".png", ".webp", ".jpg", ".bmp", ".jpg"]):
            add_member(tar, f"group{k % 2}/photo{k}{ext}", encode(colour_photo(36 + k, 48 - k, k), ext))
        add_member(tar, "group0/gray.jpg", encode(gray_photo(40, 40), ".jpg"))
        add_member(tar, "group1/broken.jpg", b"\xff\xd8 not really a jpeg")
        add_member(tar, "group1/readme.txt", b"hello")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Own photos: nested folders, a photo with a half/half label map, a gray photo and a corrupt file."""
    root = tmp_path_factory.mktemp("photos")
    (root / "trip" / "day1").mkdir(parents=True)
    half = np.zeros((40, 60, 3), np.uint8)
    half[:, :30], half[:, 30:] = RED, BLUE
    cv2.imwrite(str(root / "trip" / "halves.png"), cv2.cvtColor(half, cv2.COLOR_RGB2BGR))
    seg = np.full((40, 60), 2, np.uint8)
    seg[:, :30] = 1
    cv2.imwrite(str(root / "trip" / "halves.seg.png"), seg)
    cv2.imwrite(str(root / "trip" / "day1" / "beach.jpg"), cv2.cvtColor(colour_photo(50, 38, 7), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(root / "trip" / "day1" / "gray.png"), gray_photo(30, 30))
    (root / "corrupt.jpg").write_bytes(b"garbage")
    (root / "notes.txt").write_text("not a photo")
    return root


def test_index_tar_and_folder(shard, folder):
    ix = index_sources([shard, folder])
    names = [str(n) for n in ix.names]
    assert len(ix) == 8 + 4  # tar: 6 colour + gray + broken; folder: halves, beach, gray, corrupt
    assert "group1/readme.txt" not in names and not any(n.endswith(".seg.png") for n in names)
    assert (ix.size[:8] > 0).all() and (ix.size[8:] == -1).all()
    with_seg = [n for n, s in zip(names, ix.seg_file_id) if s >= 0]
    assert len(with_seg) == 1 and with_seg[0].endswith("halves.png")
    with open(shard, "rb") as f:  # offsets point at the member's bytes
        f.seek(int(ix.offset[0]))
        assert cv2.imdecode(np.frombuffer(f.read(int(ix.size[0])), np.uint8), cv2.IMREAD_COLOR) is not None
    with pytest.raises(FileNotFoundError, match="nowhere"):
        index_sources([folder / "nowhere"])


def test_item_shapes_dtypes_ranges(shard, folder):
    ds = ColorDataset([shard, folder], crop=32, with_seg=True, hint_prob=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        items = [ds[i] for i in range(len(ds))]
    for it in items:
        assert it["L"].shape == (1, 32, 32) and it["ab"].shape == (2, 32, 32) and it["rgb"].shape == (3, 32, 32)
        assert it["hint_ab"].shape == (2, 32, 32) and it["hint_mask"].shape == (1, 32, 32)
        assert it["seg"].shape == (32, 32) and it["seg"].dtype == torch.int64
        assert all(it[k].dtype == torch.float32 for k in ("L", "ab", "rgb", "hint_ab", "hint_mask"))
        assert 0 <= it["L"].min() and it["L"].max() <= 100 and it["ab"].abs().max() < 128
        assert 0 <= it["rgb"].min() and it["rgb"].max() <= 1
        assert set(it["hint_mask"].unique().tolist()) <= {0.0, 1.0} and it["hint_mask"].sum() >= 1
        assert (it["hint_ab"] * (1 - it["hint_mask"])).abs().max() == 0


def test_lab_matches_rgb_and_channel_order(folder):
    ds = ColorDataset([folder / "trip" / "halves.png"], crop=32, train=False)
    it = ds[0]
    lab = torch.cat([it["L"], it["ab"]]).permute(1, 2, 0).numpy()
    back = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)
    assert np.abs(back - it["rgb"].permute(1, 2, 0).numpy()).max() < 2e-3
    # Centre crop of the 60 px wide photo: its left columns are the red half (channel order RGB, not BGR).
    assert it["rgb"][:, 0, 0].tolist() == pytest.approx(np.array(RED) / 255, abs=1e-6)
    ref = cv2.cvtColor(np.float32([[[1, 0, 0]]]), cv2.COLOR_RGB2Lab)[0, 0]  # sRGB red: L 53.2, a 80.1, b 67.2
    assert ref == pytest.approx([53.24, 80.09, 67.20], abs=0.1)


def test_gray_and_corrupt_photos_are_skipped(shard, folder):
    ds = ColorDataset([folder / "trip" / "day1", folder / "corrupt.jpg"], crop=24, seed=3)
    with pytest.warns(DataWarning, match="corrupt.jpg"):
        items = [ds[i % len(ds)] for i in range(12)]
    for it in items:  # every item came from the colour photo
        assert torch.sqrt((it["ab"] ** 2).sum(0)).mean() > 3.0
    assert ds.gray_skips > 0 and ds.bad_skips > 0
    only_gray = ColorDataset([folder / "trip" / "day1" / "gray.png"], crop=24)
    with pytest.raises(RuntimeError, match="no usable colour photo"):
        only_gray[0]
    assert ColorDataset([folder / "trip" / "day1" / "gray.png"], crop=24, gray_threshold=0)[0]["L"].shape[1] == 24


def test_determinism_seed_epoch_and_eval(shard):
    a, b = ColorDataset([shard], crop=28, seed=5), ColorDataset([shard], crop=28, seed=5)
    other = ColorDataset([shard], crop=28, seed=6)
    for i in range(4):
        x, y = a[i], b[i]
        assert all(torch.equal(x[k], y[k]) for k in x)
    assert any(not torch.equal(a[i]["L"], other[i]["L"]) for i in range(4))
    first = [a[i]["L"] for i in range(4)]
    a.set_epoch(1)
    assert any(not torch.equal(first[i], a[i]["L"]) for i in range(4))
    ev = ColorDataset([shard], crop=28, seed=5, train=False)
    ref = [ev[i] for i in range(4)]
    ev.set_epoch(3)
    for i in range(4):
        assert all(torch.equal(ref[i][k], ev[i][k]) for k in ref[i])


def test_hint_statistics():
    rng = np.random.default_rng(0)
    ab = rng.normal(0, 20, (64, 64, 2)).astype(np.float32)
    draws = [simulate_hints(ab, rng, hint_prob=0.3, p=1 / 8, max_hints=64)[1] for _ in range(3000)]
    free = np.mean([m.sum() == 0 for m in draws])
    assert abs(free - 0.7) < 0.035
    assert simulate_hints(ab, rng, hint_prob=0.0)[1].sum() == 0
    # Patch values are the ground-truth means over the patch; sides lie in 1..9; centres cluster mid-image.
    centres, sides = [], set()
    for _ in range(400):
        hint, mask = random_hints(ab, 1, rng)
        ys, xs = np.nonzero(mask)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        assert y1 - y0 == x1 - x0 and mask.sum() == (y1 - y0) ** 2
        sides.add(y1 - y0)
        assert np.allclose(hint[y0:y1, x0:x1], ab[y0:y1, x0:x1].reshape(-1, 2).mean(0), atol=1e-4)
        centres.append(((y0 + y1) / 2, (x0 + x1) / 2))
    assert sides == set(range(1, 10))
    c = np.array(centres)
    assert np.allclose(c.mean(0), 32, atol=2.0) and 12 < c.std(0).mean() < 18  # sigma S/4 = 16, a bit clipped
    assert random_hints(ab, 5, rng, patch=3)[1].sum() <= 5 * 9
    mask = random_hints(ab, 64, rng, patch=1)[1]
    assert 40 < mask.sum() <= 64  # n exact; only coincident points merge


def test_seg_follows_crop_and_flip(folder):
    ds = ColorDataset([folder / "trip" / "halves.png"], crop=32, scale=(1.0, 1.5), with_seg=True, gray_threshold=0)
    flips = set()
    for e in range(12):
        ds.set_epoch(e)
        it = ds[0]
        seg, b = it["seg"].numpy(), it["ab"][1].numpy()
        assert set(np.unique(seg)) <= {1, 2}
        # Away from the (interpolated) colour edge: red (b* > 0) where label 1, blue (b* < 0) where label 2.
        padded = np.pad(seg, ((0, 0), (2, 2)), mode="edge")
        inner = (padded[:, :-4] == seg) & (padded[:, 4:] == seg)
        assert (b[(seg == 1) & inner] > 30).all() and (b[(seg == 2) & inner] < -40).all()
        if (seg[:, 0] == 1).all() and (seg[:, -1] == 2).all():
            flips.add(False)
        if (seg[:, 0] == 2).all() and (seg[:, -1] == 1).all():
            flips.add(True)
    assert flips == {False, True}
    no_seg = ColorDataset([folder / "trip" / "day1" / "beach.jpg"], crop=32, with_seg=True)
    assert (no_seg[0]["seg"] == 255).all()


def test_loader_two_workers_reads_tar_offsets(shard):
    ds = ColorDataset([shard], crop=24, seed=1)
    loader = make_loader(ds, batch_size=2, num_workers=2, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        for epoch in (0, 1):  # epoch 1 checks that set_epoch reaches the persistent workers
            set_loader_epoch(loader, epoch)
            order = list(loader.sampler)
            batches = list(loader)
            assert len(batches) == len(ds) // 2
            got = torch.cat([b["ab"] for b in batches])
            want = torch.stack([ds[i]["ab"] for i in order[: len(got)]])
            assert torch.equal(got, want)


def test_pack_round_trip(shard, folder, tmp_path, capsys):
    out = tmp_path / "packed" / "pack.tar"
    with pytest.warns(DataWarning):
        r = pack([shard, folder], out, short_side=30, quality=80, gray_threshold=3.0)
    assert r.complete and r.count == 8 and r.skipped_gray == 2 and r.skipped_bad == 2 and r.labelled == 1
    with tarfile.open(out) as tar:
        members = [m for m in tar.getmembers() if not m.name.endswith(".seg.png")]
        names = [m.name for m in members]
        imgs = [cv2.imdecode(np.frombuffer(tar.extractfile(m).read(), np.uint8), cv2.IMREAD_COLOR) for m in members]
        seg = cv2.imdecode(np.frombuffer(tar.extractfile("trip/halves.seg.png").read(), np.uint8),
                           cv2.IMREAD_UNCHANGED)
    assert all(n.endswith(".webp") and n.count("/") >= 1 for n in names)
    # the label map travels beside its photo, resized with it (nearest: only the classes it had)
    assert seg.shape == imgs[names.index("trip/halves.webp")].shape[:2] == (30, 45)
    assert set(np.unique(seg)) == {1, 2} and (seg[:, :20] == 1).all() and (seg[:, 25:] == 2).all()
    packed = index_sources([out])
    assert [n for n, f in zip(packed.names, packed.seg_file_id) if f >= 0] == ["trip/halves.webp"]
    assert names[0].startswith("group0/") and names[1].startswith("trip/")  # round robin over the sources
    assert "day1/beach.webp" in names
    assert all(min(im.shape[:2]) <= 30 for im in imgs)  # shrunk ...
    assert any(min(im.shape[:2]) == 30 for im in imgs)
    assert ColorDataset([out], crop=24)[0]["L"].shape == (1, 24, 24)
    small = tmp_path / "small.tar"
    with pytest.warns(DataWarning):
        r2 = pack([shard, folder], small, short_side=30, max_mb=12 * 1024 / 2**20)  # tars pad to 10 KiB records
    assert not r2.complete and 0 < r2.count < 10 and small.stat().st_size <= 12 * 1024
    assert pack_main([str(shard), "-o", str(tmp_path / "cli.tar"), "--short-side", "200"]) == 0
    assert "7 images" in capsys.readouterr().out  # gray photo kept by default; never upscaled to 200
    with tarfile.open(tmp_path / "cli.tar") as tar:
        assert max(cv2.imdecode(np.frombuffer(tar.extractfile(m).read(), np.uint8), 1).shape[0]
                   for m in tar.getmembers()) < 60
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        whole = pack([shard, folder], tmp_path / "whole.tar", short_side=30)
        halves = [pack([shard, folder], tmp_path / f"part{k}.tar", short_side=30, part=k, parts=2) for k in (0, 1)]
    split = [list(index_sources([tmp_path / f"part{k}.tar"]).names) for k in (0, 1)]
    assert not set(split[0]) & set(split[1])           # every photo in exactly one part
    assert sorted(split[0] + split[1]) == sorted(index_sources([tmp_path / "whole.tar"]).names)
    seen = [h.count + h.skipped_bad + h.skipped_gray for h in halves]
    assert sum(h.count for h in halves) == whole.count and abs(seen[0] - seen[1]) <= 1
    assert pack_main([str(tmp_path / "missing"), "-o", str(tmp_path / "x.tar")]) == 1
    assert capsys.readouterr().err.startswith("error: ") and not (tmp_path / "x.tar").exists()
    assert pack_main([str(out), "-o", str(out)]) == 1 and "overwrite an input" in capsys.readouterr().err


def test_cached_photos_and_colourfulness_match_one_by_one_decoding(tmp_path):
    from trainer.data import _shrunk
    from trainer.metrics import colourfulness
    with tarfile.open(tmp_path / "s.tar", "w") as tar:
        for i in range(12):
            data = cv2.imencode(".png", colour_photo(140 + i, 200, seed=i))[1].tobytes()  # larger than _shrunk's 96
            info = tarfile.TarInfo(f"g/p{i:02d}.png")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    ds = ColorDataset([str(tmp_path / "s.tar")], crop=32, train=False)
    one = [ds._load(i)[0] for i in range(len(ds))]
    col = ds.cache()
    for i, rgb in enumerate(one):
        assert np.array_equal(ds.cached_rgb(i), rgb)
        assert col[i] == pytest.approx(colourfulness(_shrunk(rgb, 96)))


def test_pack_can_keep_each_photos_own_bytes(shard, folder, tmp_path):
    from trainer.data import ByteReader
    out = tmp_path / "orig.tar"
    with pytest.warns(DataWarning):
        r = pack([shard, folder], out, short_side=30, original=True)  # the size is left alone
    src = index_sources([shard, folder])
    reader = ByteReader(src.files)
    own = {}
    for i, name in enumerate(src.names):
        if src.size[i] >= 0:
            own[str(name)] = reader.read(int(src.file_id[i]), int(src.offset[i]), int(src.size[i]))
    with tarfile.open(out) as tar:
        photos = [m for m in tar.getmembers() if not m.name.endswith(".seg.png")]
        got = {m.name: tar.extractfile(m).read() for m in photos}
        seg = cv2.imdecode(np.frombuffer(tar.extractfile("trip/halves.seg.png").read(), np.uint8),
                           cv2.IMREAD_UNCHANGED)
    assert r.count == len(got) and r.labelled == 1
    for name, data in got.items():  # a shard's photo: its exact bytes, under its own name
        if name in own:
            assert data == own[name]
    assert any(name in own for name in got)
    halves = next(n for n in got if n.startswith("trip/halves."))
    assert seg.shape == cv2.imdecode(np.frombuffer(got[halves], np.uint8), 1).shape[:2]  # not resized


def test_fit_frames_the_whole_short_side(tmp_path):
    a = np.full((144, 200, 3), 120, np.uint8)
    a[:12], a[-12:] = (220, 20, 20), (20, 20, 220)  # red rows at the top, blue at the bottom (RGB)
    cv2.imwrite(str(tmp_path / "stripes.png"), a[..., ::-1])
    fitted = ColorDataset([tmp_path / "stripes.png"], crop=64, scale=(1.0, 1.0), fit=True, hint_prob=0.0)
    zoomed = ColorDataset([tmp_path / "stripes.png"], crop=64, scale=(1.0, 1.0), hint_prob=0.0)
    for i in range(8):
        fitted.set_epoch(i), zoomed.set_epoch(i)
        f, z = fitted[0]["rgb"], zoomed[0]["rgb"]
        assert f.shape == (3, 64, 64) and float(f[0, 0].min()) > 0.6 and float(f[2, -1].min()) > 0.6
        assert not (float(z[0, 0].mean()) > 0.6 and float(z[2, -1].mean()) > 0.6)  # 64 of 144 rows: never both
    with pytest.raises(ValueError, match="scale range"):
        ColorDataset([tmp_path / "stripes.png"], crop=64, scale=(0.9, 1.2))
