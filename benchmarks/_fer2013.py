"""FER2013 crops and labels for the accuracy benchmarks (``accuracy.py``, ``face_size.py``)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emotionnet.training.data import load_split
from emotionnet.training.ferplus import read_votes

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Split:
    """One split's faces: ``crops`` (N, 48, 48) uint8, FER2013 ``labels``, FER+ 7-class ``ferplus`` (-1: uncounted)."""

    name: str
    crops: np.ndarray
    labels: np.ndarray
    ferplus: np.ndarray

    @property
    def counted(self) -> np.ndarray:
        """Which faces the FER+ 7-class benchmark counts."""
        return self.ferplus >= 0

    def accuracy(self, pred: np.ndarray) -> tuple[float, float]:
        """FER2013 and FER+ 7-class accuracy of predicted class indices."""
        return float((pred == self.labels).mean()), float((pred[self.counted] == self.ferplus[self.counted]).mean())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every accuracy benchmark shares: --data, --split, --models, --cache-dir."""
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "fer2013"))
    parser.add_argument("--split", default="val", choices=["val", "test"], help="val = PublicTest, test = PrivateTest")
    parser.add_argument("--models", nargs="+", default=["default"])
    parser.add_argument("--cache-dir", default=str(Path.home() / ".cache" / "emotionnet"))


def load(args: argparse.Namespace) -> Split:
    """Read the split named by the parsed options."""
    faces = load_split(args.data, args.split, args.cache_dir)
    crops = faces.images.numpy()
    crops = crops.reshape(len(crops), *crops.shape[-2:])
    ferplus = read_votes(args.data, faces.files)[1].numpy()
    name = "PublicTest" if args.split == "val" else "PrivateTest"
    return Split(name, crops, faces.labels.numpy(), ferplus)
