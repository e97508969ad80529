"""FER2013 re-cut the way the pipeline cuts a photograph: detector box, then the model's crop.

FER2013's own frame varies from face to face (0.68-1.22 detector-box sides between the 10th and
90th percentiles, ``benchmarks/crop_framing.py``), while a photograph reaches the classifier
through the detector and the registry's crop. Each 48x48 face is enlarged 4x into a canvas with
mirrored edges, found again by the default detector, and cut again with the model's crop (margin,
eye-levelled warp), as :meth:`EmotionRecognizer.predict` cuts faces. A face the detector misses
keeps its original pixels. The copy keeps FER2013's layout and file names, so ``emotionnet train``
and ``emotionnet eval`` take it with ``--data`` as they take the original.

    python -m emotionnet.training.reframe --data ../shared/data/fer2013 --out runs/fer2013-reframed
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
from tqdm.auto import tqdm

from .._outputs import atomic_dir
from ..detection.detector import FaceDetector
from ..errors import DatasetError, report
from ..models.registry import get_model_entry
from ..preprocessing import FacePreprocess
from ..results import Face
from .data import SPLITS, list_split

SCALE, PAD = 4, 96
"""A 48 px face becomes 192 px in a 384 px canvas: the size at which YuNet finds nearly all faces."""


def canvas(face: np.ndarray) -> np.ndarray:
    """A 48x48 gray face enlarged :data:`SCALE` times, with :data:`PAD` mirrored pixels around it.

    Args:
        face: ``(48, 48)`` uint8.

    Returns:
        A BGR uint8 canvas, ``(384, 384, 3)``.
    """
    side = face.shape[0] * SCALE
    big = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
    return cv2.cvtColor(cv2.copyMakeBorder(big, PAD, PAD, PAD, PAD, cv2.BORDER_REFLECT_101), cv2.COLOR_GRAY2BGR)


def find_face(detector: FaceDetector, image: np.ndarray) -> Face | None:
    """The best-scoring face centred within a quarter side of a :func:`canvas`'s centre, if any.

    Args:
        detector: The detector that cuts faces at inference.
        image: A :func:`canvas`.

    Returns:
        The face, or ``None`` when the detector finds none there (mirrored copies are ignored).
    """
    centre, side = image.shape[1] / 2, image.shape[1] - 2 * PAD
    for face in detector.detect(image):  # highest score first
        x, y, w, h = face.box
        if abs(x + w / 2 - centre) < side / 4 and abs(y + h / 2 - centre) < side / 4:
            return face
    return None


def reframe(face: np.ndarray, detector: FaceDetector, preprocess: FacePreprocess) -> np.ndarray | None:
    """``face`` as the pipeline would cut it from a photograph, or ``None`` if it is not found.

    Args:
        face: ``(48, 48)`` uint8 gray face.
        detector: The detector that cuts faces at inference.
        preprocess: The model's crop.

    Returns:
        ``(size, size)`` uint8, or ``None``.
    """
    image = canvas(face)
    found = find_face(detector, image)
    return None if found is None else preprocess.crop(image[:, :, 0], found)


def _first_per_class(items: list[tuple[Path, int]], n: int) -> list[tuple[Path, int]]:
    seen: Counter[int] = Counter()
    out = []
    for path, label in items:
        if seen[label] < n:
            out.append((path, label))
            seen[label] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    """Write a re-cut copy of FER2013 from the command line (``python -m emotionnet.training.reframe --help``).

    Args:
        argv: The arguments; ``None`` reads ``sys.argv``.

    Returns:
        The exit code.
    """
    parser = argparse.ArgumentParser(
        prog="python -m emotionnet.training.reframe",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", required=True, type=Path, help="FER2013 image folders")
    parser.add_argument("--out", required=True, type=Path, help="the re-cut copy (must not exist yet)")
    parser.add_argument("--model", default="default", help="registered model whose crop to use")
    parser.add_argument("--splits", nargs="+", default=["train", "val", "test"], choices=sorted(SPLITS))
    parser.add_argument("--limit", type=int, default=None, help="first N faces of each class (smoke tests)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.out.exists():
        parser.error(f"{args.out} exists; choose a new folder (nothing is overwritten)")
    if args.out.resolve() == args.data.resolve():
        parser.error("--out must differ from --data")
    preprocess = get_model_entry(args.model).preprocess
    detector = FaceDetector()
    with atomic_dir(args.out) as tmp:
        for split in args.splits:
            items = list_split(args.data, split)
            if args.limit is not None:
                items = _first_per_class(items, args.limit)
            found = 0
            for path, _ in tqdm(items, desc=split, disable=args.no_progress):
                face = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
                if face is None:
                    raise DatasetError(f"Cannot decode {path}")
                if face.shape != (48, 48):
                    face = cv2.resize(face, (48, 48), interpolation=cv2.INTER_AREA)
                cut = reframe(face, detector, preprocess)
                found += cut is not None
                target = tmp / path.relative_to(args.data)
                target.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(target), face if cut is None else cut, [cv2.IMWRITE_JPEG_QUALITY, 95])
            print(f"{split}: {found} of {len(items)} faces found and re-cut ({found / len(items):.1%})")
        if (args.data / "ferplus.csv").is_file():
            shutil.copy(args.data / "ferplus.csv", tmp / "ferplus.csv")
    return 0


if __name__ == "__main__":
    sys.exit(report(main))
