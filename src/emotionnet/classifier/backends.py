"""Who runs the classifier: ONNX Runtime, torch or OpenCV DNN, behind one call.

Each backend maps normalised faces ``(N, 1, S, S)`` (float32 NumPy) to calibrated probabilities
``(N, num_classes)``. ONNX Runtime runs the ONNX file a registry entry ships (no torch at all:
the default on CPUs) or, like OpenCV DNN, a float32 export of the very same weights (temperature
included) made once by :func:`emotionnet.models.export.export_onnx` and cached by a hash of the weights.
Nothing here imports torch until a torch model is involved.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

from ..errors import InvalidInputError, MissingDependencyError
from ..runtimes.ort import cpu_session

if TYPE_CHECKING:
    from ..models.emotionnet import EmotionNet

RuntimeName = Literal["auto", "torch", "onnxruntime", "opencv"]
"""Who runs the classifier (``EmotionRecognizer(runtime=...)``)."""


class Backend(Protocol):
    """Calibrated probabilities for a batch of normalised faces."""

    name: str

    def __call__(self, faces: np.ndarray) -> np.ndarray:
        """Run the network on one batch.

        Args:
            faces: Normalised faces ``(N, 1, S, S)``, float32.

        Returns:
            Calibrated probabilities ``(N, num_classes)``, float32, rows summing to 1.
        """
        ...


class OnnxRuntimeBackend:
    """An ONNX file on ONNX Runtime's CPU provider, ``threads`` intra-op threads, no spinning."""

    name = "onnxruntime"

    def __init__(self, path: Path, threads: int) -> None:
        self.path, self.threads = path, threads
        self.session = cpu_session(path, threads)

    def __call__(self, faces: np.ndarray) -> np.ndarray:
        """Run the network on one batch.

        Args:
            faces: Normalised faces ``(N, 1, S, S)``, float32.

        Returns:
            Calibrated probabilities ``(N, num_classes)``, float32, rows summing to 1.
        """
        out = self.session.run(None, {"faces": np.ascontiguousarray(faces, np.float32)})[0]
        return np.asarray(out, np.float32)


class OpenCVBackend:
    """OpenCV's DNN module (no extra runtime). One network, so concurrent calls take turns (a lock)."""

    name = "opencv"

    def __init__(self, path: Path) -> None:
        import cv2

        self.net = cv2.dnn.readNetFromONNX(str(path))
        self._lock = threading.Lock()

    def __call__(self, faces: np.ndarray) -> np.ndarray:
        """Run the network on one batch.

        Args:
            faces: Normalised faces ``(N, 1, S, S)``, float32.

        Returns:
            Calibrated probabilities ``(N, num_classes)``, float32, rows summing to 1.
        """
        with self._lock:
            self.net.setInput(np.ascontiguousarray(faces, np.float32))
            return np.asarray(self.net.forward(), np.float32)


def onnx_export_available() -> bool:
    """Whether the ``onnx`` package, which exporting a model to ONNX needs, is installed."""
    return importlib.util.find_spec("onnx") is not None


def check_runtime(name: str, device_type: str, needs_export: bool) -> None:
    """Refuse a classifier runtime that cannot run here.

    Args:
        name: ``"auto"``, ``"torch"``, ``"onnxruntime"`` or ``"opencv"``.
        device_type: ``"cpu"``, ``"cuda"`` or ``"mps"``.
        needs_export: The model has no shipped ONNX file, so an ONNX runtime must export one.

    Raises:
        InvalidInputError: an unknown name, or an ONNX runtime on a GPU.
        MissingDependencyError: an ONNX runtime must export but ``onnx`` is not installed.
    """
    if name not in ("auto", "torch", "onnxruntime", "opencv"):
        raise InvalidInputError(f"runtime must be 'auto', 'torch', 'onnxruntime' or 'opencv', got {name!r}")
    if name in ("onnxruntime", "opencv") and device_type != "cpu":
        raise InvalidInputError(f"runtime {name!r} runs on the CPU only; use runtime='torch' on {device_type}")
    if name in ("onnxruntime", "opencv") and needs_export and not onnx_export_available():
        raise MissingDependencyError(
            f'runtime="{name}" runs an ONNX export of the model, which needs the onnx package: '
            'pip install "emotionnet[onnx]"'
        )


def onnx_file(model: EmotionNet) -> Path:
    """The model exported to float32 ONNX, cached by weights hash under ``$EMOTIONNET_CACHE``
    (``~/.cache/emotionnet``).

    Args:
        model: The network (its weights and temperature make the cache key).

    Returns:
        The path of the cached ``.onnx`` file (written atomically the first time).
    """
    from ..models.export import export_onnx

    digest = hashlib.sha256(repr((model.temperature, model.input_size)).encode())
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
    cache = Path(os.environ.get("EMOTIONNET_CACHE", Path.home() / ".cache" / "emotionnet")) / "onnx"
    path = cache / f"{digest.hexdigest()[:32]}.onnx"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=cache)
        os.close(fd)
        try:
            export_onnx(model, tmp)
            os.replace(tmp, path)  # atomic: concurrent processes never read a half-written file
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    return path
