"""Variant sampler (issue 4): split export and parity, engine determinism, more_like, interpolate, hints, CLI."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from engine_fixtures import gradient_image, make_test_model

torch = pytest.importorskip("torch")

LATENT = 4


@pytest.fixture(scope="module")
def vae_dir(tmp_path_factory):
    """A tiny random cVAE TintaNet (latent_dim 4) exported as tiny-vae.{encoder,decoder}.onnx + card."""
    from trainer.export_vae import export_vae
    from trainer.model import ModelConfig, build_model

    torch.manual_seed(0)
    ring = [[30 * np.cos(a), 30 * np.sin(a)] for a in np.linspace(0, 2 * np.pi, 16, endpoint=False)]
    net = build_model(ModelConfig(latent_dim=LATENT, pretrained=False, decoder_channels=(32, 24, 16, 8)),
                      np.float32(ring))
    # FiLM layers and hint fusions start at zero; random values make z and hints change the output.
    for m in net.modules():
        if m.__class__.__name__ in ("FiLM", "HintFusion"):
            for p in m.parameters():
                torch.nn.init.normal_(p, std=0.3)
    d = tmp_path_factory.mktemp("vae")
    card, _ = export_vae(net.eval(), {}, d, "tiny-vae", spread=1.5)
    assert card["parity_max_abs_diff"]["ab"] < 1e-2
    make_test_model(d, "tiny", default=True)
    return d


@pytest.fixture
def models(vae_dir, monkeypatch):
    monkeypatch.setenv("TINTA_MODELS_DIR", str(vae_dir))
    return vae_dir


@pytest.fixture
def vae(models):
    from engine.colorizer import Colorizer

    return Colorizer("tiny-vae")


def test_card_fields_and_hashes(models):
    from engine.errors import ModelError
    from engine.models import file_sha256, find_card, verify

    raw = json.loads((models / "tiny-vae.json").read_text())
    assert raw["variants"] is True and raw["latent_dim"] == LATENT and raw["default"] is False
    assert raw["variant_spread"] == 1.5
    for key in ("bins", "input_size_rule", "default_temperature", "training", "licences", "metrics"):
        assert key in raw
    assert raw["parity_max_abs_diff"]["ab"] < 1e-3 and raw["parity_max_abs_diff"]["features"] < 1e-3
    card = find_card("tiny-vae")
    assert set(card.files) == {"encoder", "decoder"}
    for path, sha in card.files.values():
        assert file_sha256(path) == sha
    verify(card)
    dec = card.files["decoder"][0]
    dec.write_bytes(dec.read_bytes() + b"x")  # a damaged decoder must be caught, not only the "file"
    try:
        with pytest.raises(ModelError, match="does not match its card"):
            verify(card)
    finally:
        dec.write_bytes(dec.read_bytes()[:-1])


def test_decoder_batches_samples(models):
    """One decoder run with N z's equals N runs with one each (skips/ctx broadcast inside the graph)."""
    from engine.models import find_card
    from engine.variants import Sampler

    s = Sampler(find_card("tiny-vae"))
    L = np.linspace(0, 100, 64 * 96, dtype=np.float32).reshape(1, 1, 64, 96)
    feats = s.encode(L, None, None)
    z = np.random.default_rng(0).standard_normal((3, LATENT)).astype(np.float32)
    ab = s.decode(feats, z, 0.38)
    assert ab.shape == (3, 2, 64, 96)
    for i in range(3):
        np.testing.assert_allclose(ab[i], s.decode(feats, z[i:i + 1], 0.38)[0], atol=1e-4)
    assert np.abs(ab[0] - ab[1]).max() > 0.1  # z reaches the output
    with pytest.raises(ValueError, match="dimensions"):
        s.decode(feats, np.zeros((1, LATENT + 1), np.float32), 0.38)


def test_variants_deterministic_and_reproducible(vae):
    img = gradient_image(80, 112)
    a = vae.variants(img, 3, seed=11)
    b = vae.variants(img, 3, seed=11)
    assert [v.seed for v in a] == [v.seed for v in b] and a[0].seed == 11
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.result.rgb, y.result.rgb)
        np.testing.assert_array_equal(x.z, y.z)
    assert a[0].result.rgb.shape == (80, 112, 3) and a[0].z.shape == (LATENT,)
    assert not np.array_equal(a[0].result.rgb, a[1].result.rgb)
    assert a[0].spread == 1.5
    again = vae.variants(img, 1, seed=a[2].seed)[0]
    np.testing.assert_array_equal(again.z, a[2].z)
    np.testing.assert_array_equal(again.result.rgb, a[2].result.rgb)
    other = vae.variants(img, 3, seed=12)
    assert not any(np.array_equal(x.z, y.z) for x in a for y in other)
    with pytest.raises(ValueError, match="seed"):
        vae.variants(img, 2, seed=-1)


def test_more_like_stays_near(vae):
    img = gradient_image(64, 64)
    v = vae.variants(img, 1, seed=3)[0]
    near = vae.more_like(v, 0.1, n=4)
    assert len(near) == 4
    steps = [np.linalg.norm(x.z - v.z) for x in near]
    assert max(steps) < 0.1 * v.spread * 4 * np.sqrt(LATENT)  # about 0.1 * 1.5 * 2 expected
    fresh = [np.linalg.norm(x.z - v.z) for x in vae.variants(img, 4, seed=99)]
    assert np.mean(steps) < 0.3 * np.mean(fresh)
    again = vae.more_like(v, 0.1, n=4)
    np.testing.assert_array_equal(near[2].z, again[2].z)
    redo = vae.render_z(img, near[2].z)
    np.testing.assert_array_equal(redo.result.rgb, near[2].result.rgb)


def test_interpolate_endpoints_and_norm(vae):
    rng = np.random.default_rng(1)
    za, zb = rng.standard_normal(LATENT).astype(np.float32), rng.standard_normal(LATENT).astype(np.float32)
    np.testing.assert_array_equal(vae.interpolate(za, zb, 0.0), za)
    np.testing.assert_array_equal(vae.interpolate(za, zb, 1.0), zb)
    mid = vae.interpolate(za, zb, 0.5)
    assert np.linalg.norm(mid) > np.linalg.norm((za + zb) / 2)  # slerp keeps the norm up
    np.testing.assert_allclose(vae.interpolate(za, 2 * za, 0.5), 1.5 * za, rtol=1e-5)  # parallel: a line
    with pytest.raises(ValueError):
        vae.interpolate(za, zb, 1.5)
    with pytest.raises(ValueError):
        vae.interpolate(za, zb[:2], 0.5)


def test_vae_card_colorizes_at_z0(vae):
    img = gradient_image(64, 96)
    r = vae.colorize(img)
    z0 = vae.render_z(img, np.zeros(LATENT, np.float32))
    np.testing.assert_array_equal(r.rgb, z0.result.rgb)
    assert r.prob is None


def test_companion_model_and_missing_sampler(models, tmp_path, monkeypatch):
    from engine.colorizer import Colorizer
    from engine.errors import ModelError

    with pytest.raises(ModelError, match="no variant sampler"):
        Colorizer("tiny").variants(gradient_image(32, 32), 2, 0)
    d = tmp_path / "m"
    shutil.copytree(models, d)
    card = json.loads((d / "tiny.json").read_text())
    (d / "tiny.json").write_text(json.dumps({**card, "variants": True, "variants_model": "tiny-vae"}))
    monkeypatch.setenv("TINTA_MODELS_DIR", str(d))
    col = Colorizer()
    assert col.card.name == "tiny" and hasattr(col, "variants")
    img = gradient_image(48, 64)
    v = col.variants(img, 2, 5, size=64)  # the two cards ask for different working sizes; the sampler is one
    np.testing.assert_array_equal(v[1].result.rgb, Colorizer("tiny-vae").variants(img, 2, 5, size=64)[1].result.rgb)


def test_cli_writes_variants_and_rerenders_exactly(models, tmp_path):
    from engine import cli
    from engine.io.image import read_image, write_image

    src = tmp_path / "photo.png"
    write_image(src, gradient_image(70, 90))
    hints = tmp_path / "hints.json"
    hints.write_text(json.dumps({"hints": [{"x": 10, "y": 12, "color": "#cc2200"}]}))
    out = tmp_path / "out"
    assert cli.main(["colorize", str(src), "-o", str(out), "--model", "tiny-vae", "--variants", "3",
                     "--seed", "9", "--hints", str(hints)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["photo.v0.png", "photo.v1.png", "photo.v2.png",
                                                    "photo.variants.json"]
    rec = json.loads((out / "photo.variants.json").read_text())
    assert [v["index"] for v in rec["variants"]] == [0, 1, 2] and rec["variants"][0]["seed"] == 9
    assert all(len(v["z"]) == LATENT for v in rec["variants"]) and rec["hints"][0]["color"] == "#cc2200"
    again = tmp_path / "again"
    assert cli.main(["colorize", str(src), "-o", str(again), "--model", "tiny-vae",
                     "--z-from", str(out / "photo.variants.json"), "--pick", "1"]) == 0
    np.testing.assert_array_equal(read_image(again / "photo.v1.png").pixels, read_image(out / "photo.v1.png").pixels)
    # Outputs are never silently replaced, and bad picks are one-line errors.
    assert cli.main(["colorize", str(src), "-o", str(out), "--model", "tiny-vae", "--variants", "2"]) == 1
    assert cli.main(["colorize", str(src), "-o", str(again), "--model", "tiny-vae",
                     "--z-from", str(out / "photo.variants.json"), "--pick", "5"]) == 1
    assert cli.main(["colorize", str(src), "-o", str(again), "--pick", "1"]) == 1


def test_cli_variants_get_restoration_and_provenance_like_single_colorizations(models, tmp_path):
    """--keep-tone and the provenance note reach every variant, not only single colorizations."""
    from engine import cli
    from engine.io.image import read_image, write_image
    from engine.io.metadata import read_metadata

    gray = gradient_image(70, 90)
    g = gray if gray.ndim == 2 else gray[..., 0]
    sepia = np.stack([g, (g * 0.85).astype(np.uint8), (g * 0.65).astype(np.uint8)], -1)  # a toned print
    src = tmp_path / "print.png"
    write_image(src, sepia)
    plain, toned = tmp_path / "plain", tmp_path / "toned"
    assert cli.main(["colorize", str(src), "-o", str(plain), "--model", "tiny-vae", "--variants", "2"]) == 0
    assert cli.main(["colorize", str(src), "-o", str(toned), "--model", "tiny-vae", "--variants", "2",
                     "--keep-tone", "1"]) == 0
    for i in range(2):
        a = read_image(plain / f"print.v{i}.png").pixels.astype(int)
        b = read_image(toned / f"print.v{i}.png").pixels.astype(int)
        assert np.abs(a - b).mean() > 1.0  # the tone came back into variant i
        assert b"Tinta" in (read_metadata(toned / f"print.v{i}.png").xmp or b"")  # provenance note


@pytest.mark.shipped_model
def test_shipped_samples_respect_hints():
    """Every sample of the shipped sampler follows the user's hints: the network itself (before
    engine/propagate.py overwrites the hinted pixels) and the full-resolution pixels it renders."""
    from engine import variants as sampling
    from engine.color import hex_to_lab, srgb_to_lab
    from engine.colorizer import Colorizer
    from engine.hints import Hint

    col = Colorizer()
    if not col.card.raw.get("variants"):
        pytest.skip("the shipped default model names no variant sampler")
    img = gradient_image(192, 256)
    hints = [Hint(40, 150, "#2060c0", 2), Hint(200, 30, "#c04020", 2), Hint(128, 96, "#30a040", 2)]
    want = np.array([hex_to_lab(h.color)[1:] for h in hints])
    sampler = col.variant_sampler()
    zs = np.stack([sampling.z_for_seed(s, sampler.latent_dim, sampler.spread) for s in sampling.variant_seeds(1, 4)])

    def err(ab):  # 2 x H x W a*b* (working size = photo size here) -> mean distance at the hints
        return np.mean([np.hypot(*(ab[:, int(h.y), int(h.x)] - w)) for h, w in zip(hints, want)])

    def network(with_hints):
        job = col.prepare(img, hints if with_hints else None, 256)
        return sampler.decode(sampler.encode(job.L_pad[None, None], job.hint_ab, job.hint_mask), zs, job.temperature)

    free, hinted = [err(ab) for ab in network(False)], [err(ab) for ab in network(True)]
    assert max(hinted) < 0.5 * min(free)
    for v in col.variants(img, 4, 1, hints=hints, size=256):
        rendered = srgb_to_lab(v.result.rgb.astype(np.float32) / 255).transpose(2, 0, 1)[1:]
        assert err(rendered) < 6


@pytest.mark.shipped_model
def test_a_sample_with_no_offset_is_the_shipped_default_with_its_chroma_lift(monkeypatch):
    """The sampler learned reg_gain x ab_reg + offset(z); the default's decoding may add a chroma lift on top, which
    every sample gets too (engine/variants.py), so a zero offset gives the default's own colours at any vividness."""
    from engine.colorizer import Colorizer
    from engine.variants import Sampler

    col = Colorizer()
    dec = col.card.decoding
    if not col.card.raw.get("variants") or dec.mode != "regression" or dec.chroma_knee:
        pytest.skip("the shipped default is not a regression decoding the sampler's x gain + offset can match")
    sampler = col.variant_sampler()
    monkeypatch.setattr(Sampler, "decode", lambda self, feats, z, t: np.repeat(
        feats["ab_reg"] * np.float32(dec.reg_gain * col.card.default_temperature / t), len(np.atleast_2d(z)), 0))
    img = gradient_image(96, 128)
    for vividness in (1.0, 1.5):
        default = col.colorize(img, size=128, vividness=vividness)
        for v in col.variants(img, 2, 3, size=128, vividness=vividness):
            assert np.abs(v.result.ab_work - default.ab_work).max() < 1e-3
    assert sampler is not None


def test_protect_region_keeps_each_variants_own_colours(vae):
    """The variant network reacts to hints everywhere; under a protect region each variant keeps the colours it
    has without them (its own z, decoded again without hints)."""
    from engine.hints import Hint
    from engine.regions import Region, mask_shape

    img = gradient_image(96, 128)
    mask = np.zeros(mask_shape(img.shape), np.uint8)
    mask[:, :70] = 255
    protect = Region(mask, kind="protect")
    hint = [Hint(100, 40, "#20a040", 3)]
    plain = vae.variants(img, 2, seed=5, size=64, regions=[protect])
    hinted = vae.variants(img, 2, seed=5, size=64, hints=hint, regions=[protect])
    unprotected = vae.variants(img, 2, seed=5, size=64, hints=hint)
    for p, h, u in zip(plain, hinted, unprotected):
        np.testing.assert_array_equal(h.result.rgb[:, :55], p.result.rgb[:, :55])
        assert np.abs(u.result.rgb[:, :55].astype(int) - p.result.rgb[:, :55]).max() > 3
    z = hinted[1].z
    again = vae.render_z(img, z, hints=hint, size=64, regions=[protect]).result.rgb
    np.testing.assert_array_equal(again[:, :55], plain[1].result.rgb[:, :55])


def test_cli_variants_take_the_look(models, tmp_path):
    from engine import cli
    from engine.color import srgb_to_lab
    from engine.io.image import read_image, write_image

    src = tmp_path / "photo.png"
    write_image(src, gradient_image(70, 90))
    plain, gray = tmp_path / "plain", tmp_path / "gray"
    assert cli.main(["colorize", str(src), "-o", str(plain), "--model", "tiny-vae", "--variants", "2"]) == 0
    assert cli.main(["colorize", str(src), "-o", str(gray), "--model", "tiny-vae", "--variants", "2",
                     "--saturation", "0"]) == 0

    def chroma(path):
        lab = srgb_to_lab(read_image(path).pixels.astype(np.float32) / 255)
        return float(np.hypot(lab[..., 1], lab[..., 2]).mean())

    assert chroma(plain / "photo.v1.png") > 5 and chroma(gray / "photo.v1.png") < 1.5
    again = tmp_path / "again"  # a re-render takes this run's look, like its restoration
    assert cli.main(["colorize", str(src), "-o", str(again), "--model", "tiny-vae", "--saturation", "0",
                     "--z-from", str(plain / "photo.variants.json"), "--pick", "1"]) == 0
    assert chroma(again / "photo.v1.png") < 1.5


def test_variants_side_by_side_keep_each_render_on_its_core(vae, monkeypatch):
    """A photo small enough to render the variants side by side (one per core) but big enough that one render would
    split into bands: the bands must stay in the variant's thread, or 2 cores run 4 threads and a pool per render."""
    from engine import render, variants as sampling

    monkeypatch.setattr(sampling, "physical_cores", lambda: 2)
    monkeypatch.setattr(render, "physical_cores", lambda: 2)
    pools = []
    real = render.ThreadPoolExecutor
    monkeypatch.setattr(render, "ThreadPoolExecutor", lambda n: pools.append(n) or real(n))
    img = gradient_image(400, 400)                        # between render.SPLIT_PIXELS and SIDE_BY_SIDE_PIXELS
    assert render.SPLIT_PIXELS <= img.size < sampling.SIDE_BY_SIDE_PIXELS
    got = vae.variants(img, 4, seed=3)
    assert pools == []
    alone = vae.colorize(img)                             # one render on its own still uses every core
    assert pools == [2]
    with render.on_one_core():
        vae.colorize(img)
    assert pools == [2]
    # The variant's own seed gives it back. Run alone its decoder batch differs (1 against 4), so its chroma may
    # differ in the last float bits, and the renderer (which keeps the working-grid chroma as it is) can then round
    # a rare channel to the next 8-bit level: never more than one level, almost never at all.
    again = vae.variants(img, 1, seed=got[2].seed)[0].result.rgb.astype(int)
    diff = np.abs(again - got[2].result.rgb.astype(int))
    assert diff.max() <= 1 and np.count_nonzero(diff) <= diff.size * 1e-4, (diff.max(), np.count_nonzero(diff))
    other = np.abs(vae.variants(img, 1, seed=got[1].seed)[0].result.rgb.astype(int) - got[2].result.rgb.astype(int))
    assert other.max() > 1  # another seed is another variant, which the tolerance above does not let through
    assert alone.rgb.shape == got[0].result.rgb.shape


def test_variant_evaluation_scores_samples_on_both_judges(models, tmp_path):
    from pathlib import Path

    from trainer.eval_photos import photo_from_rgb
    from trainer.eval_variants import evaluate_variants

    rng = np.random.default_rng(3)
    g = gradient_image(48, 64).astype(int)[..., None]
    photos = [photo_from_rgb(np.clip(g + rng.integers(-40, 40, (48, 64, 3)), 0, 255).astype(np.uint8), "setA",
                             tmp_path / "setA" / f"p{i}.png") for i in range(3)]
    rep = evaluate_variants(photos, {"setA": Path(tmp_path / "setA")}, n=2, model="tiny-vae", size=64)
    assert rep.frechet2_base > 0 and rep.frechet2_samples > 0 and rep.frechet2_base != pytest.approx(rep.frechet_base)
    goals = rep.goals()
    assert goals["samples' Frechet within 15% of base, second judge"] == (
        rep.frechet2_samples <= 1.15 * rep.frechet2_base)
    assert "| frechet2_samples |" in rep.to_markdown()
    from dataclasses import replace
    key = "samples' Frechet within 15% of base, second judge"
    assert replace(rep, frechet2_base=100.0, frechet2_samples=114.0).goals()[key]
    assert not replace(rep, frechet2_base=100.0, frechet2_samples=116.0).goals()[key]
    assert key not in replace(rep, frechet2_base=None, frechet2_samples=None).goals()


def test_the_sampler_encodes_a_photo_once_for_its_next_sets(vae):
    """A second set, "more like this" and a re-render reuse the encoder's answer; new hints or a new photo do not."""
    from engine.hints import Hint

    img = gradient_image(80, 112)
    vae.forget_encoded()
    sampler = vae.variant_sampler()
    runs = []
    real = sampler._enc.run
    sampler._enc = type("Counting", (), {"run": lambda self, *a: runs.append(1) or real(*a),
                                         "get_outputs": lambda self: []})()
    first = vae.variants(img, 3, seed=5)
    again = vae.variants(img, 3, seed=5)
    near = vae.more_like(first[1], n=2, seed=1)
    assert len(runs) == 1 and len(near) == 2
    for x, y in zip(first, again):
        np.testing.assert_array_equal(x.result.rgb, y.result.rgb)
    hinted = vae.variants(img, 2, seed=5, hints=[Hint(30, 40, "#c04020", 2)])
    assert len(runs) == 2 and not np.array_equal(hinted[0].result.rgb, first[0].result.rgb)
    vae.variants(gradient_image(80, 112)[::-1].copy(), 1, seed=5)
    assert len(runs) == 3
    vae.forget_encoded()
    vae.variants(img, 1, seed=5)
    assert len(runs) == 4
    feats = sampler.encode(np.zeros((1, 1, 32, 32), np.float32), None, None)
    with pytest.raises(ValueError, match="read-only"):
        feats[sampler._enc_out[0]][...] = 0
