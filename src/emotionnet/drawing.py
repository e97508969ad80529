"""Draw predictions: boxes, labels, landmarks and per-emotion probability bars."""

from __future__ import annotations

import cv2
import numpy as np

from .io import ImageSource, load_image
from .labels import EMOTIONS, Emotion
from .results import FacePrediction, ImagePrediction

#: BGR colour of each emotion's box and bar.
COLORS: dict[Emotion, tuple[int, int, int]] = {
    Emotion.ANGRY: (40, 40, 220),
    Emotion.DISGUST: (40, 140, 60),
    Emotion.FEAR: (160, 60, 160),
    Emotion.HAPPY: (40, 200, 250),
    Emotion.SAD: (200, 120, 40),
    Emotion.SURPRISE: (40, 150, 250),
    Emotion.NEUTRAL: (170, 170, 170),
}


def annotate(
    image: ImageSource,
    prediction: ImagePrediction | FacePrediction,
    *,
    bars: bool = False,
    landmarks: bool = True,
    label: str | None = None,
) -> np.ndarray:
    """Return a new BGR image with each face's box, top emotion and (optionally) bars drawn.

    Args:
        image: The image the prediction was made on (path, bytes or array; arrays are BGR).
        prediction: An :class:`ImagePrediction` or a single :class:`FacePrediction`.
        bars: Draw a small bar per emotion beside each box.
        landmarks: Draw the five landmark points where the detector gave them.
        label: Extra text put before each face's label (e.g. a track id).

    >>> from emotionnet.results import Face, FacePrediction
    >>> img = np.zeros((120, 160, 3), np.uint8)
    >>> face = FacePrediction(Face((40, 30, 50, 50)), (0, 0, 0, 1, 0, 0, 0))
    >>> annotate(img, ImagePrediction((face,), 160, 120)).shape
    (120, 160, 3)
    """
    canvas = load_image(image).copy()
    faces = (prediction,) if isinstance(prediction, FacePrediction) else prediction.faces
    for face in faces:
        _draw_face(canvas, face, bars=bars, landmarks=landmarks, prefix=label)
    return canvas


def _draw_face(canvas: np.ndarray, face: FacePrediction, *, bars: bool, landmarks: bool, prefix: str | None) -> None:
    h, w = canvas.shape[:2]
    x, y, bw, bh = (round(v) for v in face.box)
    color = COLORS[face.emotion]
    thick = max(1, round(min(bw, bh) / 60))
    cv2.rectangle(canvas, (x, y), (x + bw, y + bh), color, thick, cv2.LINE_AA)
    text = f"{prefix + ' ' if prefix else ''}{face.emotion.value} {face.score:.0%}"
    scale = float(np.clip(bw / 160, 0.4, 1.2))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    ty = y - 4 if y - th - base - 4 >= 0 else min(y + bh + th + 4, h - base)
    cv2.rectangle(canvas, (x, ty - th - 3), (x + tw + 4, ty + base - 1), color, -1)
    cv2.putText(canvas, text, (x + 2, ty - 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    if landmarks and face.landmarks:
        for px, py in face.landmarks:
            cv2.circle(canvas, (int(px), int(py)), thick + 1, (0, 255, 0), -1, cv2.LINE_AA)
    if bars:
        _draw_bars(canvas, face, x + bw + 4 if x + bw + 80 < w else max(x - 84, 0), y, max(bh, 70))


def _draw_bars(canvas: np.ndarray, face: FacePrediction, left: int, top: int, height: int) -> None:
    row = max(9, min(height // 7, 18))
    scale = row / 30
    for i, (emotion, p) in enumerate(zip(EMOTIONS, face.scores)):
        y = top + i * row
        if y + row > canvas.shape[0]:
            break
        cv2.rectangle(canvas, (left, y + 1), (left + 80, y + row - 1), (40, 40, 40), -1)
        cv2.rectangle(canvas, (left, y + 1), (left + int(80 * p), y + row - 1), COLORS[emotion], -1)
        cv2.putText(
            canvas,
            emotion.value[:3],
            (left + 2, y + row - 3),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (255, 255, 255),
            1,
            cv2.LINE_AA,
        )
