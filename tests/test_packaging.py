"""Packaging: the frozen layout matches importlib.resources, the engine stays torch-free, the built app passes
its smoke test (slow; skipped when dist/tinta has not been built with `make package`)."""
import subprocess
import sys
import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist" / "tinta"
SMOKE = ROOT / "packaging" / "smoke.sh"


def _spec_source() -> str:
    return (ROOT / "packaging" / "tinta.spec").read_text(encoding="utf-8")


def test_resources_resolve_through_importlib_like_the_frozen_app():
    # The engine finds models at files("resources")/models; the spec must put them at resources/models.
    models = Path(str(files("resources") / "models"))
    assert (models / "tinta-base.onnx").is_file() and (models / "tinta-base.json").is_file()
    hooks = pytest.importorskip("PyInstaller.utils.hooks", reason="PyInstaller not installed ('package' extra)")
    datas = hooks.collect_data_files("resources", includes=["models/*.onnx", "models/*.json", "bins/*"])
    dests = {(Path(src).name, Path(dest).as_posix()) for src, dest in datas}
    assert ("tinta-base.onnx", "resources/models") in dests and ("tinta-base.json", "resources/models") in dests
    assert ("ab_bins.json", "resources/bins") in dests


def test_spec_reads_the_version_from_pyproject_and_excludes_the_training_stack():
    src = _spec_source()
    assert 'tomllib.loads((ROOT / "pyproject.toml")' in src and "version=VERSION" in src
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert version and f"\"{version}\"" not in src  # never a second, hard-coded copy of the version
    for name in ("torch", "trainer", "matplotlib", "scipy", "skimage"):
        assert f'"{name}"' in src
    assert '"tqdm"' not in src  # the command line's progress bars (engine/cli/progress.py) need it


def test_app_entry_points_import_no_torch_or_training_code():
    # PyInstaller bundles what the entry points import; this is what keeps torch out of the app.
    code = ("import sys, engine.cli, engine.colorizer, engine.precision, desktop.app, desktop.mainwindow\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'trainer', 'matplotlib', 'scipy', 'skimage', 'tqdm'))\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.strip() == ""


def test_smoke_script_refuses_a_missing_build(tmp_path):
    out = subprocess.run(["bash", str(SMOKE), str(tmp_path / "nothing")], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "make package" in out.stderr


@pytest.mark.slow
@pytest.mark.skipif(not (DIST / "tinta").exists(), reason="no built app: run `make package` first")
def test_built_app_passes_the_smoke_test():
    out = subprocess.run(["bash", str(SMOKE), str(DIST)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "all checks passed" in out.stdout
