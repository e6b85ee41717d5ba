"""The Help menu: a shortcuts sheet made from the window's own actions, and About with the model card's facts."""
import json
from importlib import metadata
from pathlib import Path

import pytest
from PySide6.QtGui import QAction, QKeySequence

from desktop.help_content import about, action_name
from desktop.help_dialogs import AboutDialog, ShortcutsDialog
from test_desktop_app import colorizer, make_window, models, window  # noqa: F401

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("propagateSizeHints")]


def _open(qtbot, window, action, kind):
    action.trigger()
    shown = [d for d in window.findChildren(kind) if d.isVisible()]  # a closed one may await deletion
    assert len(shown) == 1
    return shown[0]


def test_shortcuts_sheet_lists_every_action_shortcut_and_cannot_go_stale(qtbot, window):
    sheet = _open(qtbot, window, window.act_shortcuts, ShortcutsDialog)
    rows = sheet.rows()
    listed = {(name, keys) for _, name, keys in rows}
    with_keys = [a for a in window.findChildren(QAction) if not all(k.isEmpty() for k in a.shortcuts())]
    assert len(with_keys) >= 15
    for a in with_keys:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts()]
        assert any(name == action_name(a) and all(k in shown for k in keys) for name, shown in listed), a.text()
    assert ("Colorize", "Colorize", "Ctrl+R") in rows and ("Tools", "Hint brush", "D") in rows
    assert ("View", "Show before (B)", "B") in rows and ("Help", "Keyboard shortcuts", "F1") in rows
    assert len(rows) == len({r[1] for r in rows})  # each action once
    sheet.close()
    # A new action is on the sheet the next time it opens, with no list to update by hand.
    tools = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Tools")
    extra = tools.addAction("&Straighten")
    extra.setShortcut(QKeySequence("Ctrl+Shift+K"))
    extra.setShortcut(QKeySequence("Ctrl+Shift+J"))  # changed after it was made
    sheet = _open(qtbot, window, window.act_shortcuts, ShortcutsDialog)
    assert ("Tools", "Straighten", "Ctrl+Shift+J") in sheet.rows()
    sheet.close()


def test_about_names_the_version_and_the_model_in_use(qtbot, window):
    box = _open(qtbot, window, window.act_about, AboutDialog)
    text = box.text.toPlainText()
    card = window.ctl.colorizer.card
    assert f"Tinta {metadata.version('tinta')}" in text
    assert f"{card.name} {card.version}" in text and "model: Apache-2.0" in text  # the test model's card
    box.close()


def test_about_without_a_model_says_why(qtbot, tmp_path, monkeypatch):
    monkeypatch.delenv("TINTA_MODELS_DIR", raising=False)
    w = make_window(qtbot, tmp_path, None)
    box = _open(qtbot, w, w.act_about, AboutDialog)
    assert "no colorization model (no colorization model is installed" in box.text.toPlainText()
    box.close()


@pytest.mark.shipped_model
def test_about_shows_the_shipped_default_cards_data_licence_and_numbers():
    facts = about()
    assert facts.model.startswith("tinta-base ")
    assert any("Research/non-commercial use only" in line for line in facts.licences)
    assert any("CamVid (CC BY-NC 4.0)" in line for line in facts.licences)
    assert facts.data and "photos" in facts.data[0]
    rows = json.loads((Path(__file__).resolve().parents[1] / "resources/models/tinta-base.json").read_text())[
        "metrics"]["rows"]
    want = f"all sets (121 photos): PSNR {rows['model/all']['psnr']:.2f} dB (gray {rows['gray/all']['psnr']:.2f})"
    assert any(line.startswith(want) for line in facts.measured), (want, facts.measured)
    assert any("not met" in line for line in facts.measured) and any("(met)" in line for line in facts.measured)
    html = AboutDialog.html(facts)
    assert "<h3>Licences</h3>" in html and "Kodak24 (24 photos)" in html
