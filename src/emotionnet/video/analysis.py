"""Video files and live sources through an EmotionRecognizer: tracking, smoothing, annotated output."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

import cv2
import numpy as np
from tqdm.auto import tqdm

from .._outputs import atomic_path, check_output
from ..drawing import draw_tracks
from ..errors import Interrupted, InvalidInputError, OutputError
from ..io.video import FrameReport, VideoFrame, iter_frames, open_capture, video_info
from ..labels import LABELS
from ..results import Face, ImagePrediction
from .results import CsvRows, RowCounts, VideoFaceRow, VideoPrediction
from .schedule import FrameSchedule, check_range, check_tracking
from .tracking import FaceTracker, track_faces

CODECS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".webm": "VP80", ".mkv": "VP80"}
"""Codec of an annotated video by file suffix. The OpenCV wheels encode no H.264; browsers play
WebM (VP8), while MPEG-4 Part 2 (``mp4v``) plays in desktop players (VLC, QuickTime, ffmpeg) but
not in Chromium. VP8 encodes at about 40 frames/s on two cores, ``mp4v`` at about 900."""
PredictFn = Callable[..., Sequence[ImagePrediction]]
"""What video analysis needs from a recognizer: ``predict(frames, faces=None)``, BGR frames in (and
optionally the faces to classify in each, instead of detecting), one prediction per frame out."""


class SkippedFramesWarning(UserWarning):
    """Some frames of a video could not be decoded; the run went on without them."""


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
    output_csv: str | os.PathLike | None = None,
    keep_rows: bool = True,
    batch_frames: int = 8,
    progress: bool | None = None,
    detect_every: int = 1,
    labels: Sequence[str] = LABELS,
) -> VideoPrediction:
    """See :meth:`EmotionRecognizer.analyze_video`; ``predict`` classifies a list of frames.

    Args:
        predict: Classifies a list of frames (and optional boxes per frame): the recognizer's ``predict``.
        path: The video file.
        every_n_frames: As for :meth:`EmotionRecognizer.analyze_video`.
        start: As for :meth:`EmotionRecognizer.analyze_video`.
        end: As for :meth:`EmotionRecognizer.analyze_video`.
        max_faces: As for :meth:`EmotionRecognizer.analyze_video`.
        smoothing: As for :meth:`EmotionRecognizer.analyze_video`.
        output_video: As for :meth:`EmotionRecognizer.analyze_video`.
        output_csv: As for :meth:`EmotionRecognizer.analyze_video`.
        keep_rows: As for :meth:`EmotionRecognizer.analyze_video`.
        progress: As for :meth:`EmotionRecognizer.analyze_video`.
        detect_every: As for :meth:`EmotionRecognizer.analyze_video`.
        batch_frames: Frames per ``predict`` call.
        labels: The model's class names (the columns of the rows).

    Returns:
        A :class:`~emotionnet.video.results.VideoPrediction`.
    """
    schedule = FrameSchedule(every_n_frames, detect_every)
    check_tracking(max_faces, smoothing)
    t0, t1 = check_range(start, end)
    if batch_frames < 1:
        raise InvalidInputError("batch_frames must be >= 1")
    if output_video is not None:
        check_output(output_video, inputs=[path], kind="video")
        if Path(output_video).suffix.lower() not in CODECS:
            raise OutputError(f"An annotated video is written as {', '.join(CODECS)}, not {os.fspath(output_video)!r}")
    if output_csv is not None:
        check_output(output_csv, inputs=[path], kind="csv")
        if output_video is not None and os.path.realpath(output_csv) == os.path.realpath(output_video):
            raise OutputError(f"output_csv and output_video are the same file: {os.fspath(output_csv)!r}")
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
    found = RowCounts()  # counted whether or not the rows are kept

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
            rows_kept=keep_rows,
            labels=tuple(labels),
            **found.fields(),
        )

    total = (end_frame or info.frame_count) - start_frame
    bar = tqdm(
        total=max(total, 0) or None,
        unit="frame",
        disable=None if progress is None else not progress,
        desc=os.path.basename(os.fspath(path)),
    )
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
        csv_rows = None
        if output_csv is not None:
            tmp = stack.enter_context(atomic_path(output_csv, keep_on_interrupt=True))
            csv_rows = CsvRows(stack.enter_context(open(tmp, "w", newline="", encoding="utf-8")), tuple(labels))
            stack.callback(csv_rows.finish)
        last: tuple[ImagePrediction, tuple[int, ...]] | None = None
        last_image: np.ndarray | None = None

        carried: list[tuple[Face, ...] | None] = [None]  # faces of the last detected frame

        def flush(batch: list[VideoFrame]) -> None:
            nonlocal last, last_image
            todo = [f for f in batch if f.analyze and f.image is not None]
            preds = dict(
                zip((f.index for f in todo), _predict_frames(predict, todo, schedule, counts["analyzed"], carried))
            )
            for frame in batch:
                if frame.index in preds:
                    last = track_faces(tracker, preds[frame.index], max_faces)
                    counts["analyzed"] += 1
                    new = [VideoFaceRow(frame.index, frame.time, t, face) for face, t in zip(last[0].faces, last[1])]
                    found.add(new)
                    if csv_rows is not None:
                        csv_rows.write(new)
                    if keep_rows:
                        rows.extend(new)
                if writer is not None:
                    image = frame.image if frame.image is not None else last_image
                    if image is None:
                        image = np.zeros((info.height, info.width, 3), np.uint8)
                    writer.write(draw_tracks(image, *last) if last is not None else image)
                    last_image = image
            bar.update(len(batch))

        batch: list[VideoFrame] = []
        try:
            for frame in iter_frames(
                cap,
                analyzes=schedule.analyzes,
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
    predict: PredictFn,
    frames: list[VideoFrame],
    schedule: FrameSchedule,
    analysed: int,
    carried: list[tuple[Face, ...] | None],
) -> list[ImagePrediction]:
    """Predictions for ``frames`` in order, ``analysed`` frames having been analysed before them: the
    detector runs where ``schedule`` says; the others reuse the faces of the last detected frame
    (``carried[0]``, updated)."""
    if not frames:
        return []
    detect = [schedule.detects(analysed + i) for i in range(len(frames))]
    detect[0] = detect[0] or carried[0] is None  # nothing to reuse yet
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
