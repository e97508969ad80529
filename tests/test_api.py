"""The public surface: a snapshot of ``__all__`` and a cheap, side-effect-free import."""

from __future__ import annotations

import subprocess
import sys

import emotionnet

EXPECTED = [
    "ChecksumError",
    "DatasetError",
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
    "Interrupted",
    "InvalidInputError",
    "MissingDependencyError",
    "ModelEntry",
    "ModelNotFoundError",
    "OfflineError",
    "OutputError",
    "ServerError",
    "SkippedFramesWarning",
    "StreamFrame",
    "VideoFaceRow",
    "VideoPrediction",
    "VideoReadError",
    "WeightsError",
    "WeightsFile",
    "__version__",
    "annotate",
    "create_model",
    "get_model_entry",
    "list_models",
    "list_images",
    "load_image",
    "load_model",
    "register_model_entry",
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

    generic = (BaseException, Exception, object)
    for name in errors.__all__:
        cls = getattr(errors, name)
        if cls is errors.Interrupted:  # Ctrl-C with the finished work attached: stays a KeyboardInterrupt
            assert issubclass(cls, KeyboardInterrupt) and not issubclass(cls, Exception)
            continue
        assert issubclass(cls, errors.EmotionNetError)
        builtins = [b for b in cls.__mro__ if b.__module__ == "builtins" and b not in generic]
        assert cls is errors.EmotionNetError or builtins, f"{name} subclasses no specific builtin"
    assert issubclass(errors.ImageNotFoundError, FileNotFoundError)
    assert issubclass(errors.ModelNotFoundError, LookupError)
    assert issubclass(errors.OfflineError, ConnectionError)
    assert issubclass(errors.ChecksumError, OSError)


def test_api_page_lists_exactly_the_public_names() -> None:
    """docs/api.md is checked against __all__: every public name is documented, nothing else is
    claimed to be importable from emotionnet."""
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text()
    documented = set(re.findall(r"^- `([A-Za-z_]+)", page, re.M)) | set(re.findall(r"^### `([A-Za-z_]+)", page, re.M))
    public = set(emotionnet.__all__) - {"__version__"}
    assert public - documented == set(), "public but not on docs/api.md"
    assert documented - public == set(), "on docs/api.md but not importable from emotionnet"
