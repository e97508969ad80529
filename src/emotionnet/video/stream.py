"""Live sources (cameras, stream URLs, files played as cameras) through a ``predict`` callable."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import cv2
import numpy as np

from ..drawing import draw_tracks
from ..io.video import VideoSource, open_capture, video_info
from ..results import Face, ImagePrediction
from .schedule import FrameSchedule, check_max_frames, check_tracking
from .tracking import FaceTracker, track_faces


@dataclass(frozen=True, eq=False)
class StreamFrame:
    """One analysed frame of a live source.

    Attributes:
        index: Frame number since the source was opened.
        image: The frame (BGR).
        prediction: Faces with smoothed probabilities, in detector order.
        track_ids: The track id of each face in ``prediction``.
        fps: Frames analysed per second, averaged over the last second or so.
        dropped: Frames the source produced that were dropped to keep up, so far.
    """

    index: int
    image: np.ndarray
    prediction: ImagePrediction
    track_ids: tuple[int, ...]
    fps: float
    dropped: int

    def annotated(self) -> np.ndarray:
        """The frame with boxes, track ids, labels and probability bars drawn."""
        return draw_tracks(self.image, self.prediction, self.track_ids)


class _LatestFrameReader:
    """Reads a capture on a thread and keeps only the newest frame, so analysis never lags behind.

    With ``drop=False`` (a file analysed as fast as possible) the reader waits for each frame to
    be taken instead of replacing it.
    """

    def __init__(self, cap: cv2.VideoCapture, realtime_fps: float | None, drop: bool = True) -> None:
        self.cap, self.realtime_fps, self.drop = cap, realtime_fps, drop
        self.cond = threading.Condition()
        self.frame: tuple[int, np.ndarray] | None = None
        self.produced = self.consumed = 0
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        start, index = time.perf_counter(), 0
        while not self.done:
            ok, image = self.cap.read()
            if not ok:
                break
            if self.realtime_fps:  # a file played as if it were a camera
                delay = start + index / self.realtime_fps - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            with self.cond:
                while not self.drop and self.frame is not None and not self.done:
                    self.cond.wait(timeout=1.0)
                self.frame = (index, image)
                self.produced += 1
                self.cond.notify()
            index += 1
        with self.cond:
            self.done = True
            self.cond.notify()

    def next(self) -> tuple[int, np.ndarray] | None:
        with self.cond:
            while self.frame is None and not self.done:
                self.cond.wait(timeout=1.0)
            item, self.frame = self.frame, None
            if item is not None:
                self.consumed += 1
            self.cond.notify()
            return item

    def stop(self) -> None:
        with self.cond:
            self.done = True
            self.cond.notify_all()
        self.thread.join(timeout=5)


def stream(
    predict: Callable[..., ImagePrediction],
    source: VideoSource = 0,
    *,
    smoothing: float = 0.5,
    max_faces: int | None = None,
    realtime: bool = True,
    max_frames: int | None = None,
    detect_every: int = 1,
) -> Generator[StreamFrame, None, None]:
    """See :meth:`EmotionRecognizer.stream`; ``predict(frame, boxes=None)`` classifies one BGR frame.

    Args:
        predict: The recognizer's ``predict``.
        source: As for :meth:`EmotionRecognizer.stream`.
        smoothing: As for :meth:`EmotionRecognizer.stream`.
        max_faces: As for :meth:`EmotionRecognizer.stream`.
        realtime: As for :meth:`EmotionRecognizer.stream`.
        max_frames: As for :meth:`EmotionRecognizer.stream`.
        detect_every: As for :meth:`EmotionRecognizer.stream`.

    Returns:
        A generator of :class:`StreamFrame`.

    Raises:
        InvalidInputError: an option out of range, at the call (not at the first frame).
    """
    schedule = FrameSchedule(1, detect_every)
    check_tracking(max_faces, smoothing)
    check_max_frames(max_frames)
    return _frames(predict, source, schedule, smoothing, max_faces, realtime, max_frames)


def _frames(
    predict: Callable[..., ImagePrediction],
    source: VideoSource,
    schedule: FrameSchedule,
    smoothing: float,
    max_faces: int | None,
    realtime: bool,
    max_frames: int | None,
) -> Generator[StreamFrame, None, None]:
    cap = open_capture(source)
    info = video_info(cap)
    is_file = not isinstance(source, int) and "://" not in os.fspath(source)
    reader = _LatestFrameReader(cap, info.fps if (realtime and is_file and info.fps) else None, drop=realtime)
    tracker = FaceTracker(smoothing=smoothing)
    times: list[float] = []
    carried: tuple[Face, ...] | None = None
    try:
        count = 0
        while max_frames is None or count < max_frames:
            item = reader.next()
            if item is None:
                break
            index, image = item
            if carried is not None and not schedule.detects(count):
                raw = predict(image, boxes=list(carried))
            else:
                raw = predict(image)
                carried = tuple(f.face for f in raw.faces)
            prediction, track_ids = track_faces(tracker, raw, max_faces)
            now = time.perf_counter()
            times = [t for t in times if now - t < 1.0] + [now]
            fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
            yield StreamFrame(index, image, prediction, track_ids, fps, reader.produced - reader.consumed)
            count += 1
    finally:
        reader.stop()
        cap.release()
