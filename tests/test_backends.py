"""The torch, ONNX Runtime and OpenCV DNN backends agree, and "auto" picks as documented."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from conftest import ASTRONAUT
from emotionnet import EmotionRecognizer, InvalidInputError, MissingDependencyError
from emotionnet.classifier.backends import check_runtime, onnx_export_available, onnx_file
from emotionnet.classifier.fused import fused_cpu_net
from emotionnet.models.pretrained import load_model

needs_ort = pytest.mark.skipif(not onnx_export_available(), reason="onnx is not installed (the dev extra has it)")


@pytest.fixture(scope="module")
def reference() -> EmotionRecognizer:
    return EmotionRecognizer(device="cpu", precision="fp32", runtime="torch")


@pytest.mark.parametrize("backend", [pytest.param("onnxruntime", marks=needs_ort), "opencv"])
def test_onnx_backends_match_torch_fp32(backend: str, reference: EmotionRecognizer) -> None:
    recognizer = EmotionRecognizer(device="cpu", runtime=backend, precision="fp32")  # type: ignore[arg-type]
    assert recognizer.runtime == backend and recognizer.precision == "fp32"
    crops = np.random.default_rng(0).integers(0, 256, (70, 48, 48), dtype=np.uint8)  # two batches of 64
    got, want = recognizer.predict_proba(crops), reference.predict_proba(crops)
    assert got.shape == (70, 7) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=1e-4)
    a, b = recognizer.predict(ASTRONAUT), reference.predict(ASTRONAUT)
    assert a.emotions == b.emotions
    np.testing.assert_allclose(list(a[0].probabilities.values()), list(b[0].probabilities.values()), atol=1e-4)


@needs_ort
def test_onnxruntime_recognizer_pickles_and_tta_works(reference: EmotionRecognizer) -> None:
    recognizer = EmotionRecognizer(device="cpu", runtime="onnxruntime", precision="fp32", tta=True)
    copy = pickle.loads(pickle.dumps(recognizer))
    assert copy.runtime == "onnxruntime" and copy.predict(ASTRONAUT) == recognizer.predict(ASTRONAUT)
    tta_ref = EmotionRecognizer(device="cpu", precision="fp32", runtime="torch", tta=True)
    np.testing.assert_allclose(
        list(recognizer.predict(ASTRONAUT)[0].probabilities.values()),
        list(tta_ref.predict(ASTRONAUT)[0].probabilities.values()),
        atol=1e-4,
    )


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


def test_default_cpu_path_is_onnxruntime_without_torch() -> None:
    code = (
        "import sys, pickle\nfrom emotionnet import EmotionRecognizer\n"
        "r = EmotionRecognizer(device='cpu')\np = r.predict(sys.argv[1])\n"
        "print(r.runtime, r.precision, 'torch' in sys.modules, p.emotions[0].value)\n"
        "c = pickle.loads(pickle.dumps(r))\nprint(c.predict(sys.argv[1]) == p, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(ASTRONAUT)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["onnxruntime", "int8", "False", "happy", "True", "False"]


def test_shipped_int8_file_agrees_with_torch(reference: EmotionRecognizer) -> None:
    shipped = EmotionRecognizer(device="cpu")
    assert (shipped.runtime, shipped.precision) == ("onnxruntime", "int8")
    assert EmotionRecognizer(device="cpu", precision="int8").classifier.plan == shipped.classifier.plan
    plan = shipped.classifier.plan  # resolved first: the verified shipped file, no network loaded
    assert plan.onnx is not None and plan.onnx.suffix == ".onnx" and plan.network is None
    assert reference.classifier.plan.network is not None and reference.classifier.plan.onnx is None
    assert reference.detector is not None
    image = cv2.imread(str(ASTRONAUT))
    crops = reference.preprocess.crops(image, reference.detector.detect(image))
    rng = np.random.default_rng(0)  # the face, shifted and brightened: real-looking inputs
    views = np.stack(
        [np.clip(np.roll(crops[0], rng.integers(-3, 4, 2), (0, 1)) * rng.uniform(0.7, 1.3), 0, 255) for _ in range(64)]
    ).astype(np.uint8)
    got, want = shipped.predict_proba(views), reference.predict_proba(views)
    assert np.allclose(got.sum(1), 1, atol=1e-5) and (got.argmax(1) == want.argmax(1)).all()
    assert 1e-6 < np.abs(got - want).max() < 0.02  # int8 arithmetic: close, not the float numbers
    assert shipped.network.temperature == reference.network.temperature  # the torch model, loaded on demand


@needs_ort
def test_fp32_on_a_cpu_runs_a_float_export_not_the_shipped_int8_file(reference: EmotionRecognizer) -> None:
    recognizer = EmotionRecognizer(device="cpu", precision="fp32")
    assert (recognizer.runtime, recognizer.precision) == ("onnxruntime", "fp32")
    assert recognizer.classifier.plan.onnx is None  # not the shipped file: the export of the weights
    crops = np.random.default_rng(2).integers(0, 256, (8, 48, 48), dtype=np.uint8)
    np.testing.assert_allclose(recognizer.predict_proba(crops), reference.predict_proba(crops), atol=1e-4)


def test_int8_runs_only_a_shipped_int8_file(tmp_path: Path) -> None:
    for kwargs in ({"runtime": "torch"}, {"runtime": "opencv"}):
        with pytest.raises(InvalidInputError, match="precision='int8' runs only"):
            EmotionRecognizer(device="cpu", precision="int8", **kwargs)  # type: ignore[arg-type]
    load_model("default").save_pretrained(tmp_path / "m")
    with pytest.raises(InvalidInputError, match=r"precision='int8' runs only.*local-dir"):
        EmotionRecognizer(f"local-dir:{tmp_path / 'm'}", device="cpu", precision="int8")


def test_backend_choices_are_checked() -> None:
    with pytest.raises(InvalidInputError, match="runtime must be"):
        check_runtime("tensorrt", "cpu", needs_export=False)
    with pytest.raises(InvalidInputError, match="CPU only"):
        check_runtime("opencv", "cuda", needs_export=True)
    with pytest.raises(InvalidInputError, match="needs runtime='torch'"):
        EmotionRecognizer(device="cpu", runtime="opencv", precision="bf16")
    with pytest.raises(InvalidInputError, match="precision must be"):
        EmotionRecognizer(device="cpu", precision="fp16")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"model must be a registered name.*got NoneType"):
        EmotionRecognizer(None, device="cpu")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="detector must be a name, a FaceDetector or None, got int"):
        EmotionRecognizer(device="cpu", detector=3)  # type: ignore[arg-type]
    if not onnx_export_available():
        with pytest.raises(MissingDependencyError, match="emotionnet\\[onnx\\]"):
            check_runtime("onnxruntime", "cpu", needs_export=True)


def test_a_callers_network_is_not_modified() -> None:
    net = load_model("default")
    before = {k: v.clone() for k, v in net.state_dict().items()}
    net.train()
    EmotionRecognizer(net, device="cpu", runtime="torch", precision="bf16").predict(ASTRONAUT)
    assert net.training and all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_fused_bf16_network_matches_fp32_and_ignores_batching(reference: EmotionRecognizer) -> None:
    recognizer = EmotionRecognizer(device="cpu", precision="bf16", runtime="torch", batch_size=32)
    if recognizer.classifier._backend.fused is None:  # type: ignore[attr-defined]
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
