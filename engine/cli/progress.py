"""The command line's progress bars on stderr (tqdm), in one look: `[######..................] 3/12 ...`."""
from __future__ import annotations

import sys

WIDTH = 24  # characters of the bar itself


def progress_bar(total: int, tail: str = "{desc}", leave: bool = True, disable: bool = False, file=None):
    """A tqdm bar `[###...] n/total <tail>` (tail: tqdm bar_format fields, e.g. {desc}, {rate_fmt}, {remaining}).

    On a terminal it is redrawn in place, at most ten times a second, and kept to the terminal's width;
    elsewhere (a log file, a pipe) it is redrawn every 5% of the total, so logs stay short.
    """
    from tqdm import tqdm  # here, not at the top: `tinta info` and the app's start-up never load it

    file = file or sys.stderr
    tty = file.isatty()
    return tqdm(total=total, file=file, disable=disable, leave=leave, ascii=".#", unit=" files",
                bar_format=f"[{{bar:{WIDTH}}}] {{n_fmt}}/{{total_fmt}} {tail}", dynamic_ncols=tty,
                mininterval=0.1 if tty else 0.0, miniters=1 if tty else max(1, total // 20))
