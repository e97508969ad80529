"""How many threads emotionnet's CPU runtimes use (ONNX Runtime for the classifier and YuNet).

The policy, chosen by measurement (``python benchmarks/contention.py``, docs/performance.md):
ONNX Runtime with idle threads that sleep instead of spinning, one intra-op thread per CPU this
process may run on, at most :data:`MAX_THREADS`. An application's own choice wins: ``threads=``
on :class:`~emotionnet.EmotionRecognizer` / :class:`~emotionnet.FaceDetector`, else
``OMP_NUM_THREADS`` (the variable torch, OpenMP and ONNX Runtime users already set).
"""

from __future__ import annotations

import os

from .._numbers import as_int
from ..errors import InvalidInputError

MAX_THREADS = 4
"""More intra-op threads than this do not speed up one 48x48 network or one YuNet pass."""


def resolve_threads(threads: int | None = None) -> int:
    """The intra-op thread count to use.

    Args:
        threads: An explicit count (>= 1), or ``None`` for the policy above.

    Raises:
        InvalidInputError: ``threads`` is not a positive int.

    >>> resolve_threads(1)
    1
    """
    if threads is not None:
        if (count := as_int(threads)) is None or count < 1:
            raise InvalidInputError(f"threads must be None or an int >= 1, got {threads!r}")
        return count
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) >= 1:
        return int(env)
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        available = os.cpu_count() or 1
    return max(1, min(available, MAX_THREADS))
