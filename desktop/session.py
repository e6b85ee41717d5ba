"""The app's session file `<photo>.tinta.json`: the engine's reader and writer (engine/session.py), so the CLI's
`tinta colorize --session` renders what the app saved."""
from engine.session import (FORMAT, RESTORE_FLAGS, RESTORE_LEVELS, VERSION, Session, SessionError,  # noqa: F401
                            load_session, save_session, session_path)

__all__ = ["FORMAT", "RESTORE_FLAGS", "RESTORE_LEVELS", "VERSION", "Session", "SessionError", "load_session",
           "save_session", "session_path"]
