"""Video input: open files, cameras and stream URLs; iterate frames and report the bad ones."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ..errors import ImageNotFoundError, InvalidInputError, VideoReadError
from .image import MAX_PIXELS, check_input_file

VideoSource = int | str | os.PathLike
"""A camera index, a video file path, or a stream URL (``rtsp://``, ``http://``)."""

URL_TIMEOUT_MS = 10_000
"""A stream URL that sends no video for this long is given up on."""
MAX_CONSECUTIVE_FAILURES = 500
"""Stop reading after this many frames in a row fail to decode."""


def open_capture(source: VideoSource) -> cv2.VideoCapture:
    """Open ``source`` with OpenCV; raise a typed error instead of returning a dead capture.

    Args:
        source: A camera index, a video file or a stream URL.

    Returns:
        An open ``cv2.VideoCapture``.

    Raises:
        ImageNotFoundError: a file path that does not exist or is a directory.
        VideoReadError: the file is not a video OpenCV can decode, or the camera/URL cannot be opened.
    """
    if isinstance(source, bool) or not isinstance(source, (int, str, os.PathLike)):
        raise InvalidInputError(f"video source must be a camera index, path or URL, got {type(source).__name__}")
    if isinstance(source, int):
        if source < 0:
            raise InvalidInputError(f"camera index must be >= 0, got {source}")
        cap = cv2.VideoCapture(source)
        if not cap.isOpened():
            raise VideoReadError(f"Camera {source} is not available (no such device, or it is in use)")
        return cap
    text = os.fspath(source)
    if "://" in text:
        return _open_url(text)
    if not text.strip():
        raise ImageNotFoundError("The video path is empty")
    path = Path(text)
    check_input_file(path, "video")
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"BM")):  # OpenCV would play a still image as a video
        raise VideoReadError(f"{text!r} is a still image (PNG/JPEG/BMP), not a video; use predict() for images")
    cap = cv2.VideoCapture(text)
    if not cap.isOpened():
        raise VideoReadError(f"OpenCV cannot open {text!r} as a video (unsupported format or corrupt file)")
    info = video_info(cap)
    if info.width * info.height > MAX_PIXELS:
        cap.release()
        raise VideoReadError(
            f"{text!r} has {info.width}x{info.height} frames, over the {MAX_PIXELS:,}-pixel limit; downscale it first"
        )
    ok = cap.grab()
    if not ok:
        cap.release()
        raise VideoReadError(f"{text!r} has no decodable frames (not a video, or empty)")
    cap.release()
    return cv2.VideoCapture(text)


def _open_url(url: str) -> cv2.VideoCapture:
    """Open a stream URL with FFmpeg, giving up after :data:`URL_TIMEOUT_MS` without an answer."""
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, URL_TIMEOUT_MS, cv2.CAP_PROP_READ_TIMEOUT_MSEC, URL_TIMEOUT_MS]
    started = time.monotonic()
    cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
    if not cap.isOpened():
        waited = time.monotonic() - started
        why = (
            f"no video arrived within {URL_TIMEOUT_MS / 1000:.0f} s (the server stalled or is too slow)"
            if waited >= URL_TIMEOUT_MS / 1000 * 0.9
            else "the server refused, is unreachable, or did not send a video stream"
        )
        raise VideoReadError(f"Cannot open the stream {url!r}: {why}")
    return cap


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video (``frame_count`` is 0 when unknown, e.g. cameras)."""

    fps: float
    frame_count: int
    width: int
    height: int


def video_info(cap: cv2.VideoCapture) -> VideoInfo:
    """Frame rate, frame count and size reported by an open capture.

    Args:
        cap: An open capture.
    """
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    return VideoInfo(
        fps=fps if math.isfinite(fps) and fps > 0 else 0.0,
        frame_count=max(count, 0),
        width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
        height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
    )


@dataclass(frozen=True, eq=False)
class VideoFrame:
    """One frame: its index, timestamp in seconds, and pixels (``None`` when not decoded)."""

    index: int
    time: float
    image: np.ndarray | None
    analyze: bool


@dataclass
class FrameReport:
    """Filled in while :func:`iter_frames` runs: indices of frames that failed to decode."""

    skipped: list[int] = field(default_factory=list)
    missing_at_end: int = 0


def iter_frames(
    cap: cv2.VideoCapture,
    *,
    analyzes: Callable[[int], bool] = lambda offset: True,
    start_frame: int = 0,
    end_frame: int | None = None,
    decode_all: bool = False,
    report: FrameReport | None = None,
) -> Iterator[VideoFrame]:
    """Yield frames from ``start_frame`` to ``end_frame`` (exclusive).

    Frames for which ``analyzes`` is true have ``analyze=True``; the others are only grabbed, not decoded,
    unless ``decode_all`` (needed to write an output video). A frame that fails to decode in the
    middle of a file is yielded with ``image=None``, recorded in ``report.skipped``, and reading
    goes on; failures that run to the end of the file are counted in ``report.missing_at_end``.

    Args:
        cap: An open capture, positioned at its start.
        analyzes: Whether the frame this many frames after ``start_frame`` is analysed
            (:meth:`emotionnet.video.schedule.FrameSchedule.analyzes`).
        start_frame: The first frame.
        end_frame: One past the last frame; ``None`` reads to the end.
        decode_all: Decode the frames that are not analysed too.
        report: Collects skipped and missing frames.
    """
    info = video_info(cap)
    report = report if report is not None else FrameReport()
    if start_frame > 0:
        cap.set(cv2.CAP_PROP_POS_FRAMES, start_frame)
    pending: list[int] = []
    index = start_frame
    while end_frame is None or index < end_frame:
        analyze = analyzes(index - start_frame)
        if not cap.grab():
            past_end = info.frame_count == 0 or index >= info.frame_count
            if past_end or len(pending) >= MAX_CONSECUTIVE_FAILURES:
                break
            pending.append(index)
            index += 1
            continue
        for bad in pending:
            report.skipped.append(bad)
            yield VideoFrame(bad, bad / info.fps if info.fps else float("nan"), None, False)
        pending.clear()
        image = None
        if analyze or decode_all:
            ok, image = cap.retrieve()
            if not ok or image is None or image.size == 0:
                report.skipped.append(index)
                image = None
        time = index / info.fps if info.fps else float("nan")
        yield VideoFrame(index, time, image, analyze)
        index += 1
    report.missing_at_end = len(pending)
