"""One exception hierarchy. Every class also subclasses the builtin a caller would catch.

>>> issubclass(ImageReadError, ValueError) and issubclass(ImageReadError, EmotionNetError)
True
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


class EmotionNetError(Exception):
    """Root of every error emotionnet raises on purpose.

    Attributes:
        partial: Set when a batch call (``predict([...])``) raises after doing its work: the
            results finished, in input order, as :class:`Interrupted`'s ``partial`` (here every
            input's, a failed one with its ``error`` set, as ``on_error="return"`` gives them).
        index: The position of the input that raised this error in that batch.
    """

    partial: list[Any] | None = None
    index: int | None = None


class InvalidInputError(EmotionNetError, ValueError):
    """An argument has the wrong type, shape, dtype or value."""


class InvalidImageError(InvalidInputError):
    """An array or decoded image cannot be used as an image (shape, dtype, size, NaN)."""


class ImageReadError(EmotionNetError, ValueError):
    """A file or byte string could not be decoded as an image."""


class ImageNotFoundError(EmotionNetError, FileNotFoundError):
    """An image or video path does not exist or is not a file."""


class VideoReadError(EmotionNetError, OSError):
    """A video file or capture source could not be opened or read."""


class ModelNotFoundError(EmotionNetError, LookupError):
    """A model name, repository, revision or file is not known or not found."""


class WeightsError(EmotionNetError, OSError):
    """A weights file is unusable: corrupt, truncated, wrong format or wrong tensors."""


class ChecksumError(WeightsError):
    """A weights file's sha256 differs from the one its registry entry declares."""

    def __init__(self, path: str, expected: str, actual: str) -> None:
        super().__init__(
            f"sha256 mismatch for {path}: expected {expected}, got {actual}. The file was not used; "
            "it may be tampered with or partially downloaded. Delete it (or pass force_download=True) "
            "and download again."
        )
        self.path, self.expected, self.actual = path, expected, actual


class OfflineError(EmotionNetError, ConnectionError):
    """Weights are not cached and the Hub cannot be reached (or offline mode is on)."""


class DetectorError(EmotionNetError, RuntimeError):
    """The face detector could not be created or failed on an image."""


class OutputError(EmotionNetError, OSError):
    """An output file cannot be written: it is an input, a directory, or its folder is missing."""


class ServerError(EmotionNetError, OSError):
    """The live view's HTTP server cannot start (port in use, no permission, unknown host)."""


def exit_code(exc: EmotionNetError) -> int:
    """The command line's exit status for ``exc``: 2 for a wrong option value, 1 for failed work.

    Args:
        exc: The error a command raised.

    Returns:
        2 for an :class:`InvalidInputError` that is not about an image, else 1.
    """
    return 2 if isinstance(exc, InvalidInputError) and not isinstance(exc, InvalidImageError) else 1


def describe(exc: BaseException) -> str:
    """``"Type: message"``, as error columns of tables (``predict --csv``, Ray) spell a failure.

    Args:
        exc: The error.

    Returns:
        The class name, a colon and the message.
    """
    return f"{type(exc).__name__}: {exc}"


def report(main: Callable[[], int]) -> int:
    """Run a command's ``main``: an emotionnet error becomes one ``error:`` line and its exit status.

    Args:
        main: The command; returns its exit status.

    Returns:
        ``main``'s status, or :func:`exit_code` of the error it raised.
    """
    try:
        return main()
    except EmotionNetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exit_code(exc)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during long work; ``partial`` holds what was finished (e.g. a ``VideoPrediction``).

    A :class:`KeyboardInterrupt`, so code that does not know it still stops as on any Ctrl-C.
    """

    def __init__(self, message: str, partial: object) -> None:
        super().__init__(message)
        self.partial = partial


class DatasetError(EmotionNetError, OSError):
    """A training or evaluation dataset is unusable: a folder, an image or a FER+ vote row is
    missing or unreadable, or a re-cut copy does not match its original."""


class MissingDependencyError(EmotionNetError, ImportError):
    """An optional feature needs a package that is not installed; the message names the extra."""


__all__ = [
    "ChecksumError",
    "DatasetError",
    "DetectorError",
    "EmotionNetError",
    "ImageNotFoundError",
    "ImageReadError",
    "Interrupted",
    "InvalidImageError",
    "InvalidInputError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "OfflineError",
    "OutputError",
    "ServerError",
    "VideoReadError",
    "WeightsError",
]
