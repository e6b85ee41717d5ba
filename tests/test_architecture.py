"""The layering rules: pyproject's [tool.importlinter] (engine imports no Qt or torch, the app no trainer, nothing
imports the benchmarks), and packaging/'s own imports, which import-linter cannot see (see pyproject)."""
import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(exe).exists():
        pytest.fail("lint-imports (import-linter, in the dev extra) is not installed")
    run = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def _imported(path: Path) -> set[str]:
    """Top-level names of every module `path` imports, at module level or inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_packaging_never_imports_the_trainer_torch_or_the_benchmarks():
    # The frozen app is built from these; engine's and desktop's contracts cover what they import in turn.
    files = sorted((ROOT / "packaging").glob("*.py")) + [ROOT / "packaging" / "tinta.spec"]
    assert len(files) >= 3
    bad = {f.name: sorted(_imported(f) & {"trainer", "torch", "torchvision", "bench"}) for f in files}
    assert not any(bad.values()), bad
