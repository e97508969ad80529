"""``emotionnet export-weights``: a run's weights as a Hub-ready folder (config, safetensors, card)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def run(args: argparse.Namespace) -> int:
    """Run ``emotionnet export-weights``: a Hub-ready folder with its model card.

    Args:
        args: The parsed ``emotionnet export-weights`` options.

    Returns:
        The exit code (0).

    Raises:
        ModelNotFoundError: ``--checkpoint`` is not a folder.
        InvalidInputError: ``--metrics`` is not a readable JSON object.
        OutputError: ``--out-dir`` is the checkpoint folder itself, or a file.
    """
    import torch

    from .._outputs import atomic_dir
    from ..errors import InvalidInputError, ModelNotFoundError, OutputError
    from ..models.cards import model_card
    from ..models.emotionnet import EmotionNet
    from ..models.hub import sha256_of

    if not Path(args.checkpoint).is_dir():
        raise ModelNotFoundError(f"--checkpoint {args.checkpoint!r} is not a folder (a run's best/, or a saved model)")
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or out.samefile(args.checkpoint)):
        raise OutputError(f"--out-dir {args.out!r} is {'the checkpoint itself' if out.is_dir() else 'a file'}")
    try:
        metrics = json.loads(Path(args.metrics).read_text()) if args.metrics else {}
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"--metrics {args.metrics!r} cannot be read as JSON: {exc}") from exc
    if not isinstance(metrics, dict):
        raise InvalidInputError(f"--metrics {args.metrics!r} holds {type(metrics).__name__}, not a JSON object")
    src = EmotionNet.from_pretrained(args.checkpoint)
    config: dict[str, Any] = dict(src._hub_mixin_config or {})  # type: ignore[arg-type]
    config["preprocess"] = src.preprocess.to_dict()
    config["labels"] = list(src.labels)
    if args.temperature is not None:
        config["temperature"] = args.temperature
    model = EmotionNet(**config)
    model.load_state_dict(src.state_dict())
    if args.half:
        model = model.to(torch.float16)
    with atomic_dir(out) as tmp:
        model.save_pretrained(tmp)
        (tmp / "README.md").write_text(model_card(config, metrics))
    weights = out / "model.safetensors"
    print(f"{weights}  {weights.stat().st_size} bytes  sha256 {sha256_of(weights)}")
    return 0
