"""The one table of published checkpoints (torchvision weights-enum style).

Each :class:`ModelEntry` declares where its weights live, their sha256, the architecture, the
preprocessing it was trained with, its labels, calibration temperature and measured metrics.
New weights get a new entry; a published file is never replaced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import InvalidInputError, ModelNotFoundError
from ..labels import EMOTIONS
from ..preprocessing import FacePreprocess
from .configs import CONFIGS

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class WeightsFile:
    """Where one weights file lives and what its bytes must hash to.

    Args:
        filename: File name, inside the wheel's ``emotionnet/weights/`` and in the Hub repo.
        sha256: Full hex sha256 of the file, checked after download and on every load.
        size: Size in bytes.
        bundled: Shipped inside the wheel (works offline with an empty cache).
        repo_id: Hugging Face Hub repository holding the file, if published.
        revision: The 40-hex commit the file is pinned to (required with ``repo_id``).
    """

    filename: str
    sha256: str
    size: int
    bundled: bool = False
    repo_id: str | None = None
    revision: str | None = None

    def __post_init__(self) -> None:
        if not _SHA256.match(self.sha256):
            raise InvalidInputError(f"{self.filename}: sha256 must be 64 lowercase hex digits")
        if self.repo_id is not None and not (self.revision and _COMMIT.match(self.revision)):
            raise InvalidInputError(f"{self.filename}: a Hub file needs a pinned 40-hex revision")
        if not self.bundled and self.repo_id is None:
            raise InvalidInputError(f"{self.filename}: needs bundled=True or a repo_id")


@dataclass(frozen=True)
class ModelEntry:
    """A published EmotionNet checkpoint: weights, architecture, preprocessing and card.

    ``onnx`` is an optional ONNX file of the same network (temperature included) that ONNX Runtime
    runs on CPUs without torch: the default CPU path. ``onnx_precision`` says what it computes in:
    ``"int8"`` (static, per-channel weights: :func:`emotionnet.models.export.quantize_int8`) or
    ``"fp32"`` (float16 storage, float32 arithmetic). Metrics ending in ``_int8`` are that file's.
    """

    name: str
    weights: WeightsFile
    architecture: dict[str, Any]
    preprocess: FacePreprocess
    labels: tuple[str, ...] = tuple(e.value for e in EMOTIONS)
    temperature: float = 1.0
    num_params: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    recipe: str = ""
    description: str = ""
    onnx: WeightsFile | None = None
    onnx_precision: Literal["fp32", "int8"] = "fp32"

    def __post_init__(self) -> None:
        if self.onnx_precision not in ("fp32", "int8"):
            raise InvalidInputError(
                f"{self.name}: onnx_precision must be 'fp32' or 'int8', got {self.onnx_precision!r}"
            )

    @property
    def files(self) -> tuple[WeightsFile, ...]:
        """Every file the entry needs on some runtime: the safetensors, then the ONNX file if any."""
        return (self.weights,) if self.onnx is None else (self.weights, self.onnx)


@dataclass(frozen=True)
class DetectorEntry:
    """A face-detector model file (YuNet ONNX) and its licence."""

    name: str
    weights: WeightsFile
    license: str
    description: str = ""


_MODELS: dict[str, ModelEntry] = {}
DEFAULT_MODEL = "emotionnet_compact.fer2013"
"""Name of the model ``EmotionRecognizer()`` loads."""

DETECTORS: dict[str, DetectorEntry] = {
    "yunet": DetectorEntry(
        name="yunet",
        weights=WeightsFile(
            "yunet_s.onnx",
            "ebafce4e3c118d6554634be5c27ab333b4c047a9a8c3faf1d7cf93101c22f0f0",
            229738,
            bundled=True,
        ),
        license="Apache-2.0 (weights/LICENSE-YUNET, ShiqiYu/libfacedetection.train)",
        description="YuNet 's' variant (default): the faster of the two; 5 landmarks per face.",
    ),
    "yunet_n": DetectorEntry(
        name="yunet_n",
        weights=WeightsFile(
            "yunet_n.onnx",
            "ade75ae0241e2801a1be4e79cf88ac0c4494c4753b9fc432eaa4ef5eed5507ad",
            314336,
            bundled=True,
        ),
        license="Apache-2.0 (weights/LICENSE-YUNET, ShiqiYu/libfacedetection.train)",
        description="YuNet 'n' variant: the larger file; use it where 's' misses faces.",
    ),
}


def register_model_entry(entry: ModelEntry, *, overwrite: bool = False) -> None:
    """Declare published weights (e.g. your own checkpoint on the Hub) under an ``arch.tag`` name.

    It registers weights, not a builder: architectures are the configs of
    :func:`~emotionnet.create_model` (``compact``, ``slim``, ``paper``, ``tiny``); this names one
    trained set of them so that ``load_model(name)`` and ``EmotionRecognizer(model=name)`` find it.

    Args:
        entry: The declaration: name (``arch.tag``), weights file, architecture, preprocessing.
        overwrite: Replace an entry of the same name.

    Raises:
        InvalidInputError: the name is taken (pass ``overwrite=True``) or malformed.
    """
    if not re.match(r"^[a-z0-9_]+\.[a-z0-9_-]+$", entry.name):
        raise InvalidInputError(f"model names look like 'arch.tag' in lowercase, got {entry.name!r}")
    if entry.name in _MODELS and not overwrite:
        raise InvalidInputError(f"model {entry.name!r} is already registered; pass overwrite=True")
    _MODELS[entry.name] = entry


def list_models() -> list[str]:
    """Names of all registered checkpoints, sorted.

    >>> isinstance(list_models(), list)
    True
    """
    return sorted(_MODELS)


def get_model_entry(name: str) -> ModelEntry:
    """The registry entry for ``name``.

    Args:
        name: A registered name, or ``"default"`` for :data:`DEFAULT_MODEL`.

    Returns:
        The :class:`ModelEntry`.

    Raises:
        ModelNotFoundError: no such name; the message lists the known ones.
    """
    key = DEFAULT_MODEL if name == "default" else name
    if key not in _MODELS:
        known = ", ".join(list_models()) or "none registered yet"
        raise ModelNotFoundError(f"Unknown model {name!r}. Known models: {known}")
    return _MODELS[key]


def get_detector_entry(name: str) -> DetectorEntry:
    """The registry entry of a YuNet detector file.

    Args:
        name: ``"yunet"`` or ``"yunet_n"``.

    Raises:
        ModelNotFoundError: another name.
    """
    if name not in DETECTORS:
        known = ", ".join([*sorted(DETECTORS), "haar"])
        raise ModelNotFoundError(f"Unknown detector model {name!r}. Known: {known}")
    return DETECTORS[name]


register_model_entry(
    ModelEntry(
        name="emotionnet_compact.fer2013",
        weights=WeightsFile(
            "emotionnet_compact_fer2013.safetensors",
            "ebe376f5a260a0be2940ab1e3b3a8d31e461ce23fcfadf3d462063439b5e733c",
            9190582,
            bundled=True,
        ),
        architecture=dict(CONFIGS["compact"]),
        preprocess=FacePreprocess(size=48, mean=0.5, std=0.25, margin=0.0, align=True),
        temperature=1.3,
        num_params=4_590_695,
        metrics={
            "privatetest_acc": 0.7019,
            "privatetest_acc_bf16": 0.7016,
            "privatetest_acc_flip": 0.7097,
            "privatetest_acc_tencrop": 0.7158,
            "privatetest_top2": 0.8677,
            "privatetest_recall_disgust": 0.6909,
            "privatetest_ece": 0.0614,
            "privatetest_ece_calibrated": 0.0179,
            "publictest_acc": 0.6932,
            "privatetest_subset700_acc": 0.7143,
            "privatetest_ferplus_acc": 0.7024,
            "privatetest_ferplus_acc_flip": 0.7015,
            "privatetest_ferplus_acc_tencrop": 0.7103,
            "privatetest_ferplus_ece_calibrated": 0.0202,
            "publictest_acc_int8": 0.6935,
            "privatetest_acc_int8": 0.7005,
            "privatetest_acc_flip_int8": 0.7099,
            "privatetest_acc_tencrop_int8": 0.7166,
            "privatetest_ece_calibrated_int8": 0.0199,
            "privatetest_subset700_acc_int8": 0.7114,
        },
        onnx=WeightsFile(
            "emotionnet_compact_fer2013_int8.onnx",
            "d6173cfeb16a063e3ad723067498d76e9affb9cc050fc11fe11c8dca0c26bce9",
            4693823,
            bundled=True,
        ),
        onnx_precision="int8",
        recipe="docs/models.md#emotionnet_compactfer2013-the-default",
        description=(
            "EmotionNet compact (4.6M params) trained on FER2013 train with emotionnet's own code "
            "(three schedules, 140 epochs)."
        ),
    )
)

register_model_entry(
    ModelEntry(
        name="emotionnet_compact.ferplus",
        weights=WeightsFile(
            "emotionnet_compact_ferplus.safetensors",
            "4974347dbbd5cc54afe5be3d06fe20120f86c5cf4ced7ec106aa59dda7a2948f",
            9190582,
            bundled=True,
        ),
        architecture=dict(CONFIGS["compact"]),
        preprocess=FacePreprocess(size=48, mean=0.5, std=0.25, margin=0.0, align=True),
        temperature=0.57,
        num_params=4_590_695,
        metrics={
            "privatetest_acc": 0.6199,
            "privatetest_acc_flip": 0.6205,
            "privatetest_acc_tencrop": 0.6222,
            "privatetest_recall_disgust": 0.2364,
            "privatetest_ferplus_acc": 0.8585,
            "privatetest_ferplus_acc_flip": 0.8645,
            "privatetest_ferplus_acc_tencrop": 0.8691,
            "privatetest_ferplus_ece_calibrated": 0.0128,
            "publictest_ferplus_acc": 0.8671,
            "publictest_acc": 0.6049,
            "publictest_ferplus_acc_int8": 0.8653,
            "privatetest_ferplus_acc_int8": 0.8588,
            "privatetest_ferplus_acc_flip_int8": 0.8627,
            "privatetest_ferplus_acc_tencrop_int8": 0.8661,
            "privatetest_ferplus_ece_calibrated_int8": 0.0109,
        },
        onnx=WeightsFile(
            "emotionnet_compact_ferplus_int8.onnx",
            "035d0d1f75f621e5b55b7854233050e8bd5d5868c0b63bb1fe6a1172d8f40c23",
            4693823,
            bundled=True,
        ),
        onnx_precision="int8",
        recipe="docs/models.md#emotionnet_compactferplus-human-consensus",
        description=(
            "The default network fine-tuned for 25 epochs on the FER+ vote distributions (ten annotators "
            "per image, Microsoft, MIT licence): what a crowd sees, not what the FER2013 label says."
        ),
    )
)
