"""trainer/soup.py: the mean of fine-tunes from one start, exported with its ingredients on the card."""
import dataclasses
import json

import pytest

torch = pytest.importorskip("torch")

from trainer_fixtures import small_net  # noqa: E402


def _run(tmp_path, name: str, seed: int, shift: float, init_from: str = "resources/models/tinta-base.onnx",
         delta: bool = False, **model_changes) -> str:
    """A checkpoint as trainer.train writes it: small_net's weights with every float tensor moved by `shift`."""
    net = small_net()
    state = {k: (v + shift if v.is_floating_point() and k != "bins" else v.clone())
             for k, v in net.state_dict().items()}
    for k, v in state.items():
        if k.endswith("num_batches_tracked"):
            v.fill_(seed)
    ck = {"model": state, "opt": {}, "state": {"step": 100 * seed, "epoch": 0, "wall": 60.0 * seed,
                                               "prior": [0.5, 0.5],
                                               **({"delta_totals": {"steps": 50, "crops": 800, "wall_s": 30.0,
                                                                    "runs": 1}} if delta else {})},
          "config": {"init_from": init_from, "seed": seed, "batch": 16, "crop": 128, "lr": 5e-5},
          "model_config": {**dataclasses.asdict(net.cfg), **model_changes}, "hardware": "CPU"}
    path = tmp_path / name / "last.pt"
    path.parent.mkdir()
    torch.save(ck, path)
    return str(path)


def test_a_soup_is_the_mean_of_its_runs_and_the_card_names_them(tmp_path):
    from trainer.export import build_card, export_onnx, load_checkpoint
    from trainer.release import fine_tune_block
    from trainer.soup import main
    a, b = _run(tmp_path, "a", 1, 0.1), _run(tmp_path, "b", 3, 0.3)
    assert main([a, b, "--out", str(tmp_path / "soup" / "last.pt")]) == 0
    ck = torch.load(tmp_path / "soup" / "last.pt", weights_only=True)
    one, two = (torch.load(p, weights_only=True)["model"] for p in (a, b))
    floats = [k for k, v in one.items() if v.is_floating_point() and k != "bins"]
    assert floats and all(torch.allclose(ck["model"][k], (one[k] + two[k]) / 2, atol=1e-6) for k in floats)
    assert torch.equal(ck["model"]["bins"], one["bins"])
    counts = [k for k in one if k.endswith("num_batches_tracked")]
    assert counts and all(int(ck["model"][k]) == 1 for k in counts)  # the first run's, not a mean
    assert ck["state"]["step"] == 400 and ck["state"]["wall"] == 240.0 and "opt" not in ck
    assert [s["seed"] for s in ck["state"]["soup"]] == [1, 3]
    # trainer.export takes it like any run's checkpoint, and the card and a release count both runs
    net, ck = load_checkpoint(tmp_path / "soup" / "last.pt")
    export_onnx(net, tmp_path / "soup.onnx")
    card = build_card(net, tmp_path / "soup.onnx", "soup", ck, default=False)
    assert card["training"]["steps"] == 400 and [s["step"] for s in card["training"]["soup_of"]] == [100, 300]
    base = {"name": "tinta-base", "version": "2.2", "sha256": "0" * 64, "training": {}}
    ft = fine_tune_block(json.loads(json.dumps(card["training"])), base, "recipe")
    assert ft["runs"] == 2 and ft["steps"] == 400 and len(ft["soup_of"]) == 2


def test_a_soup_of_runs_from_a_committed_delta_counts_the_runs_before_it_once(tmp_path):
    from trainer.release import fine_tune_block
    from trainer.soup import soup
    ck = soup([_run(tmp_path, "a", 1, 0.1, delta=True), _run(tmp_path, "b", 3, 0.3, delta=True)])
    assert ck["state"]["delta_totals"]["steps"] == 50
    training = {"steps": ck["state"]["step"], "wall_time_s": ck["state"]["wall"], "hardware": "CPU",
                "config": ck["config"], "before_this_run": ck["state"]["delta_totals"], "soup_of": ck["state"]["soup"]}
    base = {"name": "tinta-base", "version": "2.2", "sha256": "0" * 64, "training": {}}
    ft = fine_tune_block(training, base, "recipe")
    assert ft["runs"] == 3 and ft["steps"] == 450


@pytest.mark.parametrize("other, why", [
    (dict(init_from="runs/elsewhere/last.pt"), "one start"),
    (dict(latent_dim=4), "different networks"),
    (dict(bins=True), "different bins"),
    (dict(missing=True), "different tensors"),
])
def test_a_soup_refuses_runs_that_do_not_belong_together(tmp_path, capsys, other, why):
    from trainer.soup import main
    a = _run(tmp_path, "a", 1, 0.1)
    b = _run(tmp_path, "b", 2, 0.2, **{k: v for k, v in other.items() if k in ("init_from", "latent_dim")})
    if "bins" in other or "missing" in other:
        ck = torch.load(b, weights_only=True)
        if "bins" in other:
            ck["model"]["bins"] = ck["model"]["bins"] + 1
        else:
            ck["model"].pop(next(k for k in ck["model"] if k.endswith(".weight")))
        torch.save(ck, b)
    out = tmp_path / "soup" / "last.pt"
    assert main([a, b, "--out", str(out)]) == 2
    assert why in capsys.readouterr().err and not out.exists()


def test_a_soup_of_one_run_is_refused(tmp_path, capsys):
    from trainer.soup import main
    assert main([_run(tmp_path, "a", 1, 0.1), "--out", str(tmp_path / "s.pt")]) == 2
    assert "at least two" in capsys.readouterr().err
