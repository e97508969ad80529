"""Batch inputs in and table columns out, shared by the Ray integration's batch and video paths.

The rows themselves are :func:`emotionnet.results.image_rows`: one per face, or one with
``face = -1`` for an image with no face or an error.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ..errors import EmotionNetError, describe


def items(values: Any, column: str) -> list[Any]:
    """The inputs of one batch column (``bytes``, ``image`` or ``path``) as a list.

    Args:
        values: The column as Ray hands it over (an array or a list).
        column: Its name.
    """
    if column == "image" and isinstance(values, np.ndarray) and values.dtype != object:
        return list(values)  # equal-sized images arrive as one (N, H, W[, C]) array
    return [v if column != "path" else str(v) for v in values]


def decode(items: list[Any], color: Literal["bgr", "rgb"]) -> tuple[list[np.ndarray | None], list[str]]:
    """Each input as a BGR image, or ``None`` with its error message (``"Type: message"``).

    Args:
        items: Encoded bytes, arrays or paths.
        color: Channel order of array inputs.
    """
    from ..io.image import load_image

    images: list[np.ndarray | None] = []
    errors: list[str] = []
    for item in items:
        try:
            images.append(load_image(bytes(item) if isinstance(item, (bytes, bytearray)) else item, color=color))
            errors.append("")
        except EmotionNetError as exc:
            images.append(None)
            errors.append(describe(exc))
    return images, errors


_DTYPES: dict[str, Any] = {"source": object, "face": np.int64, "emotion": object, "error": object}


def columns(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Rows as NumPy columns (``columns`` then ``error``), the form ``map_batches`` returns.

    Args:
        rows: One dict per row.
        columns: The columns to keep, in order.
    """
    return {c: np.array([r[c] for r in rows], dtype=_DTYPES.get(c, np.float64)) for c in (*columns, "error")}
