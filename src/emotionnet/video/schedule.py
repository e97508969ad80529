"""Which frames of a video are analysed and which of those run the face detector, and the checks
of the video options: one rule for ``analyze_video``, ``stream``, the CLI, the live view and Ray."""

from __future__ import annotations

from dataclasses import dataclass

from .._numbers import as_finite, as_int
from ..errors import InvalidInputError


def _positive_int(name: str, value: object) -> int:
    number = as_int(value)  # NumPy ints too
    if number is None or number < 1:
        raise InvalidInputError(f"{name} must be an int >= 1, got {value!r}")
    return number


@dataclass(frozen=True)
class FrameSchedule:
    """The frame stride and the detector stride of a video run.

    Args:
        every_n_frames: Analyse every n-th frame from the start; the others are skipped.
        detect_every: Run the detector on every k-th *analysed* frame (the first always); the
            analysed frames in between reuse the last detected faces. With ``every_n_frames=2,
            detect_every=3`` the detector sees frames 0, 6, 12, ...

    Raises:
        InvalidInputError: a stride that is not an int >= 1.
    """

    every_n_frames: int = 1
    detect_every: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "every_n_frames", _positive_int("every_n_frames", self.every_n_frames))
        object.__setattr__(self, "detect_every", _positive_int("detect_every", self.detect_every))

    def analyzes(self, offset: int) -> bool:
        """Whether a frame is analysed.

        Args:
            offset: Frames between the start of the run and this one.
        """
        return offset % self.every_n_frames == 0

    def detects(self, analysed: int) -> bool:
        """Whether an analysed frame runs the detector.

        Args:
            analysed: Frames analysed before this one in the run.
        """
        return analysed % self.detect_every == 0


def check_tracking(max_faces: object, smoothing: object) -> None:
    """Check the per-frame options that ``analyze_video`` and ``stream`` share.

    Args:
        max_faces: ``None`` or an int >= 1.
        smoothing: A number in [0, 1).

    Raises:
        InvalidInputError: a value out of range or of the wrong type.
    """
    if max_faces is not None and ((count := as_int(max_faces)) is None or count < 1):
        raise InvalidInputError(f"max_faces must be None or an int >= 1, got {max_faces!r}")
    if (alpha := as_finite(smoothing)) is None or not 0.0 <= alpha < 1.0:
        raise InvalidInputError(f"smoothing must be a number in [0, 1), got {smoothing!r}")


def check_range(start: object, end: object) -> tuple[float, float | None]:
    """Check a time range in seconds.

    Args:
        start: ``None`` (the beginning) or seconds >= 0.
        end: ``None`` (the end) or seconds after ``start``.

    Returns:
        ``(start, end)`` as floats, ``start`` defaulted to 0.

    Raises:
        InvalidInputError: a wrong type, a negative, NaN or infinite time, or an empty range.
    """
    times = []
    for name, value in (("start", start), ("end", end)):
        seconds = None if value is None else as_finite(value)
        if value is not None and (seconds is None or seconds < 0):
            raise InvalidInputError(f"{name} must be None or a finite number of seconds >= 0, got {value!r}")
        times.append(seconds)
    t0, t1 = times[0] or 0.0, times[1]
    if t1 is not None and t1 <= t0:
        raise InvalidInputError(f"end ({t1}) must come after start ({t0})")
    return t0, t1


def check_max_frames(max_frames: object) -> None:
    """Check ``stream``'s frame limit.

    Args:
        max_frames: ``None`` or an int >= 1.

    Raises:
        InvalidInputError: anything else.
    """
    if max_frames is not None:
        _positive_int("max_frames", max_frames)
