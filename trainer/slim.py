"""Strip a checkpoint to what export needs (no optimizer) and split it into parts small enough to travel;
or keep only what a fine-tune changed on top of a shipped model, small enough to commit.

    python -m trainer.slim runs/base/last.pt out/base.pt [--part-mb 15] [--half]   -> out/base.pt.part0, .part1, ...
    python -m trainer.slim --join out/base.pt                              -> out/base.pt
    python -m trainer.slim --delta-from resources/models/tinta-base.onnx runs/cpu_ft/last.pt \
        trainer/checkpoints/tinta-base-cpu.pt                             -> one file, 4 MB (+5 MB with 5 blocks)

A delta holds the weights a frozen-encoder fine-tune trains (decoder and heads, and the encoder's last blocks when
--unfreeze_blocks trained them: fp16 matrices, fp32 vectors and BatchNorm statistics), the base model's path and
SHA-256, and the steps and crops so far, added up over runs.
`python -m trainer.train --init_from DELTA` starts from the base with the delta on top (trainer/train.py).
"""
from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

import torch

from trainer.config import is_frozen


def halve(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Matrices and kernels in fp16, vectors (biases, BatchNorm) as they are: half the bytes, and what a start needs."""
    return {k: (v.half() if v.is_floating_point() and v.dim() > 1 else v) for k, v in weights.items()}


def slim(src: Path, dst: Path, part_mb: float = 15.0, half: bool = False) -> list[Path]:
    """`half`: weights through `halve`. A GPU call carries its start beside a photo pack in 64 MiB: the 6.7M weights
    are 27 MB in fp32 and 13.5 in fp16, which is what leaves room for a quarter of the photos."""
    ck = torch.load(src, map_location="cpu", weights_only=True)
    keep = {k: ck[k] for k in ("model", "state", "config", "model_config", "hardware") if k in ck}
    if half:
        keep["model"] = halve(keep["model"])
    dst.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    torch.save(keep, buf)
    data, step = buf.getvalue(), int(part_mb * (1 << 20))
    parts = []
    for i in range(0, len(data), step):
        p = dst.with_name(f"{dst.name}.part{i // step}")
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_bytes(data[i:i + step])
        os.replace(tmp, p)
        parts.append(p)
    return parts


def delta(src: Path, base: Path, dst: Path) -> Path:
    """Write `dst`: the trained part of checkpoint `src` (a fine-tune of the ONNX model `base`) and its totals."""
    import hashlib

    ck = torch.load(src, map_location="cpu", weights_only=True)
    if not ck["config"].get("freeze_encoder"):
        raise ValueError(f"{src}: a delta keeps only the decoder; this run trained the encoder too")
    blocks = 1 + max((int(k.split(".")[2]) for k in ck["model"] if k.startswith("encoder._blocks.")), default=-1)
    unfreeze = int(ck["config"].get("unfreeze_blocks", 0))
    weights = halve({k: v.clone() for k, v in ck["model"].items() if not is_frozen(k, unfreeze, blocks)})
    st = ck["state"]  # a run started from a delta carries that delta's totals in its state (trainer/train.py)
    prev = st.get("delta_totals") or {"steps": 0, "crops": 0, "wall_s": 0.0, "runs": 0}
    totals = {"steps": prev["steps"] + st["step"], "crops": prev["crops"] + st["step"] * ck["config"]["batch"],
              "wall_s": prev["wall_s"] + st["wall"], "runs": prev["runs"] + 1}
    out = {"model": weights, "base": str(base), "base_sha256": hashlib.sha256(Path(base).read_bytes()).hexdigest(),
           "config": ck["config"], "model_config": ck["model_config"], "prior": st.get("prior"),
           "delta_totals": totals, "hardware": ck.get("hardware")}
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    torch.save(out, tmp)
    os.replace(tmp, dst)
    return dst


def join(dst: Path) -> Path:
    parts = sorted(dst.parent.glob(dst.name + ".part*"), key=lambda p: int(p.suffix[5:]))
    if not parts:
        raise FileNotFoundError(f"{dst}: no .part files")
    tmp = dst.with_name(dst.name + ".tmp")
    with open(tmp, "wb") as f:
        for p in parts:
            f.write(p.read_bytes())
    torch.load(tmp, map_location="cpu", weights_only=True)  # refuse a join that does not load
    os.replace(tmp, dst)
    return dst


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--join", action="store_true")
    ap.add_argument("--part-mb", type=float, default=15.0)
    ap.add_argument("--half", action="store_true", help="weights' matrices in fp16 (half the bytes to carry)")
    ap.add_argument("--delta-from", metavar="BASE_ONNX", help="keep only what a fine-tune of BASE_ONNX trained")
    a = ap.parse_args(argv)
    if a.delta_from:
        p = delta(Path(a.paths[0]), Path(a.delta_from), Path(a.paths[1]))
        print(p, p.stat().st_size)
    elif a.join:
        print(join(Path(a.paths[0])))
    else:
        for p in slim(Path(a.paths[0]), Path(a.paths[1]), a.part_mb, a.half):
            print(p, p.stat().st_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
