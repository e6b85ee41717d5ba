"""Model registry (cards, SHA-256 check, clear errors) and execution-provider choice."""
import json
import warnings

import onnxruntime as ort
import pytest

from engine import providers
from engine.colorizer import Colorizer
from engine.errors import ModelError, ProviderError
from engine.models import find_card, list_cards, verify
from engine_fixtures import make_test_model


@pytest.fixture
def models(tmp_path, monkeypatch):
    d = tmp_path / "models"
    make_test_model(d, "tiny", default=True)
    make_test_model(d, "other", default=False)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path / "empty") + ":" + str(d))
    return d


def test_default_and_named_lookup(models):
    assert find_card().name == "tiny"
    card = find_card("other")
    assert card.name == "other" and not card.default and card.bins.shape == (16, 2)
    assert verify(card) == models / "other.onnx"
    with pytest.raises(ModelError, match="no model called 'nope'.*installed: other, tiny"):
        find_card("nope")


def test_no_model_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    with pytest.raises(ModelError, match=r"no colorization model is installed.*python -m trainer\.export"):
        Colorizer()


def test_altered_and_missing_model_files(models):
    onnx_file = models / "tiny.onnx"
    onnx_file.write_bytes(onnx_file.read_bytes() + b"x")
    with pytest.raises(ModelError, match=r"does not match its card.*reinstall Tinta.*trainer\.train"):
        Colorizer("tiny")
    onnx_file.unlink()
    with pytest.raises(ModelError, match="is missing"):
        Colorizer("tiny")


def test_malformed_card_is_reported_not_fatal(models):
    (models / "broken.json").write_text("{nope")
    cards, problems = list_cards()
    assert {c.name for c in cards} == {"tiny", "other"}
    assert len(problems) == 1 and "broken.json" in problems[0]
    (models / "partial.json").write_text(json.dumps({"name": "p"}))
    assert any("lacks one of" in p for p in list_cards()[1])


def test_provider_names():
    assert providers.canonical("cuda") == "CUDAExecutionProvider"
    assert providers.canonical("DirectML") == "DmlExecutionProvider"
    assert providers.canonical("CPUExecutionProvider") == "CPUExecutionProvider"
    with pytest.raises(ProviderError, match="unknown provider 'gpu'"):
        providers.canonical("gpu")
    assert providers.preference()[-1] == "CPUExecutionProvider"
    assert providers.preference("cpu") == ["CPUExecutionProvider"]
    assert "AzureExecutionProvider" not in providers.preference()


def test_platform_checks(monkeypatch):
    monkeypatch.setattr(providers.sys, "platform", "linux")
    assert not providers.platform_ok("DmlExecutionProvider") and not providers.platform_ok("CoreMLExecutionProvider")
    assert providers.platform_ok("CUDAExecutionProvider")
    monkeypatch.setattr(providers.ort, "get_available_providers",
                        lambda: ["CoreMLExecutionProvider", "DmlExecutionProvider", "CUDAExecutionProvider",
                                 "CPUExecutionProvider"])
    assert providers.preference() == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    monkeypatch.setattr(providers.sys, "platform", "darwin")
    assert providers.preference() == ["CoreMLExecutionProvider", "CPUExecutionProvider"]


def test_unavailable_provider_falls_back_to_cpu_with_warning(models):
    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("CUDA is available here")
    with pytest.warns(providers.ProviderWarning, match="CUDAExecutionProvider is not available"):
        c = Colorizer(provider="cuda")
    assert c.provider == "CPUExecutionProvider"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Colorizer(provider="cpu").provider == "CPUExecutionProvider"


def test_sessions_are_cached_per_model_and_provider(models):
    a, b = Colorizer("tiny", "cpu"), Colorizer("tiny", "cpu")
    assert a._session is b._session
    assert Colorizer("tiny")._session is not None


def test_session_uses_physical_cores():
    n = providers.physical_cores()
    assert 1 <= n <= (__import__("os").cpu_count() or 1)


def test_the_shipped_sampler_was_trained_on_the_shipped_default():
    """A new default without a retrained tinta-vae would give variants another model's colours: the sampler's
    encoder is the default network it was trained on (trainer/variant_head.py), so a release of a new default
    file retrains (or, for the same weights, re-checks and re-exports) the sampler."""
    from pathlib import Path

    from engine.models import file_sha256
    shipped = Path(__file__).resolve().parents[1] / "resources" / "models"
    base = json.loads((shipped / "tinta-base.json").read_text())
    sampler = json.loads((shipped / f"{base['variants_model']}.json").read_text())
    assert file_sha256(shipped / base["file"]) == base["sha256"]
    assert sampler["base_model"]["sha256"] == base["sha256"]
    assert sampler["base_model"]["version"] == base["version"]
    # Samples get the default's chroma lift on top of the sampler's own gain (engine/variants.py): only with equal
    # gains is a zero-offset sample the default's colours.
    if base.get("decoding", {}).get("chroma_lift"):
        assert sampler["training"]["config"]["reg_gain"] == base["decoding"]["reg_gain"]
