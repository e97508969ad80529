"""One exception hierarchy. Every class also subclasses the builtin a caller would catch.

>>> issubclass(ImageReadError, ValueError) and issubclass(ImageReadError, EmotionNetError)
True
"""

from __future__ import annotations


class EmotionNetError(Exception):
    """Root of every error emotionnet raises on purpose."""


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


__all__ = [
    "ChecksumError",
    "DetectorError",
    "EmotionNetError",
    "ImageNotFoundError",
    "ImageReadError",
    "InvalidImageError",
    "InvalidInputError",
    "ModelNotFoundError",
    "OfflineError",
    "VideoReadError",
    "WeightsError",
]
