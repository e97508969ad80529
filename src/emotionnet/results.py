"""Typed, frozen results. Same shape whatever happens: no faces is an empty tuple, never ``None``."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidInputError
from .labels import LABELS, Emotion

_RENAMED = {
    ("Face", "score"): "detection_score",
    ("FacePrediction", "scores"): "probabilities (a {label: probability} dict)",
    ("FacePrediction", "score"): "probability (the top label's; the detector's is detection_score)",
}
"""0.x spellings removed in 1.0, and what to write instead (CHANGELOG.md)."""


def _renamed(obj: object, name: str) -> AttributeError:
    owner = type(obj).__name__
    if (owner, name) in _RENAMED:
        return AttributeError(f"{owner}.{name} was renamed in 1.0: use .{_RENAMED[owner, name]}")
    return AttributeError(f"{owner!r} object has no attribute {name!r}")


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
        detection_score: Detector confidence, 0..1 (1.0 for user-given boxes). In emotionnet
            "score" always means the detector's confidence; a class's is a "probability".
    """

    box: Box
    landmarks: tuple[Point, ...] | None = None
    detection_score: float = 1.0

    def __getattr__(self, name: str) -> Any:
        raise _renamed(self, name)

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
            "detection_score": self.detection_score,
        }


@dataclass(frozen=True)
class FacePrediction:
    """One face and its emotion.

    Attributes:
        face: Where the face is (box, landmarks, detection score).
        probabilities: ``{label: probability}`` in the model's label order (for the bundled
            models ``{"angry": p, ..., "neutral": p}``); they sum to 1.
    """

    face: Face
    probabilities: dict[str, float]

    def __getattr__(self, name: str) -> Any:
        raise _renamed(self, name)

    @property
    def labels(self) -> tuple[str, ...]:
        """The model's class names, in its order."""
        return tuple(self.probabilities)

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
        return self.face.detection_score

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
        return max(self.probabilities, key=self.probabilities.__getitem__)

    @property
    def probability(self) -> float:
        """Probability of :attr:`label`."""
        return max(self.probabilities.values())

    def to_row(self) -> dict[str, Any]:
        """One flat table row: ``x, y, w, h, detection_score, emotion, probability`` and one column
        per label, at full precision (video CSVs, DataFrames and Ray tables all use it)."""
        x, y, w, h = self.box
        row: dict[str, Any] = {"x": x, "y": y, "w": w, "h": h, "detection_score": self.detection_score}
        return row | {"emotion": self.label, "probability": self.probability} | self.probabilities

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: box, landmarks, detection_score, emotion, probability, probabilities."""
        face = self.face.to_dict()
        return {
            "box": face["box"],
            "landmarks": face["landmarks"],
            "detection_score": self.detection_score,
            "emotion": self.label,
            "probability": self.probability,
            "probabilities": dict(self.probabilities),
        }


@dataclass(frozen=True)
class ImagePrediction:
    """All faces found in one image, highest detection score first.

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

    def __bool__(self) -> bool:
        """Always true: a prediction with no faces is still a result (use :attr:`ok`, :attr:`faces`)."""
        return True

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
        parts = ", ".join(f"{f.label} ({f.probability:.2f})" for f in self.faces)
        return f"{len(self.faces)} face{'s' if len(self.faces) > 1 else ''}: {parts}"


ROW_COLUMNS = ("source", "face", "x", "y", "w", "h", "detection_score", "emotion", "probability")
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
