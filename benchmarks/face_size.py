"""How small may a face be for its emotion to be read? Accuracy by face size, on PublicTest.

Usage: python benchmarks/face_size.py [--split val|test] [--models default]

Each 48x48 PublicTest face is shrunk to ``k`` pixels (INTER_AREA, as a camera far away would see
it) and brought back to the classifier's 48 px as the pipeline does with a small crop
(INTER_LINEAR), then classified through ``EmotionRecognizer.predict_proba``. The mean top
probability beside the accuracy shows whether the calibration holds at that size. Read it with the
detector's recall by size (``detector_recall.py``) to choose ``min_face_size``.
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np
from _fer2013 import add_arguments, load

from emotionnet import EmotionRecognizer

SIZES = (12, 16, 20, 24, 32, 40, 48)


def shrink(crops: np.ndarray, k: int) -> np.ndarray:
    """Faces ``(N, 48, 48)`` uint8 seen at ``k`` pixels and resized back to 48."""
    if k >= crops.shape[1]:
        return crops
    size = (crops.shape[2], crops.shape[1])
    small = [cv2.resize(c, (k, k), interpolation=cv2.INTER_AREA) for c in crops]
    return np.stack([cv2.resize(c, size, interpolation=cv2.INTER_LINEAR) for c in small])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    args = parser.parse_args()
    split = load(args)
    print(f"{split.name}: {len(split.labels)} faces\n")
    print("| model | face (px) | FER2013 | FER+ 7-class | mean top probability |\n|---|---:|---:|---:|---:|")
    for model in args.models:
        recognizer = EmotionRecognizer(model, device="cpu", detector=None, batch_size=256)
        for k in SIZES:
            probs = recognizer.predict_proba(shrink(split.crops, k))
            acc_fer, acc_plus = split.accuracy(probs.argmax(1))
            print(f"| {model} | {k} | {acc_fer:.2%} | {acc_plus:.2%} | {probs.max(1).mean():.2%} |")


if __name__ == "__main__":
    main()
