"""The public surface: a snapshot of ``__all__`` and a cheap, side-effect-free import."""

from __future__ import annotations

import subprocess
import sys

import emotionnet

EXPECTED = [
    "ChecksumError",
    "DetectorEntry",
    "DetectorError",
    "EMOTIONS",
    "Emotion",
    "EmotionNet",
    "EmotionNetError",
    "EmotionRecognizer",
    "Face",
    "FaceDetector",
    "FacePrediction",
    "FacePreprocess",
    "ImageNotFoundError",
    "ImagePrediction",
    "ImageReadError",
    "InvalidImageError",
    "InvalidInputError",
    "ModelEntry",
    "ModelNotFoundError",
    "OfflineError",
    "VideoReadError",
    "WeightsError",
    "WeightsFile",
    "__version__",
    "annotate",
    "create_model",
    "get_model_entry",
    "list_models",
    "load_image",
    "load_model",
    "register_model",
    "resolve_device",
]


def test_all_snapshot() -> None:
    assert sorted(emotionnet.__all__) == sorted(EXPECTED)
    for name in emotionnet.__all__:
        assert getattr(emotionnet, name) is not None


def test_import_is_light() -> None:
    code = "import sys, emotionnet; print('torch' in sys.modules, 'cv2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_error_tree() -> None:
    from emotionnet import errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.EmotionNetError)
        assert cls is errors.EmotionNetError or len(cls.__mro__) > 3  # also a builtin
    assert issubclass(errors.ImageNotFoundError, FileNotFoundError)
    assert issubclass(errors.ModelNotFoundError, LookupError)
    assert issubclass(errors.OfflineError, ConnectionError)
    assert issubclass(errors.ChecksumError, OSError)
