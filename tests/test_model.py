"""EmotionNet architecture, configs and save/load round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from emotionnet import EmotionNet, create_model, load_model
from emotionnet.errors import InvalidInputError, ModelNotFoundError
from emotionnet.models.configs import CONFIGS


@pytest.mark.parametrize(("config", "params"), [("paper", 29_890_759), ("compact", 4_590_695)])
def test_config_sizes(config: str, params: int) -> None:
    model = create_model(config)
    assert sum(p.numel() for p in model.parameters()) == params
    size = CONFIGS[config]["input_size"]
    assert model(torch.zeros(2, 1, size, size)).shape == (2, 7)


def test_layer_order_matches_the_origin_architecture() -> None:
    model = create_model("tiny")
    kinds = [type(m).__name__ for m in model.features]
    assert kinds == (["Conv2d", "ReLU", "BatchNorm2d"] * 2 + ["MaxPool2d"]) * 4
    linears = [m for m in model.classifier if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 3 and linears[-1].out_features == 7


def test_predict_proba_applies_temperature() -> None:
    torch.manual_seed(0)
    hot = create_model("tiny", temperature=1.0).eval()
    cold = create_model("tiny", temperature=3.0).eval()
    cold.load_state_dict(hot.state_dict())
    x = torch.randn(4, 1, 48, 48)
    p_hot, p_cold = hot.predict_proba(x), cold.predict_proba(x)
    assert torch.allclose(p_hot.sum(1), torch.ones(4))
    assert (p_cold.max(1).values <= p_hot.max(1).values + 1e-6).all()


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(1)
    model = create_model("tiny", temperature=1.7, preprocess={"margin": 0.2}).eval()
    model.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    loaded = load_model(tmp_path)
    assert loaded.temperature == 1.7 and loaded.preprocess.margin == 0.2 and not loaded.training
    x = torch.randn(3, 1, 48, 48)
    assert torch.equal(model(x), loaded(x))


def test_bad_configs() -> None:
    with pytest.raises(InvalidInputError, match="compact"):
        create_model("huge")
    with pytest.raises(ValueError, match="4 stage widths"):
        EmotionNet(widths=(8, 8, 8))
    with pytest.raises(InvalidInputError, match="3 labels for 7 classes"):  # was a bare ValueError
        EmotionNet(labels=["a", "b", "c"])


def test_a_bad_tta_is_our_error() -> None:
    import numpy as np

    from emotionnet.preprocessing import tta_views

    with pytest.raises(InvalidInputError, match="tta must be"):  # was a bare ValueError
        tta_views(np.zeros((1, 1, 48, 48), np.float32), "mirror")  # type: ignore[arg-type]


def test_unknown_model_names(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="Unknown model"):
        load_model("no_such.model")
    with pytest.raises(ModelNotFoundError):
        load_model(tmp_path / "missing-dir")
    for empty in ("", "local-dir:", "hf-hub:", " "):  # not the current folder
        with pytest.raises(InvalidInputError, match="model is empty"):
            load_model(empty)


def test_create_model_one_namespace() -> None:
    from emotionnet import errors

    assert create_model("emotionnet_slim").input_size == 48
    assert create_model("emotionnet_compact.fer2013").training  # the architecture of a weights name, random
    trained = create_model("emotionnet_compact.fer2013", pretrained=True)
    assert not trained.training and trained.temperature == 1.3
    with pytest.raises(errors.InvalidInputError):
        create_model("resnet50")
    with pytest.raises(errors.InvalidInputError):
        create_model("compact", pretrained=True, dropout=0.1)
