"""`tinta` CLI end to end: outputs, summary, bad inputs, exit codes, never overwriting inputs."""
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import color
from engine.cli import main
from engine.io.image import read_image
from engine_fixtures import gradient_image, make_test_model

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def setup(tmp_path, monkeypatch):
    models = tmp_path / "models"
    make_test_model(models)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(models))
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    cv2.imwrite(str(src / "a.jpg"), gradient_image(60, 80))
    cv2.imwrite(str(src / "sub" / "b.png"), gradient_image(50, 40, np.uint16))
    return tmp_path, src


def _lines(text):
    return [l for l in text.splitlines() if l.strip()]


def test_colorize_folder(setup, capsys):
    tmp, src = setup
    out = tmp / "out"
    assert main(["colorize", str(src), "-o", str(out), "--size", "64"]) == 0
    a, b = read_image(out / "a.png"), read_image(out / "sub" / "b.tif")
    assert a.pixels.shape == (60, 80, 3) and a.bit_depth == 8
    assert b.pixels.shape == (50, 40, 3) and b.bit_depth == 16  # 16-bit input -> tif, 16 bits kept
    gray = read_image(src / "a.jpg").pixels
    assert np.abs(color.luminance(a.pixels) - color.luminance(gray)).max() * 2.55 <= 1.0
    cap = capsys.readouterr()
    assert "2 ok, 0 failed" in cap.out and "CPUExecutionProvider" in cap.out
    assert "2/2" in cap.err  # progress bar for several files


def test_bad_inputs_are_one_line_each_and_others_still_processed(setup, capsys):
    tmp, src = setup
    (tmp / "empty.png").write_bytes(b"")
    (tmp / "notes.txt").write_text("not an image")
    data = (src / "a.jpg").read_bytes()
    (tmp / "trunc.jpg").write_bytes(data[: len(data) // 2])
    args = ["colorize", str(src / "a.jpg"), str(tmp / "empty.png"), str(tmp / "notes.txt"),
            str(tmp / "trunc.jpg"), str(tmp / "missing.jpg"), "-o", str(tmp / "out"), "--format", "jpg"]
    assert main(args) == 1
    cap = capsys.readouterr()
    errors = [l for l in _lines(cap.err) if l.startswith("tinta: error:")]
    assert len(errors) == 4
    for name, words in [("empty.png", "file is empty"), ("notes.txt", "not an image"),
                        ("trunc.jpg", "truncated"), ("missing.jpg", "does not exist")]:
        assert any(name in e and words in e for e in errors), name
    assert "Traceback" not in cap.err
    assert (tmp / "out" / "a.jpg").is_file() and "1 ok, 4 failed" in cap.out


def test_never_overwrites_inputs_and_respects_existing_outputs(setup, capsys):
    tmp, src = setup
    original = (src / "sub" / "b.png").read_bytes()
    for flags in ([], ["--overwrite"]):
        assert main(["colorize", str(src / "sub" / "b.png"), "-o", str(src / "sub"), "--format", "png"] + flags) == 1
        assert "would replace the input" in capsys.readouterr().err
        assert (src / "sub" / "b.png").read_bytes() == original
    out = tmp / "out"
    assert main(["colorize", str(src / "a.jpg"), "-o", str(out)]) == 0
    assert main(["colorize", str(src / "a.jpg"), "-o", str(out)]) == 1
    assert "already exists (use --overwrite" in capsys.readouterr().err
    assert main(["colorize", str(src / "a.jpg"), "-o", str(out), "--overwrite", "--vividness", "2"]) == 0


def test_hints_and_bad_hints(setup, capsys):
    tmp, src = setup
    good = tmp / "hints.json"
    good.write_text(json.dumps({"hints": [{"x": 70, "y": 10, "color": "#3070c0", "radius": 3}]}))
    assert main(["colorize", str(src / "a.jpg"), "-o", str(tmp / "o1"), "--hints", str(good), "--size", "64"]) == 0
    with_hint = read_image(tmp / "o1" / "a.png").pixels
    assert main(["colorize", str(src / "a.jpg"), "-o", str(tmp / "o2"), "--size", "64"]) == 0
    assert np.abs(with_hint[10, 70].astype(int) - read_image(tmp / "o2" / "a.png").pixels[10, 70]).max() > 10
    bad = tmp / "bad.json"
    bad.write_text('{"hints": [')
    assert main(["colorize", str(src / "a.jpg"), "-o", str(tmp / "o3"), "--hints", str(bad)]) == 1
    assert f"tinta: error: {bad}: malformed JSON" in capsys.readouterr().err
    far = tmp / "far.json"
    far.write_text(json.dumps({"hints": [{"x": 500, "y": 10, "color": "#3070c0"}]}))
    assert main(["colorize", str(src / "a.jpg"), "-o", str(tmp / "o4"), "--hints", str(far)]) == 1
    assert "outside the 80x60 image" in capsys.readouterr().err


def test_model_problems_exit_2(setup, capsys, monkeypatch):
    tmp, src = setup
    onnx_file = tmp / "models" / "tiny.onnx"
    onnx_file.write_bytes(onnx_file.read_bytes()[:-1] + b"\0")
    assert main(["colorize", str(src / "a.jpg"), "-o", str(tmp / "out")]) == 2
    err = capsys.readouterr().err
    assert "does not match its card" in err and "python -m trainer.export" in err
    assert main(["colorize", str(src / "a.jpg"), "-o", str(tmp / "out"), "--model", "nope"]) == 2
    assert main(["colorize", str(src / "a.jpg"), "-o", str(tmp / "out"), "--provider", "gpu"]) == 2
    assert "unknown provider 'gpu'" in capsys.readouterr().err


def test_unwritable_output_folder(setup, capsys):
    tmp, src = setup
    blocker = tmp / "file.txt"
    blocker.write_text("x")
    assert main(["colorize", str(src / "a.jpg"), "-o", str(blocker / "out")]) == 1
    err = capsys.readouterr().err
    assert _lines(err) == [f"tinta: error: {blocker / 'out'}: cannot write to output folder (Not a directory)"]


def test_info(setup, capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "model: tiny" in out and "sha256:" in out and "synthetic test model" in out
    assert "decoding: annealed" in out  # a card without "decoding" means the class head's annealed mean
    assert "computes: ab (ab_reg, prob only when asked for)" in out  # the graph cut to what the decoding reads
    assert "provider in use: CPUExecutionProvider" in out


def test_subprocess_no_model_and_provider_warning(tmp_path):
    env = dict(os.environ, TINTA_MODELS_DIR=str(tmp_path / "none"))
    cv2.imwrite(str(tmp_path / "a.png"), gradient_image(20, 20))
    run = subprocess.run([sys.executable, "-m", "engine.cli", "colorize", str(tmp_path / "a.png"), "-o",
                          str(tmp_path / "out")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert _lines(run.stderr) == [l for l in _lines(run.stderr) if l.startswith("tinta: error: no colorization model")]
    make_test_model(tmp_path / "m")
    env["TINTA_MODELS_DIR"] = str(tmp_path / "m")
    run = subprocess.run([sys.executable, "-m", "engine.cli", "colorize", str(tmp_path / "a.png"), "-o",
                          str(tmp_path / "out"), "--provider", "coreml"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "tinta: warning: provider CoreMLExecutionProvider is not available" in run.stderr


def test_session_renders_what_the_app_saved(setup, capsys):
    from engine import render_job
    from engine.colorizer import Colorizer
    from engine.hints import Hint
    from engine.regions import Region, mask_shape
    from engine.session import Session, save_session

    tmp, src = setup
    photo = src / "a.jpg"
    mask = np.zeros(mask_shape((60, 80)), np.uint8)
    mask[5:30, 40:75] = 255
    session = Session(hints=[Hint(10, 50, "#c04030", 2)], size=64, saturation=1.2,
                      regions=[Region(mask, "#2f6fb0", 0.9)])
    spath = save_session(photo, session)
    assert main(["colorize", str(photo), "--session", str(spath), "-o", str(tmp / "s")]) == 0
    got = read_image(tmp / "s" / "a.png").pixels
    want = render_job.render(Colorizer(), photo, session.edit(variants_ok=False)).pixels
    assert np.array_equal(got, want)
    assert main(["colorize", str(photo), "-o", str(tmp / "plain"), "--size", "64"]) == 0
    plain = read_image(tmp / "plain" / "a.png").pixels
    lab = color.srgb_to_lab(got[10:25, 50:70].astype(np.float32) / 255)
    assert np.abs(lab[..., 2].mean() - color.hex_to_lab("#2f6fb0")[2] * 0.9) < 6   # the region's blue
    assert np.abs(got[10:25, 50:70].astype(int) - plain[10:25, 50:70]).max() > 10


@pytest.mark.parametrize("content, args, problem", [
    ("{oops", [], "cannot read session"),
    ('{"format": "tinta-session", "regions": [{"mask": "!!"}]}', [], "region 1: region mask must be base64"),
    ('{"format": "tinta-session", "hints": [{"x": 500, "y": 1, "color": "#102030", "radius": 1}]}', [],
     "lie outside this 80x60 photo"),
    ('{"format": "tinta-session"}', ["--hints", "h.json"], "cannot be combined with --hints"),
    ('{"format": "tinta-session"}', ["EXTRA"], "exactly that photo"),
])
def test_bad_session_is_one_line(setup, capsys, content, args, problem):
    tmp, src = setup
    spath = tmp / "a.jpg.tinta.json"
    spath.write_text(content)
    photos = [str(src / "a.jpg")] + [str(src / "sub" / "b.png") for a in args if a == "EXTRA"]
    args = [a for a in args if a != "EXTRA"]
    assert main(["colorize", *photos, "--session", str(spath), "-o", str(tmp / "o")] + args) == 1
    err = capsys.readouterr().err
    errors = [l for l in _lines(err) if l.startswith("tinta: error:")]
    assert len(errors) == 1 and problem in errors[0] and "Traceback" not in err


def test_session_regions_must_fit_the_photo(setup, capsys):
    from engine.regions import Region
    from engine.session import Session, save_session

    tmp, src = setup
    spath = save_session(src / "a.jpg", Session(regions=[Region(np.ones((80, 80), np.uint8))]))
    assert main(["colorize", str(src / "a.jpg"), "--session", str(spath), "-o", str(tmp / "o")]) == 1
    assert f"{spath}: its regions were drawn on a photo of another shape" in capsys.readouterr().err
