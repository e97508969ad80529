"""Does the crop cut from a detector box reproduce FER2013's framing? Measured, not chosen by eye.

Usage: python benchmarks/crop_framing.py [--data ../shared/data/fer2013] [--split val] [--limit N]

Each FER2013 face (48x48, the frame the model was trained on) is enlarged 4x and set in a larger
canvas (mirrored edges), then the default detector finds it. Two things are printed:

1. Where the FER2013 frame lies relative to the detector's box: its side over the box side (the
   ``margin`` that would reproduce it is that ratio minus 1) and its centre offset in box sides.
2. Accuracy on those faces through detector -> crop -> classifier, for the registry's crop and for
   crops with other margins and vertical shifts, against the same faces classified directly.

The FER2013 frame is known exactly here, so the comparison needs no labelled photographs; choices
are made on PublicTest (``--split val``, the default).
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from emotionnet import EmotionRecognizer, FaceDetector
from emotionnet.results import Face
from emotionnet.training.data import load_split
from emotionnet.training.reframe import PAD, SCALE, canvas, find_face


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(Path(__file__).parents[1].parent / "shared" / "data" / "fer2013"))
    parser.add_argument("--split", default="val", choices=["val", "test"])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--margins", type=float, nargs="+", default=[-0.2, -0.1, 0.0, 0.1])
    parser.add_argument("--shifts", type=float, nargs="+", default=[0.0, 0.05, 0.1])
    args = parser.parse_args()
    faces = load_split(args.data, args.split, args.cache_dir)
    n = len(faces) if args.limit is None else min(args.limit, len(faces))
    rec = EmotionRecognizer(detector=None)
    detector = FaceDetector()
    side = 48 * SCALE
    frame_c = PAD + side / 2
    found: list[tuple[int, np.ndarray, Face]] = []
    ratios, dx, dy = [], [], []
    for i in range(n):
        image = canvas(faces.images[i].numpy())
        face = find_face(detector, image)
        if face is None:
            continue
        x, y, w, h = face.box
        box = max(w, h)
        ratios.append(side / box)
        dx.append((frame_c - (x + w / 2)) / box)
        dy.append((frame_c - (y + h / 2)) / box)
        found.append((i, image, face))
    labels = faces.labels.numpy()
    idx = np.array([i for i, _, _ in found])
    direct = rec.predict_proba(faces.images[idx].numpy()).argmax(1)
    print(f"{args.split}: {len(found)} of {n} faces found by the detector ({len(found) / n:.1%})\n")
    print("| FER2013 frame relative to the detector box | median | mean | 10th pct | 90th pct |")
    print("|---|---:|---:|---:|---:|")
    for name, values in (("side / box side", ratios), ("centre x offset / box", dx), ("centre y offset / box", dy)):
        q = np.percentile(values, [10, 90])
        print(f"| {name} | {statistics.median(values):.3f} | {np.mean(values):.3f} | {q[0]:.3f} | {q[1]:.3f} |")
    base = rec.preprocess
    print(f"\nregistry crop: margin {base.margin}, align {base.align}")
    print(f"directly on the 48x48 faces: {np.mean(direct == labels[idx]):.2%}\n")
    oracle = np.stack(
        [
            cv2.resize(c[PAD : PAD + side, PAD : PAD + side, 0], (48, 48), interpolation=cv2.INTER_AREA)
            for _, c, _ in found
        ]
    )
    pred = rec.predict_proba(oracle).argmax(1)
    print("| crop | accuracy through the detector | agrees with direct |")
    print("|---|---:|---:|")
    right, agree = np.mean(pred == labels[idx]), np.mean(pred == direct)
    print(f"| the exact FER2013 frame, cut from the canvas | {right:.2%} | {agree:.2%} |")
    for align in (True, False):
        for margin in args.margins:
            for shift in args.shifts:
                pre = replace(base, margin=margin, align=align)
                gray = [cv2.cvtColor(c, cv2.COLOR_BGR2GRAY) for _, c, _ in found]
                crops = np.stack([pre.crop(g, _shifted(f, shift)) for g, (_, _, f) in zip(gray, found)])
                pred = rec.predict_proba(crops).argmax(1)
                print(
                    f"| margin {margin:+.2f}, centre {shift:+.2f} box down, align {align} "
                    f"| {np.mean(pred == labels[idx]):.2%} | {np.mean(pred == direct):.2%} |"
                )


def _shifted(face: Face, down: float) -> Face:
    """``face`` with its box moved down by ``down`` box sides (landmarks unchanged)."""
    x, y, w, h = face.box
    return replace(face, box=(x, y + down * max(w, h), w, h))


if __name__ == "__main__":
    main()
