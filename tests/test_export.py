"""ONNX export: dynamic batch, temperature included, checked against torch."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from emotionnet import create_model
from emotionnet.cli import main
from emotionnet.export import export_onnx


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
