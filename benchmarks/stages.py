"""Where one predict() call spends its time: each stage of a 640x480 frame with one face, alone.

Usage: python benchmarks/stages.py [--repeats 200]

Stages, run on the same frame in the same process as the recognizer uses them: input validation
(``load_image``), detection (``FaceDetector.detect``: resize + YuNet + decoding), cropping
(``FacePreprocess.crops``: gray, eye-levelled warp, resize), classification (``predict_proba``:
normalise + the classifier), then the whole ``predict``. The remainder is what the whole call costs
beyond the sum of its stages (result objects, Python glue); "back to back" shows how much of it is the two ONNX Runtime
sessions running one after the other (each slower than alone: the other's data leaves the caches).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench import frame_with_faces, timed

from emotionnet import EmotionRecognizer, load_image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    rec = EmotionRecognizer(device="cpu")
    assert rec.detector is not None
    frame = frame_with_faces(1)
    faces = rec.detector.detect(frame)
    crops = rec.preprocess.crops(frame, faces)
    stages = {
        "input validation (load_image)": lambda: load_image(frame),
        "detection (FaceDetector.detect)": lambda: rec.detector.detect(frame),  # type: ignore[union-attr]
        "crop (FacePreprocess.crops)": lambda: rec.preprocess.crops(frame, faces),
        "classifier (predict_proba, 1 face)": lambda: rec.predict_proba(crops),
    }
    times = {name: 1e3 * timed(fn, args.repeats, warmup=10) for name, fn in stages.items()}
    both = 1e3 * timed(lambda: (rec.detector.detect(frame), rec.predict_proba(crops)), args.repeats, warmup=10)  # type: ignore[union-attr]
    whole = 1e3 * timed(lambda: rec.predict(frame), args.repeats, warmup=10)
    print(f"{rec!r}\n")
    print("| stage | ms |\n|---|---:|")
    for name, ms in times.items():
        print(f"| {name} | {ms:.2f} |")
    print(f"| sum of the stages | {sum(times.values()):.2f} |")
    print(f"| detection and classifier back to back | {both:.2f} |")
    print(f"| whole predict() | {whole:.2f} |")
    print(f"| remainder (results, glue) | {whole - sum(times.values()):.2f} |")


if __name__ == "__main__":
    main()
