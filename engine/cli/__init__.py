"""The `tinta` command line: `tinta colorize`, `tinta batch`, `tinta info`."""
from .commands import main

__all__ = ["main"]
