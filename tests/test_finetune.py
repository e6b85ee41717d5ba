"""CPU fine-tuning: weights recovered from a shipped ONNX file, the named validation split, a frozen encoder."""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from trainer.model import ModelConfig  # noqa: E402
from trainer.split import photo_key, validation_mask  # noqa: E402
from trainer_fixtures import SMALL, TABLE, small_net, write_shard  # noqa: E402


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A small random TintaNet with non-trivial BatchNorm statistics, exported as a card would ship it."""
    from trainer.export import export_onnx
    net = small_net()
    d = tmp_path_factory.mktemp("onnx")
    path = d / "m.onnx"
    export_onnx(net, path)
    (d / "m.json").write_text(json.dumps({"bins": TABLE.tolist(), "heads": {}}))
    return net, path


def finetune(tmp_path, base, out, *extra) -> int:
    """trainer.train's fine-tune of `base` on the synthetic shard for 3 steps at a high learning rate."""
    from trainer import train as T
    return T.main(["--data", str(tmp_path / "s.tar"), "--out", str(out), "--init_from", str(base),
                   "--freeze_encoder", "true", "--scene_head", "false", "--in_memory", "true", "--crop", "64",
                   "--batch", "4", "--workers", "0", "--prior_images", "8", "--val_images", "2",
                   "--max_steps", "3", "--lr", "1e-2", "--warmup", "1", *extra])


def test_recovered_weights_reproduce_the_onnx_outputs(exported):
    from trainer.from_onnx import onnx_parity, recover
    net, path = exported
    rec = recover(path, TABLE, ModelConfig(**SMALL, scene_head=False))
    assert onnx_parity(rec, path) < 1e-3
    # folded: the original's convolution weights differ, the function does not
    assert not torch.equal(rec.state_dict()["up2.conv1.0.weight"], net.state_dict()["up2.conv1.0.weight"])


def test_recovery_refuses_a_graph_of_another_architecture(exported):
    from trainer.from_onnx import recover
    _, path = exported
    with pytest.raises(ValueError, match="does not fit"):
        recover(path, TABLE, ModelConfig(pretrained=False, decoder_channels=(48, 24, 16, 8), scene_head=False))


def test_split_keeps_crops_and_video_stretches_together_and_is_deterministic():
    assert photo_key("scenes_osie/1655_0.jpg") == photo_key("scenes_osie/1655_2.jpg")
    assert photo_key("streets_camvid/0016E5_04560.jpg") == photo_key("streets_camvid/0016E5_04590.jpg")
    assert photo_key("streets_camvid/0016E5_04560.jpg") != photo_key("streets_camvid/0016E5_07290.jpg")
    assert photo_key("faces/12_0.jpg") != photo_key("faces/12_1.jpg")  # not a crop group
    names = [f"scenes_osie/{i}_{c}.jpg" for i in range(300) for c in range(3)] + \
        [f"pets/cat.{i}.jpg" for i in range(1000)]
    m = validation_mask(names)
    assert np.array_equal(m, validation_mask(list(reversed(names)))[::-1])
    by_key = {}
    for n, v in zip(names, m):
        by_key.setdefault(photo_key(n), set()).add(bool(v))
    assert all(len(v) == 1 for v in by_key.values())
    osie = m[:900].sum()
    pets = m[900:].sum()
    assert 40 <= osie <= 42 and pets == 40


def test_fine_tuning_from_onnx_trains_the_decoder_only(tmp_path, exported, monkeypatch, capsys):
    from trainer import train as T
    from trainer.from_onnx import recover
    _, path = exported
    monkeypatch.setattr(T, "ModelConfig", lambda **kw: ModelConfig(**{**kw, **SMALL}))
    write_shard(tmp_path / "s.tar")
    out = tmp_path / "ft"
    assert finetune(tmp_path, path, out, "--min_colourfulness", "10") == 0
    gray_in_training = sum(not v for v in validation_mask([f"synthetic/img{i:03d}.jpg" for i in range(24)])[:3])
    assert f"{gray_in_training} near-gray dropped" in capsys.readouterr().err and gray_in_training > 0
    after = torch.load(out / "last.pt", weights_only=True)["model"]
    before = recover(path, TABLE, ModelConfig(**SMALL, scene_head=False)).state_dict()
    for k, v in before.items():  # (encoder._fc, the unused ImageNet classifier, is not in the graph)
        if k.startswith(("encoder.", "stem_hints.")) and not k.startswith("encoder._fc"):
            assert torch.equal(after[k], v), k
    assert not torch.equal(after["up2.conv1.0.weight"], before["up2.conv1.0.weight"])
    assert not torch.equal(after["cls.1.weight"], before["cls.1.weight"])


def test_a_segmentation_head_trains_on_top_of_a_shipped_model(tmp_path, exported, monkeypatch, capsys):
    from trainer import train as T
    from trainer.from_onnx import onnx_parity, recover
    from trainer.split import validation_mask
    _, path = exported
    rec = recover(path, TABLE, ModelConfig(**SMALL, scene_head=False, seg_classes=3))  # the graph has no seg head
    assert onnx_parity(rec, path) < 1e-3
    monkeypatch.setattr(T, "ModelConfig", lambda **kw: ModelConfig(**{**kw, **SMALL}))
    write_shard(tmp_path / "s.tar", labelled=6)
    out = tmp_path / "seg"
    assert finetune(tmp_path, path, out, "--seg_classes", "3", "--seg_repeat", "3") == 0
    labelled = sum(not v for v in validation_mask([f"synthetic/img{i:03d}.jpg" for i in range(24)])[-6:])
    assert f"{labelled} labelled photos drawn 3x per epoch" in capsys.readouterr().err and labelled > 0
    after = torch.load(out / "last.pt", weights_only=True)["model"]
    assert not torch.equal(after["seg.weight"], rec.state_dict()["seg.weight"])
    assert torch.equal(after["encoder._conv_stem.weight"], rec.state_dict()["encoder._conv_stem.weight"])


def test_unfrozen_top_blocks_train_and_travel_in_the_delta(tmp_path, exported, monkeypatch):
    from trainer import train as T
    from trainer.from_onnx import recover
    from trainer.slim import delta
    _, path = exported
    monkeypatch.setattr(T, "ModelConfig", lambda **kw: ModelConfig(**{**kw, **SMALL}))
    write_shard(tmp_path / "s.tar")
    out = tmp_path / "top"
    assert finetune(tmp_path, path, out, "--unfreeze_blocks", "2") == 0
    after = torch.load(out / "last.pt", weights_only=True)["model"]
    before = recover(path, TABLE, ModelConfig(**SMALL, scene_head=False)).state_dict()
    last = max(int(k.split(".")[2]) for k in before if k.startswith("encoder._blocks."))
    changed = lambda prefix: any(not torch.equal(after[k], v) for k, v in before.items()  # noqa: E731
                                 if k.startswith(prefix) and v.is_floating_point())
    assert changed(f"encoder._blocks.{last}.") and changed(f"encoder._blocks.{last - 1}.")
    assert changed("encoder._conv_head.")
    assert not changed(f"encoder._blocks.{last - 2}.") and not changed("encoder._conv_stem.")
    kept = torch.load(delta(out / "last.pt", path, tmp_path / "d.pt"), weights_only=True)["model"]
    assert any(k.startswith(f"encoder._blocks.{last}.") for k in kept)
    assert not any(k.startswith((f"encoder._blocks.{last - 2}.", "stem_hints.")) for k in kept)


def test_slim_parts_rejoin_to_a_checkpoint_that_loads_weights_only(tmp_path):
    from trainer.slim import join, slim
    ck = {"model": {"w": torch.arange(50000, dtype=torch.float32)}, "opt": {"big": torch.zeros(10)},
          "state": {"step": 7, "prior": [0.5, 0.5]}, "config": {"lr": 1e-3}, "model_config": {"latent_dim": 0},
          "hardware": "CPU"}
    torch.save(ck, tmp_path / "last.pt")
    (tmp_path / "out").mkdir()
    parts = slim(tmp_path / "last.pt", tmp_path / "out" / "base.pt", part_mb=0.05)
    assert len(parts) >= 3
    back = torch.load(join(tmp_path / "out" / "base.pt"), weights_only=True)
    assert "opt" not in back and back["state"]["step"] == 7 and torch.equal(back["model"]["w"], ck["model"]["w"])
    parts[1].write_bytes(parts[1].read_bytes()[:-10])  # a damaged part: the join refuses, nothing is replaced
    (tmp_path / "out" / "base.pt").unlink()
    with pytest.raises(Exception):
        join(tmp_path / "out" / "base.pt")
    assert not (tmp_path / "out" / "base.pt").exists()


def test_slim_half_carries_matrices_in_fp16_and_a_start_loads_them(tmp_path):
    from torch import nn
    from trainer.slim import join, slim
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
    ck = {"model": net.state_dict(), "state": {"step": 3}, "config": {}, "model_config": {}}
    torch.save(ck, tmp_path / "last.pt")
    full = sum(p.stat().st_size for p in slim(tmp_path / "last.pt", tmp_path / "f" / "base.pt"))
    half = sum(p.stat().st_size for p in slim(tmp_path / "last.pt", tmp_path / "h" / "base.pt", half=True))
    back = torch.load(join(tmp_path / "h" / "base.pt"), weights_only=True)["model"]
    assert back["0.weight"].dtype == torch.float16 and back["1.running_var"].dtype == torch.float32
    assert back["1.num_batches_tracked"].dtype == torch.int64 and half < full
    again = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
    again.load_state_dict(back)  # a start casts them back
    assert torch.allclose(again[0].weight, net[0].weight, atol=1e-3) and again[0].weight.dtype == torch.float32


def test_a_committed_delta_resumes_on_its_base_and_adds_up_its_runs(tmp_path, exported, monkeypatch):
    from trainer import train as T
    from trainer.slim import delta
    _, path = exported
    monkeypatch.setattr(T, "ModelConfig", lambda **kw: ModelConfig(**{**kw, **SMALL}))
    write_shard(tmp_path / "s.tar")
    common = ["--data", str(tmp_path / "s.tar"), "--freeze_encoder", "true", "--scene_head", "false",
              "--in_memory", "true", "--crop", "64", "--batch", "4", "--workers", "0", "--prior_images", "8",
              "--val_images", "2", "--warmup", "1"]
    assert T.main(common + ["--out", str(tmp_path / "a"), "--init_from", str(path), "--max_steps", "3",
                            "--lr", "1e-2"]) == 0
    first = torch.load(tmp_path / "a" / "last.pt", weights_only=True)["model"]
    d = delta(tmp_path / "a" / "last.pt", path, tmp_path / "ck" / "delta.pt")
    saved = torch.load(d, weights_only=True)
    assert not any(k.startswith(("encoder.", "stem_hints.")) for k in saved["model"])
    assert saved["delta_totals"] == {"steps": 3, "crops": 12, "wall_s": pytest.approx(saved["delta_totals"]["wall_s"]),
                                     "runs": 1}
    # lr 0: the second run starts and ends where the first ended (the delta on top of its base)
    assert T.main(common + ["--out", str(tmp_path / "b"), "--init_from", str(d), "--max_steps", "2",
                            "--lr", "0"]) == 0
    second = torch.load(tmp_path / "b" / "last.pt", weights_only=True)
    for k, v in first.items():
        if k.startswith("encoder._fc"):
            continue
        torch.testing.assert_close(second["model"][k].float(), v.float(), rtol=2e-3, atol=2e-4, msg=k)
    again = torch.load(delta(tmp_path / "b" / "last.pt", path, tmp_path / "ck" / "delta.pt"), weights_only=True)
    assert again["delta_totals"]["steps"] == 5 and again["delta_totals"]["runs"] == 2
    other = tmp_path / "other.onnx"  # a delta refuses a base that is not the one it was trained on
    other.write_bytes(path.read_bytes() + b"x")
    saved["base"] = str(other)
    torch.save(saved, tmp_path / "ck" / "moved.pt")
    with pytest.raises(RuntimeError, match="not the one it was trained on"):
        T.main(common + ["--out", str(tmp_path / "c"), "--init_from", str(tmp_path / "ck" / "moved.pt"),
                         "--max_steps", "1"])


def test_segmentation_scores_count_only_labelled_pixels():
    from trainer.seg_check import confusion, score
    labels = np.array([[0, 0, 1, 255], [2, 2, 2, 255]], np.uint8)
    pred = np.array([[0, 1, 1, 2], [2, 2, 0, 0]], np.uint8)
    conf = confusion(pred, labels, 3)
    assert conf.sum() == 6 and conf[0, 0] == 1 and conf[0, 1] == 1 and conf[2, 0] == 1
    s = score(conf, 1)
    assert s.pixel_accuracy == pytest.approx(4 / 6) and s.majority_accuracy == pytest.approx(3 / 6)
    # IoU: class 0 1/(2+2-1), class 1 1/(1+2-1), class 2 2/(3+2-2)
    assert s.mean_iou == pytest.approx((1 / 3 + 1 / 2 + 2 / 3) / 3)


def test_unfolded_batchnorm_keeps_the_function_and_trains_from_it(exported):
    """A run that trains BatchNorm (a GPU run) starts where the shipped model is, not from standardised noise."""
    import copy

    from trainer.from_onnx import onnx_parity, recover, unfold_batchnorm
    _, path = exported
    rec = recover(path, TABLE, ModelConfig(**SMALL, scene_head=False))
    g = torch.Generator().manual_seed(0)
    L = (torch.rand(16, 1, 64, 64, generator=g) * 60 + 20).cumsum(-1).remainder(100)  # ramps: some structure
    z = torch.zeros(16, 2, 64, 64)

    def out(net, train):
        net.train(train)
        with torch.no_grad():
            return net(L, z, z[:, :1], torch.tensor([0.38]))["ab_reg"]

    ref = out(copy.deepcopy(rec), False)
    folded_drift = (out(copy.deepcopy(rec), True) - ref).abs().mean()
    unfold_batchnorm(rec, L)
    assert onnx_parity(rec, path) < 1e-3
    assert (out(copy.deepcopy(rec), False) - ref).abs().max() < 1e-3
    drift = (out(copy.deepcopy(rec), True) - ref).abs().mean()  # on the calibration batch: its own statistics
    assert drift < 1e-3 < folded_drift


def test_a_full_fine_tune_needs_no_imagenet_weights(tmp_path, exported, monkeypatch):
    from trainer import model as M
    from trainer import train as T
    _, path = exported

    def no_weights(*_a, **_k):
        raise RuntimeError("EfficientNet-Lite0 weights not found")

    monkeypatch.setattr(M, "load_pretrained", no_weights)
    # the sizes of the small exported net; `pretrained` as the trainer asks
    small = {"decoder_channels": SMALL["decoder_channels"]}
    monkeypatch.setattr(T, "ModelConfig", lambda **kw: ModelConfig(**{**kw, **small}))
    write_shard(tmp_path / "s.tar")
    assert finetune(tmp_path, path, tmp_path / "full", "--freeze_encoder", "false") == 0
    with pytest.raises(RuntimeError, match="weights not found"):  # what a run from ImageNet needs
        finetune(tmp_path, "", tmp_path / "scratch", "--freeze_encoder", "false")


def test_a_start_whose_stem_reads_no_hints_stays_so(tmp_path, exported, monkeypatch, capsys):
    """1.7 on: the stem's hint fusion sees no hints, so the engine runs the encoder once per photo; a fine-tune
    of such a model keeps it so, and --stem_hints false makes any start so."""
    import copy
    import dataclasses

    from trainer import train as T
    from trainer.export import export_onnx
    net, path = exported
    free_net = copy.deepcopy(net)
    free_net.cfg = dataclasses.replace(net.cfg, stem_hints=False)
    free = tmp_path / "free.onnx"
    export_onnx(free_net, free)
    free.with_suffix(".json").write_text(json.dumps({"bins": TABLE.tolist(), "heads": {}, "stem_hints": False}))
    assert T.start_reads_hints(str(path)) and not T.start_reads_hints(str(free)) and T.start_reads_hints("")
    monkeypatch.setattr(T, "ModelConfig", lambda **kw: ModelConfig(**{**kw, **SMALL}))
    write_shard(tmp_path / "s.tar")
    runs = {"from a hint-free start": (free, ()), "asked for": (path, ("--stem_hints", "false")),
            "as it was": (path, ())}
    for name, (start, extra) in runs.items():
        assert finetune(tmp_path, start, tmp_path / name.replace(" ", "_"), *extra) == 0
    import re
    parities = [float(x) for x in re.findall(r"\(parity ([0-9.e+-]+) ab\)", capsys.readouterr().err)]
    assert len(parities) == 3 and max(parities) < 1e-4  # each start recovered as its own graph computes
    saved = {name: torch.load(tmp_path / name.replace(" ", "_") / "last.pt", weights_only=True)["model_config"]
             for name in runs}
    assert [saved[n]["stem_hints"] for n in runs] == [False, False, True]
    assert not T.start_reads_hints(str(tmp_path / "asked_for" / "last.pt"))



@pytest.fixture(scope="module")
def exported_skip_hints(tmp_path_factory):
    """As `exported`, but hints enter at the skips only (tinta-base 1.7 on): what a --hints_only run starts from."""
    from trainer.export import export_onnx
    net = small_net()
    net.cfg.stem_hints = False
    d = tmp_path_factory.mktemp("onnx_skips")
    path = d / "m.onnx"
    export_onnx(net, path)
    (d / "m.json").write_text(json.dumps({"bins": TABLE.tolist(), "heads": {}, "stem_hints": False}))
    return path


def test_a_hints_only_run_changes_what_hints_do_and_nothing_else(tmp_path, exported_skip_hints, monkeypatch):
    from trainer import train as T
    from trainer.from_onnx import recover
    from trainer.model import build_model
    path = exported_skip_hints
    monkeypatch.setattr(T, "ModelConfig", lambda **kw: ModelConfig(**{**kw, **SMALL}))
    write_shard(tmp_path / "s.tar")
    out = tmp_path / "hints"
    assert finetune(tmp_path, path, out, "--freeze_encoder", "false", "--hints_only", "true",
                    "--hint_prob", "1") == 0
    saved = torch.load(out / "last.pt", weights_only=True)
    before = recover(path, TABLE, ModelConfig(**SMALL, scene_head=False, stem_hints=False))
    for k, v in before.state_dict().items():
        if not k.startswith("encoder._fc"):
            assert torch.equal(saved["model"][k], v) == (not k.startswith("skip_hints.")), k
    after = build_model(ModelConfig(**saved["model_config"]), TABLE)
    after.load_state_dict(saved["model"])
    after.eval()
    g = torch.Generator().manual_seed(3)
    L = torch.rand(2, 1, 64, 64, generator=g) * 100
    none = torch.zeros(2, 2, 64, 64)
    mask = torch.zeros(2, 1, 64, 64)
    mask[:, :, 20:26, 30:36] = 1
    hint = torch.full((2, 2, 64, 64), 40.0) * mask
    t = torch.tensor([0.38])
    with torch.no_grad():
        for key in ("ab_reg", "prob"):  # every automatic colorization as the start gives it
            torch.testing.assert_close(after(L, none, none[:, :1], t)[key], before(L, none, none[:, :1], t)[key],
                                       rtol=1e-4, atol=1e-4)
        assert (after(L, hint, mask, t)["ab_reg"] - before(L, hint, mask, t)["ab_reg"]).abs().max() > 1e-2


def test_a_hints_only_run_refuses_a_start_whose_stem_reads_hints(tmp_path, exported, monkeypatch):
    from trainer import train as T
    _, path = exported
    monkeypatch.setattr(T, "ModelConfig", lambda **kw: ModelConfig(**{**kw, **SMALL}))
    write_shard(tmp_path / "s.tar")
    with pytest.raises(SystemExit, match="stem reads hints"):
        finetune(tmp_path, path, tmp_path / "no", "--hints_only", "true")


def test_the_anchor_restores_each_fusions_answer_to_no_hints():
    from trainer.hint_tune import NoHintAnchor, no_hint_constant
    net = small_net()
    anchor = NoHintAnchor(net)
    first = [no_hint_constant(f).detach().clone() for f in net.skip_hints]
    with torch.no_grad():
        for p in net.skip_hints.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    assert anchor.restore() > 1e-3
    for f, c in zip(net.skip_hints, first):
        torch.testing.assert_close(no_hint_constant(f), c, rtol=0, atol=1e-5)
        z = torch.zeros(1, 4, 5, 7)  # what the fusion's net sees when there are no hints
        torch.testing.assert_close(f.net(z), c.view(1, -1, 1, 1).expand(1, -1, 5, 7), rtol=0, atol=1e-5)


def test_the_no_hint_check_tells_an_anchored_candidate_from_a_changed_one(tmp_path):
    from pathlib import Path

    from trainer.eval_photos import photo_from_rgb
    from trainer.export import export_onnx
    from trainer.hint_tune import NoHintAnchor, no_hint_difference
    rng = np.random.default_rng(0)
    photos = [photo_from_rgb(rng.integers(0, 256, (48, 80, 3), dtype=np.uint8), "t", Path(f"{i}.png"))
              for i in range(2)]
    net = small_net()
    net.cfg.stem_hints = False
    export_onnx(net, tmp_path / "old.onnx")
    anchor = NoHintAnchor(net)
    with torch.no_grad():
        for p in net.skip_hints.parameters():
            p.add_(torch.randn_like(p) * 0.2)
    export_onnx(net, tmp_path / "changed.onnx")
    anchor.restore()
    export_onnx(net, tmp_path / "anchored.onnx")
    same = no_hint_difference(str(tmp_path / "old.onnx"), str(tmp_path / "anchored.onnx"), photos, side=64)
    moved = no_hint_difference(str(tmp_path / "old.onnx"), str(tmp_path / "changed.onnx"), photos, side=64)
    assert max(same.values()) < 1e-3 < moved["ab_reg"]


def test_group_balance_draws_small_groups_more_by_the_power_of_their_ratio():
    from collections import Counter

    from trainer.train import balance_groups
    names = np.array(["big/1.jpg"] * 100 + ["mid/2.jpg"] * 25 + ["small/3.jpg"] * 4 + ["held/4.jpg"] * 3)
    idx = np.arange(129)  # the held-out group's photos are not in the training indices: they stay out
    drawn = Counter(names[balance_groups(idx, names, 0.5)])
    assert drawn == {"big/1.jpg": 100, "mid/2.jpg": 50, "small/3.jpg": 20}
    assert Counter(names[balance_groups(idx, names, 1.0)])["small/3.jpg"] == 100
    assert len(balance_groups(idx, names, 1e-9)) == 129  # a negligible power draws each photo once


def test_detail_jitter_sharpens_or_softens_a_share_of_crops_as_the_engine_measures_them():
    import cv2
    from engine.sharpness import detail
    from trainer.detail_jitter import blur, jitter_detail
    rng = np.random.default_rng(0)
    g = cv2.GaussianBlur(rng.normal(0, 1, (64, 64)).astype(np.float32), (0, 0), 1.0)
    L = torch.from_numpy(np.clip(50 + 12 * g / g.std(), 0, 100)).view(1, 1, 64, 64).repeat(8, 1, 1, 1)
    # the blur is OpenCV's (reflect-101 borders)
    want = cv2.GaussianBlur(L[0, 0].numpy(), (7, 7), 1.0, borderType=cv2.BORDER_REFLECT_101)
    assert np.allclose(blur(L)[0, 0].numpy(), want, atol=1e-3)
    assert jitter_detail(L, 0.0) is L
    crisp = jitter_detail(L, 1.0, 1.0, 1.0)
    assert torch.allclose(crisp, (2 * L - blur(L)).clamp(0, 100))
    assert detail(crisp[0, 0].numpy()) > detail(L[0, 0].numpy()) + 0.05
    soft = jitter_detail(L, 1.0, -1.0, -1.0)
    assert detail(soft[0, 0].numpy()) < detail(L[0, 0].numpy()) - 0.1
    gen = torch.Generator().manual_seed(0)
    mixed = jitter_detail(L.repeat(50, 1, 1, 1), 0.5, -1.0, 1.5, gen)
    changed = (mixed != L.repeat(50, 1, 1, 1)).flatten(1).any(1).float().mean()
    assert 0.35 < float(changed) < 0.65
    assert mixed.min() >= 0 and mixed.max() <= 100


def test_a_run_with_detail_jitter_feeds_the_network_the_jittered_luminance(tmp_path, exported, monkeypatch):
    from trainer import train as T
    from trainer.detail_jitter import jitter_detail
    _, path = exported
    monkeypatch.setattr(T, "ModelConfig", lambda **kw: ModelConfig(**{**kw, **SMALL}))
    made, seen = [], []

    def spy(L, share, lo, hi):
        out = jitter_detail(L, share, lo, hi)
        made.append((share, lo, hi, out, L))
        return out

    forward = T.TintaNet.forward

    def watch(self, L, *a, **kw):
        seen.append(L)
        return forward(self, L, *a, **kw)

    monkeypatch.setattr(T, "jitter_detail", spy)
    monkeypatch.setattr(T.TintaNet, "forward", watch)
    write_shard(tmp_path / "s.tar")
    assert finetune(tmp_path, path, tmp_path / "ft", "--detail_jitter", "1", "--detail_lo", "0.5",
                    "--detail_hi", "0.75") == 0
    assert len(made) == 3 and all(m[:3] == (1.0, 0.5, 0.75) for m in made)
    fed = [L for L in seen if L.requires_grad is False and L.shape[0] == 4]
    for _, _, _, out, L in made:
        assert not torch.equal(out, L) and any(f is out for f in fed)
