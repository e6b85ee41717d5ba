"""What the Help menu says, made from the live objects: the window's own shortcuts and the model's card."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence

from engine.recipe import tinta_version


def action_name(action: QAction) -> str:
    """The action's menu text without its mnemonic ('&Open…' -> 'Open…', '&&' stays one '&')."""
    return action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").strip()


def shortcut_rows(window) -> list[tuple[str, str, str]]:
    """(menu, action, keys) for every action of the window that has a shortcut: menu by menu as the menu bar
    shows them, then those in no menu. Made from the actions each time, so it cannot go stale."""
    rows, seen = [], set()

    def add(section: str, action: QAction) -> None:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts() if not k.isEmpty()]
        if not keys or id(action) in seen or action.isSeparator():
            return
        seen.add(id(action))
        rows.append((section, action_name(action), ", ".join(dict.fromkeys(keys))))  # a platform key given twice once

    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        if menu is None:
            continue
        for action in _menu_actions(menu):
            add(action_name(menu_action), action)
    for action in window.findChildren(QAction):
        add("Other", action)
    return rows


def _menu_actions(menu):
    for action in menu.actions():
        sub = action.menu()
        if sub is not None:
            yield from _menu_actions(sub)
        else:
            yield action


@dataclass(frozen=True)
class About:
    """The About box's facts: Tinta's version and the colorization model's card (None when none is installed)."""
    version: str
    model: str                  # "name version", or why there is none
    data: list[str]             # what the model was trained on
    licences: list[str]         # its data's and its own licences, as the card states them
    measured: list[str]         # the card's measured numbers, one line each


def about(card=None, problem: str | None = None) -> About:
    """From the model in use (`card`), else the installed default model's card."""
    if card is None:
        from engine.errors import ModelError
        from engine.models import find_card
        try:
            card = find_card()
        except ModelError as exc:
            problem = problem or str(exc)
    version = tinta_version()
    if card is None:
        return About(version, f"no colorization model ({problem})", [], [], [])
    training = card.training or {}
    data = [str(training["data_note"])] if training.get("data_note") else [str(d) for d in training.get("data", [])]
    return About(version, f"{card.name} {card.version}".strip(), data, _lines(card.licences),
                 measured(card.metrics or {}))


def _lines(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [f"{k}: {v}" for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def measured(metrics: dict) -> list[str]:
    """The card's evaluation in words: the model against gray input on every evaluation set, its speed, and
    each goal met or missed."""
    rows = metrics.get("rows") or {}
    out = []
    for key, row in rows.items():
        if not key.startswith("model/") or not isinstance(row, dict):
            continue
        where = key.split("/", 1)[1]
        gray = rows.get(f"gray/{where}", {})
        out.append(f"{'all sets' if where == 'all' else where} ({row.get('images', '?')} photos): "
                   f"PSNR {_num(row.get('psnr'))} dB (gray {_num(gray.get('psnr'))}), "
                   f"SSIM {_num(row.get('ssim'), 3)}, colourfulness {_num(row.get('colourfulness'), 1)} "
                   f"(true {_num(row.get('colourfulness_true'), 1)})")
    if "seconds_per_photo" in metrics:
        out.append(f"{_num(metrics['seconds_per_photo'], 3)} s per photo on {metrics.get('provider', '?')}")
    for name, goal in (metrics.get("goals") or {}).items():
        if isinstance(goal, dict) and "met" in goal:
            value = goal.get("value")
            shown = ", ".join(f"{k} {_num(v, 3)}" for k, v in value.items()) if isinstance(value, dict) \
                else _num(value, 3)
            out.append(f"goal {name.replace('_', ' ')} {goal.get('target', '')}: {shown} "
                       f"({'met' if goal['met'] else 'not met'})")
    if not out:  # a card without the evaluation's layout: its plain numbers and notes as they are
        out = [f"{k}: {v}" for k, v in metrics.items() if isinstance(v, (int, float, str))]
    return out


def _num(value, digits: int = 2) -> str:
    return f"{value:.{digits}f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "?"
