"""EmotionNet: the VGG-style network of Khaireddin & Chen (2021), config-driven widths."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from ..errors import InvalidInputError, WeightsError
from ..labels import EMOTIONS
from ..preprocessing import FacePreprocess

WEIGHTS_NAME = "model.safetensors"


def _conv_block(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(inplace=True), nn.BatchNorm2d(c_out)]


class EmotionNet(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="emotionnet",
    license="mit",
    tags=["facial-emotion-recognition", "fer2013"],
):
    """Four conv stages (2 x [3x3 conv, ReLU, BatchNorm] + max-pool) then 3 fully connected layers.

    Args:
        widths: Output channels of the four stages.
        fc: Widths of the two hidden fully connected layers.
        input_size: Side of the square input; four 2x pools leave ``input_size // 16``.
        in_channels: 1 for grayscale input.
        num_classes: Number of emotions (7 for FER2013).
        dropout: Dropout before the first two fully connected layers.
        temperature: Calibration temperature applied by :meth:`predict_proba`.
        preprocess: :class:`FacePreprocess` fields the weights were trained with.
        labels: Class names in output order.

    ``save_pretrained`` writes ``config.json`` (all of the above) + ``model.safetensors``;
    ``from_pretrained`` reads them back from a directory or a Hub repo, safetensors only,
    every tensor required (``strict``), in eval mode.

    >>> EmotionNet(widths=(4, 8, 8, 16), fc=(32, 32))(torch.zeros(2, 1, 48, 48)).shape
    torch.Size([2, 7])
    """

    def __init__(
        self,
        widths: tuple[int, int, int, int] | list[int] = (32, 64, 128, 256),
        fc: tuple[int, int] | list[int] = (1024, 1024),
        input_size: int = 48,
        in_channels: int = 1,
        num_classes: int = 7,
        dropout: float = 0.4,
        temperature: float = 1.0,
        preprocess: dict[str, Any] | None = None,
        labels: list[str] | None = None,
    ) -> None:
        super().__init__()
        if len(widths) != 4 or len(fc) != 2:
            raise InvalidInputError(f"EmotionNet needs 4 stage widths and 2 fc widths, got {widths}, {fc}")
        self.input_size = int(input_size)
        self.temperature = float(temperature)
        self.preprocess = FacePreprocess(**{"size": self.input_size, **(preprocess or {})})
        self.labels = tuple(labels or (e.value for e in EMOTIONS))
        if len(self.labels) != num_classes:
            raise InvalidInputError(f"{len(self.labels)} labels for {num_classes} classes")
        layers: list[nn.Module] = []
        c_in = in_channels
        for width in widths:
            layers += _conv_block(c_in, width) + _conv_block(width, width) + [nn.MaxPool2d(2)]
            c_in = width
        self.features = nn.Sequential(*layers)
        side = self.input_size // 16
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(c_in * side * side, fc[0]),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(fc[0], fc[1]),
            nn.ReLU(inplace=True),
            nn.Linear(fc[1], num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map normalised faces ``(N, C, S, S)`` to logits ``(N, num_classes)``.

        Args:
            x: Normalised faces ``(N, C, S, S)``.

        Returns:
            Logits ``(N, num_classes)``.
        """
        return self.classifier(self.features(x))

    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Calibrated class probabilities: ``softmax(logits / temperature)``.

        Args:
            x: Faces normalised by ``preprocess.normalize``, ``(N, 1, S, S)`` (not uint8 crops:
                :meth:`emotionnet.EmotionRecognizer.predict_proba` takes those).

        Returns:
            float32 ``(N, num_classes)``.
        """
        return calibrated_softmax(self.forward(x), self.temperature)

    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir: str | Path | None,
        force_download: bool,
        local_files_only: bool,
        token: str | bool | None,
        map_location: str = "cpu",
        **model_kwargs: Any,
    ) -> EmotionNet:
        model = cls(**model_kwargs)
        if os.path.isdir(model_id):
            path = Path(model_id) / WEIGHTS_NAME
            if not path.is_file():
                raise WeightsError(
                    f"No {WEIGHTS_NAME} in {model_id} (only safetensors weights are loaded, never pickle)"
                )
        else:
            from .hub import download

            path = download(
                model_id,
                WEIGHTS_NAME,
                revision=revision,
                cache_dir=cache_dir,
                force_download=force_download,
                local_files_only=local_files_only,
                token=token,
                missing_file=WeightsError,
                missing_hint="; only safetensors weights are loaded, pickle weights are refused",
            )
        return load_weights(model, path, map_location)


def calibrated_softmax(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """``softmax(logits / temperature)`` in float32: the probabilities every runtime reports.

    Args:
        logits: ``(N, num_classes)``.
        temperature: The model's fitted temperature.
    """
    return torch.softmax(logits.float() / temperature, dim=1)


def load_weights(model: EmotionNet, path: str | Path, map_location: str | torch.device = "cpu") -> EmotionNet:
    """Load a safetensors file into ``model`` (every tensor must match) and set eval mode.

    Args:
        model: The network to fill.
        path: A ``.safetensors`` file.
        map_location: Device the tensors load to.

    Returns:
        ``model``, in eval mode.

    Raises:
        WeightsError: the file is not valid safetensors (corrupt, truncated) or its tensors do
            not fit the architecture.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        state = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"{path} is not a readable safetensors file (corrupt or truncated?): {exc}") from exc
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise WeightsError(f"{path} does not fit this EmotionNet architecture: {exc}") from exc
    return model.to(map_location).eval()


def channels_last(model: EmotionNet) -> EmotionNet:
    """Switch ``model`` to channels-last memory format (faster convolutions on CPU and GPU).

    Args:
        model: The network (changed in place).

    Returns:
        ``model``.
    """
    return model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
