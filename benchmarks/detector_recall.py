"""How small may a face be at YuNet's input? Recall by face size, on real photos and video frames.

Usage: python benchmarks/detector_recall.py [--media ../shared/media] [--every 15]

Reference faces are YuNet's own confident detections (score > 0.8) at full resolution in the
photos of ``--media`` and every ``--every``-th frame of its videos. Each image is then shrunk until
the reference face's shorter box side is ``k`` pixels, and the face counts as found when a
detection overlaps it (IoU >= 0.5). ``FaceDetector`` uses the size where recall reaches 100 % to
choose its input scale from ``min_face_size`` (``emotionnet.detection.detector.YUNET_FACE_PX``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from emotionnet import FaceDetector, load_image
from emotionnet.detection.detector import YUNET_FACE_PX

ROOT = Path(__file__).resolve().parents[1]


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def images(media: Path, every: int) -> list[np.ndarray]:
    out = [load_image(p) for p in sorted(media.iterdir()) if p.suffix.lower() in (".jpg", ".png")]
    for video in sorted(p for p in media.iterdir() if p.suffix.lower() in (".mp4", ".mov")):
        cap = cv2.VideoCapture(str(video))
        index = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            if index % every == 0:
                out.append(frame)
            index += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--media", default=str(ROOT.parent / "shared" / "media"))
    parser.add_argument("--every", type=int, default=15, help="take every n-th video frame")
    args = parser.parse_args()
    detector = FaceDetector(max_side=None, min_face_size=0)  # no downscaling, no size filter
    pictures = images(Path(args.media), args.every)
    refs = [(img, face.box) for img in pictures for face in detector.detect(img) if face.detection_score > 0.8]
    sides = sorted(min(box[2:]) for _, box in refs)
    print(f"{len(pictures)} images, {len(refs)} reference faces, {sides[0]:.0f}-{sides[-1]:.0f} px (shorter side)\n")
    print("| face at YuNet's input (px) | found | recall |\n|---:|---:|---:|")
    for k in (8, 12, 16, 20, 24, 28, 32, 40):
        found = 0
        for img, box in refs:
            scale = k / min(box[2:])
            h, w = img.shape[:2]
            small = cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
            mapped = [tuple(v / scale for v in f.box) for f in detector.detect(small)]
            found += any(iou(box, m) >= 0.5 for m in mapped)
        mark = "  <- YUNET_FACE_PX" if k == YUNET_FACE_PX else ""
        print(f"| {k}{mark} | {found}/{len(refs)} | {found / len(refs):.0%} |")


if __name__ == "__main__":
    main()
