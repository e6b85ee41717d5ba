"""A graph whose encoder reads L alone runs in two parts: the encoder once per photo and size, the rest per stroke."""
import dataclasses
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

torch = pytest.importorskip("torch")

from engine import split  # noqa: E402
from trainer_fixtures import TABLE, small_net  # noqa: E402

DECODING = {"mode": "regression", "reg_gain": 1.0}


def _export(folder, name: str, stem_hints: bool, scales=()) -> dict:
    from trainer.export import build_card, export_onnx, write_card
    net = small_net()
    net.cfg = dataclasses.replace(net.cfg, stem_hints=stem_hints)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.onnx"
    export_onnx(net, path)
    card = build_card(net, path, name, {}, default=True, version="0.0-test", long_side=96)
    card["decoding"] = {**DECODING, **({"scales": list(scales)} if scales else {})}
    card["history"] = ["0.0-test: made by tests/test_split.py"]
    write_card(card, path.with_suffix(".json"))
    return card


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("split")
    _export(d / "free", "free", stem_hints=False, scales=(2 / 3,))
    _export(d / "stem", "stem", stem_hints=True)
    return d


def _colorizer(models, monkeypatch, which: str):
    from engine.colorizer import Colorizer
    monkeypatch.setenv("TINTA_MODELS_DIR", str(models / which))
    return Colorizer(which)


def _inputs(seed: int, h: int = 64, w: int = 96):
    rng = np.random.default_rng(seed)
    L = rng.uniform(0, 100, (1, 1, h, w)).astype(np.float32)
    hab = np.zeros((1, 2, h, w), np.float32)
    hm = np.zeros((1, 1, h, w), np.float32)
    for _ in range(3):
        y, x = rng.integers(0, h - 3), rng.integers(0, w - 3)
        hab[:, :, y:y + 3, x:x + 3] = rng.uniform(-60, 60, (2, 1, 1))
        hm[:, :, y:y + 3, x:x + 3] = 1
    return L, hab, hm


class Counting:
    """An encoder session that counts its runs."""

    def __init__(self, session):
        self.session, self.runs = session, 0

    def get_outputs(self):
        return self.session.get_outputs()

    def run(self, *a, **k):
        self.runs += 1
        return self.session.run(*a, **k)


def test_a_hint_free_encoder_is_split_off_and_gives_the_whole_graphs_colours(models, monkeypatch):
    col = _colorizer(models, monkeypatch, "free")
    assert col._split is not None
    encoder, rest = col._split
    assert [i.name for i in encoder.get_inputs()] == ["L"]
    assert {"hint_ab", "hint_mask"} <= {i.name for i in rest.get_inputs()}
    whole = ort.InferenceSession(str(models / "free" / "free.onnx"), providers=["CPUExecutionProvider"])
    for seed in (0, 1):  # two strokes' hints on one photo: the second reuses the first's encoder answer
        L, hab, hm = _inputs(0)
        _, hab, hm = _inputs(seed)
        got = col.predict(L, hab, hm, decode=col.card.decoding.__class__(**DECODING)).ab_reg
        (want,) = whole.run(["ab_reg"], {"L": L, "hint_ab": hab, "hint_mask": hm,
                                         "temperature": np.array([0.38], np.float32)})
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_the_encoder_runs_once_per_photo_and_working_size(models, monkeypatch):
    col = _colorizer(models, monkeypatch, "free")  # the card's decoding adds a second working size (2/3)
    counting = Counting(col._split[0])
    col._split = (counting, col._split[1])
    L, _, _ = _inputs(0)
    answers = [col.predict(L, *_inputs(seed)[1:]).ab for seed in range(3)]
    assert counting.runs == 2  # one per working size, for all three strokes
    assert np.abs(answers[0] - answers[1]).max() > 1e-3  # the hints still reach the part that reads them
    col.predict(_inputs(5)[0])
    assert counting.runs == 4  # another photo
    L2 = L.copy()
    L2[0, 0, 0, 0] += 1.0
    col.predict(L2)
    assert counting.runs == 6  # one changed pixel is another photo too
    col.forget_encoded()
    col.predict(L2)
    assert counting.runs == 8


def test_a_graph_whose_stem_reads_hints_runs_whole(models, monkeypatch):
    col = _colorizer(models, monkeypatch, "stem")
    assert col._split is None
    cut, share = split.frontier(onnx.load(str(models / "stem" / "stem.onnx")).graph)
    assert share < split.MIN_CONV_SHARE
    free_cut, free_share = split.frontier(onnx.load(str(models / "free" / "free.onnx")).graph)
    assert free_share > 0.5 and len(free_cut) > len(cut)


def test_reexport_makes_a_hint_free_copy_with_the_same_colours_without_hints(models, tmp_path):
    from trainer.from_onnx import config_from_card, onnx_parity, recover
    from trainer.reexport import no_hint_difference, reexport
    src = models / "stem" / "stem.onnx"
    card = reexport(src, tmp_path, "0.1-test", "0.1-test: the stem reads no hints", stem_hints=False)
    new = tmp_path / "stem.onnx"
    assert card["stem_hints"] is False and card["version"] == "0.1-test"
    assert card["history"][-1] == "0.1-test: the stem reads no hints" and len(card["history"]) == 2
    assert card["decoding"] == json.loads(src.with_suffix(".json").read_text())["decoding"]
    assert no_hint_difference(src, new) <= 1e-5
    _, share = split.frontier(onnx.load(str(new)).graph)
    assert share >= split.MIN_CONV_SHARE
    # with hints the new graph answers otherwise, and the trainer recovers it from its card
    L, hab, hm = _inputs(3)
    feeds = {"L": L, "hint_ab": hab, "hint_mask": hm, "temperature": np.array([0.38], np.float32)}
    a, b = (ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(["ab_reg"], feeds)[0]
            for p in (src, new))
    assert np.abs(a - b).max() > 1e-3
    assert onnx_parity(recover(new, TABLE, config_from_card(card)), new) < 1e-3


def test_the_whole_graph_is_not_opened_beside_its_parts(models, monkeypatch):
    from engine import providers
    col = _colorizer(models, monkeypatch, "free")
    opened = [k for k, v in providers._sessions.items() if k[0] == col.card.sha256 and v is not None and k[4]]
    assert sorted(k[-1] for k in opened) == ["encoder", "rest"]  # the weights are held once
    assert col._session is col._split[1]


def test_node_order_does_not_matter(models):
    graph = onnx.load(str(models / "free" / "free.onnx")).graph
    cut, share = split.frontier(graph)
    nodes = list(graph.node)[::-1]  # as a converter may leave them (the fp16 copy's input casts come last)
    del graph.node[:]
    graph.node.extend(nodes)
    cut2, share2 = split.frontier(graph)
    assert sorted(cut2) == sorted(cut) and share2 == share


def test_the_fp16_copy_splits_too(models, monkeypatch):
    pytest.importorskip("onnxruntime.transformers.float16")
    from engine import providers
    from engine.colorizer import Colorizer
    monkeypatch.setenv("TINTA_MODELS_DIR", str(models / "free"))
    half, full = Colorizer("free", precision="fp16"), Colorizer("free", precision="fp32")
    assert providers.precision_of(half._session) == "fp16" and half._split is not None
    L, hab, hm = _inputs(2)
    np.testing.assert_allclose(half.predict(L, hab, hm).ab, full.predict(L, hab, hm).ab, atol=1.0)


def test_parts_at_two_precisions_are_not_paired(models, monkeypatch):
    pytest.importorskip("onnxruntime.transformers.float16")
    from engine import colorizer as C
    real = C.session_for

    def encoder_in_fp16(path, sha, provider, int8, how, outputs=None, part=None):  # as if a GPU took only that
        return real(path, sha, provider, int8, "fp16" if part == "encoder" else how, outputs=outputs, part=part)
    monkeypatch.setattr(C, "session_for", encoder_in_fp16)
    col = _colorizer(models, monkeypatch, "free")
    assert col._split is None  # the whole graph runs instead
    L, hab, hm = _inputs(4)
    assert np.isfinite(col.predict(L, hab, hm).ab).all()


def test_the_distribution_runs_on_the_kept_encoder_answer_too(models, monkeypatch):
    col = _colorizer(models, monkeypatch, "free")
    counting = Counting(col._split[0])
    col._split = (counting, col._split[1])
    L, hab, hm = _inputs(6)
    col.predict(L, hab, hm)
    asked = col.predict(L, hab, hm, distribution=True)
    assert counting.runs == 2  # the two working sizes, once: "Where am I unsure?" after a stroke reuses them
    assert col._full_parts is not None and col._full is not col._session
    whole = ort.InferenceSession(str(models / "free" / "free.onnx"), providers=["CPUExecutionProvider"])
    (prob,) = whole.run(["prob"], {"L": L, "hint_ab": hab, "hint_mask": hm, "temperature": np.array([0.38], np.float32)})
    one_size = col.predict(L, hab, hm, distribution=True, decode=col.card.decoding.__class__(**DECODING))
    np.testing.assert_allclose(one_size.prob, prob, atol=1e-6)


def test_parts_that_will_not_open_leave_the_whole_graph(models, monkeypatch):
    from engine import colorizer as C
    real = C.session_for

    def refusing(*a, part=None, **k):
        if part is not None:
            raise RuntimeError("ONNX Runtime refuses the part")
        return real(*a, **k)
    monkeypatch.setattr(C, "session_for", refusing)
    with pytest.warns(split.SplitWarning, match="running it whole"):
        col = _colorizer(models, monkeypatch, "free")
    assert col._split is None
    L, hab, hm = _inputs(7)
    whole = ort.InferenceSession(str(models / "free" / "free.onnx"), providers=["CPUExecutionProvider"])
    (want,) = whole.run(["ab_reg"], {"L": L, "hint_ab": hab, "hint_mask": hm,
                                     "temperature": np.array([0.38], np.float32)})
    got = col.predict(L, hab, hm, decode=col.card.decoding.__class__(**DECODING)).ab_reg
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_a_one_pass_job_does_not_cut_the_graph(models, monkeypatch):
    from engine import colorizer as C
    cut = []
    real = C.session_for
    monkeypatch.setattr(C, "session_for", lambda *a, **k: (cut.append(k.get("part")), real(*a, **k))[1])
    monkeypatch.setenv("TINTA_MODELS_DIR", str(models / "free"))
    col = C.Colorizer("free", split=False)  # as the CLI and batches open it: each photo is colorized once
    assert col._split is None and cut == [None]


def test_the_pair_is_cut_once_when_the_model_is_opened(models, monkeypatch):
    from engine import providers
    monkeypatch.setattr(providers, "_sessions", {})  # as in a fresh process
    cuts = []
    real = split.parts
    monkeypatch.setattr(split, "parts", lambda *a, **k: (cuts.append(a[1:]), real(*a, **k))[1])
    col = _colorizer(models, monkeypatch, "free")
    assert col._split is not None and len(cuts) == 1  # the encoder's opening cut it, the rest's took it over
    assert split._handed[0] is None  # and let it go
