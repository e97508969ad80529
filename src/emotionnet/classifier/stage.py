"""The classifier stage: uint8 face crops in, calibrated probabilities out, on the chosen runtime.

:class:`Classifier` decides where and how the network runs (device, runtime, precision, threads),
normalises crops exactly as training did, batches them and applies flip TTA. On CPUs with a
registered model that ships an ONNX file it runs ONNX Runtime and never imports torch.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..errors import InvalidImageError, InvalidInputError
from ..models.hub import fetch
from ..models.registry import ModelEntry, get_model_entry, list_models
from ..preprocessing import TTA, tta_views
from ..runtimes.device import cpu_only_machine
from ..runtimes.threads import resolve_threads
from .backends import Backend, OnnxRuntimeBackend, OpenCVBackend, RuntimeName, check_runtime, onnx_export_available

if TYPE_CHECKING:
    import torch

    from ..models.emotionnet import EmotionNet

Precision = Literal["auto", "fp32", "bf16"]


class Classifier:
    """An emotion classifier on one runtime (see :class:`~emotionnet.EmotionRecognizer` for the arguments).

    Attributes:
        device: ``"cpu"``, ``"cuda:0"``, ... as a string.
        runtime: ``"onnxruntime"``, ``"torch"`` or ``"opencv"``.
        precision: ``"fp32"`` or ``"bf16"``.
        threads: ONNX Runtime intra-op threads.
        preprocess: How faces are cut and normalised for this model.
        labels: Class names in output order.
    """

    def __init__(
        self,
        model: str | os.PathLike | ModelEntry | EmotionNet = "default",
        *,
        device: str | torch.device = "auto",
        batch_size: int = 64,
        tta: bool | TTA = "none",
        revision: str | None = None,
        precision: Precision = "auto",
        runtime: RuntimeName = "auto",
        threads: int | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidInputError(f"batch_size must be an int >= 1, got {batch_size!r}")
        if precision not in ("auto", "fp32", "bf16"):
            raise InvalidInputError(f"precision must be 'auto', 'fp32' or 'bf16', got {precision!r}")
        self.threads = resolve_threads(threads)
        self.batch_size, self.tta = batch_size, _check_tta(tta)
        entry = _registered(model)
        self._model: EmotionNet | None = None
        self._entry = entry
        self._onnx: Path | None = None
        on_cpu = device == "cpu" or (device == "auto" and cpu_only_machine())
        if on_cpu and runtime in ("auto", "onnxruntime") and precision in ("auto", "fp32") and entry and entry.onnx:
            check_runtime(runtime, "cpu", needs_export=False)
            self.device, self.runtime, self.precision = "cpu", "onnxruntime", "fp32"
            self._onnx = fetch(entry.onnx)
            self.preprocess, self.labels = entry.preprocess, tuple(entry.labels)
        else:
            self._init_torch(model, device, revision, precision, runtime)
        self._backend = self._make_backend()

    def _init_torch(self, model: Any, device: Any, revision: str | None, precision: str, runtime: str) -> None:
        from ..models.emotionnet import EmotionNet
        from ..models.pretrained import load_model
        from ..runtimes.device import fast_bf16, resolve_device

        dev = resolve_device(device)
        net = model if isinstance(model, EmotionNet) else load_model(model, revision=revision)  # checks the type
        check_runtime(runtime, dev.type, needs_export=True)
        bf16 = precision == "bf16" or (precision == "auto" and fast_bf16(dev))
        if runtime == "auto":
            runtime = "torch" if dev.type != "cpu" or bf16 or not onnx_export_available() else "onnxruntime"
        if runtime != "torch":
            if precision == "bf16":
                raise InvalidInputError(f"precision='bf16' needs runtime='torch', not {runtime!r}")
            bf16 = False
        self.device, self.runtime, self.precision = str(dev), runtime, "bf16" if bf16 else "fp32"
        self._model, self.preprocess, self.labels = net, net.preprocess, tuple(net.labels)

    def _make_backend(self) -> Backend:
        if self._onnx is not None:
            return OnnxRuntimeBackend(self._onnx, self.threads)
        if self.runtime == "torch":
            import torch

            from .torch_backend import TorchBackend

            return TorchBackend(self.network, torch.device(self.device), self.precision == "bf16")
        from .backends import onnx_file

        path = onnx_file(self.network)
        return OnnxRuntimeBackend(path, self.threads) if self.runtime == "onnxruntime" else OpenCVBackend(path)

    @property
    def network(self) -> EmotionNet:
        """The network as a torch :class:`EmotionNet` (loaded on first use when ONNX Runtime runs it)."""
        if self._model is None:
            from ..models.pretrained import load_model

            assert self._entry is not None
            self._model = load_model(self._entry, device="cpu")
        return self._model

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        del state["_backend"]  # ONNX sessions do not pickle; rebuilt from the same file
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._backend = self._make_backend()

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        """Calibrated probabilities ``(N, num_classes)`` for preprocessed uint8 crops ``(N, size, size)``.

        Args:
            crops: uint8 grayscale crops ``(N, size, size)``, cut as :attr:`preprocess` cuts them.

        Returns:
            Calibrated probabilities ``(N, num_classes)``, float32, rows summing to 1.

        Raises:
            InvalidImageError: ``crops`` is not uint8 of the model's input size.
        """
        size = self.preprocess.size
        if crops.dtype != np.uint8 or crops.ndim != 3 or crops.shape[1:] != (size, size):
            raise InvalidImageError(f"crops must be uint8 (N, {size}, {size}), got {crops.dtype} {crops.shape}")
        out = []
        for start in range(0, len(crops), self.batch_size):
            x = self.preprocess.normalize_array(crops[start : start + self.batch_size])
            out.append(_mean_in_logits([self._backend(v) for v in tta_views(x, self.tta)]))
        return np.concatenate(out) if out else np.zeros((0, len(self.labels)), np.float32)


def _mean_in_logits(probs: list[np.ndarray]) -> np.ndarray:
    """Probabilities of the mean logit over views: the renormalised geometric mean of ``probs``.

    A softmax of the mean of the (temperature-scaled) logits, as ``emotionnet eval`` averages views,
    computed from the calibrated probabilities the runtimes return.
    """
    if len(probs) == 1:
        return probs[0]
    log = sum(np.log(np.maximum(p, np.float32(1e-30))) for p in probs) / np.float32(len(probs))
    out = np.exp(log - log.max(axis=1, keepdims=True))
    return (out / out.sum(axis=1, keepdims=True)).astype(np.float32)


def _check_tta(tta: object) -> TTA:
    """``tta`` as one of ``"none"``, ``"flip"``, ``"tencrop"`` (``False`` and ``True`` mean the first two)."""
    if tta is False or tta is True:
        return "flip" if tta else "none"
    if tta not in ("none", "flip", "tencrop"):
        raise InvalidInputError(f"tta must be 'none', 'flip', 'tencrop', True or False, got {tta!r}")
    return tta


def _registered(model: object) -> ModelEntry | None:
    """The registry entry ``model`` names, if it names one."""
    if isinstance(model, ModelEntry):
        return model
    if isinstance(model, str) and (model == "default" or model in list_models()):
        return get_model_entry(model)
    return None
