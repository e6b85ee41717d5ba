"""Model soups: the mean of several fine-tunes' weights from one start, as one checkpoint trainer.export takes.

    python -m trainer.soup runs/a/last.pt runs/b/last.pt --out runs/soup/last.pt
    python -m trainer.export runs/soup/last.pt --name tinta-base-candidate --out runs/soup/export \
        --inputs-from resources/models/tinta-base.json

A uniform soup (Wortsman et al. 2022): runs that started from the same weights and differ only by their seeds
(crops, hints) land near one another, and their mean weights keep what they learned in common and average out
what each learned by chance. Runs from different starts, or of different networks, are refused: their mean is
not a model of either. Floating-point tensors are averaged (BatchNorm statistics too: a run that trained them
moved them from the same values); integer buffers (BatchNorm's batch counts) are the first run's, since nothing
reads them in eval mode; the colour bins must be identical.

The checkpoint's state adds up the ingredients' steps and wall time (the crops behind the soup) and lists each
ingredient under "soup" (path, step, wall, seed), which trainer.export carries into the card's training block.
Runs started from a committed delta (trainer/slim.py) share its record of the runs before it, which the soup keeps.
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import torch

from engine.io.atomic import write_atomic


class SoupError(ValueError):
    """The checkpoints cannot be averaged into one model."""


def _same_start(configs: list[dict]) -> None:
    starts = {str(c.get("init_from", "")) for c in configs}
    if len(starts) != 1 or "" in starts:
        raise SoupError(f"a soup needs runs from one start (init_from), got {sorted(starts)}")


def soup_state(models: list[dict]) -> dict:
    """The uniform mean of state dicts with the same keys and shapes (floats averaged in float64, cast back)."""
    keys = list(models[0])
    for m in models[1:]:
        if set(m) != set(keys):
            extra = sorted(set(m) ^ set(keys))[:3]
            raise SoupError(f"the checkpoints hold different tensors ({', '.join(extra)} ...)")
    out = {}
    for k in keys:
        ts = [m[k] for m in models]
        if any(t.shape != ts[0].shape for t in ts):
            raise SoupError(f"tensor {k} has different shapes: {[tuple(t.shape) for t in ts]}")
        if k == "bins":
            if any(not torch.equal(t, ts[0]) for t in ts):
                raise SoupError("the checkpoints quantize colour with different bins")
            out[k] = ts[0].clone()
        elif ts[0].is_floating_point():
            out[k] = torch.stack([t.double() for t in ts]).mean(0).to(ts[0].dtype)
        else:
            out[k] = ts[0].clone()
    return out


def soup(paths: list[Path]) -> dict:
    """One checkpoint from several (see the module docstring); raises SoupError when they do not belong together."""
    if len(paths) < 2:
        raise SoupError("a soup needs at least two checkpoints")
    cks = [torch.load(p, map_location="cpu", weights_only=True) for p in paths]
    if any(ck["model_config"] != cks[0]["model_config"] for ck in cks[1:]):
        raise SoupError("the checkpoints are of different networks (model_config differs)")
    _same_start([ck.get("config", {}) for ck in cks])
    states = [ck.get("state", {}) for ck in cks]
    state = {"step": sum(int(s.get("step", 0)) for s in states),
             "epoch": max(int(s.get("epoch", 0)) for s in states),
             "wall": sum(float(s.get("wall", 0.0)) for s in states),
             "prior": states[0].get("prior"),
             "soup": [{"path": str(p), "step": int(s.get("step", 0)), "wall": round(float(s.get("wall", 0.0)), 1),
                       "seed": ck.get("config", {}).get("seed")} for p, s, ck in zip(paths, states, cks)]}
    if states[0].get("delta_totals"):  # one start, so one record of the runs before it
        state["delta_totals"] = states[0]["delta_totals"]
    return {"model": soup_state([ck["model"] for ck in cks]), "state": state, "config": cks[0].get("config", {}),
            "model_config": cks[0]["model_config"], "hardware": cks[0].get("hardware")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoints", nargs="+", help="last.pt of each run (two or more, from one start)")
    ap.add_argument("--out", required=True, help="the soup's checkpoint (weights and state, no optimizer)")
    a = ap.parse_args(argv)
    paths = [Path(p) for p in a.checkpoints]
    try:
        ck = soup(paths)
    except (OSError, RuntimeError, KeyError, SoupError) as e:  # torch.load raises RuntimeError on a damaged file
        print(f"soup: {e}", file=sys.stderr)
        return 2
    buf = io.BytesIO()
    torch.save(ck, buf)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, buf.getvalue())
    print(f"wrote {out}: the mean of {len(paths)} runs ({ck['state']['step']:,} steps in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
