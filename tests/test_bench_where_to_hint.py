"""bench/where_to_hint.py end to end on two small photos with the tiny test model: table, JSON, curve."""
import importlib.util
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine_fixtures import make_test_model

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_where_to_hint", ROOT / "bench" / "where_to_hint.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_where_to_hint"] = bench
_spec.loader.exec_module(bench)


@pytest.fixture
def folders(tmp_path, monkeypatch):
    make_test_model(tmp_path / "models")
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path / "models"))
    out = []
    for i, name in enumerate(("setA", "setB")):
        d = tmp_path / name
        d.mkdir()
        y, x = np.mgrid[0:48, 0:64]
        bgr = np.dstack([(x * 4) % 256, (y * 5 + 40 * i) % 256, 255 - x * 3]).astype(np.uint8)
        cv2.imwrite(str(d / "p.png"), bgr)
        out.append(d)
    return out


def test_compares_suggested_and_random_hints_and_draws_the_curve(folders, tmp_path, capsys):
    png, js = tmp_path / "docs" / "curve.png", tmp_path / "figures.json"
    assert bench.main([*map(str, folders), "--seeds", "1", "--size", "64", "--png", str(png), "--json", str(js)]) == 0
    out = capsys.readouterr().out
    fig = json.loads(js.read_text())
    assert fig["photos"] == 2 and fig["seeds"] == 1
    assert set(fig["methods"]) == {bench.SUGGESTED, bench.SEQUENTIAL, bench.CENTRED, bench.UNIFORM}
    for m in fig["methods"].values():
        assert len(m["psnr"]) == len(m["gain"]) == 5
        assert m["gain"][0] == pytest.approx(m["psnr"][0] - fig["none"])
    assert "| suggested, PSNR (dB) |" in out and "PSNR - gray" in out
    curve = cv2.imread(str(png))
    assert curve is not None and curve.shape[0] > 100


def test_a_missing_folder_is_one_line(tmp_path, folders, capsys):
    assert bench.main([str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nowhere" in err[0] and "not a folder" in err[0]
