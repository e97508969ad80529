"""ONNX Runtime sessions as emotionnet runs them: CPU only, a set thread count, no busy-waiting."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def cpu_session(path: Path, threads: int) -> Any:
    """An ``onnxruntime.InferenceSession`` for ``path`` on the CPU with ``threads`` intra-op threads.

    Spinning is off: idle ONNX Runtime threads that busy-wait between calls slow down everything
    else in the process (the detector, torch, the application) on a small CPU.

    Args:
        path: The ``.onnx`` file.
        threads: Intra-op threads (see :func:`~emotionnet.runtimes.threads.resolve_threads`).
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
