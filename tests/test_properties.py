"""Property-based tests: arrays of random shapes and dtypes never escape the error hierarchy."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from conftest import ASTRONAUT
from emotionnet import EmotionRecognizer, FaceDetector, create_model, errors, load_image

DTYPES = st.sampled_from(
    [np.uint8, np.int8, np.uint16, np.int32, np.int64, np.float16, np.float32, np.float64, np.bool_, np.complex64]
)
RANDOM_ARRAYS = DTYPES.flatmap(lambda dt: arrays(dt, array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=40)))


@given(RANDOM_ARRAYS)
@settings(max_examples=300, deadline=None)
def test_load_image_accepts_or_raises_typed(array: np.ndarray) -> None:
    try:
        out = load_image(array)
    except errors.InvalidImageError:
        return
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3 and out.flags.c_contiguous
    assert out.shape[:2] == array.shape[:2]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> EmotionRecognizer:
    torch.manual_seed(0)
    path: Path = tmp_path_factory.mktemp("tiny")
    create_model("tiny").save_pretrained(path)
    return EmotionRecognizer(path, device="cpu")


@given(
    st.lists(
        arrays(np.uint8, st.tuples(st.integers(1, 80), st.integers(1, 80), st.sampled_from([1, 3, 4]))),
        min_size=1,
        max_size=4,
    )
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_classify_faces_any_crop(tiny: EmotionRecognizer, crops: list[np.ndarray]) -> None:
    try:
        preds = tiny.classify_faces(crops)
    except errors.InvalidImageError:
        assert any(min(c.shape[:2]) < 8 for c in crops)
        return
    assert len(preds) == len(crops)
    assert all(abs(sum(p.probabilities.values()) - 1) < 1e-4 for p in preds)


@pytest.fixture(scope="module")
def face_cut() -> np.ndarray:
    """The astronaut's face with as much again around it."""
    photo = load_image(ASTRONAUT)
    (face,) = FaceDetector(max_side=None).detect(photo)
    x, y, w, h = (int(v) for v in face.box)
    return photo[max(0, y - h // 2) : y + h + h // 2, max(0, x - w // 2) : x + w + w // 2]


@given(
    width=st.integers(96, 420),
    height=st.integers(96, 420),
    side=st.integers(64, 200),
    where=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_predict_finds_a_real_face_anywhere_on_noise(
    tiny: EmotionRecognizer, face_cut: np.ndarray, width: int, height: int, side: int, where: tuple, seed: int
) -> None:
    side = min(side, width, height)
    image = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    cut = cv2.resize(face_cut, (side, side), interpolation=cv2.INTER_AREA)  # the face itself about side / 2
    x0, y0 = int(where[0] * (width - side)), int(where[1] * (height - side))
    image[y0 : y0 + side, x0 : x0 + side] = cut
    result = tiny.predict(image)
    assert (result.width, result.height) == (width, height)
    assert len(result.faces) >= 1  # a face of 32 px and more is always found
    for face in result.faces:
        x, y, w, h = face.box
        assert x >= 0 and y >= 0 and x + w <= width + 1e-3 and y + h <= height + 1e-3 and w > 0 and h > 0
        assert abs(sum(face.probabilities.values()) - 1) < 1e-4 and face.label in face.probabilities
        assert 0 < face.detection_score <= 1
    best = max(result.faces, key=lambda f: f.detection_score)
    cx, cy = best.box[0] + best.box[2] / 2, best.box[1] + best.box[3] / 2
    assert x0 <= cx <= x0 + side and y0 <= cy <= y0 + side  # the face found is the one pasted
