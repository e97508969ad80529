"""FaceDetector on real photos: YuNet (bundled ONNX) and Haar."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ASTRONAUT, MEDIA, needs_media
from emotionnet import FaceDetector, errors, load_image


@pytest.fixture(scope="module")
def yunet() -> FaceDetector:
    return FaceDetector()


def test_astronaut_has_one_face_with_landmarks(yunet: FaceDetector) -> None:
    (face,) = yunet.detect(ASTRONAUT)
    x, y, w, h = face.box
    assert 0.8 < face.score <= 1.0 and 60 < w < 250 and 60 < h < 300
    assert face.landmarks is not None and len(face.landmarks) == 5
    for px, py in face.landmarks:
        assert x <= px <= x + w and y <= py <= y + h
    (rx, _), (lx, _) = face.landmarks[:2]
    assert rx < lx  # the subject's right eye is on the image's left


def test_blank_image_has_no_faces(yunet: FaceDetector) -> None:
    assert yunet.detect(np.full((240, 320, 3), 127, np.uint8)) == ()


def test_downscaled_detection_maps_boxes_back() -> None:
    full = FaceDetector(max_side=None).detect(ASTRONAUT)[0].box
    small = FaceDetector(max_side=256).detect(ASTRONAUT)[0].box
    assert np.allclose(full, small, atol=12)


def test_min_face_size_filters_and_downscales(yunet: FaceDetector) -> None:
    (face,) = yunet.detect(ASTRONAUT)
    side = min(face.box[2:])
    (found,) = FaceDetector(min_face_size=int(side * 0.9)).detect(ASTRONAUT)  # YuNet sees a ~36 px face
    assert np.allclose(found.box, face.box, atol=0.1 * side)  # within a tenth of the face
    assert FaceDetector(min_face_size=int(side * 1.1)).detect(ASTRONAUT) == ()


@pytest.mark.parametrize("model", ["yunet", "yunet_n"])
def test_onnxruntime_and_opencv_find_the_same_faces(model: str) -> None:
    images = [ASTRONAUT, np.full((240, 320, 3), 127, np.uint8)]
    if MEDIA.is_dir():
        images += [load_image(MEDIA / name) for name in ("multi_face.jpg", "BWPictureHuman.jpg")]
    ort, ocv = (FaceDetector(model=model, runtime=r, max_side=None) for r in ("onnxruntime", "opencv"))
    assert (ort.runtime, ocv.runtime) == ("onnxruntime", "opencv")
    for image in images:
        a, b = ort.detect(image), ocv.detect(image)
        assert len(a) == len(b)
        for fa, fb in zip(a, b):
            assert np.allclose(fa.box, fb.box, atol=1e-3) and abs(fa.score - fb.score) < 1e-4
            assert np.allclose(fa.landmarks, fb.landmarks, atol=1e-3)


def test_haar_model() -> None:
    (face,) = FaceDetector("haar").detect(ASTRONAUT)
    assert face.landmarks is None and face.score == 1.0


def test_bad_arguments() -> None:
    with pytest.raises(errors.ModelNotFoundError, match="yunet_n"):
        FaceDetector("mtcnn")  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidInputError):
        FaceDetector(score_threshold=2.0)
    with pytest.raises(errors.ModelNotFoundError):
        FaceDetector(model="yunet_xl")
    with pytest.raises(errors.InvalidInputError):
        FaceDetector(runtime="tensorrt")  # type: ignore[arg-type]


@needs_media
@pytest.mark.parametrize(
    ("name", "count"),
    [("multi_face.jpg", 5), ("single_face.jpg", 1), ("free-mountain-vector-01.jpg", 0), ("BWPictureHuman.jpg", 1)],
)
def test_shared_photos(yunet: FaceDetector, name: str, count: int) -> None:
    assert len(yunet.detect(load_image(MEDIA / name))) == count
