"""Error types the engine raises for user-facing problems (bad files, models, hints)."""
from __future__ import annotations


class TintaError(Exception):
    """A problem the user can fix; str() is one line naming the thing and the problem."""


class SourcedError(TintaError):
    """A problem tied to one file: str() is '<path>: <problem>'."""

    def __init__(self, path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


class ImageError(SourcedError):
    """An image that cannot be read or written."""


class HintError(SourcedError):
    """A colour-hints file that is malformed or does not fit the image."""


class ModelError(TintaError):
    """No usable model: missing, altered, or its card is malformed."""


class ProviderError(TintaError):
    """An execution provider name that ONNX Runtime does not know."""
