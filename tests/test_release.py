"""A fine-tuned release's card (trainer/release.py) is assembled from what the runs recorded."""
import hashlib
import json

import pytest

pytest.importorskip("torch")

from trainer import release  # noqa: E402

BASE = {"name": "tinta-base", "version": "1.3", "file": "tinta-base.onnx", "sha256": "b" * 64,
        "licences": "research only", "bins": [[0, 0]], "metrics": {"per_set": {"x": 1}}, "prior": [1.0],
        "created": "2026-11-30T00:00:00Z", "parity_max_abs_diff": {"ab": 1e-5}, "default_temperature": 0.38,
        "history": ["1.3 (2026-11-30): ..."],
        "training": {"steps": 5072, "fine_tune": {"from": "tinta-base 1.2", "steps": 835, "trained": "the decoder",
                                                  "data": "all photos", "loss": "perceptual", "config": {"lr": 1},
                                                  "earlier": {"1.2": {"steps": 1685}}}}}
STUDY = {"model": "tinta-base-candidate", "photos": 480, "per_group": 40, "chosen": "regression x1.75 knee 40",
         "summary": {"gray": {"fd_ratio_mean": 1.0, "fd_ratio_max": 1.0, "colourfulness_ratio": 0.0,
                              "psnr_minus_gray": 0.0, "cast": 6.4},
                     "regression x1.75 knee 40": {"fd_ratio_mean": 0.62, "fd_ratio_max": 0.9,
                                                  "colourfulness_ratio": 0.74,
                                                  "psnr_minus_gray": 2.3, "cast": 0.3}},
         "candidates": {"regression x1.75 knee 40": {"mode": "regression", "reg_gain": 1.75, "conf_lo": 0.0,
                                                     "conf_hi": 1.0, "chroma_knee": 40.0, "temperature": None}}}


def _export(data=b"onnx bytes"):
    return {"name": "tinta-base-candidate", "file": "tinta-base-candidate.onnx",
            "sha256": hashlib.sha256(data).hexdigest(), "created": "2026-11-30T11:00:00Z", "prior": [0.5],
            "parity_max_abs_diff": {"ab": 2e-5},
            "training": {"steps": 1400, "wall_time_s": 3300.0, "hardware": "CPU",
                         "config": {"batch": 16, "crop": 128, "lr": 5e-5, "w_perc": 5.0, "w_colour": 3.0,
                                    "w_cast": 2.0, "unfreeze_blocks": 5},
                         "before_this_run": {"steps": 1138, "crops": 18208, "wall_s": 1800.0, "runs": 1}}}


def test_card_adds_this_run_to_the_runs_its_delta_carried_and_keeps_the_shipped_fine_tune():
    card = release.build(_export(), STUDY, BASE, "1.4", "recipe line", "Validation 0.62 vs 0.636.", "c" * 64)
    ft = card["training"]["fine_tune"]
    assert (ft["steps"], ft["crops"], ft["runs"], ft["wall_time_s"]) == (2538, 2538 * 16, 2, 5100.0)
    assert ft["last_run"] == {"steps": 1400, "wall_time_s": 3300.0} and ft["w_perc"] == 5.0
    assert (ft["w_colour"], ft["w_cast"]) == (3.0, 2.0)  # the run's colour and cast terms are on the card
    assert ft["from"].startswith("tinta-base 1.3") and "b" * 64 in ft["from"]
    assert ft["earlier"]["1.3"]["steps"] == 835 and "config" not in ft["earlier"]["1.3"]
    assert ft["earlier"]["1.2"] == {"steps": 1685} and ft["trained"] == "the decoder"
    assert card["version"] == "1.4" and card["sha256"] == "c" * 64 and card["prior"] == [0.5]
    assert card["metrics"] == {} and card["licences"] == "research only" and card["training"]["steps"] == 5072
    assert card["decoding"]["reg_gain"] == 1.75 and card["decoding"]["chroma_knee"] == 40.0
    assert "480 photos, 40 per group" in card["decoding"]["chosen_on"]
    assert card["history"][0] == BASE["history"][0] and len(card["history"]) == 2
    assert card["history"][1].startswith("1.4 (2026-11-30): 1.3 fine-tuned") and "2,538 steps" in card["history"][1]
    assert BASE["training"]["fine_tune"]["steps"] == 835  # the shipped card is not touched


def test_release_copies_the_file_its_card_describes_and_refuses_a_mismatch(tmp_path, capsys):
    exp = _export()
    (tmp_path / "tinta-base-candidate.onnx").write_bytes(b"onnx bytes")
    for name, obj in (("cand.json", exp), ("study.json", STUDY), ("base.json", BASE)):
        (tmp_path / name).write_text(json.dumps(obj))
    args = [str(tmp_path / "cand.json"), str(tmp_path / "study.json"), "--base", str(tmp_path / "base.json"),
            "--version", "1.4", "--recipe", "r", "--out", str(tmp_path / "ship")]
    assert release.main(args) == 0
    assert (tmp_path / "ship" / "tinta-base.onnx").read_bytes() == b"onnx bytes"
    card = json.loads((tmp_path / "ship" / "tinta-base.json").read_text())
    assert card["sha256"] == exp["sha256"] and card["file"] == "tinta-base.onnx"
    (tmp_path / "tinta-base-candidate.onnx").write_bytes(b"other bytes")
    assert release.main(args) == 2 and "SHA-256 differs" in capsys.readouterr().err
    (tmp_path / "study.json").write_text(json.dumps({**STUDY, "model": "another"}))
    assert release.main(args) == 2 and "not 'tinta-base-candidate'" in capsys.readouterr().err


def test_a_hints_only_release_keeps_the_shipped_decoding_and_prior(tmp_path, capsys):
    base = {**BASE, "decoding": {"mode": "regression", "reg_gain": 2.0, "chosen_on": "1.6's study"}}
    card = release.build(_export(), None, base, "1.8", "recipe line", "Hints +0.3 dB.", "c" * 64)
    assert card["decoding"] == base["decoding"] and card["prior"] == [1.0] and card["sha256"] == "c" * 64
    assert "1.3's decoding kept" in card["history"][1] and card["history"][1].endswith("Hints +0.3 dB.")
    (tmp_path / "tinta-base-candidate.onnx").write_bytes(b"onnx bytes")
    (tmp_path / "cand.json").write_text(json.dumps(_export()))
    (tmp_path / "base.json").write_text(json.dumps(base))
    args = [str(tmp_path / "cand.json"), "--base", str(tmp_path / "base.json"), "--version", "1.8", "--recipe", "r",
            "--out", str(tmp_path / "ship")]
    assert release.main(args) == 2 and "either the candidate's decoding study or --keep-decoding" in \
        capsys.readouterr().err  # neither: refused, nothing written
    assert not (tmp_path / "ship").exists()
    assert release.main(args + ["--keep-decoding"]) == 0
    assert json.loads((tmp_path / "ship" / "tinta-base.json").read_text())["decoding"]["reg_gain"] == 2.0
