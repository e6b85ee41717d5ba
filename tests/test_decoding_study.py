"""The decoding study (trainer/decoding_study.py) and the per-set comparison (trainer/compare.py)."""
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from engine.decoding import Decoding  # noqa: E402
from trainer import compare  # noqa: E402
from trainer.decoding_study import ALL, Candidate, annealed, choose, score_candidates, summarise  # noqa: E402
from trainer.decoding_study import table as study_table  # noqa: E402
from tests.engine_fixtures import BINS, colorizer_with_decoding, make_test_model  # noqa: E402


def test_annealed_mean_from_the_softmax_goes_from_mean_to_mode():
    bins = np.array([[0, 0], [50, 0], [0, 50]], np.float32)
    prob = np.array([0.5, 0.3, 0.2], np.float32).reshape(1, 3, 1, 1)
    assert np.allclose(annealed(prob, bins, 1.0, (1, 1))[0, :, 0, 0], [15, 10], atol=1e-4)
    assert np.allclose(annealed(prob, bins, 0.01, (1, 1))[0, :, 0, 0], [0, 0], atol=1e-3)
    assert annealed(prob, bins, 0.38, (4, 8)).shape == (1, 2, 4, 8)


def _summary(fd, colour, psnr, cast=1.0):
    return {"fd_ratio_mean": fd, "colourfulness_ratio": colour, "psnr_minus_gray": psnr, "cast": cast}


def test_choice_is_the_lowest_fd_among_colourful_enough_decodings_that_keep_psnr():
    s = {"pale": _summary(0.5, 0.6, 2.0), "worse psnr": _summary(0.55, 0.9, -0.1),
         "ok": _summary(0.7, 0.8, 0.5), "ok but further": _summary(0.8, 0.9, 1.0)}
    assert choose(s, list(s)) == "ok"
    assert choose({"pale": s["pale"]}, ["pale"]) == "pale"  # nothing qualifies: still the best FD
    # within 0.005 of the lowest FD the most colourful wins; beyond it, FD decides
    t = {"floor": _summary(0.634, 0.71, 2.3), "tied": _summary(0.636, 0.75, 2.1), "far": _summary(0.647, 0.87, 1.5)}
    assert choose(t, list(t)) == "tied"
    assert choose({**t, "tied": _summary(0.640, 0.75, 2.1)}, list(t)) == "floor"
    # a decoding whose mean colour lies more than 3 ab from the truth's does not qualify, however close or colourful
    c = {"cast": _summary(0.60, 0.9, 1.0, cast=3.4), "ok": _summary(0.62, 0.8, 1.0, cast=2.9)}
    assert choose(c, list(c)) == "ok"


def _photos(n=4):
    from trainer.evaluate import photo_from_rgb
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        img = np.zeros((48, 64, 3), np.uint8)
        img[:] = rng.integers(30, 220, 3)
        img[10:30, 20:50] = rng.integers(30, 220, 3)
        out.append(photo_from_rgb(img, "setA" if i < 2 else "setB", Path(f"p{i}.png")))
    return out


def _tiny_study(tmp_path, monkeypatch):
    """The study's main on the tiny test model (tmp_path/tiny.json) and four synthetic validation photos."""
    from trainer import decoding_study
    make_test_model(tmp_path)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    monkeypatch.setattr(decoding_study, "validation_photos", lambda per_group: _photos())


def test_study_scores_every_decoding_per_group_against_gray(tmp_path, monkeypatch):
    from engine.colorizer import Colorizer
    make_test_model(tmp_path)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    col = Colorizer()
    cands = [Candidate("annealed", Decoding("annealed")), Candidate("reg x2", Decoding("regression", reg_gain=2.0))]
    res = score_candidates(col, _photos(), cands, log=lambda m: None)
    assert set(res) == {"gray", "annealed", "reg x2"} and set(res["gray"]) == {"setA", "setB", ALL}
    assert res["gray"][ALL]["colourfulness"] == 0 and res["gray"][ALL]["images"] == 4
    # the fixture's regression head is its ab: twice the gain, (about) twice the colourfulness
    assert res["reg x2"][ALL]["colourfulness"] > 1.5 * res["annealed"][ALL]["colourfulness"] > 0
    s = summarise(res)
    assert s["gray"]["fd_ratio_mean"] == pytest.approx(1.0) and s["gray"]["colourfulness_ratio"] == 0
    # the second judge (Lite2) scores the same outputs apart from Lite0
    assert s["gray"]["fd2_ratio_mean"] == pytest.approx(1.0)
    assert res["reg x2"][ALL]["frechet2"] > 0 and res["reg x2"][ALL]["frechet2"] != res["reg x2"][ALL]["frechet"]
    rows = compare.set_rows({"result": res}, "reg x2")
    assert rows[ALL]["fd_ratio"] == pytest.approx(s["reg x2"]["fd_ratio"][ALL], abs=1e-3)
    assert rows[ALL]["fd2_ratio"] == pytest.approx(s["reg x2"]["fd2_ratio"][ALL], abs=1e-3)
    table = compare.table([("x2", rows)])
    assert "| setA | 2 |" in table and "| all | 4 |" in table and "x2: FD2 / gray" in table
    assert "FD2/gray mean" in study_table(s)
    assert len(BINS) == col.card.bins.shape[0]


def test_without_the_second_judges_weights_the_study_reports_lite0_alone(tmp_path, monkeypatch):
    from engine.colorizer import Colorizer
    from trainer.metrics import LiteProbe
    make_test_model(tmp_path)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    monkeypatch.setattr(LiteProbe, "available", staticmethod(lambda variant: variant == 0))
    res = score_candidates(Colorizer(), _photos(), [Candidate("reg x2", Decoding("regression", reg_gain=2.0))],
                           log=lambda m: None)
    assert "frechet" in res["reg x2"][ALL] and "frechet2" not in res["reg x2"][ALL]
    s = summarise(res)
    assert "fd2_ratio_mean" not in s["reg x2"] and "FD2" not in study_table(s)
    assert "FD2" not in compare.table([("x2", compare.set_rows({"result": res}, "reg x2"))])


def _study(label, groups, truth, noise, seed):
    from trainer.significance import Study
    rng = np.random.default_rng(seed)
    names = np.array([f"p{i}" for i in range(len(groups))])
    gray = truth * 0.3 + 1.0  # far from the truth, the same for both models as in a real study
    return Study(label, "m", names, groups, truth + noise * rng.standard_normal(truth.shape), gray, truth)


def test_paired_bootstrap_tells_a_real_gap_from_none():
    from trainer.significance import compare, report
    rng = np.random.default_rng(1)
    groups = np.array(["a"] * 30 + ["b"] * 30)
    truth = rng.standard_normal((60, 16)) + np.where(groups == "a", 0.0, 2.0)[:, None]
    near, far = _study("near", groups, truth, 0.2, 2), _study("far", groups, truth, 1.0, 3)
    c = compare(far, near, boot=200)
    assert c.new["mean"] < c.old["mean"] and c.new["max"] <= c.old["max"]
    assert np.mean(c.diffs["mean"] < 0) > 0.95 and np.percentile(c.diffs["mean"], 97.5) < 0
    same = compare(near, near, boot=50)
    assert np.all(same.diffs["mean"] == 0) and np.all(same.diffs["a"] == 0)
    md = report(c, "far", "near")
    assert "| **mean of groups** |" in md and "| b |" in md
    other = _study("other", groups, truth, 0.2, 2)
    other.names = other.names[::-1].copy()
    with pytest.raises(ValueError, match="different photos"):
        compare(near, other)


def test_study_evidence_round_trips_for_the_bootstrap(tmp_path, monkeypatch):
    from engine.colorizer import Colorizer
    from trainer.decoding_study import save_evidence
    from trainer.significance import load, main
    make_test_model(tmp_path)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    photos = _photos(6)
    cands = [Candidate("reg x1", Decoding("regression")), Candidate("reg x2", Decoding("regression", reg_gain=2.0))]
    keep: dict = {}
    score_candidates(Colorizer(), photos, cands, log=lambda m: None, keep=keep)
    assert keep["feat/truth"].shape == (6, 1280) and keep["psnr/reg x2"].shape == (6,)
    assert keep["feat2/truth"].shape == (6, 1280)
    path = tmp_path / "run" / "decoding" / "validation.npz"
    path.parent.mkdir(parents=True)
    save_evidence(path, photos, keep, "reg x2")
    s = load(str(path))
    assert s.method == "reg x2" and s.label == "run:reg x2" and list(s.groups) == ["setA"] * 2 + ["setB"] * 4
    assert np.allclose(s.feats, keep["feat/reg x2"].astype(np.float64))
    assert load(f"{path}:reg x1").method == "reg x1"
    with pytest.raises(ValueError, match="no decoding 'x3'"):
        load(f"{path}:x3")
    assert main([f"{path}:reg x1", str(path), "--boot", "20", "--out", str(tmp_path / "sig.md")]) == 0
    assert "mean of groups" in (tmp_path / "sig.md").read_text()
    second = load(str(path), judge=2)  # the second judge's features of the same decoding
    assert np.allclose(second.feats, keep["feat2/reg x2"].astype(np.float64))
    assert not np.allclose(second.feats, s.feats) and np.allclose(second.truth, keep["feat2/truth"])
    assert main([f"{path}:reg x1", str(path), "--boot", "20", "--judge", "2", "--out", str(tmp_path / "sig2.md")]) == 0
    assert "Lite2" in (tmp_path / "sig2.md").read_text()
    del keep["feat2/truth"]
    save_evidence(path, photos, keep, "reg x2")
    with pytest.raises(ValueError, match="no Lite2 features"):
        load(str(path), judge=2)
    assert main([str(tmp_path / "missing.npz"), str(path)]) == 2


def test_study_can_score_only_named_decodings_and_keeps_its_evidence(tmp_path, monkeypatch):
    from trainer import decoding_study
    _tiny_study(tmp_path, monkeypatch)
    out = tmp_path / "study"
    assert decoding_study.main(["--only", "regression x1.25", "--out", str(out), "--write-card"]) == 0
    z = np.load(out / "validation.npz")
    assert sorted(k for k in z.files if k.startswith("feat/")) == ["feat/gray", "feat/regression x1.25", "feat/truth"]
    assert str(z["chosen"]) == "regression x1.25" and len(z["names"]) == 4
    assert "decoding" not in __import__("json").loads((tmp_path / "tiny.json").read_text())  # not a choice
    assert decoding_study.main(["--only", "regression x9", "--out", str(out)]) == 2
    assert decoding_study.main(["--only", "card", "--out", str(out)]) == 0
    z = np.load(out / "validation.npz")
    assert str(z["chosen"]) == "card" and "feat/regression x1.25" not in z.files


def test_study_scores_at_the_working_size_asked_for_and_then_writes_no_card(tmp_path, monkeypatch):
    from engine.colorizer import Colorizer
    from trainer import decoding_study
    make_test_model(tmp_path)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    photos, cands = _photos(), [Candidate("reg x2", Decoding("regression", reg_gain=2.0))]
    seen = []
    col = Colorizer()
    prepare = col.prepare
    monkeypatch.setattr(col, "prepare", lambda img, **kw: seen.append(kw.get("size")) or prepare(img, **kw))
    score_candidates(col, photos, cands, log=lambda m: None, size=32)
    score_candidates(col, photos, cands, log=lambda m: None)
    assert seen == [32] * 4 + [None] * 4
    monkeypatch.setattr(decoding_study, "validation_photos", lambda per_group: _photos())
    out = tmp_path / "study"
    assert decoding_study.main(["--size", "32", "--out", str(out), "--write-card"]) == 0
    assert "decoding" not in __import__("json").loads((tmp_path / "tiny.json").read_text())


def test_equal_colour_compares_with_the_old_models_best_decoding_at_that_colour(tmp_path, monkeypatch, capsys):
    import json
    from trainer import decoding_study
    from trainer.significance import best_at_colour, main
    _tiny_study(tmp_path, monkeypatch)
    old, new = tmp_path / "old", tmp_path / "new"
    assert decoding_study.main(["--only", "regression x1", "--only", "regression x1.5", "--only", "regression x1.75",
                                "--out", str(old)]) == 0
    assert decoding_study.main(["--only", "regression x1.5", "--out", str(new)]) == 0
    summary = json.loads((old / "validation.json").read_text())["summary"]
    target = json.loads((new / "validation.json").read_text())["summary"]["regression x1.5"]["colourfulness_ratio"]
    pool = [k for k, v in summary.items() if k != "gray" and v["colourfulness_ratio"] >= target - 0.01]
    assert "regression x1" not in pool and "regression x1.5" in pool  # the paler decoding is not a fair rival
    want = min(pool, key=lambda k: summary[k]["fd_ratio_mean"])
    assert best_at_colour(str(old / "validation.npz"), str(new / "validation.npz")) == \
        f"{old / 'validation.npz'}:{want}"
    capsys.readouterr()
    assert main([str(old / "validation.npz"), str(new / "validation.npz"), "--equal-colour", "--boot", "10"]) == 0
    assert f"At equal colourfulness: old {want}" in capsys.readouterr().out
    with pytest.raises(ValueError, match="no decoding as colourful"):
        best_at_colour(str(new / "validation.npz"), f"{old / 'validation.npz'}:regression x1.75")


def test_also_card_scores_the_models_own_decoding_beside_the_whole_curve(tmp_path, monkeypatch):
    import json
    from trainer import decoding_study
    _tiny_study(tmp_path, monkeypatch)
    out = tmp_path / "study"
    assert decoding_study.main(["--also", "card", "--out", str(out), "--write-card"]) == 0
    z = np.load(out / "validation.npz")
    labels = {k[5:] for k in z.files if k.startswith("feat/")}
    assert "card" in labels and "regression x1.25" in labels
    assert len(labels) == len(decoding_study.default_candidates(0.38)) + 3  # the curve, card, gray and truth
    assert "decoding" not in json.loads((tmp_path / "tiny.json").read_text())


def test_a_two_size_candidate_is_scored_on_the_scale_ensembles_own_answer(tmp_path, monkeypatch):
    from trainer.decoding_study import TWO_SIZES, default_candidates
    col = colorizer_with_decoding(tmp_path, monkeypatch, None)
    one = Candidate("reg x1", Decoding("regression"))
    two = Candidate("reg x1, two sizes", Decoding("regression", scales=(TWO_SIZES,)))
    # At the photo's own size: the tiny card's 512 px would put 8 working pixels on each of the photo's, and the
    # renderer, which keeps the working-grid chroma as it is, would sample none near the edges where the sizes differ.
    res = score_candidates(col, _photos(), [one, two], log=lambda m: None, size=64)
    assert res["reg x1"][ALL]["psnr"] != pytest.approx(res["reg x1, two sizes"][ALL]["psnr"], abs=1e-6)
    labels = {c.label: c.decoding for c in default_candidates(0.38)}
    assert labels["regression x1.75 knee 40, two sizes"].scales == (TWO_SIZES,)
    assert labels["regression x1.75 knee 40"].scales == ()
    # every gain of the two-size curve is scored at one size too
    assert {lab.removesuffix(", two sizes") for lab in labels if lab.endswith(", two sizes")} <= set(labels)
    assert labels["regression x2 knee 40"] == dataclasses.replace(labels["regression x2 knee 40, two sizes"], scales=())


def test_compare_rows_per_set_against_gray_with_the_sets_cast():
    from trainer.compare import set_rows

    def row(psnr, cf, fd, a, b):
        return {"images": 4, "psnr": psnr, "colourfulness": cf, "colourfulness_true": 40.0, "frechet": fd,
                "mean_a": a, "mean_b": b, "mean_a_true": 1.0, "mean_b_true": 10.0}
    study = {"result": {"gray": {"s": row(20.0, 0.0, 80.0, 0.0, 0.0)}, "card": {"s": row(22.5, 30.0, 40.0, 4.0, 6.0)}}}
    r = set_rows(study, "card")["s"]
    assert r == {"images": 4, "psnr_minus_gray": 2.5, "colourfulness_ratio": 0.75, "fd_ratio": 0.5, "cast": 5.0}
    assert set_rows(study, "gray")["s"]["cast"] == round(float(np.hypot(1.0, 10.0)), 2)


def test_an_aged_photo_keeps_its_true_chroma_on_the_aged_luminance():
    from engine.color import luminance, srgb_to_lab
    from trainer.aging import KINDS, LEVELS, age_gray, aged
    p = _photos(1)[0]
    for kind in KINDS:
        old = aged(p, kind)
        assert np.array_equal(old.gray, age_gray(p.gray, kind)) and not np.array_equal(old.gray, p.gray)
        if kind in LEVELS:
            offset, gain = LEVELS[kind]
            assert np.array_equal(old.gray, np.clip(offset + gain * p.gray.astype(np.float32) + 0.5, 0, 255)
                                  .astype(np.uint8))
        assert np.allclose(old.L, luminance(old.gray))
        # the truth is the print a perfect colorization gives: the aged luminance with the true chroma
        assert np.abs(luminance(old.rgb) - old.L).max() < 0.6
        lab, lab0 = srgb_to_lab(old.rgb), srgb_to_lab(p.rgb)
        assert np.abs(lab[..., 1:] - lab0[..., 1:]).mean() < 2.0  # the same chroma, but for gamut and rounding
    assert aged(p, "faded").gray.min() >= 40 and aged(p, "dark").gray.max() <= 192
    from engine.sharpness import detail
    assert detail(aged(p, "soft").L) < detail(p.L) - 0.1 and detail(aged(p, "crisp").L) > detail(p.L) + 0.05


def test_study_on_aged_prints_scores_the_aged_grays_and_writes_no_card(tmp_path, monkeypatch):
    import json
    from engine.colorizer import Colorizer
    from trainer import decoding_study
    from trainer.aging import age_gray
    _tiny_study(tmp_path, monkeypatch)
    seen = []
    prepare = Colorizer.prepare
    monkeypatch.setattr(Colorizer, "prepare",
                        lambda self, img, **kw: seen.append(img.copy()) or prepare(self, img, **kw))
    out = tmp_path / "aged"
    assert decoding_study.main(["--aged", "washed", "--out", str(out), "--write-card"]) == 0
    assert len(seen) == 4 and all(np.array_equal(s, age_gray(p.gray, "washed")) for s, p in zip(seen, _photos()))
    study = json.loads((out / "validation.json").read_text())
    assert study["aged"] == "washed" and "aged: washed" in (out / "validation.md").read_text()
    assert "decoding" not in json.loads((tmp_path / "tiny.json").read_text())


def test_the_training_photos_points_are_measured_as_the_engine_measures_them_on_the_training_side(tmp_path):
    from engine.levels import points
    from tests.trainer_fixtures import write_shard
    from trainer.data import ByteReader, decode_rgb, index_sources
    from trainer.evaluate import photo_from_rgb
    from trainer.input_levels import candidates, main, training_points
    from trainer.split import validation_mask
    write_shard(tmp_path / "s.tar", n=60)
    pts = training_points([tmp_path / "s.tar"], photos=1000)
    ix = index_sources([tmp_path / "s.tar"])
    train = np.flatnonzero(~validation_mask(ix.names))
    assert 0 < len(train) < 60 and len(pts) == len(train)  # every training-side photo, none of validation's
    reader = ByteReader(ix.files)
    want = sorted(points(photo_from_rgb(decode_rgb(reader.read(int(ix.file_id[i]), int(ix.offset[i]),
                                                               int(ix.size[i]))), "", Path("x")).L) for i in train)
    assert np.allclose(sorted(map(tuple, pts)), want)
    c = candidates(pts, (60, 90))
    assert c[90] == (pytest.approx(np.percentile(pts[:, 0], 90)), pytest.approx(np.percentile(pts[:, 1], 10)))
    assert c[90][0] >= c[60][0] and c[90][1] <= c[60][1]  # a higher q leaves more photos alone
    assert len(training_points([tmp_path / "s.tar"], photos=5)) == 5
    assert main([str(tmp_path / "s.tar"), "--photos", "20"]) == 0


def test_the_training_photos_detail_is_measured_as_the_engine_measures_it_at_the_working_size(tmp_path, capsys):
    from engine.sharpness import detail
    from tests.trainer_fixtures import write_shard
    from trainer.data import ByteReader, decode_rgb, index_sources
    from trainer.evaluate import photo_from_rgb
    from trainer.input_sharpness import LEAST, MOST, candidates, main, training_detail, working
    from trainer.split import validation_mask
    write_shard(tmp_path / "s.tar", n=60)
    d = training_detail([tmp_path / "s.tar"], 96, photos=1000)
    ix = index_sources([tmp_path / "s.tar"])
    train = np.flatnonzero(~validation_mask(ix.names))
    assert 0 < len(train) < 60 and len(d) == len(train)  # every training-side photo, none of validation's
    reader = ByteReader(ix.files)
    want = []
    for i in train:
        L = photo_from_rgb(decode_rgb(reader.read(int(ix.file_id[i]), int(ix.offset[i]), int(ix.size[i]))), "",
                           Path("x")).L
        assert max(working(L, 96).shape) == 96
        want.append(detail(working(L, 96)))
    assert np.allclose(sorted(d), sorted(want))
    assert not np.allclose(sorted(d), sorted(training_detail([tmp_path / "s.tar"], 48, photos=1000)))
    c = candidates(d, LEAST + MOST)
    assert c[90] == pytest.approx(np.percentile(d, 90)) and all(c[a] <= c[b] for a, b in zip(LEAST + MOST,
                                                                                             (LEAST + MOST)[1:]))
    assert len(training_detail([tmp_path / "s.tar"], 96, photos=5)) == 5
    assert main([str(tmp_path / "s.tar"), "--photos", "20", "--size", "96"]) == 0
    assert "| 90 |" in capsys.readouterr().out


def test_compare_takes_a_released_models_column_from_its_card(tmp_path, capsys):
    row = {"images": 3, "psnr_minus_gray": 1.5, "colourfulness_ratio": 0.8, "fd_ratio": 0.6, "cast": 2.0}
    new = {"images": 3, "psnr_minus_gray": 0.5, "colourfulness_ratio": 0.9, "fd_ratio": 0.5, "cast": 2.5}
    old_card = tmp_path / "old.json"
    old_card.write_text(json.dumps({"metrics": {"per_set": {"eval": {"2.1": {"setA": row}},
                                                            "validation": {"2.1": {"setA": new}}}}}))
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"metrics": {"per_set": {"eval": {"2.2": {"setA": new}}}}}))
    assert compare.main([f"{old_card}:2.1", f"{card}:2.2", "--split", "eval", "--card", str(card)]) == 0
    out = capsys.readouterr().out
    assert "| setA | 3 | +1.50 dB | 0.80 | 0.60x | 2.0 | +0.50 dB | 0.90 | 0.50x | 2.5 |" in out
    stored = json.loads(card.read_text())["metrics"]["per_set"]["eval"]
    assert stored == {"2.1": {"setA": row}, "2.2": {"setA": new}}
    # a column the card does not hold: one line naming the file, no traceback
    assert compare.main([f"{old_card}:2.0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{old_card}: ") and "'2.0'" in err and "2.1" in err and len(err.splitlines()) == 1
