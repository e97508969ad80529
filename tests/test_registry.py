"""Schema of every registry entry, the bundled files, the model card, and the shipped model's accuracy."""

from __future__ import annotations

import re

import pytest
import torch

from conftest import FER2013, ROOT, needs_fer2013
from emotionnet import EMOTIONS, load_model
from emotionnet.models import cards, registry
from emotionnet.models.emotionnet import EmotionNet
from emotionnet.models.hub import bundled_path, sha256_of

KNOWN_METRICS = {
    "privatetest_acc",
    "privatetest_acc_flip",
    "privatetest_acc_tencrop",
    "privatetest_acc_bf16",
    "privatetest_top2",
    "privatetest_recall_disgust",
    "privatetest_ece",
    "privatetest_ece_calibrated",
    "publictest_acc",
    "privatetest_subset700_acc",
    "privatetest_ferplus_acc",
    "privatetest_ferplus_acc_flip",
    "privatetest_ferplus_acc_tencrop",
    "privatetest_ferplus_acc_int8",
    "privatetest_ferplus_ece_calibrated",
    "publictest_ferplus_acc",
}


@pytest.mark.parametrize("name", registry.list_models())
def test_model_entry_schema(name: str) -> None:
    entry = registry.get_model_entry(name)
    assert re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_-]+", entry.name) and entry.name == name
    assert entry.labels == tuple(e.value for e in EMOTIONS)
    assert {m.removesuffix("_int8") for m in entry.metrics} <= KNOWN_METRICS and "privatetest_acc" in entry.metrics
    assert entry.onnx_precision == "int8" or not [m for m in entry.metrics if m.endswith("_int8")]  # the int8 file's
    assert all(0.0 <= v <= 1.0 for v in entry.metrics.values())
    net = EmotionNet(**entry.architecture)
    assert sum(p.numel() for p in net.parameters()) == entry.num_params
    assert net.input_size == entry.preprocess.size and entry.temperature > 0
    assert (ROOT / entry.recipe.split("#")[0]).is_file()
    for file in (entry.weights, entry.onnx):
        if file is not None and file.bundled:
            path = bundled_path(file.filename)
            assert path.stat().st_size == file.size and sha256_of(path) == file.sha256
            assert file.size <= 15_000_000


def test_default_model_is_registered_and_bundled() -> None:
    assert registry.DEFAULT_MODEL in registry.list_models()
    entry = registry.get_model_entry("default")
    assert entry.weights.bundled and entry.weights.size <= 15_000_000


@pytest.mark.parametrize("name", sorted(registry.DETECTORS))
def test_detector_files(name: str) -> None:
    entry = registry.get_detector_entry(name)
    path = bundled_path(entry.weights.filename)
    assert sha256_of(path) == entry.weights.sha256 and path.stat().st_size == entry.weights.size
    assert "Apache License" in bundled_path("LICENSE-YUNET").read_text()


def test_models_md_table_matches_registry() -> None:
    assert cards.model_table() in (ROOT / "docs" / "models.md").read_text()


def test_register_model_entry_rules() -> None:
    entry = registry.get_model_entry("default")
    with pytest.raises(registry.InvalidInputError, match="already registered"):
        registry.register_model_entry(entry)
    with pytest.raises(registry.InvalidInputError, match=r"'arch\.tag'"):
        registry.register_model_entry(
            registry.ModelEntry("Bad Name", entry.weights, entry.architecture, entry.preprocess)
        )
    with pytest.raises(registry.InvalidInputError, match="40-hex"):
        registry.WeightsFile("x.safetensors", "0" * 64, 1, repo_id="a/b", revision="main")
    with pytest.raises(registry.InvalidInputError, match="onnx_precision must be 'fp32' or 'int8'"):
        registry.ModelEntry(
            "emotionnet_compact.x",
            entry.weights,
            entry.architecture,
            entry.preprocess,
            onnx_precision="fp16",  # type: ignore[arg-type]
        )


@needs_fer2013
def test_shipped_model_accuracy_matches_its_card() -> None:
    """The default model, loaded through the public API, on a fixed 700-image PrivateTest subset."""
    from emotionnet.training.data import load_split
    from emotionnet.training.evaluate import predict_logits
    from emotionnet.training.onnx_eval import onnx_network

    entry = registry.get_model_entry("default")
    test = load_split(FER2013, "test")
    pick = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))[:700]
    subset = test.subset(pick)
    acc = float((predict_logits(load_model("default"), subset).argmax(1) == subset.labels).float().mean())
    assert abs(acc - entry.metrics["privatetest_subset700_acc"]) <= 0.01
    shipped = onnx_network("default")  # the int8 file the CPU path runs
    assert shipped.precision == "int8"
    acc = float((predict_logits(shipped, subset).argmax(1) == subset.labels).float().mean())
    assert abs(acc - entry.metrics["privatetest_subset700_acc_int8"]) <= 0.01
