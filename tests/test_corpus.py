"""The bad-input corpus fed to every entry point: predict, classify_faces, analyze_video and the CLI.

Each case must give the documented error from the EmotionNetError tree, or a valid result where the
input is a legitimate image; never a raw cv2/torch/numpy exception.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import ASTRONAUT, MEDIA
from emotionnet import EmotionRecognizer, ImagePrediction, errors
from emotionnet.cli import main


def _files(tmp: Path) -> dict[str, tuple[Path, type[Exception] | None]]:
    """name -> (file, expected error or None for a legitimate image)."""
    png = ASTRONAUT.read_bytes()
    ok, jpg = cv2.imencode(".jpg", cv2.imread(str(ASTRONAUT)))
    assert ok
    cases: dict[str, tuple[bytes | None, type[Exception] | None]] = {
        "missing.jpg": (None, errors.ImageNotFoundError),
        "empty.jpg": (b"", errors.ImageReadError),
        "text.png": (b"definitely not an image\n" * 20, errors.ImageReadError),
        "truncated.jpg": (jpg.tobytes()[:5000], errors.ImageReadError),
        "truncated.png": (png[:5000], errors.ImageReadError),
        "tiny 1x1 é.png": (cv2.imencode(".png", np.zeros((1, 1, 3), np.uint8))[1].tobytes(), errors.InvalidImageError),
        "unicode ünï cödé.png": (png, None),
    }
    out = {}
    for name, (data, err) in cases.items():
        path = tmp / name
        if data is not None:
            path.write_bytes(data)
        out[name] = (path, err)
    (tmp / "no images here").mkdir()
    out["a folder without images"] = (tmp / "no images here", errors.ImageNotFoundError)
    if MEDIA.is_dir():
        for name in ("Image_with_alpha.png", "BWPictureHuman.jpg"):
            shutil.copy(MEDIA / name, tmp / name)
            out[name] = (tmp / name, None)
    return out


ARRAYS: dict[str, tuple[np.ndarray, type[Exception] | None]] = {
    "0x0": (np.zeros((0, 0, 3), np.uint8), errors.InvalidImageError),
    "1x1": (np.zeros((1, 1, 3), np.uint8), errors.InvalidImageError),
    "uint16": (np.zeros((64, 64, 3), np.uint16), errors.InvalidImageError),
    "float01": (np.random.default_rng(0).random((64, 64, 3)), errors.InvalidImageError),
    "float255": (np.full((64, 64, 3), 200.0, np.float32), errors.InvalidImageError),
    "nan": (np.full((64, 64, 3), np.nan), errors.InvalidImageError),
    "inf": (np.full((64, 64, 3), np.inf, np.float32), errors.InvalidImageError),
    "2ch": (np.zeros((64, 64, 2), np.uint8), errors.InvalidImageError),
    "5ch": (np.zeros((64, 64, 5), np.uint8), errors.InvalidImageError),
    "flipped view": (cv2.imread(str(ASTRONAUT))[::-1, ::-1], None),
    "strided view": (cv2.imread(str(ASTRONAUT))[::2, ::2], None),
    "gray": (cv2.imread(str(ASTRONAUT), cv2.IMREAD_GRAYSCALE), None),
}


@pytest.fixture(scope="module")
def recognizer() -> EmotionRecognizer:
    return EmotionRecognizer(device="cpu")


def _check(call: Callable[[], object], expected: type[Exception] | None) -> None:
    if expected is None:
        call()
        return
    with pytest.raises(expected):
        call()


def test_files_through_predict_and_cli(
    recognizer: EmotionRecognizer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, (path, expected) in _files(tmp_path).items():
        _check(lambda path=path: recognizer.predict(path), expected)
        code = main(["predict", str(path)])
        err = capsys.readouterr().err
        assert code == (0 if expected is None else 1), (name, err)
        assert "Traceback" not in err


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_arrays_through_predict_and_classify(recognizer: EmotionRecognizer, name: str) -> None:
    array, expected = ARRAYS[name]
    _check(lambda: recognizer.predict(array), expected)
    _check(lambda: recognizer.classify_faces([array]), expected)
    if expected is None:
        result = recognizer.predict(array)
        assert isinstance(result, ImagePrediction) and len(result) == 1


def test_videos_through_analyze_video_and_cli(
    recognizer: EmotionRecognizer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_video = tmp_path / "clip.mp4"
    not_video.write_bytes(ASTRONAUT.read_bytes())
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    for path, expected in (
        (not_video, errors.VideoReadError),
        (empty, errors.VideoReadError),
        (tmp_path / "none.mp4", errors.ImageNotFoundError),
        (tmp_path, errors.ImageNotFoundError),
    ):
        _check(lambda path=path: recognizer.analyze_video(path, progress=False), expected)
        assert main(["video", str(path), "--no-progress"]) == 1  # same rule as a missing image
        assert "error:" in capsys.readouterr().err
    with pytest.raises(errors.VideoReadError):
        next(recognizer.stream(99))


def test_boxes_outside_or_empty(recognizer: EmotionRecognizer) -> None:
    for boxes in ([(600, 600, 10, 10)], [(0, 0, 0, 0)], [(-50, -50, 20, 20)]):
        with pytest.raises(errors.InvalidInputError):
            recognizer.predict(ASTRONAUT, boxes=boxes)
    partly = recognizer.predict(ASTRONAUT, boxes=[(-20, -20, 100, 100), (480, 480, 100, 100)])
    assert len(partly) == 2


def test_everything_is_catchable_by_the_root(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    for path, expected in _files(tmp_path).values():
        if expected is not None:
            with pytest.raises(errors.EmotionNetError):
                recognizer.predict(path)
