"""An ONNX file (a registry entry's, an int8 candidate) evaluated as ``emotionnet eval`` evaluates networks."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..classifier.backends import Backend, OnnxRuntimeBackend
from ..classifier.plan import Precision, build, resolve
from ..errors import InvalidInputError, ModelNotFoundError
from ..preprocessing import FacePreprocess


class OnnxNetwork(nn.Module):
    """ONNX Runtime behind the interface evaluation reads: ``model(x)`` -> logits, ``.preprocess``,
    ``.labels``, ``.temperature``.

    The file outputs calibrated probabilities ``p = softmax(z / T)``; this returns ``T * log p``,
    which is ``z`` up to a constant per face, so top-1, ten-crop averages, the ECE at ``T`` and any
    temperature fitted on them are the file's own.

    Args:
        backend: Runs the file: normalised faces ``(N, 1, S, S)`` -> probabilities.
        preprocess: How the file's network wants faces.
        labels: Its class names in output order.
        temperature: The temperature inside the file.
        precision: What the file computes in (``"fp32"``, ``"int8"``), ``None`` when unknown.
    """

    def __init__(
        self,
        backend: Backend,
        preprocess: FacePreprocess,
        labels: tuple[str, ...],
        temperature: float,
        precision: str | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.preprocess, self.labels, self.temperature, self.precision = preprocess, labels, temperature, precision
        self.path = getattr(backend, "path", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, num_classes)`` up to a constant per face.

        Args:
            x: Normalised faces ``(N, 1, S, S)``.
        """
        probs = self.backend(x.detach().float().cpu().contiguous().numpy())
        return torch.from_numpy(np.log(np.clip(probs, 1e-12, None)) * np.float32(self.temperature))


def onnx_network(
    model: str, onnx: str | os.PathLike | None = None, threads: int | None = None, precision: Precision = "auto"
) -> OnnxNetwork:
    """``model`` on ONNX Runtime as the CPU path runs it: a registered entry's shipped ONNX file, or
    a float32 export of other weights; ``onnx`` runs that file instead (e.g. an int8 candidate).

    Args:
        model: Registered name, directory or Hub repo id.
        onnx: An ``.onnx`` file made from ``model``'s weights.
        threads: ONNX Runtime intra-op threads (the thread policy's when ``None``).
        precision: ``"auto"`` (the shipped file, else a float32 export), ``"fp32"`` (a float32
            export even where an int8 file ships) or ``"int8"`` (the shipped int8 file).

    Returns:
        The :class:`OnnxNetwork`.

    Raises:
        ModelNotFoundError: ``onnx`` is not a file.
        InvalidInputError: its input side differs from ``model``'s, or ``precision`` cannot run.
    """
    if onnx is not None:
        precision = "auto"  # the weights' temperature and preprocessing; the file's own arithmetic
    plan = resolve(model, device="cpu", runtime="onnxruntime", precision=precision, threads=threads)  # loads once
    net = plan.network  # None when the plan runs the entry's shipped file
    if onnx is not None:
        if not Path(onnx).is_file():
            raise ModelNotFoundError(f"--onnx {os.fspath(onnx)!r} is not a file")
        backend: OnnxRuntimeBackend = OnnxRuntimeBackend(Path(onnx), plan.threads)
    else:
        built = build(plan, lambda: plan.network)  # type: ignore[arg-type,return-value]
        assert isinstance(built, OnnxRuntimeBackend)  # runtime="onnxruntime"; network is set when it exports
        backend = built
    side = backend.session.get_inputs()[0].shape[-1]
    if isinstance(side, int) and side != plan.preprocess.size:
        raise InvalidInputError(f"the ONNX file takes {side} px faces, {model!r} {plan.preprocess.size} px")
    temperature = net.temperature if net is not None else plan.entry.temperature if plan.entry else 1.0
    return OnnxNetwork(backend, plan.preprocess, plan.labels, temperature, None if onnx is not None else plan.precision)
