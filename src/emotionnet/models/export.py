"""Export an EmotionNet (temperature included) to ONNX and check it against torch."""

from __future__ import annotations

import copy
import os
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .._outputs import atomic_path, check_output
from ..errors import EmotionNetError, MissingDependencyError, OutputError
from .emotionnet import EmotionNet


class _Probabilities(nn.Module):
    """``softmax(model(x) / temperature)``: the calibrated probabilities the recognizer reports."""

    def __init__(self, model: EmotionNet) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.predict_proba(x)


def check_onnx_output(path: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """Refuse an ONNX output that is not a ``.onnx`` file, or that :func:`check_output` refuses.

    Args:
        path: Where the ONNX file would go.
        inputs: Files it must not replace (the weights being exported).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        OutputError: another suffix (``photo.png`` is not overwritten with a model), a missing
            folder, a directory, or one of ``inputs``.
    """
    if Path(path).suffix.lower() != ".onnx":
        raise OutputError(f"An ONNX model is written to a .onnx file, not {os.fspath(path)!r}")
    return check_output(path, inputs=inputs)


def export_onnx(
    model: EmotionNet, path: str | os.PathLike, *, opset: int = 17, check_batch: int = 16, half_storage: bool = False
) -> float:
    """Write ``model`` as ONNX with a dynamic batch axis and return the max abs difference to torch.

    Input ``faces``: float32 ``(N, 1, S, S)`` normalised as ``model.preprocess.normalize`` does;
    output ``probabilities``: ``(N, 7)``. The file is checked by running it with OpenCV's DNN module
    (no extra dependency) on random faces. Needs the ``onnx`` package (``pip install "emotionnet[onnx]"``).

    With ``half_storage`` the large weights are stored as float16 and cast to float32 when ONNX
    Runtime loads the file: half the size, the same float32 arithmetic, and exactly the same numbers
    for weights that were float16 to begin with (the bundled ones). That file is checked with ONNX
    Runtime instead (OpenCV DNN does not read it).

    Args:
        model: The network to export.
        path: The ``.onnx`` file to write (atomically).
        opset: The ONNX opset.
        check_batch: Random faces run through both to compare.
        half_storage: Store the large weights as float16.

    Returns:
        The largest absolute difference between the file's and torch's probabilities.

    Raises:
        MissingDependencyError: ``onnx`` is not installed. OutputError: see :func:`check_onnx_output`.
    """
    try:
        import onnx  # noqa: F401  (the exporter needs it)
    except ImportError as exc:
        raise MissingDependencyError('export_onnx() needs the onnx package: pip install "emotionnet[onnx]"') from exc
    wrapper = _Probabilities(copy.deepcopy(model).float().cpu()).eval()  # never touch the caller's model
    with atomic_path(check_onnx_output(path)) as tmp:  # checked before it replaces ``path``
        diff = _export_and_check(wrapper, model.input_size, tmp, opset, check_batch)
        if half_storage:
            diff = _store_half(tmp, wrapper, model.input_size, check_batch)
    return diff


def _store_half(path: Path, wrapper: nn.Module, size: int, check_batch: int) -> float:
    """Rewrite ``path`` with float16 initializers cast to float32 at load; the max abs difference to torch."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from ..runtimes.ort import cpu_session

    graph = (model := onnx.load(str(path))).graph
    casts = []
    for init in list(graph.initializer):
        array = numpy_helper.to_array(init)
        if array.dtype == np.float32 and array.size > 1024:
            graph.initializer.remove(init)
            graph.initializer.append(numpy_helper.from_array(array.astype(np.float16), f"{init.name}_fp16"))
            casts.append(helper.make_node("Cast", [f"{init.name}_fp16"], [init.name], to=TensorProto.FLOAT))
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.save(model, str(path))
    x = torch.randn(check_batch, 1, size, size, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        expected = wrapper(x).numpy()
    got = cpu_session(path, 1).run(None, {"faces": x.numpy()})[0]
    return float(np.abs(got - expected).max())


def _export_and_check(wrapper: nn.Module, size: int, path: Path, opset: int, check_batch: int) -> float:
    import cv2

    with warnings.catch_warnings():  # the TorchScript exporter's deprecation notice: it is the one cv2.dnn reads
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            wrapper,
            (torch.zeros(1, 1, size, size),),
            os.fspath(path),
            dynamo=False,
            opset_version=opset,
            input_names=["faces"],
            output_names=["probabilities"],
            dynamic_axes={"faces": {0: "batch"}, "probabilities": {0: "batch"}},
        )
    wrapper.eval()  # the exporter restores the wrapper's previous mode; make sure it is eval
    x = torch.randn(check_batch, 1, size, size, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        expected = wrapper(x).numpy()
    net = cv2.dnn.readNetFromONNX(os.fspath(path))
    net.setInput(x.numpy())
    got = net.forward()
    diff = float(np.abs(got - expected).max())
    if not np.isfinite(diff) or diff > 1e-4:
        raise EmotionNetError(f"ONNX export differs from torch by {diff:g}")
    return diff


def quantize_int8(model: EmotionNet, path: str | os.PathLike, calibration: np.ndarray) -> Path:
    """Write ``model`` as a static int8 ONNX file (QDQ, per-channel weights) for ONNX Runtime.

    Convolutions and fully connected layers run in int8, except the first convolution; it, the
    temperature and the softmax stay float32, so probabilities are continuous. Each BatchNorm is
    written as the 1x1 depthwise convolution it equals, so it runs in int8 with one weight scale
    per channel and the graph stays in ONNX Runtime's channels-last int8 layout end to end
    (1.3-1.5x the batch throughput of float BatchNorms on an AVX2 CPU: ``benchmarks/int8.py``).
    Activations are calibrated on ``calibration`` with the percentile method (chosen on FER2013
    PublicTest: 69.18 % for the default against 68.63 % with min-max calibration; fp32 69.32 %).
    The input and output are float32 exactly as in :func:`export_onnx`.

    Args:
        model: The network to export (temperature included).
        path: The ``.onnx`` file to write.
        calibration: uint8 faces ``(N, S, S)``, e.g. 1,024 training crops; resized to the model's
            input as training resizes them when ``S`` differs (48 px FER2013 faces for the 40 px
            ``wide`` and ``paper`` networks).

    Returns:
        ``path``.

    Raises:
        MissingDependencyError: ``onnx`` is not installed (``pip install "emotionnet[onnx]"``).
        OutputError: ``path`` cannot be written.
    """
    try:
        from onnxruntime.quantization import (
            CalibrationDataReader,
            CalibrationMethod,
            QuantFormat,
            QuantType,
            quantize_static,
        )
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError as exc:
        raise MissingDependencyError('quantize_int8() needs the onnx package: pip install "emotionnet[onnx]"') from exc
    import tempfile

    faces = model.preprocess.resize(model.preprocess.normalize(torch.from_numpy(calibration))).numpy()

    # Equal batches: the percentile calibrator stacks them (a short last batch crashed it).
    batch = max(b for b in range(1, min(64, len(faces)) + 1) if len(faces) % b == 0)

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.start = 0

        def get_next(self) -> dict[str, np.ndarray] | None:
            if self.start >= len(faces):
                return None
            self.start += batch
            return {"faces": faces[self.start - batch : self.start]}

    out = check_onnx_output(path)
    with tempfile.TemporaryDirectory() as work, atomic_path(out) as tmp:
        fp32, prepared = Path(work) / "fp32.onnx", Path(work) / "prepared.onnx"
        export_onnx(_batchnorms_as_convs(model), fp32)
        quant_pre_process(str(fp32), str(prepared))
        import onnx

        # Float: the temperature division and softmax (quantised, probabilities came in 1/255 steps)
        # and the first convolution: its input spans the whole uint8 range, and on CPUs without VNNI
        # (AVX2) ONNX Runtime's u8 x s8 kernels saturate their int16 pair sums there (PublicTest
        # 67.18 % against 69.18 % for the default with it in float; fp32 69.32 %). It is 1 % of the
        # multiply-adds.
        nodes = onnx.load(str(prepared)).graph.node
        first_conv = next(n.name for n in nodes if n.op_type == "Conv")
        keep_float = [n.name for n in nodes if n.op_type in ("Div", "Softmax")] + [first_conv]
        quantize_static(
            str(prepared),
            str(tmp),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.Percentile,
            nodes_to_exclude=keep_float,
        )
    return out


def _batchnorms_as_convs(model: EmotionNet) -> EmotionNet:
    """A copy of ``model`` whose BatchNorms are the 1x1 depthwise convolutions they compute in eval.

    ``y = x * s + b`` per channel, with ``s = gamma / sqrt(var + eps)`` and ``b = beta - mean * s``:
    the same numbers (to float rounding), but a node ONNX Runtime quantises per channel and runs
    in int8 (its quantiser gives a BatchNormalization one weight scale for every channel).
    """
    model = copy.deepcopy(model).float().cpu().eval()
    for parent in model.modules():
        for name, child in parent.named_children():
            if isinstance(child, nn.BatchNorm2d) and child.running_mean is not None and child.running_var is not None:
                c = child.num_features
                scale = torch.rsqrt(child.running_var + child.eps)
                if child.weight is not None:
                    scale = scale * child.weight
                shift = -child.running_mean * scale + (child.bias if child.bias is not None else 0.0)
                conv = nn.Conv2d(c, c, 1, groups=c)
                conv.weight = nn.Parameter(scale.detach().view(c, 1, 1, 1).clone())
                conv.bias = nn.Parameter(shift.detach().clone())
                setattr(parent, name, conv)
    return model
