"""The settings of one training run (``emotionnet train``'s options), checked on construction."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InvalidInputError
from ..models.configs import CONFIGS


@dataclass
class TrainConfig:
    """Everything that determines a training run (saved beside its checkpoints)."""

    data: str
    out: str
    config: str = "compact"
    epochs: int = 40
    batch_size: int = 64
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    ema_decay: float = 0.999
    class_balance: str = "none"
    seed: int = 0
    init_from: str | None = None
    targets: str = "fer2013"
    mix_alpha: float = 0.5
    unvoted: str = "fer2013"
    teachers: list[str] = field(default_factory=list)
    distill_weight: float = 0.5
    distill_temperature: float = 2.0
    limit: int | None = None
    recut: str | None = None
    recut_prob: float = 0.5
    low_res_prob: float = 0.0
    low_res_min: int = 16
    cache_dir: str | None = None
    qat: bool = False
    preprocess: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        """Refuse values no run can use, before any data is read.

        Raises:
            InvalidInputError: A value out of range, or not one of its choices.
        """
        choices = {
            "config": tuple(CONFIGS),
            "class_balance": ("none", "sqrt", "inverse"),
            "targets": ("fer2013", "ferplus", "mix"),
            "unvoted": ("fer2013", "drop"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise InvalidInputError(f"{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}")
        rules = (  # NaN fails every comparison, so it is refused too
            ("epochs", self.epochs >= 1, ">= 1"),
            ("batch_size", self.batch_size >= 1, ">= 1"),
            ("lr", self.lr > 0, "> 0"),
            ("momentum", 0 < self.momentum < 1, "in (0, 1): Nesterov SGD needs momentum"),
            ("weight_decay", self.weight_decay >= 0, ">= 0"),
            ("label_smoothing", 0 <= self.label_smoothing < 1, "in [0, 1)"),
            ("ema_decay", 0 <= self.ema_decay < 1, "in [0, 1)"),
            ("mix_alpha", 0 <= self.mix_alpha <= 1, "in [0, 1]"),
            ("distill_weight", 0 <= self.distill_weight <= 1, "in [0, 1]"),
            ("distill_temperature", self.distill_temperature > 0, "> 0"),
            ("recut_prob", 0 <= self.recut_prob <= 1, "in [0, 1]"),
            ("low_res_prob", 0 <= self.low_res_prob <= 1, "in [0, 1]"),
            ("low_res_min", self.low_res_min >= 1, ">= 1"),
            ("limit", self.limit is None or self.limit >= 1, "None or >= 1"),
        )
        for name, ok, rule in rules:
            if not ok:
                raise InvalidInputError(f"{name} must be {rule}, got {getattr(self, name)!r}")


_MAY_MOVE = frozenset({"data", "out", "cache_dir"})
"""Settings a resumed run may change: where things are, not what is learnt."""


def check_resume_settings(cfg: TrainConfig, saved: str | Path) -> None:
    """Refuse to resume a run with other settings (a longer schedule would crash at its old end).

    Args:
        cfg: The settings given now.
        saved: The run's ``train_config.json`` (nothing is checked when there is none).

    Raises:
        InvalidInputError: a setting differs from the run's ``train_config.json``.
    """
    if not Path(saved).exists():
        return
    then = json.loads(Path(saved).read_text())
    now = json.loads(json.dumps(asdict(cfg)))  # tuples as JSON lists, as saved
    diff = [f"{k} {then[k]!r} then, {v!r} now" for k, v in now.items() if k not in _MAY_MOVE and then.get(k, v) != v]
    if diff:
        raise InvalidInputError(
            f"--resume goes on with the run's own settings, and these differ: {'; '.join(diff)}. "
            "Give the same ones, or start a new run folder (--init-from its best/ to build on it)"
        )
