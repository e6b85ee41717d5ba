"""On-device batches (trainer/gpu_data.py), checked on the CPU against the per-crop CPU pipeline."""
import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from trainer.data import rgb_to_lab as cv_lab  # noqa: E402
from trainer.gpu_data import PhotoBank, rgb_to_lab, simulate_hints  # noqa: E402


def test_lab_matches_opencvs_float_conversion():
    rgb = np.random.default_rng(0).integers(0, 256, (16, 16, 3)).astype(np.uint8)
    ours = rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255)[0].permute(1, 2, 0).numpy()
    assert np.abs(ours - cv_lab(rgb)).max() < 0.3


def _photos():
    a = np.zeros((144, 200, 3), np.uint8)
    a[:, :100] = (200, 30, 30)   # left red, right blue
    a[:, 100:] = (30, 30, 200)
    b = np.full((180, 144, 3), 90, np.uint8)
    return [a, b]


def test_crops_keep_content_scale_and_flip():
    bank = PhotoBank(_photos(), "cpu", canvas=256)
    assert bank.bank.shape == (2, 3, 256, 256) and bank.sizes.tolist() == [[144, 200], [180, 144]]
    g = torch.Generator().manual_seed(0)
    out = bank.crops(torch.tensor([0] * 64 + [1] * 8), 128, scale=(1.0, 1.0), gen=g)
    assert out.shape == (72, 3, 128, 128) and 0 <= float(out.min()) and float(out.max()) <= 1
    assert torch.allclose(out[64:], torch.full_like(out[64:], 90 / 255), atol=1e-4)  # never the canvas padding
    left_red = out[:64, 0, :, :10].mean((1, 2)) > out[:64, 2, :, :10].mean((1, 2))
    right_red = out[:64, 0, :, -10:].mean((1, 2)) > out[:64, 2, :, -10:].mean((1, 2))
    # every crop shows red on the left, or (flipped) on the right, and about half are flipped
    assert bool((left_red | right_red).all()) and 16 < int(right_red.sum()) < 48


def test_hints_are_patch_means_and_follow_hint_prob():
    g = torch.Generator().manual_seed(1)
    ab = torch.randn(32, 2, 40, 40, generator=g) * 20
    none_ab, none_mask = simulate_hints(ab, hint_prob=0.0, gen=g)
    assert float(none_mask.sum()) == 0 and float(none_ab.abs().sum()) == 0
    hab, mask = simulate_hints(ab, hint_prob=1.0, p=0.5, max_hints=1, gen=g)
    assert mask.shape == (32, 1, 40, 40) and bool((mask.sum((1, 2, 3)) >= 1).all())
    for i in range(32):  # one patch each: the hint is the mean true ab under it, a square of side 1..9
        ys, xs = torch.nonzero(mask[i, 0], as_tuple=True)
        side = int(ys.max() - ys.min() + 1)
        assert side == int(xs.max() - xs.min() + 1) and 1 <= side <= 9 and len(ys) == side * side
        want = ab[i, :, ys, xs].mean(1)
        assert torch.allclose(hab[i, :, ys[0], xs[0]], want, atol=1e-4)
    many = simulate_hints(ab, hint_prob=1.0, p=1 / 8, max_hints=64, gen=g)[1]
    assert float(many.mean()) > float(mask.mean())


def test_batch_is_what_the_model_takes():
    bank = PhotoBank(_photos(), "cpu")
    b = bank.batch(torch.tensor([0, 1, 0, 1]), 64, gen=torch.Generator().manual_seed(2))
    assert {k: tuple(v.shape) for k, v in b.items()} == {
        "L": (4, 1, 64, 64), "ab": (4, 2, 64, 64), "rgb": (4, 3, 64, 64), "hint_ab": (4, 2, 64, 64),
        "hint_mask": (4, 1, 64, 64)}
    assert 0 <= float(b["L"].min()) and float(b["L"].max()) <= 100


def test_training_on_device_made_batches_logs_its_rate(tmp_path, capsys):
    import io
    import json
    import tarfile
    from trainer.train import main
    rng = np.random.default_rng(3)
    with tarfile.open(tmp_path / "s.tar", "w") as tar:
        for i in range(12):
            img = np.zeros((60, 80, 3), np.uint8)
            img[:] = rng.integers(0, 255, 3)
            cv2.circle(img, (40, 30), 15, tuple(int(v) for v in rng.integers(0, 255, 3)), -1)
            enc = cv2.imencode(".png", img)[1]
            info = tarfile.TarInfo(f"synthetic/img{i:03d}.png")
            info.size = len(enc)
            tar.addfile(info, io.BytesIO(enc.tobytes()))
        junk = b"not a photo at all"
        info = tarfile.TarInfo("synthetic/img999.png")  # unreadable: must never reach a device batch
        info.size = len(junk)
        tar.addfile(info, io.BytesIO(junk))
    out = tmp_path / "run"
    from trainer.data import DataWarning
    with pytest.warns(DataWarning, match="img999.png: cannot decode image"):
        assert main(["--data", str(tmp_path / "s.tar"), "--out", str(out), "--device_data", "true", "--crop", "32",
                     "--batch", "4", "--workers", "2", "--prior_images", "8", "--val_images", "2",
                     "--max_steps", "4", "--log_every", "2", "--scene_head", "false", "--warmup", "1"]) == 0
    from trainer.split import validation_mask
    in_training = not validation_mask([f"synthetic/img{i:03d}.png" for i in (*range(12), 999)])[-1]
    assert f"{int(in_training)} unreadable" in capsys.readouterr().err and in_training
    rows = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    train = [r for r in rows if r["kind"] == "train"]
    assert len(train) == 2 and all(r["crops_per_s"] > 0 and np.isfinite(r["loss"]) for r in train)


def test_unreadable_and_near_gray_photos_are_left_out_of_training():
    from trainer.train import usable_photos
    col = np.array([25.0, np.nan, 4.0, 30.0, np.nan], np.float32)
    kept, gray, unreadable = usable_photos(np.array([0, 1, 2, 3]), col, 10.0)
    assert kept.tolist() == [0, 3] and (gray, unreadable) == (1, 1)
    assert usable_photos(np.array([0, 1, 2]), col, 0.0)[0].tolist() == [0, 2]


def test_label_maps_are_cropped_scaled_and_flipped_with_their_photo():
    photos = _photos()
    seg = np.zeros((144, 200), np.uint8)
    seg[:, :100], seg[:, 100:] = 3, 7                    # red half class 3, blue half class 7
    big = np.zeros((300, 400, 3), np.uint8)               # longer than the canvas: shrunk with its labels
    big[:, :200] = (200, 30, 30)
    big[:, 200:] = (30, 30, 200)
    big_seg = np.where(np.arange(400)[None, :] < 200, 3, 7).astype(np.uint8).repeat(300, 0)
    bank = PhotoBank(photos + [big], "cpu", canvas=256, labels=[seg, None, big_seg])
    assert bank.seg.shape == (3, 256, 256) and int(bank.seg[1].min()) == 255   # no map: unlabelled everywhere
    b = bank.batch(torch.tensor([0] * 24 + [1] * 4 + [2] * 24), 64, gen=torch.Generator().manual_seed(4))
    assert b["seg"].shape == (52, 64, 64) and b["seg"].dtype == torch.int64
    red = b["rgb"][:, 0] > b["rgb"][:, 2]
    for i in [*range(24), *range(28, 52)]:                # each pixel's label is its own colour's, flipped or not
        lab, r = b["seg"][i], red[i]
        sure = (b["rgb"][i, 0] - b["rgb"][i, 2]).abs() > 0.3  # away from the blended edge
        assert bool((lab[r & sure] == 3).all()) and bool((lab[~r & sure] == 7).all())
    assert bool((b["seg"][24:28] == 255).all())
    with pytest.raises(ValueError, match="label map"):
        PhotoBank(photos, "cpu", labels=[seg[:10], None])


def test_seg_loss_of_a_batch_without_labels_is_zero():
    from trainer.losses import seg_loss
    logits = torch.randn(2, 11, 8, 8, requires_grad=True)
    none = seg_loss(logits, torch.full((2, 32, 32), 255, dtype=torch.long))
    assert float(none.detach()) == 0.0
    none.backward()
    some = torch.full((2, 32, 32), 255, dtype=torch.long)
    some[0, :4, :4] = 2
    assert float(seg_loss(logits, some)) > 0


def test_device_batches_train_the_segmentation_head_on_the_photos_that_have_maps(tmp_path):
    import io
    import json
    import tarfile
    from trainer.train import main
    rng = np.random.default_rng(5)

    def add(tar, name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))

    with tarfile.open(tmp_path / "s.tar", "w") as tar:
        for i in range(12):
            img = np.zeros((60, 80, 3), np.uint8)
            img[:] = rng.integers(0, 255, 3)
            img[:, 40:] = rng.integers(0, 255, 3)
            add(tar, f"streets/img{i:03d}.png", cv2.imencode(".png", img)[1].tobytes())
            if i % 2:
                lab = np.zeros((60, 80), np.uint8)
                lab[:, 40:] = 4
                add(tar, f"streets/img{i:03d}.seg.png", cv2.imencode(".png", lab)[1].tobytes())
    out = tmp_path / "run"
    assert main(["--data", str(tmp_path / "s.tar"), "--out", str(out), "--device_data", "true", "--crop", "32",
                 "--batch", "4", "--workers", "0", "--prior_images", "8", "--val_images", "2", "--seg_classes", "11",
                 "--max_steps", "4", "--log_every", "1", "--scene_head", "false", "--warmup", "1"]) == 0
    rows = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    seg = [r["seg"] for r in rows if r["kind"] == "train"]
    assert len(seg) == 4 and all(np.isfinite(seg)) and max(seg) > 0


def _stripes():
    """144 x 200: red rows at the top, blue at the bottom, gray between; a crop of the whole short side shows both."""
    a = np.full((144, 200, 3), 120, np.uint8)
    a[:12] = (220, 20, 20)
    a[-12:] = (20, 20, 220)
    return a


def test_fit_frames_the_whole_short_side():
    bank = PhotoBank([_stripes()], "cpu", canvas=256)
    idx = torch.zeros(16, dtype=torch.long)
    fitted = bank.crops(idx, 64, scale=(1.0, 1.0), gen=torch.Generator().manual_seed(0), fit=True)
    assert bool((fitted[:, 0, 0] > 0.6).all()) and bool((fitted[:, 2, -1] > 0.6).all())  # red top row, blue bottom
    zoomed = bank.crops(idx, 64, scale=(1.0, 1.0), gen=torch.Generator().manual_seed(0))
    both = (zoomed[:, 0, 0].mean(1) > 0.6) & (zoomed[:, 2, -1].mean(1) > 0.6)
    assert not bool(both.any())  # 64 of 144 rows: never both stripes
    with pytest.raises(ValueError, match="scale range"):
        bank.crops(idx, 64, scale=(0.8, 1.0), fit=True)
