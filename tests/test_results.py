"""Result dataclasses and annotate()."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle

import numpy as np
import pytest

from conftest import ASTRONAUT
from emotionnet import Emotion, Face, FacePrediction, ImagePrediction, annotate
from emotionnet.errors import InvalidInputError
from emotionnet.labels import LABELS

SCORES = (0.05, 0.0, 0.05, 0.7, 0.1, 0.05, 0.05)


def _pred() -> ImagePrediction:
    face = Face(
        box=(180.0, 70.0, 100.0, 120.0),
        landmarks=((200.0, 120.0), (250.0, 120.0), (225, 150), (205, 175), (245, 175)),
        detection_score=0.93,
    )
    return ImagePrediction(
        faces=(FacePrediction(face, dict(zip(LABELS, SCORES))),), width=512, height=512, source="x.png"
    )


def test_face_prediction_fields() -> None:
    (p,) = _pred().faces
    assert p.emotion is Emotion.HAPPY and p.probability == 0.7 and p.detection_score == 0.93
    assert p.labels == LABELS and tuple(p.probabilities.values()) == SCORES
    assert list(p.probabilities) == ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    assert p.face.xyxy == (180.0, 70.0, 280.0, 190.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.probabilities = {}  # type: ignore[misc]


def test_0x_spellings_say_what_to_write_instead() -> None:
    (p,) = _pred().faces
    with pytest.raises(AttributeError, match=r"renamed in 1\.0: use \.probabilities"):
        _ = p.scores
    with pytest.raises(AttributeError, match=r"use \.probability"):
        _ = p.score
    with pytest.raises(AttributeError, match=r"use \.detection_score"):
        _ = p.face.score
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        _ = p.nonsense
    assert copy.deepcopy(p) == p and pickle.loads(pickle.dumps(p)) == p  # still copies and pickles


def test_a_result_without_faces_is_still_true() -> None:
    empty = ImagePrediction(faces=(), width=10, height=10)
    assert empty and len(empty) == 0 and empty.ok  # `if result:` must not read "no faces" as failure


def test_to_dict_is_json_and_stable() -> None:
    d = _pred().to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["faces"][0]["emotion"] == "happy" and d["faces"][0]["box"] == [180.0, 70.0, 100.0, 120.0]


def test_summary_and_empty() -> None:
    assert _pred().summary() == "1 face: happy (0.70)"
    empty = ImagePrediction(faces=(), width=10, height=10)
    assert empty.summary() == "no faces" and len(empty) == 0 and empty.emotions == ()
    assert str(Emotion.SAD) == "sad"


def test_annotate_returns_new_image_and_draws() -> None:
    import cv2

    original = cv2.imread(str(ASTRONAUT))
    before = original.copy()
    out = annotate(original, _pred(), bars=True)
    assert np.array_equal(original, before)  # input untouched
    assert out.shape == original.shape and out.dtype == np.uint8
    changed = np.any(out != original, axis=2)
    assert changed[70:192, 178:282].any() and changed[70:190, 284:366].any()  # box and bars
    assert not changed[400:, :100].any()
    single = annotate(ASTRONAUT, _pred().faces[0], label="#1", landmarks=False, bars=False)
    assert single.shape == (512, 512, 3)
    with pytest.raises(InvalidInputError, match="each image with its own prediction"):
        annotate(ASTRONAUT, [_pred()])  # type: ignore[arg-type]
