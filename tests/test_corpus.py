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
    photo = cv2.imread(str(ASTRONAUT))
    ok, jpg = cv2.imencode(".jpg", photo)
    assert ok
    cases: dict[str, tuple[bytes | None, type[Exception] | None]] = {
        "missing.jpg": (None, errors.ImageNotFoundError),
        "empty.jpg": (b"", errors.ImageReadError),
        "text.png": (b"definitely not an image\n" * 20, errors.ImageReadError),
        "truncated.jpg": (jpg.tobytes()[:5000], errors.ImageReadError),
        "truncated.png": (png[:5000], errors.ImageReadError),
        "tiny 1x1 é.png": (cv2.imencode(".png", np.zeros((1, 1, 3), np.uint8))[1].tobytes(), errors.InvalidImageError),
        "unicode ünï cödé.png": (png, None),
        "float 0-1.tiff": (cv2.imencode(".tiff", photo.astype(np.float32) / 255)[1].tobytes(), None),
        "16-bit.png": (cv2.imencode(".png", photo.astype(np.uint16) * 257)[1].tobytes(), None),
        "exr (codec not built).exr": (b"v/1\x01" + bytes(200), errors.ImageReadError),
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
        # a folder is one path that would give many results: the API refuses it (list_images), the CLI lists it
        _check(lambda path=path: recognizer.predict(path), errors.InvalidInputError if path.is_dir() else expected)
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


def test_a_video_given_to_predict_names_analyze_video(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    clip = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 64))
    writer.write(np.zeros((64, 64, 3), np.uint8))
    writer.release()
    with pytest.raises(errors.ImageReadError, match=r"AVI video.*analyze_video"):
        recognizer.predict(clip)


def test_boxes_outside_or_empty(recognizer: EmotionRecognizer) -> None:
    for boxes in ([(600, 600, 10, 10)], [(0, 0, 0, 0)], [(-50, -50, 20, 20)]):
        with pytest.raises(errors.InvalidInputError):
            recognizer.predict(ASTRONAUT, boxes=boxes)
    partly = recognizer.predict(ASTRONAUT, boxes=[(-20, -20, 100, 100), (480, 480, 100, 100)])
    assert len(partly) == 2


def test_an_empty_path_says_so(recognizer: EmotionRecognizer) -> None:
    for path in ("", "   "):
        with pytest.raises(errors.ImageNotFoundError, match="path is empty"):
            recognizer.predict(path)
        with pytest.raises(errors.ImageNotFoundError, match="path is empty"):
            recognizer.analyze_video(path, progress=False)


def test_everything_is_catchable_by_the_root(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    for path, expected in _files(tmp_path).values():
        if expected is not None:
            with pytest.raises(errors.EmotionNetError):
                recognizer.predict(path)


def _mangled_files() -> dict[str, bytes]:
    """Real encodings of a real photo in every format OpenCV writes, truncated, bit-flipped, with
    junk appended, plus headers that lie about their size and bytes that are no image at all."""
    import os
    import struct

    photo = cv2.imread(str(ASTRONAUT))
    rng = np.random.default_rng(0)
    cases: dict[str, bytes] = {}
    for ext in (".jpg", ".png", ".webp", ".bmp", ".tiff", ".gif", ".jp2", ".ppm", ".hdr"):
        array = photo.astype(np.float32) / 255 if ext == ".hdr" else photo
        data = cv2.imencode(ext, array)[1].tobytes()
        for frac in (0.01, 0.5, 0.99):
            cases[f"cut {frac}{ext}"] = data[: int(len(data) * frac)]
        flipped = bytearray(data)
        for i in rng.integers(20, len(data), 30):
            flipped[i] ^= 0xFF
        cases[f"bit flips{ext}"] = bytes(flipped)
        cases[f"junk after{ext}"] = data + os.urandom(1000)
    png = bytearray(cv2.imencode(".png", photo[:16, :16])[1].tobytes())
    png[16:24] = struct.pack(">II", 100000, 100000)
    cases["png claiming 100000x100000"] = bytes(png)
    bmp = bytearray(cv2.imencode(".bmp", photo[:16, :16])[1].tobytes())
    bmp[18:26] = struct.pack("<ii", 60000, -60000)
    cases["bmp claiming 60000x-60000"] = bytes(bmp)
    cases["pnm claiming 99999x99999"] = b"P5\n99999 99999\n255\n" + bytes(100)
    cases["tiff with a looping IFD"] = b"II*\x00\x08\x00\x00\x00\x01\x00" + bytes(12) + b"\x08\x00\x00\x00"
    cases["jpeg SOI+EOI only"] = b"\xff\xd8\xff\xd9"
    cases["random 64 KB"] = os.urandom(65536)
    return cases


MANGLED = _mangled_files()


@pytest.mark.parametrize("name", sorted(MANGLED))
def test_mangled_files_give_typed_errors_or_results(recognizer: EmotionRecognizer, name: str, tmp_path: Path) -> None:
    data = MANGLED[name]
    path = tmp_path / "file"
    path.write_bytes(data)
    for source in (data, path):
        try:
            result = recognizer.predict(source)
        except errors.EmotionNetError:
            continue
        assert isinstance(result, ImagePrediction) and result.width >= 8  # decoded: a legitimate image


@pytest.mark.parametrize(
    "source",
    [None, 5, 3.5, [None], {"a": 1}, "", "\x00", "ftp://host/x.jpg", "http://", b"\x00" * 10],
    ids=repr,
)
def test_odd_sources_give_typed_errors(recognizer: EmotionRecognizer, source: object) -> None:
    with pytest.raises(errors.EmotionNetError):
        recognizer.predict(source)


@pytest.mark.parametrize(
    "boxes",
    [
        [(1, 2, 3)],
        [("a", 1, 2, 3)],
        [None],
        [(np.nan, 0, 10, 10)],
        [(0, 0, -5, 10)],
        "abcd",
        5,
        [[]],
        [(0, 0, 10, 10, 5)],
    ],
    ids=repr,
)
def test_odd_boxes_give_typed_errors(recognizer: EmotionRecognizer, boxes: object) -> None:
    with pytest.raises(errors.InvalidInputError):
        recognizer.predict(ASTRONAUT, boxes=boxes)  # type: ignore[arg-type]
