"""Cached arrays (decoded images, teacher outputs): written atomically, rebuilt when damaged."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import numpy as np

from .._outputs import atomic_path


class DamagedCacheWarning(UserWarning):
    """A cache file could not be read (cut short, or not ours); it is rebuilt."""


def read_cache(path: Path | None, keys: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The arrays of an ``.npz`` cache, or ``None`` when there is none or it is damaged.

    Args:
        path: The cache file; ``None`` for no cache.
        keys: The arrays it must hold.

    Returns:
        The arrays by name, fully read; ``None`` (with a :class:`DamagedCacheWarning` when the file
        exists) if it is missing, unreadable or lacks a key.
    """
    if path is None or not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as arrays:
            return {k: arrays[k] for k in keys}
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        warnings.warn(f"The cache {str(path)!r} is damaged ({exc}); rebuilding it", DamagedCacheWarning, stacklevel=2)
        return None


def write_cache(path: Path | None, **arrays: np.ndarray) -> None:
    """Write arrays to an ``.npz`` cache, whole or not at all (a temporary file renamed into place).

    Args:
        path: The cache file; ``None`` writes nothing.
        **arrays: The arrays by name.
    """
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        np.savez(tmp, **arrays)  # type: ignore[arg-type]
