"""The classifier stage: uint8 face crops in, calibrated probabilities out, on the chosen runtime.

:class:`Classifier` takes the plan :func:`.plan.resolve` makes (where and how the network runs:
device, runtime, precision, threads, files), builds its runner with :func:`.plan.build`,
normalises crops exactly as training did, batches them and applies test-time views. On CPUs with
a registered model that ships an ONNX file it runs ONNX Runtime and never imports torch.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from .._numbers import as_int
from ..errors import InvalidImageError, InvalidInputError
from ..models.registry import ModelEntry
from ..preprocessing import TTA, tta_views
from .backends import RuntimeName
from .plan import Precision, build, resolve

if TYPE_CHECKING:
    import torch

    from ..models.emotionnet import EmotionNet


class Classifier:
    """An emotion classifier on one runtime (see :class:`~emotionnet.EmotionRecognizer` for the arguments).

    Attributes:
        plan: The :class:`~emotionnet.classifier.plan.ClassifierPlan` it was built from; its
            ``device``, ``runtime``, ``precision``, ``threads``, ``preprocess`` and ``labels``
            are copied onto the classifier.
        batch_size: Faces per forward pass.
        tta: ``"none"``, ``"flip"`` or ``"tencrop"``.
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
        if (size := as_int(batch_size)) is None or size < 1:
            raise InvalidInputError(f"batch_size must be an int >= 1, got {batch_size!r}")
        self.batch_size, self.tta = size, _check_tta(tta)
        plan = resolve(model, device=device, revision=revision, precision=precision, runtime=runtime, threads=threads)
        self.plan = plan
        self.device, self.runtime, self.precision, self.threads = (
            plan.device,
            plan.runtime,
            plan.precision,
            plan.threads,
        )
        self.preprocess, self.labels = plan.preprocess, plan.labels
        self._network = plan.network
        self._backend = build(plan, lambda: self.network)

    @property
    def network(self) -> EmotionNet:
        """The network as a torch :class:`EmotionNet` (loaded on first use when ONNX Runtime runs it)."""
        if self._network is None:
            from ..models.pretrained import load_model

            assert self.plan.entry is not None
            self._network = load_model(self.plan.entry, device="cpu")
        return self._network

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        del state["_backend"]  # ONNX sessions do not pickle; rebuilt from the same file
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._backend = build(self.plan, lambda: self.network)

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
