"""The torch, ONNX Runtime and OpenCV DNN backends agree, and "auto" picks as documented."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import ASTRONAUT
from emotionnet import EmotionRecognizer, InvalidInputError
from emotionnet.backends import onnx_file, onnxruntime_available, resolve_backend
from emotionnet.fused import fused_cpu_net
from emotionnet.pretrained import load_model

needs_ort = pytest.mark.skipif(
    not onnxruntime_available(), reason="onnxruntime is not installed (the dev extra has it)"
)
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def reference() -> EmotionRecognizer:
    return EmotionRecognizer(device="cpu", precision="fp32", backend="torch")


@pytest.mark.parametrize("backend", [pytest.param("onnxruntime", marks=needs_ort), "opencv"])
def test_onnx_backends_match_torch_fp32(backend: str, reference: EmotionRecognizer) -> None:
    recognizer = EmotionRecognizer(device="cpu", backend=backend)  # type: ignore[arg-type]
    assert recognizer.backend == backend and not recognizer.bf16
    crops = np.random.default_rng(0).integers(0, 256, (70, 48, 48), dtype=np.uint8)  # two batches of 64
    got, want = recognizer.predict_proba(crops), reference.predict_proba(crops)
    assert got.shape == (70, 7) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=1e-4)
    a, b = recognizer.predict(ASTRONAUT), reference.predict(ASTRONAUT)
    assert a.emotions == b.emotions
    np.testing.assert_allclose(a[0].scores, b[0].scores, atol=1e-4)


@needs_ort
def test_onnxruntime_recognizer_pickles_and_tta_works(reference: EmotionRecognizer) -> None:
    recognizer = EmotionRecognizer(device="cpu", backend="onnxruntime", tta=True)
    copy = pickle.loads(pickle.dumps(recognizer))
    assert copy.backend == "onnxruntime" and copy.predict(ASTRONAUT) == recognizer.predict(ASTRONAUT)
    tta_ref = EmotionRecognizer(device="cpu", precision="fp32", backend="torch", tta=True)
    np.testing.assert_allclose(recognizer.predict(ASTRONAUT)[0].scores, tta_ref.predict(ASTRONAUT)[0].scores, atol=1e-4)


def test_onnx_export_is_cached_by_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMOTIONNET_CACHE", str(tmp_path))
    model = load_model("default")
    first = onnx_file(model)
    assert first.parent == tmp_path / "onnx" and first.stat().st_size > 1_000_000
    mtime = first.stat().st_mtime_ns
    assert onnx_file(model) == first and first.stat().st_mtime_ns == mtime  # not exported again
    model.temperature = 2.0
    assert onnx_file(model) != first  # other weights or temperature, other file
    assert sorted(p.suffix for p in (tmp_path / "onnx").iterdir()) == [".onnx", ".onnx"]  # no temp files left


def test_auto_backend_rule() -> None:
    assert resolve_backend("auto", CPU, fast_bf16=True) == "torch"
    assert resolve_backend("auto", torch.device("cuda"), fast_bf16=False) == "torch"
    expected = "onnxruntime" if onnxruntime_available() else "torch"
    assert resolve_backend("auto", CPU, fast_bf16=False) == expected
    assert resolve_backend("opencv", CPU, fast_bf16=True) == "opencv"


def test_bad_backend_choices() -> None:
    with pytest.raises(InvalidInputError, match="backend must be"):
        resolve_backend("tensorrt", CPU, fast_bf16=False)
    with pytest.raises(InvalidInputError, match="CPU only"):
        resolve_backend("opencv", torch.device("cuda"), fast_bf16=False)
    with pytest.raises(InvalidInputError, match="needs backend='torch'"):
        EmotionRecognizer(device="cpu", backend="opencv", precision="bf16")


def test_fused_bf16_network_matches_fp32_and_ignores_batching(reference: EmotionRecognizer) -> None:
    recognizer = EmotionRecognizer(device="cpu", precision="bf16", backend="torch", batch_size=32)
    if recognizer._backend.fused is None:  # type: ignore[attr-defined]
        pytest.skip("this torch build has no oneDNN fused convolution (the eager path is tested elsewhere)")
    crops = np.random.default_rng(1).integers(0, 256, (70, 48, 48), dtype=np.uint8)
    got, want = recognizer.predict_proba(crops), reference.predict_proba(crops)
    assert np.abs(got - want).max() < 0.03 and (got.argmax(1) == want.argmax(1)).mean() > 0.95
    one_by_one = np.concatenate([recognizer.predict_proba(crops[i : i + 1]) for i in range(len(crops))])
    np.testing.assert_array_equal(got, one_by_one)  # the same numbers whatever the batch
    assert recognizer.predict(ASTRONAUT).emotions == reference.predict(ASTRONAUT).emotions


def test_fused_network_refuses_to_disagree() -> None:
    model = load_model("default")
    assert fused_cpu_net(model, torch.bfloat16, tolerance=-1.0) is None  # any difference is too much
