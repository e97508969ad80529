"""emotionnet: facial emotion recognition for photos, video files and live cameras.

>>> from emotionnet import EmotionRecognizer
>>> result = EmotionRecognizer().predict("examples/images/astronaut.png")  # doctest: +SKIP

Public names are imported lazily (PEP 562), so ``import emotionnet`` stays cheap: torch and
OpenCV load on first use of a name that needs them; nothing touches the network.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import errors as _errors  # light: no torch, no OpenCV
from ._version import __version__ as __version__

if TYPE_CHECKING:
    from .detection.detector import FaceDetector as FaceDetector
    from .drawing import annotate as annotate
    from .errors import (
        ChecksumError as ChecksumError,
        DatasetError as DatasetError,
        DetectorError as DetectorError,
        EmotionNetError as EmotionNetError,
        ImageNotFoundError as ImageNotFoundError,
        ImageReadError as ImageReadError,
        Interrupted as Interrupted,
        InvalidImageError as InvalidImageError,
        InvalidInputError as InvalidInputError,
        MissingDependencyError as MissingDependencyError,
        ModelNotFoundError as ModelNotFoundError,
        OfflineError as OfflineError,
        OutputError as OutputError,
        ServerError as ServerError,
        VideoReadError as VideoReadError,
        WeightsError as WeightsError,
    )
    from .io.image import list_images as list_images, load_image as load_image
    from .labels import EMOTIONS as EMOTIONS, Emotion as Emotion
    from .models.emotionnet import EmotionNet as EmotionNet
    from .models.pretrained import create_model as create_model, load_model as load_model
    from .models.registry import (
        DetectorEntry as DetectorEntry,
        ModelEntry as ModelEntry,
        WeightsFile as WeightsFile,
        get_model_entry as get_model_entry,
        list_models as list_models,
        register_model_entry as register_model_entry,
    )
    from .preprocessing import FacePreprocess as FacePreprocess
    from .recognizer import EmotionRecognizer as EmotionRecognizer
    from .results import Face as Face, FacePrediction as FacePrediction, ImagePrediction as ImagePrediction
    from .runtimes.device import resolve_device as resolve_device
    from .video.analysis import SkippedFramesWarning as SkippedFramesWarning
    from .video.results import VideoFaceRow as VideoFaceRow, VideoPrediction as VideoPrediction
    from .video.stream import StreamFrame as StreamFrame

_EXPORTS: dict[str, str] = {
    "annotate": "drawing",
    "FaceDetector": "detection.detector",
    "resolve_device": "runtimes.device",
    "load_image": "io.image",
    "list_images": "io.image",
    "Emotion": "labels",
    "EMOTIONS": "labels",
    "EmotionNet": "models.emotionnet",
    "create_model": "models.pretrained",
    "FacePreprocess": "preprocessing",
    "load_model": "models.pretrained",
    "EmotionRecognizer": "recognizer",
    "DetectorEntry": "models.registry",
    "ModelEntry": "models.registry",
    "WeightsFile": "models.registry",
    "get_model_entry": "models.registry",
    "list_models": "models.registry",
    "register_model_entry": "models.registry",
    "Face": "results",
    "FacePrediction": "results",
    "ImagePrediction": "results",
    "SkippedFramesWarning": "video.analysis",
    "StreamFrame": "video.stream",
    "VideoFaceRow": "video.results",
    "VideoPrediction": "video.results",
    **{name: "errors" for name in _errors.__all__},
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'emotionnet' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
