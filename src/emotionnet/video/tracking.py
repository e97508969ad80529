"""Face tracks across frames: greedy IoU matching with a max age, and EMA smoothing of probabilities."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidInputError
from ..labels import EMOTIONS
from ..results import Box, FacePrediction, ImagePrediction


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two ``(x, y, w, h)`` boxes.

    Args:
        a: A box.
        b: Another box.
    """
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


@dataclass
class _Track:
    track_id: int
    box: Box
    scores: np.ndarray
    missed: int = 0


@dataclass
class FaceTracker:
    """Give faces stable ids across frames and smooth their probabilities.

    Args:
        iou_threshold: Minimum IoU between a track's last box and a new box to match them.
        max_age: Frames a track survives without a match (missed detections) before it ends.
        smoothing: EMA factor, 0 <= smoothing < 1: ``p = smoothing * p_prev + (1 - smoothing) * p_new``.
            0 turns smoothing off.

    Examples:
        >>> tracker = FaceTracker()
        >>> tracker.update([(10, 10, 50, 50)], np.full((1, 7), 1 / 7))[0][0]
        1
    """

    iou_threshold: float = 0.3
    max_age: int = 10
    smoothing: float = 0.0
    _tracks: list[_Track] = field(default_factory=list, repr=False)
    _next_id: int = field(default=1, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.smoothing < 1.0:
            raise InvalidInputError(f"smoothing must be in [0, 1), got {self.smoothing}")
        if self.max_age < 0 or not 0.0 <= self.iou_threshold <= 1.0:
            raise InvalidInputError("max_age must be >= 0 and iou_threshold in [0, 1]")

    def update(self, boxes: list[Box], scores: np.ndarray) -> list[tuple[int, tuple[float, ...]]]:
        """Match this frame's boxes to tracks; return ``(track_id, smoothed scores)`` per box, in order.

        Args:
            boxes: This frame's face boxes.
            scores: Their probabilities ``(N, C)``.
        """
        pairs = sorted(
            ((iou(t.box, b), ti, bi) for ti, t in enumerate(self._tracks) for bi, b in enumerate(boxes)),
            reverse=True,
        )
        assigned: dict[int, int] = {}
        used: set[int] = set()
        for overlap, ti, bi in pairs:
            if overlap < self.iou_threshold:
                break
            if ti not in used and bi not in assigned:
                assigned[bi] = ti
                used.add(ti)
        out: list[tuple[int, tuple[float, ...]]] = []
        for bi, box in enumerate(boxes):
            new = np.asarray(scores[bi], dtype=np.float64)
            if bi in assigned:
                track = self._tracks[assigned[bi]]
                track.box, track.missed = box, 0
                track.scores = self.smoothing * track.scores + (1 - self.smoothing) * new
            else:
                track = _Track(self._next_id, box, new)
                self._next_id += 1
                self._tracks.append(track)
                used.add(len(self._tracks) - 1)
            out.append((track.track_id, tuple(float(v) for v in track.scores / track.scores.sum())))
        for ti, track in enumerate(self._tracks):
            if ti not in used:
                track.missed += 1
        self._tracks = [t for t in self._tracks if t.missed <= self.max_age]
        return out

    def reset(self) -> None:
        """Forget all tracks (ids restart at 1)."""
        self._tracks.clear()
        self._next_id = 1


def track_faces(
    tracker: FaceTracker, prediction: ImagePrediction, max_faces: int | None
) -> tuple[ImagePrediction, tuple[int, ...]]:
    """Match ``prediction``'s faces (the ``max_faces`` first) to ``tracker``'s tracks.

    Args:
        tracker: The video's tracker (updated).
        prediction: One frame's prediction.
        max_faces: Keep at most this many faces (highest detector score first).

    Returns:
        The prediction with smoothed probabilities, and each face's track id.
    """
    faces = prediction.faces[:max_faces] if max_faces else prediction.faces
    if not faces:
        tracker.update([], np.zeros((0, len(EMOTIONS))))
        return prediction, ()
    matched = tracker.update([f.box for f in faces], np.array([list(f.probabilities.values()) for f in faces]))
    smoothed = tuple(FacePrediction(f.face, dict(zip(f.labels, probs))) for f, (_, probs) in zip(faces, matched))
    out = ImagePrediction(smoothed, prediction.width, prediction.height, prediction.source)
    return out, tuple(track_id for track_id, _ in matched)
