"""Small faces in phone photos: recall and time of FaceDetector on 12 MP and 24 MP images.

Usage: python benchmarks/large_photos.py [--media ../shared/media] [--repeat 3]

Real faces (YuNet's confident detections in the photos of ``--media`` and the shipped astronaut)
are cut out with their surroundings, shrunk until the face's shorter box side is 24, 32, 48 or
64 px, and pasted on a grid over a real face-free photo blown up to 4032x3024 (12 MP) and
6000x4000 (24 MP). A face counts as found when a detection overlaps it (IoU >= 0.4). The
baseline is one pass at ``max_side`` (``min_face_size=0``), which is what ``FaceDetector`` did
before 1.0 whatever ``min_face_size`` said; the other rows keep ``min_face_size`` a promise.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from emotionnet import FaceDetector, load_image

ROOT = Path(__file__).resolve().parents[1]
SIZES = (24, 32, 48, 64)
CANVASES = {"12 MP": (3024, 4032), "24 MP": (4000, 6000)}
FRAMES = {"640x480": (480, 640), "1280x720": (720, 1280), "1920x1080": (1080, 1920)}


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def face_cuts(media: Path) -> list[tuple[np.ndarray, tuple[float, float, float, float]]]:
    """Face crops with twice the face's size around it, and the face's box inside the crop."""
    paths = [ROOT / "examples" / "images" / "astronaut.png"]
    paths += [media / n for n in ("multi_face.jpg", "single_face.jpg") if (media / n).exists()]
    detector = FaceDetector(max_side=None, min_face_size=0)
    cuts = []
    for path in paths:
        img = load_image(path)
        for face in detector.detect(img):
            if face.detection_score < 0.8:
                continue
            x, y, w, h = face.box
            side = 2 * max(w, h)
            x0, y0 = int(max(0, x + w / 2 - side / 2)), int(max(0, y + h / 2 - side / 2))
            crop = img[y0 : int(y0 + side), x0 : int(x0 + side)]
            cuts.append((crop, (x - x0, y - y0, w, h)))
    return cuts


def canvas(
    shape: tuple[int, int], media: Path, cuts: list, size: int, seed: int, count: int = 24
) -> tuple[np.ndarray, list]:
    """A photo-like background with the face cuts pasted on a jittered grid, each face ``size`` px."""
    background = media / "free-mountain-vector-01.jpg"
    base = load_image(background) if background.exists() else np.full((64, 64, 3), 127, np.uint8)
    img = cv2.resize(base, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    rng = np.random.default_rng(seed)
    boxes = []
    cols, rows = 6, 4
    for i in range(count):
        crop, (fx, fy, fw, fh) = cuts[i % len(cuts)]
        scale = size / min(fw, fh)
        small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        cx = int((i % cols + 0.5) * shape[1] / cols + rng.integers(-size, size + 1))
        cy = int((i // cols + 0.5) * shape[0] / rows + rng.integers(-size, size + 1))
        x0, y0 = cx - small.shape[1] // 2, cy - small.shape[0] // 2
        img[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
        boxes.append((x0 + fx * scale, y0 + fy * scale, fw * scale, fh * scale))
    return img, boxes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--media", default=str(ROOT.parent / "shared" / "media"))
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per image (the best is kept)")
    args = parser.parse_args()
    media = Path(args.media)
    cuts = face_cuts(media)
    settings = {
        "one pass at 640 (baseline, before 1.0)": FaceDetector(min_face_size=0),
        "min_face_size=16 (default)": FaceDetector(),
        "min_face_size=24": FaceDetector(min_face_size=24),
        "min_face_size=32": FaceDetector(min_face_size=32),
        "min_face_size=64": FaceDetector(min_face_size=64),
    }
    print(f"{len(cuts)} real faces, pasted 24 times per image\n")
    header = " | ".join(f"{s} px" for s in SIZES)
    print(f"| image | detector | recall by face size: {header} | s per image | x baseline |")
    print("|---|---|" + "---:|" * (len(SIZES) + 2))
    for name, shape in CANVASES.items():
        images = [canvas(shape, media, cuts, size, seed) for seed, size in enumerate(SIZES)]
        base_time = None
        for label, detector in settings.items():
            recalls, times = [], []
            for img, boxes in images:
                faces = detector.detect(img)
                found = sum(any(iou(b, f.box) >= 0.4 for f in faces) for b in boxes)
                recalls.append(f"{found}/{len(boxes)}")
                best = float("inf")
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    detector.detect(img)
                    best = min(best, time.perf_counter() - start)
                times.append(best)
            seconds = float(np.mean(times))
            base_time = base_time or seconds
            print(f"| {name} | {label} | {' | '.join(recalls)} | {seconds:.2f} | {seconds / base_time:.1f}x |")
    print("\nVideo frames (one 48 px face pasted): ms per frame, best of --repeat x 5 calls\n")
    print("| frame | " + " | ".join(settings) + " |\n|---|" + "---:|" * len(settings))
    for name, shape in FRAMES.items():
        img, _ = canvas(shape, media, cuts[:1], 48, 0, count=1)
        cells = []
        for detector in settings.values():
            best = float("inf")
            for _ in range(args.repeat * 5):
                start = time.perf_counter()
                detector.detect(img)
                best = min(best, time.perf_counter() - start)
            cells.append(f"{best * 1000:.1f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
