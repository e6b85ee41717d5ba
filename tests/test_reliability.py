"""Nothing is lost on bad output conditions: read-only folders, full disks, bad hints, foreign files, dead workers."""
import builtins
import errno
import io
import json
import os
import re
from pathlib import Path

import pytest

import engine.batch.run
import engine.io.atomic
from engine.batch.run import BatchLock
from engine.cli import main
from engine.errors import TintaError
from engine.io.atomic import atomic_path, write_atomic
from engine.io.image import write_image
from engine_fixtures import gradient_image
from test_batch import models  # noqa: F401  (the tiny test model, isolated per test)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def photos(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    for name in ("a", "b", "c"):
        write_image(inp / f"{name}.png", gradient_image(40, 56))
    return inp


def _err_lines(err: str) -> list[str]:
    """stderr's message lines (progress bars left out), after checking they are all `tinta: ...` lines and
    that there is no traceback."""
    lines = [line for line in err.splitlines() if line.strip() and not re.match(r"\[[#.]{24}\] \d+/\d+ ", line)]
    assert "Traceback" not in err
    assert all(line.startswith("tinta: ") for line in lines), lines
    return lines


def _inside(path, folder: Path) -> bool:
    if isinstance(path, int):
        return False
    p = Path(os.fsdecode(path)).resolve()
    return p == folder or folder in p.parents


def make_read_only(folder: Path, monkeypatch, undo: list) -> None:
    """chmod 555; where that does not stop writes (root), refuse what the OS would refuse in such a folder:
    new names, renames into it, removals; existing writable files stay writable."""
    folder = folder.resolve()
    mode = folder.stat().st_mode
    folder.chmod(0o555)
    undo.append(lambda: folder.chmod(mode))
    probe = folder / ".probe"
    try:
        probe.write_bytes(b"")
    except PermissionError:
        return
    probe.unlink()

    def denied(path):
        return PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))

    def new_inside(path) -> bool:
        return _inside(path, folder) and not os.path.exists(path)

    real_os_open, real_io_open = os.open, io.open
    real = {name: getattr(os, name) for name in ("replace", "rename", "mkdir", "unlink", "remove")}

    def os_open(path, flags, *a, **k):
        if flags & os.O_CREAT and new_inside(path):
            raise denied(path)
        return real_os_open(path, flags, *a, **k)

    def io_open(file, mode="r", *a, **k):
        if any(c in mode for c in "wax") and new_inside(file):
            raise denied(file)
        return real_io_open(file, mode, *a, **k)

    def guard(name, target_arg):
        def fn(*a, **k):
            if _inside(a[target_arg], folder) and (name != "mkdir" or not os.path.exists(a[0])):
                raise denied(a[target_arg])
            return real[name](*a, **k)
        return fn

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(io, "open", io_open)
    monkeypatch.setattr(builtins, "open", io_open)
    for name, target in (("replace", 1), ("rename", 1), ("mkdir", 0), ("unlink", 0), ("remove", 0)):
        monkeypatch.setattr(os, name, guard(name, target))


@pytest.fixture
def read_only(monkeypatch):
    undo = []
    yield lambda folder: make_read_only(folder, monkeypatch, undo)
    monkeypatch.undo()
    for fn in undo:
        fn()


def test_batch_into_read_only_folder_is_one_line(tmp_path, models, photos, read_only, capsys):
    out = tmp_path / "out"
    out.mkdir()
    read_only(out)
    assert main(["batch", str(photos), "-o", str(out), "--workers", "1", "--quiet"]) == 1
    lines = _err_lines(capsys.readouterr().err)
    assert lines == [f"tinta: error: {out}: cannot write to output folder (Permission denied)"]


def test_batch_read_only_after_locking_fails_each_photo_then_the_report(tmp_path, models, photos, read_only,
                                                                       capsys):
    out = tmp_path / "out"
    out.mkdir()
    lock = out / ".tinta-batch.lock"
    lock.write_bytes(b"")  # an earlier run's lock file: it still opens in a folder that turned read-only
    lock.chmod(0o666)
    read_only(out)
    assert main(["batch", str(photos), "-o", str(out), "--workers", "1", "--quiet"]) == 1
    lines = _err_lines(capsys.readouterr().err)
    assert len(lines) == 4 and all(line.endswith("(Permission denied)") for line in lines), lines
    for line, name in zip(lines, ("a", "b", "c")):
        assert line.startswith(f"tinta: error: {out / name}.png")
    assert lines[-1] == f"tinta: error: {out / 'tinta-report.json'}: cannot write the batch report (Permission denied)"
    assert sorted(p.name for p in out.iterdir()) == [".tinta-batch.lock"]


def test_colorize_into_read_only_folder_is_one_line(tmp_path, models, photos, read_only, capsys):
    out = tmp_path / "out"
    out.mkdir()
    read_only(out)
    assert main(["colorize", str(photos / "a.png"), "-o", str(out)]) == 1
    assert _err_lines(capsys.readouterr().err) == [
        f"tinta: error: {out}: cannot write to output folder (Permission denied)"]


def _disk_full(monkeypatch):
    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device", path)
    monkeypatch.setattr(engine.io.atomic, "_fsync_file", full)  # where a full disk shows up on delayed allocation


def test_batch_on_a_full_disk_fails_each_photo_and_the_report_leaving_no_temp_files(tmp_path, models, photos,
                                                                                  monkeypatch, capsys):
    out = tmp_path / "out"
    _disk_full(monkeypatch)
    assert main(["batch", str(photos), "-o", str(out), "--workers", "1", "--quiet"]) == 1
    lines = _err_lines(capsys.readouterr().err)
    assert len(lines) == 4 and all(line.endswith("(No space left on device)") for line in lines), lines
    assert "tinta-report.json: cannot write the batch report" in lines[-1]
    assert sorted(p.name for p in out.iterdir()) == [".tinta-batch.lock"]


def test_colorize_on_a_full_disk_is_one_line_per_file(tmp_path, models, photos, monkeypatch, capsys):
    _disk_full(monkeypatch)
    assert main(["colorize", str(photos), "-o", str(tmp_path / "out")]) == 1
    lines = _err_lines(capsys.readouterr().err)
    assert len(lines) == 3 and all("cannot write (No space left on device)" in line for line in lines), lines
    assert not list((tmp_path / "out").iterdir())


def test_report_that_cannot_be_written_ends_with_one_error_line(tmp_path, models, photos, capsys):
    out = tmp_path / "out"
    (out / "tinta-report.json").mkdir(parents=True)  # rename over a folder fails for root too
    assert main(["batch", str(photos), "-o", str(out), "--workers", "1", "--quiet"]) == 1
    cap = capsys.readouterr()
    lines = _err_lines(cap.err)
    assert len(lines) == 1 and lines[0].startswith(f"tinta: error: {out / 'tinta-report.json'}: cannot write "
                                                   f"the batch report (")
    assert "3 rendered" in cap.out and "report: not written" in cap.out
    assert {"a.png", "b.png", "c.png"} <= {p.name for p in out.iterdir()}


def test_rerender_into_a_bad_folder_is_one_line(tmp_path, models, photos, read_only, capsys):
    out = tmp_path / "out"
    assert main(["batch", str(photos), "-o", str(out), "--workers", "1", "--quiet"]) == 0
    side = str(out / "a.png.recipe.json")
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    capsys.readouterr()
    assert main(["batch", "--rerender", side, "-o", str(blocker / "re")]) == 1
    assert _err_lines(capsys.readouterr().err) == [
        f"tinta: error: {blocker / 're'}: cannot create output folder (Not a directory)"]
    ro = tmp_path / "ro"
    ro.mkdir()
    read_only(ro)
    assert main(["batch", "--rerender", side, "-o", str(ro)]) == 1
    lines = _err_lines(capsys.readouterr().err)
    assert len(lines) == 1 and lines[0].startswith(f"tinta: error: {ro}") and "Permission denied" in lines[0]


def test_malformed_hints_file_fails_that_photo_only(tmp_path, models, photos, capsys):
    bad = photos / "b.png.hints.json"
    bad.write_text('{"hints": [{"x": 1, "y": ')
    (photos / "c.png.hints.json").write_text(json.dumps({"hints": [{"x": 5, "y": 5, "color": "#a0522d"}]}))
    out = tmp_path / "out"
    assert main(["batch", str(photos), "-o", str(out), "--workers", "1", "--quiet"]) == 1
    lines = _err_lines(capsys.readouterr().err)
    assert len(lines) == 1 and lines[0].startswith(f"tinta: error: {bad}: malformed JSON"), lines
    assert {"a.png", "c.png"} <= {p.name for p in out.iterdir()} and not (out / "b.png").exists()
    report = json.loads((out / "tinta-report.json").read_text())
    assert report["rendered"] == 2 and report["failures"][0]["source"] == str(photos / "b.png")
    assert json.loads((out / "c.png.recipe.json").read_text())["recipe"]["hints"][0]["color"] == "#a0522d"


def test_batch_never_replaces_a_file_it_did_not_write(tmp_path, models, photos, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.png").write_bytes(b"someone else's file")
    args = ["batch", str(photos), "-o", str(out), "--workers", "1", "--quiet"]
    assert main(args) == 1
    lines = _err_lines(capsys.readouterr().err)
    assert lines == [f"tinta: error: {photos / 'b.png'}: output {out / 'b.png'} exists and was not written by "
                     f"tinta batch (no recipe sidecar names it); use --overwrite to replace it"]
    assert (out / "b.png").read_bytes() == b"someone else's file" and (out / "a.png.recipe.json").exists()
    assert main(args) == 1 and (out / "b.png").read_bytes() == b"someone else's file"
    assert main(args + ["--overwrite"]) == 0 and (out / "b.png").read_bytes().startswith(b"\x89PNG")


def test_batch_replaces_its_own_claimed_output_after_a_crash(tmp_path, models, photos):
    out = tmp_path / "out"
    args = ["batch", str(photos), "-o", str(out), "--workers", "1", "--quiet"]
    assert main(args) == 0
    side = out / "b.png.recipe.json"
    data = json.loads(side.read_text())
    data["output_sha256"] = ""  # as left by a run killed between writing the output and its hash
    side.write_text(json.dumps(data))
    (out / "b.png").write_bytes(b"half written")
    assert main(args) == 0
    assert (out / "b.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((out / "tinta-report.json").read_text())["rendered"] == 1


@pytest.mark.timeout(180)
def test_worker_that_cannot_start_stops_the_batch_with_one_line(tmp_path, models, photos, monkeypatch, capfd):
    empty = tmp_path / "no-models"
    empty.mkdir()
    real = engine.batch.run.run_local

    def model_gone_after_the_check(pairs, workers, model, provider):
        # The parent has loaded the model; the workers, spawned now, inherit a models folder without it.
        monkeypatch.setenv("TINTA_MODELS_DIR", str(empty))
        return real(pairs, workers, model, provider)

    monkeypatch.setattr(engine.batch.run, "run_local", model_gone_after_the_check)
    out = tmp_path / "out"
    assert main(["batch", str(photos), "-o", str(out), "--workers", "2", "--quiet"]) == 1
    lines = _err_lines(capfd.readouterr().err)  # capfd: the workers' stderr too
    assert len(lines) == 1 and lines[0].startswith("tinta: error: a batch worker could not start: "), lines
    assert "no colorization model" in lines[0]
    assert json.loads((out / "tinta-report.json").read_text())["rendered"] == 0


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "r.json"
    write_atomic(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            Path(tmp).write_text("half")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new" and oct(target.stat().st_mode & 0o777) != oct(0o600)


def test_batch_lock_is_exclusive_and_cross_platform(tmp_path):
    sources = "".join(p.read_text() for p in (ROOT / "engine").glob("*.py"))
    assert "import fcntl" not in sources and "msvcrt" not in sources  # filelock does it on every OS
    with BatchLock(tmp_path):
        with pytest.raises(TintaError, match="another tinta batch is writing to this folder"):
            with BatchLock(tmp_path):
                pass
    with BatchLock(tmp_path):  # released: a later run locks again
        pass
