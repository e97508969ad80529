"""Quantisation-aware training: learn through the rounding the int8 ONNX file will apply.

:func:`quantise` wraps every convolution and fully connected layer of an :class:`EmotionNet` so that
its forward pass sees what ONNX Runtime's static int8 file computes (``models.export.quantize_int8``):
weights rounded per output channel to symmetric int8 (``max|w| / 127`` steps), inputs and outputs
rounded per tensor to uint8 over their observed range (a moving average of each batch's min and
max). Gradients pass the rounding straight through. :func:`dequantise` gives back the plain network
with the learnt float weights, which ``quantize_int8`` then calibrates and writes.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from ..models.emotionnet import EmotionNet


class _RangeQuant(nn.Module):
    """Per-tensor uint8 fake quantisation over a moving average of the batches' min and max."""

    low: torch.Tensor
    high: torch.Tensor
    seen: torch.Tensor

    def __init__(self, momentum: float = 0.01) -> None:
        super().__init__()
        self.momentum = momentum
        self.register_buffer("low", torch.zeros(()))
        self.register_buffer("high", torch.zeros(()))
        self.register_buffer("seen", torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            with torch.no_grad():
                low, high = x.detach().min().float().clamp(max=0), x.detach().max().float().clamp(min=0)
                if self.seen == 0:
                    self.low.copy_(low), self.high.copy_(high)
                else:
                    self.low.lerp_(low, self.momentum), self.high.lerp_(high, self.momentum)
                self.seen.add_(1)
        if self.seen == 0:  # never trained: nothing to round to yet
            return x
        scale = ((self.high - self.low) / 255).clamp(min=1e-8).reshape(1)
        zero_point = (-self.low / scale).round().clamp(0, 255).to(torch.int32)
        return torch.fake_quantize_per_tensor_affine(x.float(), scale, zero_point, 0, 255).to(x.dtype)


def _rounded_weight(w: torch.Tensor) -> torch.Tensor:
    """``w`` rounded per output channel to symmetric int8, as ONNX Runtime's per-channel QInt8."""
    scale = (w.detach().abs().flatten(1).amax(1).float() / 127).clamp(min=1e-8)
    zero_point = torch.zeros_like(scale, dtype=torch.int32)
    return torch.fake_quantize_per_channel_affine(w.float(), scale, zero_point, 0, -127, 127).to(w.dtype)


class QuantisedLayer(nn.Module):
    """A ``Conv2d`` or ``Linear`` computing with rounded weights, inputs and outputs.

    Args:
        layer: The layer (kept as ``.layer``; its parameters are the ones trained).
    """

    def __init__(self, layer: nn.Conv2d | nn.Linear) -> None:
        super().__init__()
        self.layer = layer
        self.inputs = _RangeQuant()
        self.outputs = _RangeQuant()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The layer's output as int8 arithmetic would give it.

        Args:
            x: The layer's input (float).

        Returns:
            Its output, rounded to the observed range's uint8 steps.
        """
        weight = _rounded_weight(self.layer.weight)
        x = self.inputs(x)
        if isinstance(self.layer, nn.Conv2d):
            y = self.layer._conv_forward(x, weight, self.layer.bias)
        else:
            y = F.linear(x, weight, self.layer.bias)
        return self.outputs(y)


def quantise(model: EmotionNet) -> EmotionNet:
    """Wrap every ``Conv2d`` and ``Linear`` of ``model`` in a :class:`QuantisedLayer` (in place).

    Args:
        model: The network; already quantised layers are left as they are.

    Returns:
        ``model``.
    """
    for block in (model.features, model.classifier):
        for i, layer in enumerate(block):
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                block[i] = QuantisedLayer(layer)
    return model


def is_quantised(model: nn.Module) -> bool:
    """Whether ``model`` holds :class:`QuantisedLayer` wrappers.

    Args:
        model: Any torch module.
    """
    return any(isinstance(m, QuantisedLayer) for m in model.modules())


def dequantise(model: EmotionNet) -> EmotionNet:
    """A copy of ``model`` with each :class:`QuantisedLayer` replaced by its float layer.

    Args:
        model: A network, quantised or not (it is not changed).

    Returns:
        A plain :class:`EmotionNet` with the same float weights.
    """
    plain = copy.deepcopy(model)
    for block in (plain.features, plain.classifier):
        for i, layer in enumerate(block):
            if isinstance(layer, QuantisedLayer):
                block[i] = layer.layer
    return plain
