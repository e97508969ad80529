"""Flat table rows of face predictions, shared by the Ray integration's batch and video paths.

One row per face (``source``, ``face``, box, ``detection_score``, ``emotion``, ``score``, one
probability column per label, ``error``); an image with no face or an error gets one row with
``face = -1``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..errors import EmotionNetError

if TYPE_CHECKING:
    from ..results import FacePrediction


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
            errors.append(f"{type(exc).__name__}: {exc}")
    return images, errors


def face_row(source: str, index: int, face: FacePrediction) -> dict[str, Any]:
    """The row of face ``index`` of ``source``.

    Args:
        source: The image's path or index.
        index: The face's position in the image.
        face: The prediction.
    """
    return {"source": source, "face": index} | face.to_row() | {"error": ""}


def empty_row(source: str, error: str, columns: tuple[str, ...]) -> dict[str, Any]:
    """The one row of an image with no face (``error`` empty) or that could not be used.

    Args:
        source: The image's path or index.
        error: ``""`` for no face, else the reason.
        columns: The table's columns (the model's labels included).
    """
    row: dict[str, Any] = dict.fromkeys(columns, np.nan)
    return row | {"source": source, "face": -1, "emotion": "", "error": error}


_DTYPES: dict[str, Any] = {"source": object, "face": np.int64, "emotion": object, "error": object}


def columns(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Rows as NumPy columns (``columns`` then ``error``), the form ``map_batches`` returns.

    Args:
        rows: One dict per row.
        columns: The columns to keep, in order.
    """
    return {c: np.array([r[c] for r in rows], dtype=_DTYPES.get(c, np.float64)) for c in (*columns, "error")}
