"""EmotionNet rewritten for CPU inference with oneDNN: conv + ReLU fused, weights packed once.

Eager PyTorch runs each 3x3 convolution, its ReLU and its BatchNorm as separate passes and
re-lays-out the convolution weights for oneDNN on every call. :class:`FusedCPUNet` runs the same
network as one oneDNN primitive per convolution + ReLU, on weights packed once when it is built,
and BatchNorm as one fused multiply-add. In bfloat16 on our 2-core CPU it is about 1.5x faster at
batch 1 and as fast on batches (docs/performance.md); in float32 it is slower on batches, so the
torch backend uses it for bfloat16 only. It uses ``torch.ops.mkldnn`` operators that torch's own
compiler emits; :func:`fused_cpu_net` checks them against the plain model and returns ``None``
where they are missing or disagree, so callers fall back to eager PyTorch.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from ..models.emotionnet import EmotionNet, calibrated_softmax

_PAD = [1, 1]
_ONE = [1, 1]


class FusedCPUNet(nn.Module):
    """Calibrated probabilities of ``model`` computed in ``dtype`` (bfloat16 or float32) on the CPU."""

    def __init__(self, model: EmotionNet, dtype: torch.dtype) -> None:
        super().__init__()
        self.dtype = dtype
        self.temperature = model.temperature
        self.steps: list[tuple[str, torch.Tensor | None, torch.Tensor | None]] = []
        layers, side, i = list(model.features), model.input_size, 0
        while i < len(layers):
            layer = layers[i]
            if isinstance(layer, nn.Conv2d):  # always followed by its ReLU (see model._conv_block)
                weight = layer.weight.detach().to(dtype)
                shape = [1, weight.shape[1], side, side]
                packed = torch.ops.mkldnn._reorder_convolution_weight(weight, _PAD, _ONE, _ONE, 1, shape)
                bias = None if layer.bias is None else layer.bias.detach().to(dtype)
                self.steps.append(("conv_relu", packed, bias))
                i += 2
            elif isinstance(layer, nn.BatchNorm2d):
                mean, var = layer.running_mean, layer.running_var
                assert mean is not None and var is not None  # EmotionNet's BatchNorms track statistics
                scale = layer.weight.detach() / torch.sqrt(var + layer.eps)
                shift = layer.bias.detach() - mean * scale
                self.steps.append(("affine", scale.to(dtype).view(1, -1, 1, 1), shift.to(dtype).view(1, -1, 1, 1)))
                i += 1
            else:  # MaxPool2d(2)
                self.steps.append(("pool", None, None))
                side //= 2
                i += 1
        self.classifier = copy.deepcopy(model.classifier).eval().to(dtype)

    @torch.inference_mode()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised faces ``(N, 1, S, S)`` (float32) -> probabilities ``(N, classes)`` (float32).

        Args:
            x: Normalised faces ``(N, 1, S, S)``, float32.

        Returns:
            Probabilities ``(N, classes)``, float32.
        """
        x = x.to(self.dtype).contiguous(memory_format=torch.channels_last)
        for kind, a, b in self.steps:
            if kind == "conv_relu":
                x = torch.ops.mkldnn._convolution_pointwise(x, a, b, _PAD, _ONE, _ONE, 1, "relu", [None], "")
            elif kind == "affine":
                x = torch.addcmul(b, x, a)  # type: ignore[arg-type]
            else:
                x = F.max_pool2d(x, 2)
        return calibrated_softmax(self.classifier(x), self.temperature)


def fused_cpu_net(model: EmotionNet, dtype: torch.dtype, tolerance: float = 0.02) -> FusedCPUNet | None:
    """A :class:`FusedCPUNet` of ``model``, or ``None`` where this torch build cannot run one.

    The fused network is checked on random faces against ``model`` itself (float32) and refused
    when any probability differs by more than ``tolerance`` (bf16 differs by a few thousandths).

    Args:
        model: The network to fuse (left unchanged).
        dtype: ``torch.float32`` or ``torch.bfloat16``.
        tolerance: The largest probability difference to ``model`` accepted.
    """
    if not (torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_convolution_pointwise")):
        return None
    try:
        net = FusedCPUNet(model, dtype).eval()
        x = torch.randn(4, 1, model.input_size, model.input_size, generator=torch.Generator().manual_seed(0))
        with torch.inference_mode():
            expected = model.predict_proba(x)
            diff = float((net(x) - expected).abs().max())
    except (RuntimeError, AttributeError, TypeError):
        return None
    return net if diff <= tolerance else None
