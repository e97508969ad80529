"""FacePreprocess: crops, alignment, normalisation; the same code path as training."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from conftest import ASTRONAUT
from emotionnet import Face, FaceDetector, FacePreprocess, load_image


@pytest.mark.parametrize("angle", [-25, 25])
def test_alignment_levels_the_eyes(angle: float) -> None:
    image = load_image(ASTRONAUT)
    detector = FaceDetector(model="yunet_n")  # its landmarks follow head roll better than the default 's'
    upright = FacePreprocess().crops(image, detector.detect(image)).astype(float)
    rotated = cv2.warpAffine(image, cv2.getRotationMatrix2D((256, 256), angle, 1.0), (512, 512))
    faces = detector.detect(rotated)
    aligned = FacePreprocess(align=True).crops(rotated, faces).astype(float)
    plain = FacePreprocess(align=False).crops(rotated, faces).astype(float)
    assert np.abs(aligned - upright).mean() < 0.85 * np.abs(plain - upright).mean()


def test_crop_shapes_and_edges() -> None:
    gray = np.tile(np.arange(100, dtype=np.uint8), (80, 1))
    pre = FacePreprocess(size=48, margin=0.2)
    crop = pre.crop(gray, Face(box=(-20.0, -10.0, 50.0, 60.0)))  # partly outside: edges repeat
    assert crop.shape == (48, 48) and crop.dtype == np.uint8
    assert pre.crops(np.zeros((80, 100, 3), np.uint8), []).shape == (0, 48, 48)


def test_normalize_matches_declared_mean_and_std() -> None:
    pre = FacePreprocess(mean=0.5, std=0.25)
    x = pre.normalize(torch.full((2, 48, 48), 255, dtype=torch.uint8))
    assert x.shape == (2, 1, 48, 48) and torch.allclose(x, torch.full_like(x, 2.0))
    assert "48x48" in pre.describe() and pre.to_dict()["std"] == 0.25
