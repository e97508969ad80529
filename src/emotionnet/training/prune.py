"""A narrower EmotionNet cut out of a trained one: a starting point for a student, not a model.

Each conv block is conv -> ReLU -> BatchNorm, so a channel's output spread is its BatchNorm's
``|gamma|``: the block keeps its ``k`` channels of largest ``|gamma|`` (network slimming, Liu et
al. 2017), the next conv keeps the matching inputs, and what a dropped channel fed the next conv
on average (its ``beta``) moves into that conv's bias. The fully connected layers keep the units
whose incoming and outgoing weights are largest (product of their norms). The result is then
fine-tuned, usually distilled from the network it was cut from:

    python -m emotionnet.training.prune --model default --config narrow --out runs/narrow-cut
    emotionnet train --config narrow --init-from local-dir:runs/narrow-cut --teachers default ...
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

import torch
from torch import nn

from .._outputs import atomic_dir
from ..errors import InvalidInputError, report
from ..models.configs import CONFIGS
from ..models.emotionnet import EmotionNet
from ..models.pretrained import load_model


def _blocks(model: EmotionNet) -> list[tuple[nn.Conv2d, nn.BatchNorm2d]]:
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    norms = [m for m in model.features if isinstance(m, nn.BatchNorm2d)]
    return list(zip(convs, norms))


def _top(scores: torch.Tensor, k: int) -> torch.Tensor:
    return scores.topk(k).indices.sort().values


@torch.no_grad()
def prune(model: EmotionNet, widths: tuple[int, ...] | list[int], fc: tuple[int, ...] | list[int]) -> EmotionNet:
    """A new EmotionNet with ``widths`` and ``fc``, its weights cut from ``model``'s.

    Args:
        model: The trained network; it is not changed.
        widths: The four stage widths, each at most ``model``'s.
        fc: The two fully connected widths, each at most ``model``'s.

    Returns:
        The narrower network (eval mode), with ``model``'s temperature, preprocessing and labels.

    Raises:
        InvalidInputError: a width is larger than ``model``'s.
    """
    src = _blocks(model)
    fc_src = [m for m in model.classifier if isinstance(m, nn.Linear)]
    wanted = [w for w in widths for _ in range(2)]
    if any(k > conv.out_channels for k, (conv, _) in zip(wanted, src)) or any(
        k > lin.out_features for k, lin in zip(fc, fc_src)
    ):
        raise InvalidInputError(f"cannot widen: {list(widths)}/{list(fc)} against the source network's widths")
    out = EmotionNet(
        widths=list(widths),
        fc=list(fc),
        input_size=model.input_size,
        in_channels=src[0][0].in_channels,
        num_classes=fc_src[-1].out_features,
        dropout=next(m.p for m in model.classifier if isinstance(m, nn.Dropout)),
        temperature=model.temperature,
        preprocess={k: v for k, v in asdict(model.preprocess).items() if k != "size"},
        labels=list(model.labels),
    )
    keep_in = torch.arange(src[0][0].in_channels)
    shift = torch.zeros(0)  # the mean a dropped input channel fed, per dropped channel
    dropped_in = torch.zeros(0, dtype=torch.long)
    for (conv, norm), (new_conv, new_norm), k in zip(src, _blocks(out), wanted):
        keep = _top(norm.weight.abs(), k)
        weight = conv.weight[keep]
        assert conv.bias is not None and new_conv.bias is not None  # every EmotionNet conv has one
        bias = conv.bias[keep].clone()
        if len(dropped_in):
            bias += (weight[:, dropped_in].sum(dim=(2, 3)) * shift).sum(1)
        new_conv.weight.copy_(weight[:, keep_in])
        new_conv.bias.copy_(bias)
        for name in ("weight", "bias", "running_mean", "running_var"):
            getattr(new_norm, name).copy_(getattr(norm, name)[keep])
        mask = torch.ones(conv.out_channels, dtype=torch.bool)
        mask[keep] = False
        dropped_in, shift, keep_in = mask.nonzero().flatten(), norm.bias[mask], keep
    side = model.input_size // 16
    features = (keep_in[:, None] * side * side + torch.arange(side * side)).flatten()
    dropped = (dropped_in[:, None] * side * side + torch.arange(side * side)).flatten()
    fc_new = [m for m in out.classifier if isinstance(m, nn.Linear)]
    cols = features
    for i, (lin, new) in enumerate(zip(fc_src, fc_new)):
        if i < 2:
            score = lin.weight.norm(dim=1) * fc_src[i + 1].weight.norm(dim=0)
            rows = _top(score, fc[i])
        else:
            rows = torch.arange(lin.out_features)
        new.weight.copy_(lin.weight[rows][:, cols])
        new.bias.copy_(lin.bias[rows])
        if i == 0 and len(dropped):
            new.bias.add_(lin.weight[rows][:, dropped] @ shift.repeat_interleave(side * side))
        cols = rows
    return out.eval()


def main(argv: list[str] | None = None) -> int:
    """Cut a narrower network from the command line (``python -m emotionnet.training.prune --help``).

    Args:
        argv: The arguments; ``None`` reads ``sys.argv``.

    Returns:
        The exit code.
    """
    parser = argparse.ArgumentParser(
        prog="python -m emotionnet.training.prune",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", default="default", help="the trained network, as load_model takes it")
    parser.add_argument("--config", required=True, choices=sorted(CONFIGS), help="the narrower architecture")
    parser.add_argument("--out", required=True, type=Path, help="folder to write (config.json, model.safetensors)")
    args = parser.parse_args(argv)
    config = CONFIGS[args.config]
    pruned = prune(load_model(args.model, device="cpu"), config["widths"], config["fc"])
    with atomic_dir(args.out) as tmp:
        pruned.save_pretrained(tmp)
    n = sum(p.numel() for p in pruned.parameters())
    print(f"{args.config} cut from {args.model}: {n:,} parameters in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(report(main))
