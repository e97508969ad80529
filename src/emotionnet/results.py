"""Typed, frozen results. Same shape whatever happens: no faces is an empty tuple, never ``None``."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidInputError
from .labels import LABELS, Emotion

Box = tuple[float, float, float, float]
"""``(x, y, w, h)`` in pixels of the input image: top-left corner, width, height."""
Point = tuple[float, float]


@dataclass(frozen=True)
class Face:
    """A detected face.

    Attributes:
        box: ``(x, y, w, h)`` in pixels.
        landmarks: Five ``(x, y)`` points (right eye, left eye, nose tip, right and left mouth
            corner, from the subject's point of view), or ``None`` when the detector has none.
        score: Detector confidence, 0..1 (1.0 for user-given boxes).
    """

    box: Box
    landmarks: tuple[Point, ...] | None = None
    score: float = 1.0

    @property
    def xyxy(self) -> Box:
        """``(x1, y1, x2, y2)`` corners."""
        x, y, w, h = self.box
        return (x, y, x + w, y + h)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "box": list(self.box),
            "landmarks": [list(p) for p in self.landmarks] if self.landmarks else None,
            "score": self.score,
        }


@dataclass(frozen=True)
class FacePrediction:
    """One face and its emotion.

    Attributes:
        face: Where the face is (box, landmarks, detector score).
        scores: Probabilities in ``labels`` order; they sum to 1.
        labels: The model's class names (the seven FER2013 emotions for the bundled models).
    """

    face: Face
    scores: tuple[float, ...]
    labels: tuple[str, ...] = LABELS

    @property
    def box(self) -> Box:
        """``(x, y, w, h)`` of the face."""
        return self.face.box

    @property
    def landmarks(self) -> tuple[Point, ...] | None:
        """Five landmark points, or ``None``."""
        return self.face.landmarks

    @property
    def detection_score(self) -> float:
        """The detector's confidence."""
        return self.face.score

    @property
    def probabilities(self) -> dict[str, float]:
        """``{"angry": p, ..., "neutral": p}``, summing to 1."""
        return dict(zip(self.labels, self.scores))

    @property
    def emotion(self) -> Emotion:
        """The most probable emotion.

        Raises:
            InvalidInputError: the model's labels are not the seven emotions (use :attr:`label`).
        """
        label = self.label
        if label not in LABELS:
            raise InvalidInputError(f"{label!r} is not one of the seven emotions; this model's classes: use .label")
        return Emotion(label)

    @property
    def label(self) -> str:
        """The most probable class name as a plain string (any model's labels)."""
        return self.labels[max(range(len(self.scores)), key=self.scores.__getitem__)]

    @property
    def score(self) -> float:
        """Probability of :attr:`emotion`."""
        return max(self.scores)

    def to_row(self) -> dict[str, Any]:
        """One flat table row: ``x, y, w, h, detection_score, emotion, score`` and one column per
        emotion, at full precision (video CSVs, DataFrames and Ray tables all use it)."""
        x, y, w, h = self.box
        row: dict[str, Any] = {"x": x, "y": y, "w": w, "h": h, "detection_score": self.detection_score}
        return row | {"emotion": self.label, "score": self.score} | self.probabilities

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: box, landmarks, detection_score, emotion, score, probabilities."""
        face = self.face.to_dict()
        return {
            "box": face["box"],
            "landmarks": face["landmarks"],
            "detection_score": self.detection_score,
            "emotion": self.label,
            "score": self.score,
            "probabilities": self.probabilities,
        }


@dataclass(frozen=True)
class ImagePrediction:
    """All faces found in one image, largest first by detector order.

    Attributes:
        faces: One :class:`FacePrediction` per face; empty when there are none.
        width: Image width in pixels.
        height: Image height in pixels.
        source: The path the image came from, when it came from a path.
        error: Why this image gave no result, in a batch predicted with ``on_error="return"``
            (then ``faces`` is empty and ``width``/``height`` are 0); ``None`` when it worked.
    """

    faces: tuple[FacePrediction, ...]
    width: int
    height: int
    source: str | None = None
    error: Exception | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        """``True`` unless this image failed (see :attr:`error`)."""
        return self.error is None

    def __len__(self) -> int:
        return len(self.faces)

    def __iter__(self) -> Iterator[FacePrediction]:
        return iter(self.faces)

    def __getitem__(self, index: int) -> FacePrediction:
        return self.faces[index]

    @property
    def emotions(self) -> tuple[Emotion, ...]:
        """Top emotion of each face (see :attr:`FacePrediction.emotion`)."""
        return tuple(f.emotion for f in self.faces)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; ``error`` is ``None`` or ``{"type": ..., "message": ...}``."""
        error = None if self.error is None else {"type": type(self.error).__name__, "message": str(self.error)}
        return {
            "source": self.source,
            "width": self.width,
            "height": self.height,
            "faces": [f.to_dict() for f in self.faces],
            "error": error,
        }

    def summary(self) -> str:
        """One line, e.g. ``"2 faces: happy (0.91), neutral (0.55)"``."""
        if self.error is not None:
            return f"error: {self.error}"
        if not self.faces:
            return "no faces"
        parts = ", ".join(f"{f.label} ({f.score:.2f})" for f in self.faces)
        return f"{len(self.faces)} face{'s' if len(self.faces) > 1 else ''}: {parts}"


ROW_COLUMNS = ("source", "face", "x", "y", "w", "h", "detection_score", "emotion", "score")
"""The columns of :func:`image_rows` before the one probability column per label, and ``error``."""


def image_rows(
    source: str, faces: Sequence[FacePrediction], labels: Sequence[str], error: str = ""
) -> list[dict[str, Any]]:
    """One image's faces as flat table rows (``emotionnet predict --csv``, Ray tables).

    Args:
        source: The image's path or id.
        faces: Its predictions.
        labels: The model's class names (the probability columns of a row without a face).
        error: Why the image could not be used (``"Type: message"``); ``""`` if it was.

    Returns:
        One row per face (:data:`ROW_COLUMNS`, one probability per label, ``error``); an image
        with no face, or that failed, gets one row with ``face = -1`` and NaN numbers.
    """
    if faces:
        return [{"source": source, "face": k} | f.to_row() | {"error": ""} for k, f in enumerate(faces)]
    row: dict[str, Any] = dict.fromkeys((*ROW_COLUMNS, *labels), math.nan)
    return [row | {"source": source, "face": -1, "emotion": "", "error": error}]


def csv_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row as CSV files hold it: boxes to 0.1 px, other floats to 4 decimals, NaN as empty.

    Args:
        row: A row of :func:`image_rows` or :meth:`VideoFaceRow.to_dict`.

    Returns:
        The same keys with rounded values.
    """
    out: dict[str, Any] = {}
    for k, v in row.items():
        if isinstance(v, float):
            v = "" if math.isnan(v) else round(v, 1 if k in "xywh" else 4)
        out[k] = v
    return out
