"""Strip a checkpoint to what export needs (no optimizer) and split it into parts small enough to travel.

    python -m trainer.slim runs/base/last.pt out/base.pt [--part-mb 15]   -> out/base.pt.part0, .part1, ...
    python -m trainer.slim --join out/base.pt                              -> out/base.pt
"""
from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

import torch


def slim(src: Path, dst: Path, part_mb: float = 15.0) -> list[Path]:
    ck = torch.load(src, map_location="cpu", weights_only=True)
    keep = {k: ck[k] for k in ("model", "state", "config", "model_config", "hardware") if k in ck}
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
    a = ap.parse_args(argv)
    if a.join:
        print(join(Path(a.paths[0])))
    else:
        for p in slim(Path(a.paths[0]), Path(a.paths[1]), a.part_mb):
            print(p, p.stat().st_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
