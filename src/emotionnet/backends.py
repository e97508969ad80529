"""Inference backends for the classifier: torch, ONNX Runtime or OpenCV DNN, one interface.

Each backend maps normalised faces ``(N, 1, S, S)`` (float32) to calibrated probabilities
``(N, 7)``. The ONNX backends run a file exported from the very same weights (temperature
included) by :func:`emotionnet.export.export_onnx`, cached by a hash of the weights.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import os
import tempfile
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import torch

from .errors import InvalidInputError, MissingDependencyError
from .fused import fused_cpu_net
from .model import EmotionNet
from .ort import cpu_session

BackendName = Literal["auto", "torch", "onnxruntime", "opencv"]


class Backend(Protocol):
    """Calibrated probabilities for a batch of normalised faces."""

    name: str

    def __call__(self, faces: torch.Tensor) -> np.ndarray: ...


class TorchBackend:
    """The model in channels-last layout, in float32 or bfloat16.

    In bfloat16 on CPUs it runs :class:`~emotionnet.fused.FusedCPUNet` (conv + ReLU fused by
    oneDNN, weights packed once) where this torch build supports it. Elsewhere it runs the model
    under autocast, from a copy whose convolution and linear weights are already bfloat16 when
    ``bf16``, so autocast does not cast 4.6M weights on every call.
    """

    name = "torch"

    def __init__(self, model: EmotionNet, device: torch.device, bf16: bool) -> None:
        self.device, self.bf16 = device, bf16
        self.fused = fused_cpu_net(model, torch.bfloat16) if device.type == "cpu" and bf16 else None
        self.model = model
        if bf16 and self.fused is None:
            self.model = copy.deepcopy(model)
            for module in self.model.modules():
                if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                    module.to(torch.bfloat16)

    @torch.inference_mode()
    def __call__(self, faces: torch.Tensor) -> np.ndarray:
        if self.fused is not None:
            return self.fused(faces).numpy()
        x = faces.to(self.device, memory_format=torch.channels_last)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            return self.model.predict_proba(x).cpu().numpy()


class OnnxRuntimeBackend:
    """ONNX Runtime on the CPU (``pip install "emotionnet[onnxruntime]"``)."""

    name = "onnxruntime"

    def __init__(self, path: Path, threads: int) -> None:
        self.session = cpu_session(path, threads)

    def __call__(self, faces: torch.Tensor) -> np.ndarray:
        out = self.session.run(None, {"faces": np.ascontiguousarray(faces.numpy(), np.float32)})[0]
        return np.asarray(out, np.float32)


class OpenCVBackend:
    """OpenCV's DNN module (no extra runtime). One network, so concurrent calls take turns (a lock)."""

    name = "opencv"

    def __init__(self, path: Path) -> None:
        import threading

        import cv2

        self.net = cv2.dnn.readNetFromONNX(str(path))
        self._lock = threading.Lock()

    def __call__(self, faces: torch.Tensor) -> np.ndarray:
        with self._lock:
            self.net.setInput(np.ascontiguousarray(faces.numpy(), np.float32))
            return np.asarray(self.net.forward(), np.float32)


def onnxruntime_available() -> bool:
    """Whether ``onnxruntime`` and ``onnx`` (which the one-time export needs) can be imported."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def resolve_backend(name: str, device: torch.device, fast_bf16: bool) -> str:
    """The backend ``"auto"`` stands for, or ``name`` itself after checking it.

    ``"auto"`` is torch on GPUs and on CPUs with fast bfloat16 (torch's bf16 kernels beat the
    fp32 ONNX runtimes there, see docs/performance.md), else ONNX Runtime when installed, else torch.
    """
    if name not in ("auto", "torch", "onnxruntime", "opencv"):
        raise InvalidInputError(f"backend must be 'auto', 'torch', 'onnxruntime' or 'opencv', got {name!r}")
    if name in ("onnxruntime", "opencv") and device.type != "cpu":
        raise InvalidInputError(f"backend {name!r} runs on the CPU only; use backend='torch' on {device.type}")
    if name in ("onnxruntime", "opencv") and not onnxruntime_available():
        raise MissingDependencyError(
            f'backend="{name}" runs an ONNX export of the model, which needs the onnx package: '
            'pip install "emotionnet[onnx]"'
        )
    if name == "auto":
        if device.type != "cpu" or fast_bf16 or not onnxruntime_available():
            return "torch"
        return "onnxruntime"
    return name


def onnx_file(model: EmotionNet) -> Path:
    """The model exported to ONNX, cached by weights hash under ``$EMOTIONNET_CACHE`` (~/.cache/emotionnet)."""
    from .export import export_onnx

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


def create_backend(name: str, model: EmotionNet, device: torch.device, bf16: bool) -> Backend:
    """Build the backend called ``name`` (already resolved, see :func:`resolve_backend`)."""
    if name == "torch":
        return TorchBackend(model, device, bf16)
    path = onnx_file(model)
    if name == "onnxruntime":
        return OnnxRuntimeBackend(path, torch.get_num_threads())
    return OpenCVBackend(path)
