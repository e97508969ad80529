"""Resolve, then build: a model spec becomes one plain record before anything runs.

As timm's ``resolve_pretrained_cfg`` then ``build_model_with_cfg``: :func:`resolve` turns what the
caller passed (a registered name, an entry, a folder, a Hub repo or a network; device, runtime,
precision, threads) into a :class:`ClassifierPlan` that says where and how the network will run
and which files it needs, and :func:`build` makes the runner from that record alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import InvalidInputError
from ..models.hub import fetch
from ..models.registry import ModelEntry, get_model_entry, list_models
from ..preprocessing import FacePreprocess
from ..runtimes.device import cpu_only_machine
from ..runtimes.threads import resolve_threads
from .backends import Backend, OnnxRuntimeBackend, OpenCVBackend, RuntimeName, check_runtime, onnx_export_available

if TYPE_CHECKING:
    from ..models.emotionnet import EmotionNet

Precision = Literal["auto", "fp32", "bf16", "int8"]


@dataclass(frozen=True)
class ClassifierPlan:
    """Where and how a classifier runs, decided before it is built.

    Attributes:
        device: ``"cpu"``, ``"cuda:0"``, ... as a string.
        runtime: ``"onnxruntime"``, ``"torch"`` or ``"opencv"``.
        precision: ``"fp32"``, ``"bf16"`` or ``"int8"`` (the shipped int8 ONNX file).
        threads: ONNX Runtime intra-op threads.
        preprocess: How faces are cut and normalised for this model.
        labels: Class names in output order.
        entry: The registry entry, when the spec named one.
        onnx: The entry's shipped ONNX file, verified, when ONNX Runtime runs it (no torch needed).
        network: The torch network, when it was loaded (every path but the shipped ONNX file's).
    """

    device: str
    runtime: RuntimeName
    precision: Literal["fp32", "bf16", "int8"]
    threads: int
    preprocess: FacePreprocess
    labels: tuple[str, ...]
    entry: ModelEntry | None = None
    onnx: Path | None = None
    network: EmotionNet | None = field(default=None, compare=False, repr=False)


def resolve(
    model: str | os.PathLike | ModelEntry | EmotionNet,
    *,
    device: Any = "auto",
    revision: str | None = None,
    precision: Precision = "auto",
    runtime: RuntimeName = "auto",
    threads: int | None = None,
) -> ClassifierPlan:
    """The plan for a model spec: the ONNX Runtime path when a registered model ships an ONNX file,
    runs on a CPU and ``precision`` is ``"auto"`` or the file's; else the torch network, loaded, and
    the runtime and precision for it.

    Args:
        model: As :class:`~emotionnet.EmotionRecognizer` takes it.
        device: As :class:`~emotionnet.EmotionRecognizer` takes it.
        revision: Hub revision when ``model`` is a repo id.
        precision: ``"auto"``, ``"fp32"``, ``"bf16"`` or ``"int8"``.
        runtime: ``"auto"``, ``"onnxruntime"``, ``"torch"`` or ``"opencv"``.
        threads: ONNX Runtime intra-op threads; ``None`` follows the thread policy.

    Returns:
        The :class:`ClassifierPlan`.

    Raises:
        InvalidInputError: a precision or runtime that cannot run here (``"int8"`` runs only a
            registered model's shipped int8 ONNX file, on a CPU, with ONNX Runtime).
        MissingDependencyError: an ONNX runtime needs an export and ``onnx`` is not installed.
    """
    if precision not in ("auto", "fp32", "bf16", "int8"):
        raise InvalidInputError(f"precision must be 'auto', 'fp32', 'bf16' or 'int8', got {precision!r}")
    n_threads = resolve_threads(threads)
    entry = _registered(model)
    on_cpu = device == "cpu" or (device == "auto" and cpu_only_machine())
    if (
        on_cpu
        and runtime in ("auto", "onnxruntime")
        and entry is not None
        and entry.onnx is not None
        and precision in ("auto", entry.onnx_precision)
    ):
        check_runtime(runtime, "cpu", needs_export=False)
        onnx = fetch(entry.onnx)
        return ClassifierPlan(
            "cpu", "onnxruntime", entry.onnx_precision, n_threads, entry.preprocess, tuple(entry.labels), entry, onnx
        )
    if precision == "int8":
        what = repr(os.fspath(model)) if isinstance(model, (str, os.PathLike)) else type(model).__name__
        raise InvalidInputError(
            "precision='int8' runs only the int8 ONNX file a registered model ships, on a CPU with ONNX Runtime "
            f"(device 'cpu', runtime 'auto' or 'onnxruntime'); got {what}, device={device!r}, runtime={runtime!r}. "
            "`emotionnet export-onnx --int8` writes one for other weights."
        )
    from ..models.emotionnet import EmotionNet
    from ..models.pretrained import load_model
    from ..runtimes.device import fast_bf16, resolve_device

    dev = resolve_device(device)
    net = model if isinstance(model, EmotionNet) else load_model(entry or model, revision=revision)  # checks type
    check_runtime(runtime, dev.type, needs_export=True)
    bf16 = precision == "bf16" or (precision == "auto" and fast_bf16(dev))
    if runtime == "auto":
        runtime = "torch" if dev.type != "cpu" or bf16 or not onnx_export_available() else "onnxruntime"
    if runtime != "torch":
        if precision == "bf16":
            raise InvalidInputError(f"precision='bf16' needs runtime='torch', not {runtime!r}")
        bf16 = False
    prec: Literal["fp32", "bf16"] = "bf16" if bf16 else "fp32"
    return ClassifierPlan(str(dev), runtime, prec, n_threads, net.preprocess, tuple(net.labels), entry, None, net)


def build(plan: ClassifierPlan, network: Callable[[], EmotionNet]) -> Backend:
    """The runner a plan describes.

    Args:
        plan: From :func:`resolve`.
        network: Gives the torch network (called only when the plan runs one, or exports it).

    Returns:
        An ONNX Runtime, OpenCV or torch runner: probabilities from normalised crops.
    """
    if plan.onnx is not None:
        return OnnxRuntimeBackend(plan.onnx, plan.threads)
    if plan.runtime == "torch":
        import torch

        from .torch_backend import TorchBackend

        return TorchBackend(network(), torch.device(plan.device), plan.precision == "bf16")
    from .backends import onnx_file

    path = onnx_file(network())
    return OnnxRuntimeBackend(path, plan.threads) if plan.runtime == "onnxruntime" else OpenCVBackend(path)


def _registered(model: object) -> ModelEntry | None:
    """The registry entry ``model`` names, if it names one."""
    if isinstance(model, ModelEntry):
        return model
    if isinstance(model, str) and (model == "default" or model in list_models()):
        return get_model_entry(model)
    return None
