"""Draw predictions: boxes, labels, landmarks and per-emotion probability bars."""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from .errors import InvalidInputError
from .io.image import ImageSource, load_image
from .labels import Emotion
from .results import FacePrediction, ImagePrediction

#: BGR colour of each emotion's box and bar.
COLORS: dict[str, tuple[int, int, int]] = {
    Emotion.ANGRY: (40, 40, 220),
    Emotion.DISGUST: (40, 140, 60),
    Emotion.FEAR: (160, 60, 160),
    Emotion.HAPPY: (40, 200, 250),
    Emotion.SAD: (200, 120, 40),
    Emotion.SURPRISE: (40, 150, 250),
    Emotion.NEUTRAL: (170, 170, 170),
}
OTHER = (200, 200, 200)
"""Colour of a class that is not one of the seven emotions (a model trained on other labels)."""


def annotate(
    image: ImageSource,
    prediction: ImagePrediction | FacePrediction,
    *,
    bars: bool = False,
    landmarks: bool = True,
    label: str | None = None,
    color: Literal["bgr", "rgb"] = "bgr",
) -> np.ndarray:
    """Return a new BGR image with each face's box, top emotion and (optionally) bars drawn.

    Args:
        image: The image the prediction was made on (path, bytes or array).
        prediction: An :class:`ImagePrediction` or a single :class:`FacePrediction`.
        bars: Draw a small bar per emotion beside each box.
        landmarks: Draw the five landmark points where the detector gave them.
        label: Extra text put before each face's label (e.g. a track id).
        color: Channel order of an array ``image``: ``"bgr"`` (OpenCV) or ``"rgb"``; the
            picture returned is BGR either way.

    Returns:
        A new BGR uint8 array; ``image`` is not modified.

    Raises:
        InvalidInputError: ``prediction`` is not a prediction. ImageNotFoundError, ImageReadError,
            InvalidImageError: ``image`` is not a usable image.

    >>> from emotionnet.labels import LABELS
    >>> from emotionnet.results import Face, FacePrediction
    >>> img = np.zeros((120, 160, 3), np.uint8)
    >>> face = FacePrediction(Face((40, 30, 50, 50)), dict(zip(LABELS, (0, 0, 0, 1, 0, 0, 0))))
    >>> annotate(img, ImagePrediction((face,), 160, 120)).shape
    (120, 160, 3)
    """
    if not isinstance(prediction, (ImagePrediction, FacePrediction)):
        hint = " (annotate each image with its own prediction)" if isinstance(prediction, (list, tuple)) else ""
        raise InvalidInputError(
            f"annotate() takes an ImagePrediction or a FacePrediction, got {type(prediction).__name__}{hint}"
        )
    canvas = load_image(image, color=color).copy()
    faces = (prediction,) if isinstance(prediction, FacePrediction) else prediction.faces
    for face in faces:
        _draw_face(canvas, face, landmarks=landmarks, prefix=label)
    if bars:
        placed: list[Rect] = []
        boxes = [_rect(f.box) for f in faces]
        for face in faces:
            panel = _place_panel(canvas.shape[1], canvas.shape[0], _rect(face.box), boxes + placed)
            placed.append(panel)
            _draw_bars(canvas, face, panel)
    return canvas


Rect = tuple[int, int, int, int]  # x0, y0, x1, y1


def _rect(box: tuple[float, float, float, float]) -> Rect:
    x, y, w, h = (round(v) for v in box)
    return x, y, x + w, y + h


def _overlap(a: Rect, b: Rect) -> int:
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


def _place_panel(width: int, height: int, face: Rect, taken: list[Rect]) -> Rect:
    """Where a face's bar panel goes: right, left, below or above its box, inside the image, on
    the spot that covers the least of the other faces and panels (group photos)."""
    x0, y0, x1, y1 = face
    row = max(9, min((y1 - y0) // 7, 18))
    pw, ph = 80, 7 * row
    spots = [(x1 + 4, y0), (x0 - pw - 4, y0), (x0, y1 + 4), (x0, y0 - ph - 22)]
    best: tuple[int, int, Rect] | None = None
    for rank, (left, top) in enumerate(spots):
        left, top = min(max(left, 0), max(width - pw, 0)), min(max(top, 0), max(height - ph, 0))
        rect = (left, top, left + pw, top + ph)
        cost = sum(_overlap(rect, other) for other in taken if other != face)
        if best is None or (cost, rank) < best[:2]:
            best = (cost, rank, rect)
    assert best is not None
    return best[2]


def _draw_face(canvas: np.ndarray, face: FacePrediction, *, landmarks: bool, prefix: str | None) -> None:
    h = canvas.shape[0]
    x, y, bw, bh = (round(v) for v in face.box)
    color = COLORS.get(face.label, OTHER)
    thick = max(1, round(min(bw, bh) / 60))
    cv2.rectangle(canvas, (x, y), (x + bw, y + bh), color, thick, cv2.LINE_AA)
    text = f"{prefix + ' ' if prefix else ''}{face.label} {face.probability:.0%}"
    scale = float(np.clip(bw / 160, 0.4, 1.2))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    ty = y - 4 if y - th - base - 4 >= 0 else min(y + bh + th + 4, h - base)
    cv2.rectangle(canvas, (x, ty - th - 3), (x + tw + 4, ty + base - 1), color, -1)
    cv2.putText(canvas, text, (x + 2, ty - 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    if landmarks and face.landmarks:
        for px, py in face.landmarks:
            cv2.circle(canvas, (int(px), int(py)), thick + 1, (0, 255, 0), -1, cv2.LINE_AA)


def _draw_bars(canvas: np.ndarray, face: FacePrediction, panel: Rect) -> None:
    left, top = panel[0], panel[1]
    row = (panel[3] - panel[1]) // 7
    scale = row / 30
    for i, (label, p) in enumerate(face.probabilities.items()):
        y = top + i * row
        if y + row > canvas.shape[0]:
            break
        cv2.rectangle(canvas, (left, y + 1), (left + 80, y + row - 1), (40, 40, 40), -1)
        cv2.rectangle(canvas, (left, y + 1), (left + int(80 * p), y + row - 1), COLORS.get(label, OTHER), -1)
        cv2.putText(
            canvas,
            label[:3],
            (left + 2, y + row - 3),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (255, 255, 255),
            1,
            cv2.LINE_AA,
        )


def draw_tracks(image: np.ndarray, prediction: ImagePrediction, track_ids: tuple[int, ...]) -> np.ndarray:
    """A copy of a video frame with each face's box, ``#track`` label and probability bars.

    Args:
        image: The frame, BGR uint8 (not modified).
        prediction: Its faces.
        track_ids: One track id per face of ``prediction``, in order.

    Returns:
        The annotated copy.
    """
    canvas = image
    for face, track_id in zip(prediction.faces, track_ids):
        canvas = annotate(canvas, face, bars=True, label=f"#{track_id}")
    return canvas
