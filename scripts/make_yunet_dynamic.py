"""Derive the bundled YuNet files from the originals in ../shared/models/yunet.

The originals declare a fixed 1x3x640x640 input. ONNX Runtime enforces declared shapes, so the
bundled copies mark height, width and the anchor axis of the outputs as symbolic and drop the
stale intermediate shape annotations. Graph and weights are unchanged: OpenCV returns identical
faces from both files (checked below).

Usage: python scripts/make_yunet_dynamic.py [SOURCE_DIR]   (needs ``onnx``; prints the sha256)
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import cv2
import numpy as np
import onnx

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "emotionnet" / "weights"


def make_dynamic(src: Path, dst: Path) -> None:
    model = onnx.load(src)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_param, dims[3].dim_param = "height", "width"
    for output in model.graph.output:
        output.type.tensor_type.shape.dim[1].dim_param = "anchors"
    del model.graph.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, dst)


def same_faces(a: Path, b: Path, image: np.ndarray) -> bool:
    found = []
    for path in (a, b):
        det = cv2.FaceDetectorYN.create(str(path), "", (image.shape[1], image.shape[0]), 0.6, 0.3, 5000)
        found.append(det.detect(image)[1])
    return bool(np.array_equal(found[0], found[1]))


def main() -> None:
    src_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "models" / "yunet"
    image = cv2.imread(str(ROOT / "examples" / "images" / "astronaut.png"))
    for variant in ("s", "n"):
        src, dst = src_dir / f"yunet_{variant}_640_640.onnx", OUT / f"yunet_{variant}.onnx"
        make_dynamic(src, dst)
        assert same_faces(src, dst, image), f"{dst.name}: OpenCV finds different faces than in {src.name}"
        data = dst.read_bytes()
        print(f"{dst.name}  {hashlib.sha256(data).hexdigest()}  {len(data)} bytes  (from {src.name})")


if __name__ == "__main__":
    main()
