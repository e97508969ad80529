"""Export an EmotionNet (temperature included) to ONNX and check it against torch."""

from __future__ import annotations

import copy
import os
import warnings

import numpy as np
import torch
from torch import nn

from .errors import EmotionNetError, MissingDependencyError
from .model import EmotionNet


class _Probabilities(nn.Module):
    """``softmax(model(x) / temperature)``: the calibrated probabilities the recognizer reports."""

    def __init__(self, model: EmotionNet) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model(x) / self.model.temperature, dim=1)


def export_onnx(model: EmotionNet, path: str | os.PathLike, *, opset: int = 17, check_batch: int = 16) -> float:
    """Write ``model`` as ONNX with a dynamic batch axis and return the max abs difference to torch.

    Input ``faces``: float32 ``(N, 1, S, S)`` normalised as ``model.preprocess.normalize`` does;
    output ``probabilities``: ``(N, 7)``. The file is checked by running it with OpenCV's DNN module
    (no extra dependency) on random faces. Needs the ``onnx`` package (``pip install "emotionnet[onnx]"``).
    """
    try:
        import onnx  # noqa: F401  (the exporter needs it)
    except ImportError as exc:
        raise MissingDependencyError('export_onnx() needs the onnx package: pip install "emotionnet[onnx]"') from exc
    import cv2

    wrapper = _Probabilities(copy.deepcopy(model).float().cpu()).eval()  # never touch the caller's model
    size = model.input_size
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation notice: it is the one cv2.dnn reads
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            wrapper,
            (torch.zeros(1, 1, size, size),),
            os.fspath(path),
            dynamo=False,
            opset_version=opset,
            input_names=["faces"],
            output_names=["probabilities"],
            dynamic_axes={"faces": {0: "batch"}, "probabilities": {0: "batch"}},
        )
    wrapper.eval()  # the exporter restores the wrapper's previous mode; make sure it is eval
    x = torch.randn(check_batch, 1, size, size, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        expected = wrapper(x).numpy()
    net = cv2.dnn.readNetFromONNX(os.fspath(path))
    net.setInput(x.numpy())
    got = net.forward()
    diff = float(np.abs(got - expected).max())
    if not np.isfinite(diff) or diff > 1e-4:
        raise EmotionNetError(f"ONNX export of {path} differs from torch by {diff:g}")
    return diff
