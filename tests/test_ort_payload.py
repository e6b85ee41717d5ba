"""packaging/ort_payload.py: a wheel cut into checked parts and rebuilt, and every broken case named."""
from __future__ import annotations

import importlib.util
import json
import os
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("ort_payload", ROOT / "packaging" / "ort_payload.py")
ort_payload = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ort_payload)

FILES = {
    "onnxruntime/__init__.py": b"VERSION = 'fake'\n",
    "onnxruntime/capi/onnxruntime_pybind11_state.cpython-312-x86_64-linux-gnu.so": os.urandom(300_000),
    "onnxruntime/capi/libonnxruntime_providers_cuda.so": os.urandom(500_000),
    "onnxruntime/capi/libonnxruntime_providers_tensorrt.so": b"trt",
    "onnxruntime/transformers/float16.py": b"def convert_float_to_float16(): pass\n",
    "onnxruntime_gpu-1.31.1.dist-info/METADATA": b"Name: onnxruntime-gpu\n",
}


def _wheel(tmp_path: Path, files=FILES) -> Path:
    path = tmp_path / "onnxruntime_gpu-1.31.1-cp312-cp312-manylinux_2_28_x86_64.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def test_pack_cuts_parts_and_unpack_rebuilds_the_package_without_tensorrt(tmp_path):
    m = ort_payload.pack(_wheel(tmp_path), tmp_path / "parts", part_mb=0.25)
    # Random bytes do not compress: 800 kB in parts of 256 KiB.
    assert len(m["parts"]) == 4 and all(p["bytes"] <= 2**18 for p in m["parts"])
    assert sorted(f.name for f in (tmp_path / "parts").iterdir()) == \
        ["manifest.json"] + [f"ort-gpu.tar.xz.part{k:02d}" for k in range(4)]
    out = tmp_path / "site"
    assert ort_payload.main(["unpack", str(tmp_path / "parts"), str(out)]) == 0
    got = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    want = {k: v for k, v in FILES.items() if k.startswith("onnxruntime/") and "tensorrt" not in k}
    assert got == want
    assert os.access(out / "onnxruntime/capi/libonnxruntime_providers_cuda.so", os.X_OK)


def test_a_missing_or_damaged_part_is_named_before_anything_is_written(tmp_path, capsys):
    parts = tmp_path / "parts"
    ort_payload.pack(_wheel(tmp_path), parts, part_mb=0.25)
    (parts / "ort-gpu.tar.xz.part02").unlink()
    assert ort_payload.main(["unpack", str(parts), str(tmp_path / "a")]) == 1
    err = capsys.readouterr().err
    assert "part02: missing (4 parts expected)" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "a").exists()
    ort_payload.pack(_wheel(tmp_path), parts, part_mb=0.25)
    data = bytearray((parts / "ort-gpu.tar.xz.part01").read_bytes())
    data[100] ^= 1
    (parts / "ort-gpu.tar.xz.part01").write_bytes(bytes(data))
    with pytest.raises(ort_payload.PayloadError, match="part01: damaged"):
        ort_payload.unpack(parts, tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_repacking_leaves_no_stale_parts_and_bad_inputs_get_one_line(tmp_path, capsys):
    parts = tmp_path / "parts"
    ort_payload.pack(_wheel(tmp_path), parts, part_mb=0.25)
    m = ort_payload.pack(_wheel(tmp_path), parts, part_mb=1)
    assert len(m["parts"]) == 1 and len(list(parts.glob("*.part*"))) == 1
    assert json.loads((parts / "manifest.json").read_text())["parts"] == m["parts"]
    not_zip = tmp_path / "x.whl"
    not_zip.write_text("hello")
    assert ort_payload.main(["pack", str(not_zip), str(tmp_path / "o")]) == 1
    assert "x.whl: not a readable wheel" in capsys.readouterr().err
    (tmp_path / "w").mkdir()
    other = _wheel(tmp_path / "w", {"numpy/__init__.py": b""})
    assert ort_payload.main(["pack", str(other), str(tmp_path / "o")]) == 1
    assert "not an onnxruntime wheel" in capsys.readouterr().err
    assert ort_payload.main(["unpack", str(tmp_path / "nothing"), str(tmp_path / "t")]) == 1
    assert "manifest.json: cannot read the manifest" in capsys.readouterr().err
