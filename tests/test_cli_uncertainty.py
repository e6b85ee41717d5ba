"""`tinta uncertainty PHOTO -o MAP [--suggest N]`: the heat map, the suggestions and one-line errors."""
import re

import cv2
import numpy as np
import pytest

from engine.cli import main
from engine.io.image import read_image
from engine_fixtures import gradient_image, make_test_model


@pytest.fixture
def photo(tmp_path, monkeypatch):
    make_test_model(tmp_path / "models")
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path / "models"))
    path = tmp_path / "scan.png"
    cv2.imwrite(str(path), gradient_image(90, 120))
    return path


def _errors(text):
    return [line for line in text.splitlines() if line.startswith("tinta: error:")]


def test_map_is_written_over_the_photo_and_suggestions_are_printed(photo, tmp_path, capsys):
    out = tmp_path / "maps" / "scan-unsure.png"
    assert main(["uncertainty", str(photo), "-o", str(out), "--suggest", "3", "--size", "64"]) == 0
    cap = capsys.readouterr()
    heat = read_image(out).pixels
    assert heat.shape == (90, 120, 3) and heat.dtype == np.uint8
    spread = np.ptp(heat.astype(int), axis=2)
    assert spread.mean() > 10  # coloured by the heat map, not the gray photo
    lines = [line for line in cap.out.splitlines() if re.match(r"\d+\. x \d+, y \d+: uncertainty", line)]
    assert 1 <= len(lines) <= 3 and all(re.search(r"likely colours #[0-9a-f]{6} \d+%", line) for line in lines)
    assert "uncertainty" in cap.out.splitlines()[0] and not cap.err
    # Without --suggest nothing is ringed: the map differs only where the suggestions were drawn.
    plain = tmp_path / "plain.png"
    assert main(["uncertainty", str(photo), "-o", str(plain), "--size", "64"]) == 0
    assert not re.search(r"^\d+\. ", capsys.readouterr().out, re.M)
    assert not np.array_equal(read_image(plain).pixels, heat)


def test_bad_inputs_give_one_line_and_never_replace_files(photo, tmp_path, capsys):
    out = tmp_path / "map.png"
    out.write_bytes(b"keep")
    assert main(["uncertainty", str(photo), "-o", str(out)]) == 1
    assert main(["uncertainty", str(tmp_path / "missing.jpg"), "-o", str(tmp_path / "m.png")]) == 1
    assert main(["uncertainty", str(photo), "-o", str(photo), "--overwrite"]) == 1
    (tmp_path / "bad.hints.json").write_text("{not json", encoding="utf-8")
    assert main(["uncertainty", str(photo), "-o", str(tmp_path / "m.png"), "--hints",
                 str(tmp_path / "bad.hints.json")]) == 1
    assert main(["uncertainty", str(photo), "-o", str(tmp_path / "m.xyz")]) == 1
    broken = tmp_path / "broken.png"
    broken.write_bytes(photo.read_bytes()[:60])
    assert main(["uncertainty", str(broken), "-o", str(tmp_path / "m.png")]) == 1
    errors = _errors(capsys.readouterr().err)
    assert len(errors) == 6 and "Traceback" not in "".join(errors)
    assert "already exists" in errors[0] and "does not exist" in errors[1] and "replace the input" in errors[2]
    assert "malformed JSON" in errors[3] and ".xyz" in errors[4] and "broken.png" in errors[5]
    assert out.read_bytes() == b"keep" and read_image(photo).pixels.shape == (90, 120)
    assert not (tmp_path / "m.png").exists()
