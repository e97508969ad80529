"""FaceDetector on real photos: YuNet (bundled ONNX) and Haar."""

from __future__ import annotations

import cv2
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
    assert 0.8 < face.detection_score <= 1.0 and 60 < w < 250 and 60 < h < 300
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


def _faces_on_canvas(height: int, width: int, side: int) -> tuple[np.ndarray, list[tuple[float, ...]]]:
    """Five copies of the astronaut's face, ``side`` px wide, spread over a grey canvas."""
    photo = load_image(ASTRONAUT)
    (face,) = FaceDetector(max_side=None).detect(photo)
    x, y, w, h = face.box
    x0, y0 = int(x - w / 2), int(y - h / 2)
    crop = photo[y0 : int(y0 + 2 * h), x0 : int(x0 + 2 * w)]
    scale = side / w
    small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full((height, width, 3), 127, np.uint8)
    boxes = []
    for i in range(5):
        px, py = int((i + 0.5) * width / 5), int(height * (0.2 + 0.15 * i))
        canvas[py : py + small.shape[0], px : px + small.shape[1]] = small
        boxes.append((px + (x - x0) * scale, py + (y - y0) * scale))
    return canvas, boxes


@pytest.mark.parametrize("shape", [(1512, 2016), (3024, 4032)])
def test_min_face_size_holds_on_a_phone_photo(yunet: FaceDetector, shape: tuple[int, int]) -> None:
    # 40 px faces: on a 12 MP photo one pass at 640 px would see them at 6 px and find none
    canvas, corners = _faces_on_canvas(*shape, side=40)
    faces = yunet.detect(canvas)
    assert len(faces) == 5
    for face, (cx, cy) in zip(sorted(faces, key=lambda f: f.box[0]), corners):
        assert abs(face.box[0] - cx) < 10 and abs(face.box[1] - cy) < 10 and 30 < face.box[2] < 55
        assert face.landmarks is not None
        assert all(face.box[0] <= lx <= face.box[0] + face.box[2] for lx, _ in face.landmarks)
    assert FaceDetector(min_face_size=60).detect(canvas) == ()  # the promise is a filter too


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
            assert np.allclose(fa.box, fb.box, atol=1e-3) and abs(fa.detection_score - fb.detection_score) < 1e-4
            assert np.allclose(fa.landmarks, fb.landmarks, atol=1e-3)


def test_haar_model() -> None:
    (face,) = FaceDetector("haar").detect(ASTRONAUT)
    assert face.landmarks is None and face.detection_score == 1.0


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
