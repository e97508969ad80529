"""Video files and live sources through an EmotionRecognizer: tracking, smoothing, annotated output."""

from __future__ import annotations

import math
import os
import threading
import time
import warnings
from collections.abc import Callable, Generator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm.auto import tqdm

from ._outputs import atomic_path, check_output
from .drawing import annotate
from .errors import Interrupted, InvalidInputError, OutputError
from .results import Face, FacePrediction, ImagePrediction
from .tracking import FaceTracker
from .video_io import FrameReport, VideoFrame, VideoSource, iter_frames, open_capture, video_info
from .video_results import VideoFaceRow, VideoPrediction

CODECS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".webm": "VP80", ".mkv": "VP80"}
"""Codec of an annotated video by file suffix. The OpenCV wheels encode no H.264; browsers play
WebM (VP8), while MPEG-4 Part 2 (``mp4v``) plays in desktop players (VLC, QuickTime, ffmpeg) but
not in Chromium. VP8 encodes at about 40 frames/s on two cores, ``mp4v`` at about 900."""
PredictFn = Callable[..., Sequence[ImagePrediction]]
"""What video analysis needs from a recognizer: ``predict(frames, faces=None)``, BGR frames in (and
optionally the faces to classify in each, instead of detecting), one prediction per frame out."""


class SkippedFramesWarning(UserWarning):
    """Some frames of a video could not be decoded; the run went on without them."""


def _tracked(
    tracker: FaceTracker, prediction: ImagePrediction, max_faces: int | None
) -> tuple[ImagePrediction, tuple[int, ...]]:
    faces = prediction.faces[:max_faces] if max_faces else prediction.faces
    if not faces:
        tracker.update([], np.zeros((0, 7)))
        return prediction, ()
    matched = tracker.update([f.box for f in faces], np.array([f.scores for f in faces]))
    smoothed = tuple(FacePrediction(f.face, scores) for f, (_, scores) in zip(faces, matched))
    out = ImagePrediction(smoothed, prediction.width, prediction.height, prediction.source)
    return out, tuple(track_id for track_id, _ in matched)


def _draw(image: np.ndarray, prediction: ImagePrediction, track_ids: tuple[int, ...]) -> np.ndarray:
    canvas = image
    for face, track_id in zip(prediction.faces, track_ids):
        canvas = annotate(canvas, face, bars=True, label=f"#{track_id}")
    return canvas


def check_video_args(
    every_n_frames: object, start: object, end: object, max_faces: object, smoothing: object
) -> tuple[int, float, float | None]:
    """Validate :meth:`EmotionRecognizer.analyze_video`'s range options before any file is touched.

    Returns:
        ``(every_n_frames, start, end)`` with ``start`` defaulted to 0.

    Raises:
        InvalidInputError: a wrong type, a negative, NaN or infinite time, or an empty range.
    """
    if isinstance(every_n_frames, bool) or not isinstance(every_n_frames, int) or every_n_frames < 1:
        raise InvalidInputError(f"every_n_frames must be an int >= 1, got {every_n_frames!r}")
    if max_faces is not None and (isinstance(max_faces, bool) or not isinstance(max_faces, int) or max_faces < 1):
        raise InvalidInputError(f"max_faces must be None or an int >= 1, got {max_faces!r}")
    if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) or not 0.0 <= smoothing < 1.0:
        raise InvalidInputError(f"smoothing must be a number in [0, 1), got {smoothing!r}")
    times = []
    for name, value in (("start", start), ("end", end)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0
        ):
            raise InvalidInputError(f"{name} must be None or a finite number of seconds >= 0, got {value!r}")
        times.append(None if value is None else float(value))
    t0, t1 = times[0] or 0.0, times[1]
    if t1 is not None and t1 <= t0:
        raise InvalidInputError(f"end ({t1}) must come after start ({t0})")
    return every_n_frames, t0, t1


def analyze_video(
    predict: PredictFn,
    path: str | os.PathLike,
    *,
    every_n_frames: int = 1,
    start: float | None = None,
    end: float | None = None,
    max_faces: int | None = None,
    smoothing: float = 0.5,
    output_video: str | os.PathLike | None = None,
    batch_frames: int = 8,
    progress: bool = True,
    detect_every: int = 1,
) -> VideoPrediction:
    """See :meth:`EmotionRecognizer.analyze_video`; ``predict`` classifies a list of frames."""
    every_n_frames, t0, t1 = check_video_args(every_n_frames, start, end, max_faces, smoothing)
    if isinstance(detect_every, bool) or not isinstance(detect_every, int) or detect_every < 1:
        raise InvalidInputError(f"detect_every must be an int >= 1, got {detect_every!r}")
    if batch_frames < 1:
        raise InvalidInputError("batch_frames must be >= 1")
    if output_video is not None:
        check_output(output_video, inputs=[path])
        if Path(output_video).suffix.lower() not in CODECS:
            raise OutputError(f"An annotated video is written as {', '.join(CODECS)}, not {os.fspath(output_video)!r}")
    cap = open_capture(path)
    info = video_info(cap)
    fps = info.fps or 30.0
    start_frame = round(t0 * fps)
    end_frame = round(t1 * fps) if t1 is not None else None
    if info.frame_count and start_frame >= info.frame_count:
        cap.release()
        raise InvalidInputError(
            f"start={t0} s is past the end of {os.fspath(path)!r} ({info.frame_count} frames, "
            f"{info.frame_count / fps:.2f} s)"
        )
    tracker = FaceTracker(smoothing=smoothing)
    report = FrameReport()
    rows: list[VideoFaceRow] = []
    counts = {"read": 0, "analyzed": 0}

    def result() -> VideoPrediction:
        return VideoPrediction(
            source=os.fspath(path),
            fps=info.fps,
            width=info.width,
            height=info.height,
            frames_read=counts["read"],
            frames_analyzed=counts["analyzed"],
            skipped_frames=tuple(report.skipped),
            missing_at_end=report.missing_at_end,
            rows=tuple(rows),
        )

    total = (end_frame or info.frame_count) - start_frame
    bar = tqdm(total=max(total, 0) or None, unit="frame", disable=not progress, desc=os.path.basename(os.fspath(path)))
    with ExitStack() as stack:
        stack.callback(cap.release)
        stack.callback(bar.close)
        writer = None
        if output_video is not None:
            tmp = stack.enter_context(atomic_path(output_video, keep_on_interrupt=True))
            codec = CODECS[Path(output_video).suffix.lower()]
            writer = cv2.VideoWriter(os.fspath(tmp), cv2.VideoWriter.fourcc(*codec), fps, (info.width, info.height))
            if not writer.isOpened():
                raise OutputError(f"OpenCV cannot write {os.fspath(output_video)!r} with the {codec} codec")
            stack.callback(writer.release)
        last: tuple[ImagePrediction, tuple[int, ...]] | None = None
        last_image: np.ndarray | None = None

        carried: list[tuple[Face, ...] | None] = [None]  # faces of the last detected frame

        def flush(batch: list[VideoFrame]) -> None:
            nonlocal last, last_image
            todo = [f for f in batch if f.analyze and f.image is not None]
            preds = dict(zip((f.index for f in todo), _predict_frames(predict, todo, detect_every, carried)))
            for frame in batch:
                if frame.index in preds:
                    last = _tracked(tracker, preds[frame.index], max_faces)
                    counts["analyzed"] += 1
                    rows.extend(
                        VideoFaceRow(frame.index, frame.time, tid, face) for face, tid in zip(last[0].faces, last[1])
                    )
                if writer is not None:
                    image = frame.image if frame.image is not None else last_image
                    if image is None:
                        image = np.zeros((info.height, info.width, 3), np.uint8)
                    writer.write(_draw(image, *last) if last is not None else image)
                    last_image = image
            bar.update(len(batch))

        batch: list[VideoFrame] = []
        try:
            for frame in iter_frames(
                cap,
                every_n=every_n_frames,
                start_frame=start_frame,
                end_frame=end_frame,
                decode_all=writer is not None,
                report=report,
            ):
                counts["read"] += 1
                batch.append(frame)
                if sum(f.analyze for f in batch) >= batch_frames or len(batch) >= 4 * batch_frames:
                    flush(batch)
                    batch = []
            flush(batch)
        except KeyboardInterrupt:
            raise Interrupted(
                f"Interrupted after {counts['analyzed']} analysed frames of {os.fspath(path)!r}", result()
            ) from None
    if report.skipped:
        warnings.warn(
            f"{os.fspath(path)}: {len(report.skipped)} frame(s) could not be decoded and were skipped "
            f"(first: {report.skipped[:5]}); results cover the other frames",
            SkippedFramesWarning,
            stacklevel=3,
        )
    if not counts["analyzed"]:
        warnings.warn(f"{os.fspath(path)}: no frame in the requested range was analysed", UserWarning, stacklevel=3)
    return result()


def _predict_frames(
    predict: PredictFn, frames: list[VideoFrame], detect_every: int, carried: list[tuple[Face, ...] | None]
) -> list[ImagePrediction]:
    """Predictions for ``frames`` in order: the detector runs on every ``detect_every``-th analysed
    frame; the others reuse the faces of the last detected frame (``carried[0]``, updated)."""
    if not frames:
        return []
    detect = [detect_every == 1 or carried[0] is None or f.index % detect_every == 0 for f in frames]
    found = iter(predict([f.image for f, d in zip(frames, detect) if d]) if any(detect) else [])
    out: list[ImagePrediction | None] = []
    reuse: list[tuple[int, np.ndarray, tuple[Face, ...]]] = []
    for i, (frame, d) in enumerate(zip(frames, detect)):
        if d:
            pred = next(found)
            carried[0] = tuple(f.face for f in pred.faces)
            out.append(pred)
        else:
            assert frame.image is not None and carried[0] is not None
            reuse.append((i, frame.image, carried[0]))
            out.append(None)
    if reuse:
        for (i, _, _), pred in zip(reuse, predict([r[1] for r in reuse], [list(r[2]) for r in reuse])):
            out[i] = pred
    return [p for p in out if p is not None]


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
        return _draw(self.image, self.prediction, self.track_ids)


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
    """See :meth:`EmotionRecognizer.stream`; ``predict(frame, boxes=None)`` classifies one BGR frame."""
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
            if detect_every > 1 and count % detect_every and carried is not None:
                raw = predict(image, boxes=list(carried))
            else:
                raw = predict(image)
                carried = tuple(f.face for f in raw.faces)
            prediction, track_ids = _tracked(tracker, raw, max_faces)
            now = time.perf_counter()
            times = [t for t in times if now - t < 1.0] + [now]
            fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
            yield StreamFrame(index, image, prediction, track_ids, fps, reader.produced - reader.consumed)
            count += 1
    finally:
        reader.stop()
        cap.release()
