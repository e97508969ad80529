"""Property-based tests: arrays of random shapes and dtypes never escape the error hierarchy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from emotionnet import EmotionRecognizer, create_model, errors, load_image

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
    assert all(abs(sum(p.scores) - 1) < 1e-4 for p in preds)


@given(arrays(np.uint8, st.tuples(st.integers(8, 300), st.integers(8, 300), st.just(3))))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_predict_random_images(tiny: EmotionRecognizer, image: np.ndarray) -> None:
    result = tiny.predict(image)
    assert (result.width, result.height) == (image.shape[1], image.shape[0])
    for face in result.faces:
        assert abs(sum(face.scores) - 1) < 1e-4
