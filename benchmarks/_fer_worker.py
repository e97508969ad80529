"""Runs inside the fer venv (see compare_fer.py): fer on the given crops and frames, JSON to stdout."""

import json
import statistics
import sys
import time

import numpy as np


def main() -> None:
    data = np.load(sys.argv[1])
    from fer.fer import FER  # `from fer import FER` raises ImportError in fer 25.10.3

    detector = FER()  # default: Haar detector + quantised TFLite mini-Xception
    import cv2

    size = detector._FER__emotion_target_size  # the model's own input size
    crops = np.array([cv2.resize(c, size) for c in data["crops"]], dtype="float32")
    crops = (crops / 255.0 - 0.5) * 2.0  # fer's own preprocessing (detect_emotions does the same)
    detector._classify_emotions(crops[:8])
    t = time.perf_counter()
    probs = detector._classify_emotions(crops)
    crop_seconds = time.perf_counter() - t
    frame_ms = {}
    for key in ("frames1", "frames4", "video"):
        frames = data[key]
        detector.detect_emotions(frames[0])
        runs = []
        faces = 0
        for frame in frames:
            t = time.perf_counter()
            faces += len(detector.detect_emotions(frame))
            runs.append(time.perf_counter() - t)
        detect_runs = []
        for frame in frames:
            t = time.perf_counter()
            detector.find_faces(frame)
            detect_runs.append(time.perf_counter() - t)
        frame_ms[key] = {
            "median_ms": statistics.median(runs) * 1000,
            "detect_ms": statistics.median(detect_runs) * 1000,  # its Haar detector alone
            "faces": faces,
        }
    print(json.dumps({"pred": np.asarray(probs).argmax(1).tolist(), "crop_seconds": crop_seconds, "frames": frame_ms}))


if __name__ == "__main__":
    main()
