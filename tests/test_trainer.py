"""Trainer: Lite0 weights, bins and losses, export parity, exact resume, DDP on gloo, segmentation head."""
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from trainer import bins as B  # noqa: E402
from trainer import losses  # noqa: E402
from trainer.config import parse_config  # noqa: E402
from trainer.model import ModelConfig, build_model  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TABLE = B.load_bins(B.default_bins_path())


def _photo(rng, h=72, w=96):
    """A colourful synthetic photo: smooth colour field plus a few solid shapes."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([np.sin(xx / (5 + rng.random() * 9) + rng.random() * 6) * 90 + 128,
                     np.cos(yy / (4 + rng.random() * 9)) * 90 + 128, (xx + yy) / (h + w) * 255], -1)
    img = base.clip(0, 255).astype(np.uint8)
    for _ in range(3):
        c = tuple(int(v) for v in rng.integers(0, 255, 3))
        cv2.circle(img, (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(5, 20)), c, -1)
    return img


@pytest.fixture(scope="module")
def shard(tmp_path_factory):
    d = tmp_path_factory.mktemp("shard")
    rng = np.random.default_rng(0)
    path = d / "tiny.tar"
    with tarfile.open(path, "w") as tar:
        for i in range(24):
            ok, enc = cv2.imencode(".jpg", _photo(rng), [cv2.IMWRITE_JPEG_QUALITY, 92])
            info = tarfile.TarInfo(f"synthetic/img{i:03d}.jpg")
            info.size = len(enc)
            tar.addfile(info, io.BytesIO(enc.tobytes()))
    return path


def test_lite0_classifies_the_cat_as_class_285():
    from skimage.data import chelsea
    from trainer.lite0 import EfficientNetLite0, load_pretrained, normalize
    net = load_pretrained(EfficientNetLite0()).eval()
    x = cv2.resize(chelsea(), (224, 224), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    with torch.no_grad():
        logits = net(normalize(torch.from_numpy(x).permute(2, 0, 1)[None]))
    assert int(logits.argmax()) == 285  # Egyptian cat


def test_the_second_judge_is_lite2_with_its_own_weights_and_sees_the_same_photos():
    from skimage.data import chelsea, coffee
    from trainer.lite0 import EfficientNetLite0
    from trainer.metrics import LiteProbe
    assert EfficientNetLite0().feature_blocks == (0, 2, 4, 10, 15)  # the U-Net's taps on Lite0
    second = LiteProbe(2)  # Lite2's published weights load only into Lite2's stages
    assert sum(p.numel() for p in second.net.parameters()) > 1.25 * sum(  # 6.1M against 4.7M
        p.numel() for p in LiteProbe(0).net.parameters())
    feats, top1 = second([chelsea(), coffee()])
    assert feats.shape == (2, 1280) and list(top1) == [285, 967]  # Egyptian cat, espresso
    assert LiteProbe.available(2) and not LiteProbe.available(7)


def test_shipped_bins_are_the_reachable_gamut_cells():
    assert TABLE.shape == (262, 2) and np.all(TABLE % 10 == 0)
    coarse = B.gamut_bins(levels=48)  # a coarse sRGB sampling reaches a subset of the cells
    assert {tuple(r) for r in coarse.tolist()} <= {tuple(r) for r in TABLE.tolist()}
    assert len(coarse) > 240


def test_soft_encoding_five_nearest_with_gaussian_weights():
    ab = torch.tensor([[3.0, -12.0], [40.0, 40.0]]).view(2, 2, 1, 1).permute(1, 0, 2, 3).reshape(1, 2, 1, 2)
    t = B.soft_encode(ab, torch.as_tensor(TABLE))
    assert t.shape == (1, 262, 1, 2)
    assert torch.allclose(t.sum(1), torch.ones(1, 1, 2))
    assert int((t[0, :, 0, 0] > 0).sum()) == 5
    nearest = B.nearest_bin(ab, torch.as_tensor(TABLE))[0, 0, 0]
    assert int(t[0, :, 0, 0].argmax()) == int(nearest)


def test_rebalancing_favours_rare_colours_and_has_unit_mean():
    counts = np.ones(len(TABLE))
    counts[:10] = 1000
    prior = B.smoothed_prior(counts, TABLE)
    w = B.rebalance_weights(prior, 0.5)
    assert abs(float((prior * w).sum()) - 1) < 1e-5
    assert w[100] > w[0]


def test_rebalanced_regression_loss_counts_an_error_on_a_vivid_colour_more():
    bins = torch.as_tensor(TABLE)
    gray = int(torch.cdist(torch.zeros(1, 2), bins.float()).argmin())
    counts = np.ones(len(TABLE))
    counts[gray] = 5000  # gray is the common colour, as in photos
    w = torch.as_tensor(B.rebalance_weights(B.smoothed_prior(counts, TABLE), 0.5))
    ab = torch.zeros(2, 2, 18, 20)  # 18 x 20: not a multiple of the weights' stride
    ab[:, 0, :, 10:] = 60.0          # right half vivid, left half gray
    ab[:, 1, :, 10:] = -40.0
    off_vivid, off_gray = ab.clone(), ab.clone()
    off_vivid[:, :, :, 10:] += 5.0
    off_gray[:, :, :, :10] += 5.0
    weights = losses.rarity_weights(ab, bins, w, 1.0)
    assert weights.shape == (2, 18, 20) and float(weights[0, 0, 15]) > 2 * float(weights[0, 0, 2])
    plain_v, plain_g = losses.regression_loss(off_vivid, ab), losses.regression_loss(off_gray, ab)
    assert torch.allclose(plain_v, plain_g)
    assert losses.regression_loss(off_vivid, ab, weights) > 1.5 * losses.regression_loss(off_gray, ab, weights)
    flat = losses.rarity_weights(ab, bins, w, 0.0)  # power 0: every pixel counts alike
    assert torch.allclose(losses.regression_loss(off_vivid, ab, flat), plain_v)


def test_annealed_mean_interpolates_between_mode_and_mean():
    logits = torch.full((1, 262, 1, 1), -5.0)
    logits[0, 10] = 2.0
    logits[0, 200] = 1.5
    bins = torch.as_tensor(TABLE)
    cold = B.annealed_mean(logits, bins, torch.tensor([0.01]))[0, :, 0, 0]
    warm = B.annealed_mean(logits, bins, torch.tensor([1.0]))[0, :, 0, 0]
    assert torch.allclose(cold, bins[10], atol=1e-3)
    assert (warm - bins[10]).norm() > 1


def test_teacher_targets_keep_top5_renormalised():
    t = losses.teacher_targets(torch.randn(3, 1000))
    assert torch.allclose(t.sum(1), torch.ones(3)) and int((t > 0).sum(1).max()) == 5


def test_config_overrides_parse():
    cfg = parse_config(["--batch", "7", "--scene_head", "false", "--data", "a.tar,b"])
    assert cfg.batch == 7 and cfg.scene_head is False and cfg.data == ["a.tar", "b"]


def test_export_parity_and_dynamic_shapes(tmp_path):
    import onnxruntime as ort
    from trainer.export import export_onnx, parity
    torch.manual_seed(0)
    net = build_model(ModelConfig(pretrained=False, decoder_channels=(32, 24, 16, 8)), TABLE).eval()
    path = tmp_path / "m.onnx"
    export_onnx(net, path)
    diffs = parity(net, path)
    assert max(diffs.values()) < 1e-3, diffs
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for h, w in ((32, 64), (96, 32)):
        ab, ab_reg, prob = sess.run(None, {"L": np.full((2, 1, h, w), 50, np.float32),
                                           "hint_ab": np.zeros((2, 2, h, w), np.float32),
                                           "hint_mask": np.zeros((2, 1, h, w), np.float32),
                                           "temperature": np.array([0.38], np.float32)})
        assert ab.shape == (2, 2, h, w) and prob.shape == (2, 262, h // 4, w // 4)
    from trainer.export import TRAINING_LONG_SIDE, build_card
    card = build_card(net, path, "m", {}, False)
    # the card asks for the training scale, not the engine's 512 fallback for cards without a rule
    assert card["input_size_rule"]["default_long_side"] == TRAINING_LONG_SIDE == 192
    assert "before_this_run" not in card["training"]
    totals = {"steps": 1138, "crops": 18208, "wall_s": 1798.9, "runs": 1}
    card = build_card(net, path, "m", {"state": {"step": 10, "delta_totals": totals}, "config": {"batch": 16}}, False)
    assert card["training"]["before_this_run"] == totals and card["training"]["steps"] == 10


def test_an_export_can_take_the_shipped_cards_input_handling(tmp_path):
    from engine.models import load_card
    from trainer.export import build_card, export_onnx, inherit_inputs
    net = build_model(ModelConfig(pretrained=False, decoder_channels=(32, 24, 16, 8)), TABLE).eval()
    export_onnx(net, tmp_path / "m.onnx")
    shipped = json.loads((ROOT / "resources/models/tinta-base.json").read_text())
    plain = load_card(_written(tmp_path, build_card(net, tmp_path / "m.onnx", "m", {}, False)))
    assert plain.input_levels is None and plain.input_sharpness is None
    card = inherit_inputs(build_card(net, tmp_path / "m.onnx", "m", {}, False), shipped, "tinta-base 1.9")
    got, want = load_card(_written(tmp_path, card)), load_card(ROOT / "resources/models/tinta-base.json")
    assert got.input_levels == want.input_levels and got.input_sharpness == want.input_sharpness
    assert got.input_sharpness is not None and card["input_levels"]["inherited_from"] == "tinta-base 1.9"
    # a source without them leaves the card without them
    assert "input_sharpness" not in inherit_inputs(build_card(net, tmp_path / "m.onnx", "m", {}, False), {}, "x")


def _written(d, card):
    from trainer.export import write_card
    write_card(card, d / "m.json")
    return d / "m.json"


def _train(args, cwd=ROOT):
    from trainer.train import main
    assert main(args) == 0


def test_training_resumes_exactly(tmp_path, shard):
    common = ["--data", str(shard), "--crop", "64", "--batch", "4", "--workers", "0", "--prior_images", "8",
              "--val_images", "2", "--log_every", "1", "--warmup", "2"]
    _train(common + ["--out", str(tmp_path / "straight"), "--max_steps", "4", "--ckpt_every", "100"])
    _train(common + ["--out", str(tmp_path / "split"), "--max_steps", "2", "--ckpt_every", "100"])
    # The second half runs in a fresh process state from the checkpoint alone.
    cfg = json.loads((tmp_path / "split" / "config.json").read_text())
    assert cfg["max_steps"] == 2
    ck = torch.load(tmp_path / "split" / "last.pt", weights_only=True)
    ck["state"]["total_steps"] = 4  # same schedule as the straight run
    torch.save(ck, tmp_path / "split" / "last.pt")
    _train(common + ["--out", str(tmp_path / "split"), "--max_steps", "4", "--ckpt_every", "100"])
    a = torch.load(tmp_path / "straight" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "split" / "last.pt", weights_only=True)
    assert a["state"]["step"] == b["state"]["step"] == 4
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    log = [json.loads(x) for x in (tmp_path / "straight" / "log.jsonl").read_text().splitlines()]
    val = [r for r in log if r["kind"] == "val"]
    assert val and (tmp_path / "straight" / "loss.png").exists()
    # both heads are watched: the annealed mean and the regression head a card may decode instead
    assert all(np.isfinite(r["ab_rmse"]) and np.isfinite(r["ab_reg_rmse"]) for r in val)


def test_resume_refuses_a_different_model(tmp_path, shard):
    common = ["--data", str(shard), "--crop", "64", "--batch", "4", "--workers", "0", "--prior_images", "8",
              "--val_images", "2", "--out", str(tmp_path / "r"), "--max_steps", "1"]
    _train(common)
    with pytest.raises(RuntimeError, match="cannot resume"):
        _train(common + ["--latent_dim", "4", "--max_steps", "2"])


def test_ddp_two_processes_on_gloo(tmp_path, shard):
    out = tmp_path / "ddp"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
                          "29517", "-m", "trainer.train", "--data", str(shard), "--crop", "64", "--batch", "2",
                          "--workers", "0", "--prior_images", "8", "--val_images", "2", "--max_steps", "3",
                          "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    ck = torch.load(out / "last.pt", weights_only=True)
    assert ck["state"]["step"] == 3


def test_vae_and_segmentation_heads_train(tmp_path):
    """SegClassRegSoft + cVAE on a generated labelled folder: both losses fall when overfitting it."""
    rng = np.random.default_rng(1)
    d = tmp_path / "labelled"
    d.mkdir()
    for i in range(6):
        img = _photo(rng, 64, 64)
        seg = np.zeros((64, 64), np.uint8)
        seg[:, 32:] = 1
        img[:, 32:] = (30, 160, 40)
        cv2.imwrite(str(d / f"p{i}.png"), img[..., ::-1])
        cv2.imwrite(str(d / f"p{i}.seg.png"), seg)
    out = tmp_path / "seg"
    _train(["--data", str(d), "--crop", "64", "--batch", "6", "--workers", "0", "--prior_images", "6",
            "--val_images", "0", "--seg_classes", "2", "--latent_dim", "4", "--max_steps", "30", "--log_every", "1",
            "--lr", "3e-3", "--warmup", "1", "--scale_max", "1.0", "--out", str(out)])
    log = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines() if '"train"' in x]
    first, last = np.mean([r["seg"] for r in log[:3]]), np.mean([r["seg"] for r in log[-3:]])
    assert last < 0.5 * first, (first, last)
    assert all("kl" in r and "kl_nats" in r for r in log)


def test_hinge_losses_and_the_adversarial_schedule():
    from trainer.adversarial import adv_weight, critic_loss, generator_loss

    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0])
    # real: max(0, 1-2)=0, max(0, 1-0.5)=0.5 -> 0.25; fake: max(0, 1-2)=0, max(0, 1+0)=1 -> 0.5
    assert float(critic_loss(real, fake)) == pytest.approx(0.75)
    assert float(generator_loss(fake)) == pytest.approx(1.0)
    assert [adv_weight(s, 3, 2, 0.4) for s in (0, 2, 3, 4, 9)] == pytest.approx([0, 0, 0.2, 0.4, 0.4])


def test_the_critic_learns_to_tell_true_colour_from_gray():
    from trainer.adversarial import PatchCritic, critic_loss

    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    lab = [cv2.cvtColor(_photo(rng, 32, 32).astype(np.float32) / 255, cv2.COLOR_RGB2Lab) for _ in range(4)]
    lab = torch.as_tensor(np.stack(lab)).permute(0, 3, 1, 2)
    L, ab = lab[:, :1], lab[:, 1:]
    critic = PatchCritic(16)
    opt = torch.optim.Adam(critic.parameters(), lr=2e-3, betas=(0.5, 0.999))
    for _ in range(40):
        loss = critic_loss(critic(L, ab), critic(L, torch.zeros_like(ab)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        assert float(critic(L, ab).mean()) > float(critic(L, torch.zeros_like(ab)).mean()) + 0.5
    assert critic(L, ab).shape == (4, 1, 1, 1)


def test_adversarial_stage_trains_the_generator_and_resumes_exactly(tmp_path, shard):
    base = ["--data", str(shard), "--crop", "64", "--batch", "4", "--workers", "0", "--prior_images", "8",
            "--val_images", "2", "--log_every", "1", "--warmup", "2", "--adv_start", "1", "--adv_ramp", "1",
            "--critic_width", "16", "--ckpt_every", "100"]
    common = base + ["--w_adv", "2"]
    _train(common + ["--out", str(tmp_path / "straight"), "--max_steps", "4"])
    _train(common + ["--out", str(tmp_path / "split"), "--max_steps", "2"])
    ck = torch.load(tmp_path / "split" / "last.pt", weights_only=True)
    ck["state"]["total_steps"] = 4
    torch.save(ck, tmp_path / "split" / "last.pt")
    _train(common + ["--out", str(tmp_path / "split"), "--max_steps", "4"])
    a = torch.load(tmp_path / "straight" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "split" / "last.pt", weights_only=True)
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    for k in a["critic"]["model"]:
        assert torch.equal(a["critic"]["model"][k], b["critic"]["model"][k]), k
    rows = [json.loads(x) for x in (tmp_path / "straight" / "log.jsonl").read_text().splitlines()]
    train = [r for r in rows if r["kind"] == "train"]
    assert "adv" not in train[0] and all("adv" in r for r in train[1:])  # the critic learns alone first
    assert all(np.isfinite(r["critic"]) for r in train)
    # the adversarial term moves the generator: without it the same run ends elsewhere
    _train(base + ["--w_adv", "1e-9", "--out", str(tmp_path / "tiny_w"), "--max_steps", "4"])
    c = torch.load(tmp_path / "tiny_w" / "last.pt", weights_only=True)
    assert any(not torch.allclose(a["model"][k].float(), c["model"][k].float(), atol=1e-6)
               for k in a["model"] if a["model"][k].is_floating_point())


def test_lab_to_rgb_inverts_the_trainers_rgb_to_lab():
    from trainer.gpu_data import rgb_to_lab
    from trainer.perceptual import lab_to_rgb

    rgb = torch.rand(2, 3, 9, 11, generator=torch.Generator().manual_seed(0))
    assert float((lab_to_rgb(rgb_to_lab(rgb)) - rgb).abs().max()) < 1e-4


def test_the_perceptual_loss_is_zero_for_the_truth_and_grows_as_colour_departs_from_it():
    from trainer.gpu_data import rgb_to_lab
    from trainer.perceptual import PerceptualLoss

    rng = np.random.default_rng(2)
    rgb = torch.as_tensor(np.stack([_photo(rng, 64, 64) for _ in range(2)])).permute(0, 3, 1, 2).float() / 255
    lab = rgb_to_lab(rgb)
    L, ab = lab[:, :1], lab[:, 1:]
    loss = PerceptualLoss()
    assert float(loss(L, ab, rgb)) < 1e-6
    pale, gray = float(loss(L, 0.5 * ab, rgb)), float(loss(L, 0 * ab, rgb))
    assert 0 < pale < gray
    ab = ab.clone().requires_grad_(True)
    loss(L, 0.5 * ab, rgb).backward()
    assert float(ab.grad.abs().sum()) > 0 and all(not p.requires_grad for p in loss.parameters())


def test_the_pooled_feature_loss_is_zero_for_the_truth_and_grows_as_colour_departs_from_it():
    from trainer.gpu_data import rgb_to_lab
    from trainer.perceptual import PerceptualLoss

    rng = np.random.default_rng(3)
    rgb = torch.as_tensor(np.stack([_photo(rng, 64, 64) for _ in range(2)])).permute(0, 3, 1, 2).float() / 255
    lab = rgb_to_lab(rgb)
    L, ab = lab[:, :1], lab[:, 1:]
    loss = PerceptualLoss(pooled=True)
    maps, pooled = loss.terms(L, ab, rgb)
    assert float(maps) < 1e-6 and float(pooled) < 1e-6
    pale, gray = float(loss.terms(L, 0.5 * ab, rgb)[1]), float(loss.terms(L, 0 * ab, rgb)[1])
    assert 0 < pale < gray
    assert float(loss.terms(L, 0.5 * ab, rgb)[0]) == pytest.approx(float(PerceptualLoss()(L, 0.5 * ab, rgb)), rel=1e-5)
    ab = ab.clone().requires_grad_(True)
    loss.terms(L, 0.5 * ab, rgb)[1].backward()
    assert float(ab.grad.abs().sum()) > 0


def test_the_colour_term_measures_what_the_release_rule_reads_and_holds_the_truths_colourfulness():
    from trainer.gpu_data import rgb_to_lab
    from trainer.metrics import colourfulness

    rng = np.random.default_rng(4)
    photos = np.stack([_photo(rng, 64, 64) for _ in range(2)])
    rgb = torch.as_tensor(photos).permute(0, 3, 1, 2).float() / 255
    got = losses.colourfulness(rgb)
    assert got.numpy() == pytest.approx([colourfulness(p) for p in photos], rel=1e-3)
    lab = rgb_to_lab(rgb)
    L, ab = lab[:, :1], lab[:, 1:]
    assert float(losses.colour_loss(L, ab, rgb)) < 0.01
    pale, gray = float(losses.colour_loss(L, 0.5 * ab, rgb)), float(losses.colour_loss(L, 0 * ab, rgb))
    assert 0.01 < pale < gray
    assert float(losses.colour_loss(L, 2 * ab, rgb)) > 0.01  # too colourful is off the truth too
    # the gain stands for the decoding's: a head at 1/gain of the truth's colour is then held where it is
    assert float(losses.colour_loss(L, ab / 1.25, rgb, gain=1.25)) < 0.01
    ab = ab.clone().requires_grad_(True)
    losses.colour_loss(L, 0.5 * ab, rgb).backward()
    assert float(ab.grad.abs().sum()) > 0


def test_the_cast_term_is_the_release_rules_cast_of_the_batch_and_ignores_hue_errors_that_cancel():
    from trainer.metrics import cast

    rng = np.random.default_rng(5)
    ab = torch.as_tensor(rng.normal(0, 20, (4, 2, 8, 8)), dtype=torch.float32)
    assert float(losses.cast_loss(ab, ab)) < 1e-3
    # every crop 3 a* redder and 4 b* yellower: a cast of 5 ab, the metric's number / 10
    tint = torch.tensor([3.0, 4.0])[None, :, None, None]
    assert float(losses.cast_loss(ab + tint, ab)) == pytest.approx(0.5, abs=1e-3)
    means = lambda x: x.mean(dim=(2, 3)).numpy()  # noqa: E731
    assert float(losses.cast_loss(ab + tint, ab)) == pytest.approx(cast(means(ab + tint), means(ab)) / 10, abs=1e-3)
    # two crops wrong in opposite directions: each crop's hue is off, the batch leans no way
    opposite = torch.zeros_like(ab)
    opposite[0, 0], opposite[1, 0] = 10.0, -10.0
    assert float(losses.cast_loss(ab + opposite, ab)) < 1e-3
    # the gain is the decoding's: a head at 1/gain of the truth is held where it is, and at the truth it is not
    assert float(losses.cast_loss(ab / 1.25, ab, gain=1.25)) < 1e-3
    offset = ab + torch.tensor([0.0, 8.0])[None, :, None, None]
    assert float(losses.cast_loss(offset, offset, gain=1.25)) > 0.1
    pred = (ab + tint).requires_grad_(True)
    losses.cast_loss(pred, ab).backward()
    assert float(pred.grad[:, 1].sum()) > 0  # descending it lowers the too-high b*
    # per crop, opposite tints no longer cancel: each of the two crops is 10 ab off, the other two are right
    assert float(losses.cast_loss(ab + opposite, ab, per_crop=True)) == pytest.approx(0.5, abs=1e-3)
    assert float(losses.cast_loss(ab + tint, ab, per_crop=True)) == pytest.approx(0.5, abs=1e-3)
    assert float(losses.cast_loss(ab / 1.25, ab, gain=1.25, per_crop=True)) < 1e-3


def test_the_perceptual_term_trains_with_the_others(tmp_path, shard):
    _train(["--data", str(shard), "--crop", "64", "--batch", "4", "--workers", "0", "--prior_images", "8",
            "--val_images", "2", "--log_every", "1", "--max_steps", "2", "--w_perc", "0.5", "--w_sem", "0.5",
            "--w_colour", "2", "--w_cast", "1", "--cast_per_crop", "true", "--out", str(tmp_path / "p")])
    rows = [json.loads(x) for x in (tmp_path / "p" / "log.jsonl").read_text().splitlines()]
    assert all(r["perc"] > 0 and r["sem"] > 0 and r["colour"] > 0 and r["cast"] > 0
               for r in rows if r["kind"] == "train")


def test_sigterm_saves_the_steps_done_and_ends(tmp_path, shard, monkeypatch):
    """`timeout` ends a device call's run with SIGTERM: the steps done so far must come back."""
    import os
    import signal

    from trainer import train as T
    losses = T.Trainer._losses

    def and_then_sigterm(self, b, step):
        if step == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return losses(self, b, step)

    monkeypatch.setattr(T.Trainer, "_losses", and_then_sigterm)
    before = signal.getsignal(signal.SIGTERM)
    _train(["--data", str(shard), "--crop", "64", "--batch", "4", "--workers", "0", "--prior_images", "8",
            "--val_images", "2", "--out", str(tmp_path / "t"), "--max_steps", "50", "--ckpt_every", "100"])
    assert torch.load(tmp_path / "t" / "last.pt", weights_only=True)["state"]["step"] == 3
    log = [json.loads(x) for x in (tmp_path / "t" / "log.jsonl").read_text().splitlines()]
    assert not [r for r in log if r["kind"] == "val"]  # saved at once, without validating
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_step_profile_times_each_phase_then_lists_operators(tmp_path, shard):
    _train(["--data", str(shard), "--crop", "64", "--batch", "4", "--workers", "0", "--prior_images", "8",
            "--val_images", "2", "--out", str(tmp_path / "p"), "--max_steps", "16", "--ckpt_every", "100",
            "--profile_steps", "3"])
    got = json.loads((tmp_path / "p" / "profile.json").read_text())
    assert got["steps"] == 3
    assert all(got["ms_per_step"][k] > 0 for k in ("data", "forward", "backward", "optimizer"))
    assert got["total_ms_per_step"] == pytest.approx(sum(got["ms_per_step"].values()), abs=0.05)
    assert "convolution" in (tmp_path / "p" / "profile.txt").read_text()


def test_no_profile_unless_asked(tmp_path, shard):
    _train(["--data", str(shard), "--crop", "64", "--batch", "4", "--workers", "0", "--prior_images", "8",
            "--val_images", "2", "--out", str(tmp_path / "n"), "--max_steps", "16", "--ckpt_every", "100"])
    assert not (tmp_path / "n" / "profile.json").exists() and not (tmp_path / "n" / "profile.txt").exists()


def _budgeted_run(monkeypatch, seconds_per_step, budget_min=50.0, ckpt_every=500, ckpt_s=25.0, start_step=0,
                  start_wall=0.0, total=10_000):
    """Step through Trainer._retarget with a fake clock; seconds_per_step(step) -> seconds. Returns (final wall,
    final step, the step counts set along the way)."""
    from types import SimpleNamespace

    from trainer import train as T
    clock = [start_wall]
    monkeypatch.setattr(T, "time", SimpleNamespace(time=lambda: clock[0]))
    fake = SimpleNamespace(state={"step": start_step, "wall": start_wall, "total_steps": total},
                           cfg=SimpleNamespace(minutes=budget_min), world=1, device=torch.device("cpu"))
    st, mark, totals = fake.state, None, []
    while st["step"] < st["total_steps"]:
        clock[0] += seconds_per_step(st["step"])
        st["step"] += 1
        st["wall"] = clock[0]
        before = st["total_steps"]
        mark = T.Trainer._retarget(fake, mark)
        if st["total_steps"] != before:
            totals.append((st["step"], st["total_steps"]))
        if st["step"] % ckpt_every == 0:
            clock[0] += ckpt_s
    return clock[0], st["step"], totals


def test_a_budgeted_run_fills_its_minutes_though_its_first_steps_are_slow(monkeypatch):
    # as two CPU arms side by side did: 2.7 s a step at first, 2.1 s once under way, 25 s a checkpoint
    wall, steps, totals = _budgeted_run(monkeypatch, lambda s: 2.7 if s < 60 else 2.1)
    assert 0.95 * 3000 <= wall <= 3000, (wall, totals)
    assert totals[0][0] == 40 and len(totals) > 3
    last_set = totals[-1][0]
    assert last_set <= 0.5 * steps + 100  # the schedule's second half is left alone
    # a resumed run sets its count from its own steps, and fills what is left of the budget
    wall, steps, _ = _budgeted_run(monkeypatch, lambda s: 2.1, start_step=300, start_wall=700.0, total=1000)
    assert 0.95 * 3000 <= wall <= 3000 and steps > 1000


def test_a_budgeted_run_keeps_the_schedule_tail_when_the_machine_slows_late(monkeypatch):
    wall, steps, totals = _budgeted_run(monkeypatch, lambda s: 2.0 if s < 1000 else 2.6)
    assert totals[-1][0] <= 0.5 * steps + 100
    assert wall > 3000  # it runs over rather than reshaping the learning rate's tail


def test_every_trainer_flag_the_recipes_pass_is_one_the_trainer_knows():
    """A misspelt flag in a recipe fails only when the recipe runs, on the GPU machine's short lease: every
    underscored flag (the trainer's spelling; the other tools' flags use hyphens) must be a TrainConfig field."""
    import dataclasses
    import re

    from trainer.config import TrainConfig

    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    recipes = sorted((Path(__file__).resolve().parents[1] / "trainer" / "recipes").glob("*.sh"))
    assert len(recipes) >= 2
    for recipe in recipes:
        flags = set(re.findall(r"--([a-z0-9]+_[a-z0-9_]+)", recipe.read_text()))
        assert flags - fields == set(), f"{recipe.name}: unknown trainer flags {sorted(flags - fields)}"
    assert "cast_per_crop" in fields
