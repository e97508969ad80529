"""An ensemble of trained networks evaluated as one: the mean of their calibrated probabilities.

``emotionnet eval --model A B C`` measures it (teachers are chosen by their ensemble's PublicTest
figures before they are distilled into one student).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import InvalidInputError
from ..models.emotionnet import EmotionNet


class Ensemble(nn.Module):
    """Networks that share labels and normalisation; outputs ``log(mean(softmax(logits_m / T_m)))``.

    The outputs are log-probabilities, so ``softmax`` of them (temperature 1) is the ensemble's
    mean probability, and a temperature fitted on them calibrates the ensemble as a whole.

    Args:
        members: The networks; each keeps its own temperature and input size.

    Raises:
        InvalidInputError: no members, or members with different labels or normalisation.
    """

    def __init__(self, members: list[EmotionNet]) -> None:
        super().__init__()
        if not members:
            raise InvalidInputError("an ensemble needs at least one model")
        first = members[0]
        for m in members[1:]:
            if tuple(m.labels) != tuple(first.labels):
                raise InvalidInputError(f"ensemble members disagree on labels: {first.labels} vs {m.labels}")
            if (m.preprocess.mean, m.preprocess.std) != (first.preprocess.mean, first.preprocess.std):
                raise InvalidInputError("ensemble members normalise faces differently")
        self.members = nn.ModuleList(members)
        self.preprocess = max((m.preprocess for m in members), key=lambda p: p.size)
        self.labels = first.labels
        self.temperature = 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The ensemble's log mean probability.

        Args:
            x: Normalised faces ``(N, 1, S, S)`` at the largest member's input size.

        Returns:
            Log-probabilities ``(N, num_classes)``, float32.
        """
        probs = []
        for m in self.members:
            assert isinstance(m, EmotionNet)
            probs.append(F.softmax(m(m.preprocess.resize(x)).float() / m.temperature, dim=1))
        return torch.stack(probs).mean(0).clamp_min(1e-12).log()
