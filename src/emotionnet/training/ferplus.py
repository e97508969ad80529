"""FER+ (Barsoum et al. 2016, Microsoft, MIT licence): ten annotators' votes for each FER2013 image.

Read from ``ferplus.csv`` beside the FER2013 folders (one row per image, columns ``path``,
``neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF``). Never
bundled: the file stays with the data.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import torch

from ..errors import DatasetError, InvalidInputError
from ..labels import EMOTIONS

#: FER+ column for each of our seven emotions, in :data:`~emotionnet.labels.EMOTIONS` order.
FERPLUS_COLUMNS = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")
#: The nine categories whose plurality defines the 7-class benchmark label (all but ``NF``).
_PLURALITY_COLUMNS = (*FERPLUS_COLUMNS, "contempt", "unknown")
CSV_NAME = "ferplus.csv"


def read_votes(root: str | Path, files: tuple[str, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """FER+ votes and benchmark labels for ``files`` (paths relative to the FER2013 ``root``).

    Args:
        root: FER2013 image-folder root holding ``ferplus.csv``.
        files: Relative image paths, e.g. ``("test/angry/PrivateTest_10131363.jpg", ...)``.

    Returns:
        ``votes``: float ``(N, 7)`` vote counts over our seven emotions (rows of zeros where an
        image has none of them); ``labels``: int64 ``(N,)``, the FER+ 7-class benchmark label, or
        -1 where the image does not count (``NF`` > 0, a tied plurality, or a plurality of
        contempt/unknown).

    Raises:
        DatasetError: ``ferplus.csv`` is missing or lacks a row for one of ``files``.
    """
    path = Path(root) / CSV_NAME
    if not path.is_file():
        raise DatasetError(f"FER+ votes not found: {path} (see ../shared/README.md)")
    with path.open(newline="") as f:
        rows = {row["path"]: row for row in csv.DictReader(f)}
    votes = np.zeros((len(files), len(EMOTIONS)), dtype=np.float32)
    labels = np.full(len(files), -1, dtype=np.int64)
    for i, name in enumerate(files):
        row = rows.get(name.replace("\\", "/"))
        if row is None:
            raise DatasetError(f"{path} has no row for {name}")
        votes[i] = [float(row[c]) for c in FERPLUS_COLUMNS]
        nine = np.array([float(row[c]) for c in _PLURALITY_COLUMNS])
        top = nine.max()
        if float(row["NF"]) == 0 and top > 0 and (nine == top).sum() == 1 and nine.argmax() < len(EMOTIONS):
            labels[i] = int(nine.argmax())
    return torch.from_numpy(votes), torch.from_numpy(labels)


def soft_targets(labels: torch.Tensor, votes: torch.Tensor, targets: str, mix_alpha: float = 0.5) -> torch.Tensor:
    """Training target distributions ``(N, 7)``.

    Args:
        labels: FER2013 labels ``(N,)``.
        votes: FER+ votes ``(N, 7)`` from :func:`read_votes`.
        targets: ``"fer2013"`` (one-hot), ``"ferplus"`` (votes renormalised over our seven) or
            ``"mix"`` (``mix_alpha`` x one-hot + (1 - ``mix_alpha``) x votes).
        mix_alpha: Weight of the FER2013 one-hot label in ``"mix"``.

    Returns:
        Rows summing to 1. Images with no vote for any of our seven keep the FER2013 one-hot label.

    Raises:
        InvalidInputError: unknown ``targets`` or ``mix_alpha`` outside [0, 1].
    """
    if targets not in ("fer2013", "ferplus", "mix"):
        raise InvalidInputError(f"targets must be 'fer2013', 'ferplus' or 'mix', got {targets!r}")
    if not 0.0 <= mix_alpha <= 1.0:
        raise InvalidInputError(f"mix_alpha must be in [0, 1], got {mix_alpha}")
    onehot = torch.nn.functional.one_hot(labels, len(EMOTIONS)).float()
    if targets == "fer2013":
        return onehot
    total = votes.sum(1, keepdim=True)
    dist = torch.where(total > 0, votes / total.clamp(min=1), onehot)
    return dist if targets == "ferplus" else mix_alpha * onehot + (1 - mix_alpha) * dist
