"""Quantisation-aware training, int8 files and ONNX Runtime evaluation, on real (tiny) runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from emotionnet.cli import main
from emotionnet.models.emotionnet import EmotionNet
from emotionnet.models.pretrained import load_model
from emotionnet.training.qat import QuantisedLayer, dequantise, is_quantised, quantise

pytest.importorskip("onnx")


def _train(fer_dir: Path, out: Path, *extra: str) -> int:
    args = ["train", "--data", str(fer_dir), "--run-dir", str(out), "--config", "tiny", "--batch-size", "16"]
    return main([*args, "--lr", "0.05", "--no-progress", *extra])


def test_quantised_layers_compute_on_the_int8_grid() -> None:
    torch.manual_seed(0)
    net = EmotionNet(widths=(4, 8, 8, 16), fc=(32, 32), dropout=0.0)
    reference = {k: v.clone() for k, v in net.state_dict().items()}
    x = torch.randn(8, 1, 48, 48)
    float_out = net.eval()(x)
    quantise(net)
    wrapped = [m for m in net.modules() if isinstance(m, QuantisedLayer)]
    assert len(wrapped) == 11 and is_quantised(net)  # 8 convolutions, 3 fully connected layers
    net.train()
    net(x)  # one training pass records each layer's input and output range
    net.eval()
    inputs = []
    wrapped[0].inputs.register_forward_hook(lambda m, i, o: inputs.append((i[0], o)))
    quant_out = net(x)
    seen, rounded = inputs[0]
    grid = rounded / ((wrapped[0].inputs.high - wrapped[0].inputs.low) / 255)  # whole steps from zero
    assert torch.allclose(grid, grid.round(), atol=1e-3)
    assert rounded.unique().numel() <= 256 < seen.unique().numel()
    assert not torch.allclose(quant_out, float_out, atol=1e-4)  # the rounding changes what comes out
    plain = dequantise(net)
    assert not is_quantised(plain) and is_quantised(net)  # a copy; the training network keeps its wrappers
    assert plain.state_dict().keys() == reference.keys()
    learnt = [k for k in reference if "running" not in k and "num_batches" not in k]  # not BatchNorm statistics
    assert all(torch.equal(plain.state_dict()[k], reference[k]) for k in learnt)  # the float weights, not rounded
    assert not torch.allclose(plain.eval()(x), quant_out, atol=1e-4)


def test_qat_run_exports_int8_that_eval_runs(fer_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _train(fer_dir, tmp_path / "float", "--epochs", "1") == 0
    run = tmp_path / "qat"
    assert _train(fer_dir, run, "--epochs", "2", "--qat", "--init-from", str(tmp_path / "float" / "best")) == 0
    assert json.loads((run / "train_config.json").read_text())["qat"] is True
    ckpt = torch.load(run / "last.ckpt", weights_only=True)
    assert any(k.endswith("inputs.high") for k in ckpt["model"])  # the observers' ranges are checkpointed
    net = load_model(run / "best")  # the float weights, plain keys
    assert not is_quantised(net)
    capsys.readouterr()
    int8 = tmp_path / "qat-int8.onnx"
    assert main(["export-onnx", "--model", str(run / "best"), "--out", str(int8), "--int8", str(fer_dir)]) == 0
    import onnx

    graph = onnx.load(str(int8)).graph
    dequantised = {o for n in graph.node if n.op_type == "DequantizeLinear" for o in n.output}
    convs = [n for n in graph.node if n.op_type == "Conv"]  # 8 convolutions, 8 BatchNorms as 1x1 depthwise ones
    assert len(convs) == 16 and all(c.input[1] in dequantised for c in convs[1:])  # int8 weights
    assert convs[0].input[1] not in dequantised  # float: int16 pair sums saturate there without VNNI
    assert not [n for n in graph.node if n.op_type == "BatchNormalization"]
    reports = {}
    for runtime, extra in (("torch", []), ("onnx-fp32", ["--runtime", "onnxruntime"])):
        out = tmp_path / f"{runtime}.json"
        args = ["eval", "--model", str(run / "best"), "--data", str(fer_dir), "--split", "val", "--tta", "none"]
        assert main([*args, "--no-progress", "--json", str(out), *extra]) == 0
        reports[runtime] = json.loads(out.read_text())
    onnx_args = ["--runtime", "onnxruntime", "--onnx", str(int8), "--json", str(tmp_path / "int8.json")]
    assert main([*args, "--no-progress", *onnx_args]) == 0
    reports["int8"] = json.loads((tmp_path / "int8.json").read_text())
    assert "on ONNX Runtime (qat-int8.onnx)" in capsys.readouterr().out
    assert reports["int8"]["runtime"] == "onnxruntime" and reports["int8"]["onnx"] == str(int8)
    assert reports["int8"]["precision"] is None  # the file's own arithmetic, not a flag's
    assert (reports["torch"]["precision"], reports["onnx-fp32"]["precision"]) == ("fp32", "fp32")
    fp32, torch_report = reports["onnx-fp32"]["FER2013"], reports["torch"]["FER2013"]
    assert fp32["confusion"] == torch_report["confusion"]  # the float export predicts as torch does
    assert abs(fp32["ece"] - torch_report["ece"]) < 1e-3  # the same probabilities
    assert reports["int8"]["FER2013"]["n"] == 28
    assert main([*args, "--onnx", str(int8)]) == 2  # --onnx without --runtime onnxruntime
    assert main([*args, "--runtime", "onnxruntime", "--precision", "bf16"]) == 2
    assert main([*args, "--runtime", "onnxruntime", "--onnx", str(tmp_path / "none.onnx")]) == 1
    assert main([*args, "--precision", "int8"]) == 2  # int8 is a shipped ONNX file's: not on torch
    assert main([*args, "--runtime", "onnxruntime", "--precision", "int8"]) == 2  # this run ships none
    assert main([*args, "--runtime", "onnxruntime", "--onnx", str(int8), "--precision", "fp32"]) == 2
    err = capsys.readouterr().err
    assert "add --runtime onnxruntime" in err and "no bf16" in err and "is not a file" in err
    assert "--precision int8 runs" in err and "precision='int8' runs only" in err and "own precision" in err
