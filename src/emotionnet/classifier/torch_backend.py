"""The classifier on torch: GPUs, bfloat16 CPUs (fused oneDNN), and any model built in Python."""

from __future__ import annotations

import copy

import numpy as np
import torch

from ..models.emotionnet import EmotionNet
from .fused import fused_cpu_net


class TorchBackend:
    """The model in channels-last layout, in float32 or bfloat16.

    In bfloat16 on CPUs it runs :class:`~emotionnet.classifier.fused.FusedCPUNet` (conv + ReLU fused by
    oneDNN, weights packed once) where this torch build supports it. Elsewhere it runs the model
    under autocast, from a copy whose convolution and linear weights are already bfloat16 when
    ``bf16``, so autocast does not cast 4.6M weights on every call.

    Args:
        model: The network (not modified: a copy is moved to ``device``).
        device: Where to run.
        bf16: Run in bfloat16.
    """

    name = "torch"

    def __init__(self, model: EmotionNet, device: torch.device, bf16: bool) -> None:
        self.device, self.bf16 = device, bf16
        self.model = copy.deepcopy(model).to(device).eval().to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        self.fused = fused_cpu_net(self.model, torch.bfloat16) if device.type == "cpu" and bf16 else None
        if bf16 and self.fused is None:
            for module in self.model.modules():
                if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                    module.to(torch.bfloat16)

    @torch.inference_mode()
    def __call__(self, faces: np.ndarray) -> np.ndarray:
        """Run the network on one batch (in chunks of ``batch_size``).

        Args:
            faces: Normalised faces ``(N, 1, S, S)``, float32.

        Returns:
            Calibrated probabilities ``(N, num_classes)``, float32, rows summing to 1.
        """
        x = torch.from_numpy(faces)
        if self.fused is not None:
            return self.fused(x).numpy()
        x = x.to(self.device, memory_format=torch.channels_last)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            return self.model.predict_proba(x).cpu().numpy()
