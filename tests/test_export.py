"""ONNX export: dynamic batch, temperature included, checked against torch."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from emotionnet import create_model
from emotionnet.cli import main
from emotionnet.models.export import export_onnx
from emotionnet.models.hub import fetch
from emotionnet.models.registry import get_model_entry


def test_export_matches_torch_at_any_batch(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = create_model("tiny", temperature=2.0).eval()
    path = tmp_path / "tiny.onnx"
    assert export_onnx(model, path) < 1e-4
    assert not model.training  # the caller's model is left as it was
    net = cv2.dnn.readNetFromONNX(str(path))
    for batch in (1, 5):
        x = np.random.default_rng(batch).standard_normal((batch, 1, 48, 48)).astype(np.float32)
        net.setInput(x)
        got = net.forward()
        expected = model.predict_proba(torch.from_numpy(x)).detach().numpy()
        assert got.shape == (batch, 7) and np.allclose(got, expected, atol=1e-5)


def test_cli_export(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    create_model("tiny").save_pretrained(tmp_path / "m")
    assert main(["export-onnx", "--model", str(tmp_path / "m"), "--out", str(tmp_path / "m.onnx")]) == 0
    assert "max abs difference" in capsys.readouterr().out and (tmp_path / "m.onnx").stat().st_size > 1000
    weights = tmp_path / "m" / "model.safetensors"
    before = weights.read_bytes()
    assert main(["export-onnx", "--model", str(tmp_path / "m"), "--out", str(weights)]) == 1
    assert "to a .onnx file" in capsys.readouterr().err and weights.read_bytes() == before
    shipped = fetch(get_model_entry("default").onnx)  # type: ignore[arg-type]
    before = shipped.read_bytes()
    try:
        assert main(["export-onnx", "--model", "default", "--out", str(shipped)]) == 1  # its own shipped ONNX file
        assert "would be destroyed" in capsys.readouterr().err and shipped.read_bytes() == before
    finally:  # a failure here must not leave the package's file changed
        if shipped.read_bytes() != before:
            shipped.write_bytes(before)


def test_half_storage_and_int8_files(tmp_path: Path) -> None:
    from emotionnet.models.export import quantize_int8
    from emotionnet.runtimes.ort import cpu_session

    model = create_model("tiny").eval()
    assert export_onnx(model, tmp_path / "half.onnx", half_storage=True) < 1e-3
    faces = np.random.default_rng(0).integers(0, 256, (64, 48, 48), dtype=np.uint8)
    path = quantize_int8(model, tmp_path / "int8.onnx", faces)
    x = model.preprocess.normalize(torch.from_numpy(faces)).numpy()
    with torch.inference_mode():
        want = model.predict_proba(torch.from_numpy(x)).numpy()
    got = cpu_session(path, 1).run(None, {"faces": x})[0]
    assert got.shape == want.shape and np.allclose(got.sum(1), 1, atol=1e-5)  # softmax kept in float
    assert np.abs(got * 255 - np.round(got * 255)).max() > 1e-3  # probabilities are not quantised to 1/255 steps
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary files left


def test_int8_batchnorms_are_per_channel_depthwise_convolutions(tmp_path: Path) -> None:
    import onnx
    from onnx import numpy_helper

    from emotionnet.models.export import _batchnorms_as_convs, quantize_int8

    torch.manual_seed(0)
    model = create_model("tiny").eval()
    for bn in (m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)):  # trained-looking statistics
        bn.running_mean.uniform_(-0.5, 0.5), bn.running_var.uniform_(0.2, 3.0)  # type: ignore[union-attr]
        bn.weight.data.uniform_(-1.5, 1.5), bn.bias.data.uniform_(-0.5, 0.5)
    x = torch.randn(4, 1, 48, 48)
    as_convs = _batchnorms_as_convs(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in as_convs.modules())
    with torch.inference_mode():
        torch.testing.assert_close(as_convs(x), model(x), atol=1e-5, rtol=1e-4)
    faces = np.random.default_rng(0).integers(0, 256, (64, 48, 48), dtype=np.uint8)
    graph = onnx.load(str(quantize_int8(model, tmp_path / "int8.onnx", faces))).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    weight_scale = {
        n.output[0]: inits[n.input[1]] for n in graph.node if n.op_type == "DequantizeLinear" and n.input[0] in inits
    }
    depthwise = [
        n for n in graph.node if n.op_type == "Conv" and any(a.name == "group" and a.i > 1 for a in n.attribute)
    ]
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert len(depthwise) == len(norms) and not [n for n in graph.node if n.op_type == "BatchNormalization"]
    assert [weight_scale[n.input[1]].size for n in depthwise] == [bn.num_features for bn in norms]  # one per channel


def test_int8_of_a_40_px_network_calibrates_on_48_px_faces(tmp_path: Path) -> None:
    from emotionnet.models.export import quantize_int8
    from emotionnet.runtimes.ort import cpu_session

    model = create_model("tiny", input_size=40).eval()  # as wide and paper: FER2013's 48 px faces resized
    faces = np.random.default_rng(0).integers(0, 256, (64, 48, 48), dtype=np.uint8)
    path = quantize_int8(model, tmp_path / "int8.onnx", faces)  # fed 48 px to a 40 px input before
    x = np.random.default_rng(1).standard_normal((4, 1, 40, 40)).astype(np.float32)
    assert cpu_session(path, 1).run(None, {"faces": x})[0].shape == (4, 7)


def test_a_40_px_network_runs_through_the_recognizer_on_every_runtime(tmp_path: Path) -> None:
    """What `wide` will need as an entry: faces cut at 40 px, the same probabilities on each runtime."""
    from conftest import ASTRONAUT
    from emotionnet import EmotionRecognizer

    torch.manual_seed(0)
    model = create_model("tiny", input_size=40, temperature=1.5).eval()
    model.save_pretrained(tmp_path / "m40")
    results = {}
    for runtime in ("torch", "onnxruntime", "opencv"):
        rec = EmotionRecognizer(f"local-dir:{tmp_path / 'm40'}", device="cpu", runtime=runtime, precision="fp32")
        assert rec.preprocess.size == 40 and rec.runtime == runtime
        (face,) = rec.predict(ASTRONAUT)
        results[runtime] = np.array(list(face.probabilities.values()))
        crops = np.random.default_rng(0).integers(0, 256, (3, 40, 40), dtype=np.uint8)
        assert rec.predict_proba(crops).shape == (3, 7)
    assert np.allclose(results["torch"], results["onnxruntime"], atol=1e-4)
    assert np.allclose(results["torch"], results["opencv"], atol=1e-4)
