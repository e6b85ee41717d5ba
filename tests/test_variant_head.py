"""The light variant sampler: a head on a frozen default model, trained on cached features, exported as the pair."""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from trainer_fixtures import SMALL, TABLE, small_net, write_shard  # noqa: E402

GAIN = 1.25


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A small random default model exported with a card that decodes its regression head x GAIN."""
    from trainer.export import export_onnx

    net = small_net(batchnorm=False, std=0.05)
    d = tmp_path_factory.mktemp("base")
    path = d / "tiny-base.onnx"
    export_onnx(net, path)
    (d / "tiny-base.json").write_text(json.dumps({
        "name": "tiny-base", "version": "1", "bins": TABLE.tolist(), "heads": {"scene": False},
        "default_temperature": 0.38, "decoding": {"mode": "regression", "reg_gain": GAIN},
        "input_size_rule": {"multiple": 32, "default_long_side": 128},
        "decoder_channels": SMALL["decoder_channels"]}))
    return path


def synthetic_cache(n: int, feat_channels: int, seed: int = 0) -> dict:
    """Crops whose true chroma is the default's plus one hidden colour per crop, which only the truth reveals
    (every crop has the same features, so the head cannot learn the colour from them): a posterior that learns
    to carry it in z reconstructs them better than the default does."""
    g = torch.Generator().manual_seed(seed)
    ab_reg = torch.randn(n, 2, 16, 16, generator=g) * 5
    hidden = torch.randn(n, 2, 1, 1, generator=g) * 15
    return {"feat8": torch.randn(1, feat_channels, 4, 4, generator=g).expand(n, -1, -1, -1).half(),
            "ctx": torch.randn(1, 128, generator=g).expand(n, -1).half(), "ab_reg": ab_reg.half(),
            "ab": (GAIN * ab_reg + hidden).half(), "meta": {"synthetic": True}}


@pytest.fixture(scope="module")
def trained(base, tmp_path_factory):
    from trainer.variant_train import VariantConfig, train

    out = tmp_path_factory.mktemp("vhead")
    torch.save(synthetic_cache(512, 24), out / "cache.pt")
    cfg = VariantConfig(out=str(out), base=str(base), latent_dim=4, width=16, batch=32, lr=3e-3, max_steps=1000,
                        minutes=5, log_every=1000, kl_anneal_steps=100)
    return train(cfg), cfg


def test_the_posterior_learns_what_the_default_cannot_know(trained):
    last, _ = trained
    val = torch.load(last, weights_only=False)["val"]
    assert val["val_posterior"] < 0.75 * val["val_default"], val  # 14.5 ab when z carries nothing


def test_training_resumes_from_its_checkpoint(trained):
    import dataclasses

    from trainer.variant_train import train

    last, cfg = trained
    before = torch.load(last, weights_only=False)["step"]
    train(dataclasses.replace(cfg, max_steps=before + 5))
    assert torch.load(last, weights_only=False)["step"] == before + 5


def test_export_is_the_engines_sampler_and_matches_the_composition(trained, base, tmp_path, monkeypatch):
    from engine.models import find_card
    from engine.variants import Sampler
    from trainer.variant_export import export_sampler

    last, _ = trained
    card = export_sampler(last, tmp_path, "tiny-light", spread=2.0)
    assert card["parity_max_abs_diff"]["ab"] < 1e-2
    assert card["base_model"]["file"] == base.name and card["variant_spread"] == 2.0
    # The card says what trained it and for how long, and names files without this machine's folders.
    assert card["training"]["hardware"].startswith("CPU") and card["training"]["wall_time_s"]["train"] > 0
    assert str(base.parent) not in json.dumps(card)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    sampler = Sampler(find_card("tiny-light"))
    rng = np.random.default_rng(0)
    L = rng.uniform(0, 100, (1, 1, 64, 96)).astype(np.float32)
    feats = sampler.encode(L, None, None)
    assert feats["skip8"].shape[2:] == (8, 12) and feats["skip16"].shape[2:] == (4, 6)  # engine/reference.py's
    z = rng.standard_normal((3, 4)).astype(np.float32) * 2
    ab = sampler.decode(feats, z, 0.38)
    assert ab.shape == (3, 2, 64, 96)
    assert np.abs(ab[0] - ab[1]).mean() > 0.5  # z moves the colours
    # The head's offset is smooth (stride 8): the difference from GAIN x the default's chroma varies slowly.
    delta = ab - GAIN * feats["ab_reg"]
    assert np.abs(np.diff(delta, axis=-1)).mean() < 0.25 * np.abs(delta).mean()
    # Vividness scales the whole colour, as the engine's regression decoding does.
    np.testing.assert_allclose(sampler.decode(feats, z, 0.38 / 2), 2 * ab, rtol=1e-4, atol=1e-3)


def test_an_untrained_head_gives_the_default_colorization(base, tmp_path, monkeypatch):
    """The output conv starts at zero, so before training every variant is GAIN x the default's chroma."""
    from engine.models import find_card
    from engine.variants import Sampler
    from trainer.variant_train import VariantConfig, VariantModel
    from trainer.variant_export import export_sampler

    cfg = VariantConfig(out=str(tmp_path), base=str(base), latent_dim=4, width=16)
    ck = {"model": VariantModel(4, 16, 24).state_dict(), "config": vars(cfg), "reg_gain": GAIN,
          "feat_channels": 24, "step": 0}
    torch.save(ck, tmp_path / "zero.pt")
    export_sampler(tmp_path / "zero.pt", tmp_path, "tiny-zero", spread=1.0)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    sampler = Sampler(find_card("tiny-zero"))
    L = np.random.default_rng(1).uniform(0, 100, (1, 1, 64, 64)).astype(np.float32)
    feats = sampler.encode(L, None, None)
    ab = sampler.decode(feats, np.ones((2, 4), np.float32), 0.38)
    np.testing.assert_allclose(ab, np.broadcast_to(GAIN * feats["ab_reg"], ab.shape), atol=1e-4)


def test_the_cache_holds_the_training_side_without_near_gray_photos(base, tmp_path):
    from trainer.split import validation_mask
    from trainer.variant_train import build_cache

    write_shard(tmp_path / "s.tar")  # 24 photos, the first 3 near-gray
    path = build_cache(tmp_path / "c", 100, base, tmp_path / "s.tar", crop=64, batch=4)
    cache = torch.load(path, weights_only=False)
    val = validation_mask([f"synthetic/img{i:03d}.jpg" for i in range(24)])
    gray_in_training = int(sum(not v for v in val[:3]))
    kept = int((~val).sum()) - gray_in_training
    assert cache["meta"]["photos"] == kept and cache["meta"]["near_gray_dropped"] == gray_in_training > 0
    assert cache["feat8"].shape == (kept, 24, 8, 8) and cache["ctx"].shape == (kept, 128)
    assert cache["ab"].shape == cache["ab_reg"].shape == (kept, 2, 32, 32)
    assert cache["ab"].dtype == torch.float16 and float(cache["ab"].float().abs().mean()) > 1.0


def test_the_config_can_set_the_gain_the_head_adds_to(base, tmp_path):
    """0 takes the base card's decoding gain; a gain in the config wins, and the checkpoint records it."""
    from trainer.variant_train import VariantConfig, train

    torch.save(synthetic_cache(64, 24), tmp_path / "cache.pt")
    cfg = VariantConfig(out=str(tmp_path), base=str(base), latent_dim=4, width=16, batch=8, max_steps=2,
                        log_every=1000)
    card_gain = torch.load(train(cfg), weights_only=False)["reg_gain"]
    (tmp_path / "last.pt").unlink()
    import dataclasses
    got = torch.load(train(dataclasses.replace(cfg, reg_gain=card_gain + 0.5)), weights_only=False)["reg_gain"]
    assert got == pytest.approx(card_gain + 0.5)


def test_a_head_trains_only_on_the_base_its_cache_was_built_from(base, tmp_path):
    """The export puts cfg.base's encoder under the head, so a cache from another base is refused, with the fix."""
    from trainer.export import export_onnx
    from trainer.variant_train import VariantConfig, build_cache, main

    write_shard(tmp_path / "s.tar")
    build_cache(tmp_path / "c", 8, base, tmp_path / "s.tar", crop=64, batch=4)
    other = tmp_path / "other" / "tiny-base.onnx"
    other.parent.mkdir()
    export_onnx(small_net(batchnorm=False, std=0.2), other)
    other.with_suffix(".json").write_text(base.with_suffix(".json").read_text())
    cfg = VariantConfig(out=str(tmp_path / "c"), base=str(other), latent_dim=4, width=16, batch=4, max_steps=1,
                        log_every=1000)
    with pytest.raises(ValueError, match="pass that file as --base"):
        from trainer.variant_train import train
        train(cfg)
    assert main(["train", "--out", str(tmp_path / "c"), "--base", str(base), "--latent_dim", "4", "--width", "16",
                 "--batch", "4", "--max_steps", "1"]) == 0
