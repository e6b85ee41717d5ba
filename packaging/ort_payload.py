"""Carry onnxruntime-gpu to a machine that cannot fetch it, in parts small enough for each transfer, and rebuild it.

    python packaging/ort_payload.py pack onnxruntime_gpu-1.31.1-cp312-*.whl .ortgpu [--part-mb 52]
    python packaging/ort_payload.py unpack .ortgpu /tmp/site      # on the other machine, once every part is there
    PYTHONPATH=/tmp/site python packaging/gpu_check.py --preload --no-bench

Why: the GPU machine this project is sometimes lent takes 64 MiB of files per call, and the onnxruntime-gpu wheel
is 256 MB (its CUDA provider library alone 284 MB unpacked). `pack` takes the wheel's onnxruntime package (less
the TensorRT provider), compresses it with LZMA (1.31.1's CUDA provider: 271
-> 186 MB; the wheel's own deflate gives 231) and cuts it into numbered parts beside a manifest of SHA-256 sums.
`unpack` checks every part against the manifest, so a missing or damaged part is named before anything is written,
then extracts into the target folder, which goes first on PYTHONPATH (the machine's own CPU onnxruntime stays
installed and is shadowed). Standard library only: the other machine needs no xz binary.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import lzma
import sys
import tarfile
import zipfile
from pathlib import Path

MANIFEST = "manifest.json"
STEM = "ort-gpu.tar.xz"
# Left out of the payload: TensorRT is not installed where this goes. The rest stays whole (the fp16 conversion,
# engine/precision.py, imports onnxruntime.transformers).
SKIP = ("libonnxruntime_providers_tensorrt.so",)


class PayloadError(Exception):
    """A wheel, part or manifest that cannot be used; the message names the file and the problem."""


def _kept(name: str) -> bool:
    return name.startswith("onnxruntime/") and not name.endswith("/") and not any(s in name for s in SKIP)


def pack(wheel: Path, out: Path, part_mb: float = 52.0) -> dict:
    """Write out/ort-gpu.tar.xz.partNN and out/manifest.json from `wheel`; returns the manifest."""
    try:
        zf = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as exc:
        raise PayloadError(f"{wheel}: not a readable wheel ({exc})") from None
    names = [n for n in zf.namelist() if _kept(n)]
    if not any(n.startswith("onnxruntime/capi/onnxruntime_pybind11_state") for n in names):
        raise PayloadError(f"{wheel}: no onnxruntime/capi/onnxruntime_pybind11_state module: not an onnxruntime wheel")
    buf = io.BytesIO()
    with lzma.open(buf, "wb", preset=9 | lzma.PRESET_EXTREME) as xz, tarfile.open(fileobj=xz, mode="w") as tar:
        for n in names:
            data = zf.read(n)
            info = tarfile.TarInfo(n)
            info.size, info.mode = len(data), 0o755 if n.endswith(".so") or ".so." in n else 0o644
            tar.addfile(info, io.BytesIO(data))
    blob = buf.getvalue()
    step = max(1, int(part_mb * 2**20))
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(f"{STEM}.part*"):
        old.unlink()
    parts = []
    for k, start in enumerate(range(0, len(blob), step)):
        chunk = blob[start:start + step]
        name = f"{STEM}.part{k:02d}"
        (out / name).write_bytes(chunk)
        parts.append({"file": name, "bytes": len(chunk), "sha256": hashlib.sha256(chunk).hexdigest()})
    manifest = {"wheel": wheel.name, "files": len(names), "bytes": len(blob),
                "sha256": hashlib.sha256(blob).hexdigest(), "parts": parts}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return manifest


def unpack(folder: Path, target: Path) -> dict:
    """Check every part of folder's manifest, join them and extract into target; returns the manifest."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise PayloadError(f"{folder / MANIFEST}: cannot read the manifest ({exc})") from None
    chunks = []
    for p in manifest["parts"]:
        path = folder / p["file"]
        if not path.is_file():
            raise PayloadError(f"{path}: missing ({len(manifest['parts'])} parts expected)")
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != p["sha256"]:
            raise PayloadError(f"{path}: damaged (SHA-256 differs from the manifest's)")
        chunks.append(data)
    blob = b"".join(chunks)
    if hashlib.sha256(blob).hexdigest() != manifest["sha256"]:
        raise PayloadError(f"{folder}: the joined parts differ from the manifest's whole")
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(lzma.decompress(blob)), mode="r") as tar:
        tar.extractall(target, filter="data")
    return manifest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack", help="wheel -> numbered parts and a manifest")
    p.add_argument("wheel", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--part-mb", type=float, default=52.0, help="MiB per part (default 52: a part, the code and the "
                                                                "model fit one 64 MiB transfer)")
    u = sub.add_parser("unpack", help="parts and manifest -> an importable onnxruntime in TARGET")
    u.add_argument("folder", type=Path)
    u.add_argument("target", type=Path)
    a = ap.parse_args(argv)
    try:
        if a.cmd == "pack":
            m = pack(a.wheel, a.out, a.part_mb)
            print(f"{a.wheel.name}: {m['files']} files, {m['bytes'] / 2**20:.1f} MiB in {len(m['parts'])} parts "
                  f"under {a.out}")
        else:
            m = unpack(a.folder, a.target)
            print(f"{m['wheel']}: {m['files']} files into {a.target}")
    except PayloadError as exc:
        print(f"ort_payload: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
