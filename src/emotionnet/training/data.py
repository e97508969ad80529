"""FER2013 in the Kaggle image-folder layout, held in memory as uint8 tensors."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from ..errors import DatasetError, InvalidInputError
from ..labels import EMOTIONS
from .cache import read_cache, write_cache

#: File-name prefix of each split: train/ holds Training_*, test/ holds PublicTest_* and PrivateTest_*.
SPLITS = {"train": ("train", "Training_"), "val": ("test", "PublicTest_"), "test": ("test", "PrivateTest_")}


@dataclass(frozen=True)
class FaceSet:
    """Images ``(N, 48, 48)`` uint8 and labels ``(N,)`` int64 in :data:`EMOTIONS` order."""

    images: torch.Tensor
    labels: torch.Tensor
    files: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.labels.numel())

    def subset(self, index: torch.Tensor | slice) -> FaceSet:
        """Rows selected by ``index`` (a slice or an index tensor).

        Args:
            index: A slice or an index tensor.

        Returns:
            A new :class:`FaceSet`.
        """
        idx = index if isinstance(index, slice) else index.tolist()
        files = self.files[idx] if isinstance(idx, slice) else tuple(self.files[i] for i in idx)
        return FaceSet(self.images[index], self.labels[index], files)


def list_split(root: Path, split: str) -> list[tuple[Path, int]]:
    """The image files of one FER2013 split with their label indices, in a fixed order.

    Args:
        root: The fer2013 folder (``train/`` and ``test/`` of per-emotion folders).
        split: ``"train"``, ``"val"`` (PublicTest) or ``"test"`` (PrivateTest).

    Returns:
        ``(path, label)`` pairs, class by class, files sorted by name.

    Raises:
        DatasetError: An emotion folder is missing or the split has no images.
    """
    folder, prefix = SPLITS[split]
    items: list[tuple[Path, int]] = []
    for label, emotion in enumerate(EMOTIONS):
        class_dir = root / folder / emotion.value
        if not class_dir.is_dir():
            raise DatasetError(f"FER2013 folder missing: {class_dir} (expected {root}/<train|test>/<emotion>/)")
        items += [(p, label) for p in sorted(class_dir.glob(f"{prefix}*.jpg"))]
    if not items:
        raise DatasetError(f"No {prefix}*.jpg files under {root / folder}")
    return items


def load_split(root: str | Path, split: str, cache_dir: str | Path | None = None) -> FaceSet:
    """Load one split (``train``, ``val`` = PublicTest, ``test`` = PrivateTest) into memory.

    Decoded arrays are cached as ``.npz`` in ``cache_dir``, keyed by its files' names and bytes, so
    later runs start in a second.

    Args:
        root: The dataset folder (``train/``, ``test/``).
        split: ``train``, ``val`` or ``test``.
        cache_dir: Where decoded arrays are cached (``~`` is expanded); ``None`` caches nothing.

    Returns:
        The faces, labels and file names.
    """
    if split not in SPLITS:
        raise InvalidInputError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
    root = Path(root).expanduser()
    items = list_split(root, split)
    names = [str(p.relative_to(root)) for p, _ in items]
    key = _cache_key(root, items)
    cache = Path(cache_dir).expanduser() / f"fer2013-{split}-{key}.npz" if cache_dir else None
    arrays = read_cache(cache, ("images", "labels"))
    if arrays is not None and len(arrays["labels"]) == len(items):
        images, labels = arrays["images"], arrays["labels"]
    else:
        images = np.stack([_read_gray48(p) for p, _ in items])
        labels = np.array([label for _, label in items], dtype=np.int64)
        write_cache(cache, images=images, labels=labels)
    return FaceSet(torch.from_numpy(images), torch.from_numpy(labels), tuple(names))


def _cache_key(root: Path, items: list[tuple[Path, int]]) -> str:
    """Each file's name, label and bytes: a copy of the dataset with other pixels under the same
    names (a re-cropped FER2013) gets its own cache, a byte-identical copy anywhere shares it."""
    key = hashlib.sha256()
    for path, label in items:
        key.update(f"\n{path.relative_to(root)}:{label}:".encode())
        key.update(path.read_bytes())
    return key.hexdigest()[:16]


def _read_gray48(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise DatasetError(f"Cannot decode {path}")
    if image.shape != (48, 48):
        image = cv2.resize(image, (48, 48), interpolation=cv2.INTER_AREA)
    return image


def load_train_val(
    root: str | Path,
    cache_dir: str | Path | None = None,
    limit: int | None = None,
    seed: int = 0,
    recut: str | Path | None = None,
) -> tuple[FaceSet, FaceSet, torch.Tensor | None]:
    """Training and PublicTest faces, and optionally the training faces' re-cut view.

    Args:
        root: The dataset folder.
        cache_dir: Where decoded arrays are cached.
        limit: Keep a random ``limit`` faces of each split (smoke tests).
        seed: Seeds that choice.
        recut: A re-cut copy of ``root`` (``python -m emotionnet.training.reframe``): its train/
            images are returned row for row with the training faces.

    Returns:
        ``(train, val, recut_images)``; ``recut_images`` is ``None`` without ``recut``.

    Raises:
        DatasetError: ``recut``'s train/ holds other files or labels than ``root``'s.
    """
    train = load_split(root, "train", cache_dir)
    val = load_split(root, "val", cache_dir)
    other = load_split(recut, "train", cache_dir) if recut else None
    if other is not None and (other.files != train.files or not torch.equal(other.labels, train.labels)):
        raise DatasetError(f"{recut} is not a re-cut copy of {root}: its train/ files or labels differ")
    if limit:
        pick = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))[:limit]
        pick_val = torch.randperm(len(val), generator=torch.Generator().manual_seed(seed))[:limit]
        train, val = train.subset(pick), val.subset(pick_val)
        other = None if other is None else other.subset(pick)
    return train, val, None if other is None else other.images
