"""Frozen entry point of the `tinta` command line (PyInstaller needs a script, not a console_scripts entry)."""
import multiprocessing
import sys

from engine.cli import main

if __name__ == "__main__":
    # Batch workers use the "spawn" start method: in a frozen app the child re-runs this executable,
    # and freeze_support() turns that run into the worker instead of a second app.
    multiprocessing.freeze_support()
    sys.exit(main())
