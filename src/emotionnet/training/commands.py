"""The ``emotionnet train``, ``eval`` and ``export-weights`` subcommands (heavy imports deferred)."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from ..models.configs import CONFIGS


def add_subcommands(sub: Any, formatter_class: type[argparse.HelpFormatter] = argparse.HelpFormatter) -> None:
    """Register the training subcommands on an ``argparse`` subparsers object.

    Args:
        sub: The ``add_subparsers()`` object of the ``emotionnet`` parser.
        formatter_class: The help formatter the other subcommands use.
    """
    p = sub.add_parser(
        "train",
        help="train EmotionNet on FER2013 (checkpoints every epoch)",
        formatter_class=formatter_class,
    )
    add_train_arguments(p)
    p.set_defaults(func=run_train)

    p = sub.add_parser(
        "eval",
        help="evaluate a model on FER2013 and FER+ side by side (single crop, flip, ten-crop, recall, ECE)",
        formatter_class=formatter_class,
    )
    p.add_argument(
        "--model",
        nargs="+",
        default=["default"],
        help="registered name, directory or Hub repo id; several: their ensemble (mean calibrated probability)",
    )
    p.add_argument("--data", required=True, help="FER2013 image-folder root (with ferplus.csv for the FER+ column)")
    p.add_argument("--split", default="test", choices=["test", "val"], help="test = PrivateTest, val = PublicTest")
    p.add_argument("--tta", default="all", choices=["none", "flip", "tencrop", "all"], help="test-time views")
    p.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "fp32", "bf16", "int8"],
        help="auto: fp32 on torch, the shipped ONNX file's on onnxruntime; bf16 = bfloat16 autocast (torch); "
        "int8 = the shipped int8 file, fp32 = a float32 export (onnxruntime)",
    )
    p.add_argument(
        "--runtime",
        default="torch",
        choices=["torch", "onnxruntime"],
        help="onnxruntime: the model's shipped ONNX file (the CPU path), or a float32 export of other weights",
    )
    p.add_argument(
        "--onnx",
        metavar="FILE",
        help="with --runtime onnxruntime: run this .onnx file of --model instead (its own precision)",
    )
    p.add_argument(
        "--fit-temperature",
        nargs="?",
        const="fer2013",
        choices=["fer2013", "ferplus"],
        help="fit the temperature on PublicTest first, against FER2013 labels or the FER+ 7-class labels",
    )
    p.add_argument("--limit", type=int, default=None, help="evaluate the first N faces of a fixed shuffle")
    p.add_argument("--confusion", metavar="PNG", help="save the FER2013 single-crop confusion matrix picture here")
    p.add_argument("--json", metavar="FILE", help="write the metrics here")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--cache-dir", default=None, help="cache decoded images (and teacher outputs) here")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_eval)

    p = sub.add_parser("export-weights", help="write config.json + model.safetensors + model card for the Hub")
    p.add_argument("--checkpoint", required=True, help="a run's best/ directory (or any save_pretrained dir)")
    p.add_argument("--out-dir", "--out", dest="out", required=True, help="the Hub-ready folder to write")
    p.add_argument("--temperature", type=float, default=None, help="calibration temperature to store")
    p.add_argument("--half", action="store_true", help="store fp16 tensors (half the file size)")
    p.add_argument("--metrics", metavar="JSON", help="eval --json output to put in the model card")
    p.set_defaults(func=_export)


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``emotionnet train`` options (shared by the CLI and ``python -m``).

    Args:
        parser: The parser to add them to.
    """
    parser.add_argument("--data", required=True, help="FER2013 image-folder root (train/, test/)")
    parser.add_argument(
        "--run-dir",
        "--out",
        dest="out",
        metavar="RUN_DIR",
        required=True,
        help="run folder for checkpoints and best weights",
    )
    parser.add_argument("--config", default="compact", choices=sorted(CONFIGS), help="network size")
    parser.add_argument("--epochs", type=int, default=40, help="epochs of the one-cycle schedule")
    parser.add_argument("--batch-size", type=int, default=64, help="per process")
    parser.add_argument("--lr", type=float, default=0.1, help="peak one-cycle learning rate")
    parser.add_argument("--weight-decay", type=float, default=5e-4, help="SGD weight decay")
    parser.add_argument("--label-smoothing", type=float, default=0.1, help="label smoothing of the targets (0-1)")
    parser.add_argument(
        "--ema-decay", type=float, default=0.999, help="decay of the weights' moving average (evaluated and kept)"
    )
    parser.add_argument(
        "--class-balance",
        default="none",
        choices=["none", "sqrt", "inverse"],
        help="weight the loss by 1/sqrt(class frequency) or 1/frequency (helps disgust and fear recall)",
    )
    parser.add_argument(
        "--targets",
        default="fer2013",
        choices=["fer2013", "ferplus", "mix"],
        help="FER2013 one-hot labels, FER+ vote distributions (needs ferplus.csv in --data), or a mix of both; "
        "checkpoints are chosen on FER+ PublicTest for ferplus, FER2013 PublicTest otherwise",
    )
    parser.add_argument("--mix-alpha", type=float, default=0.5, help="weight of the FER2013 one-hot label in mix")
    parser.add_argument(
        "--unvoted",
        default="fer2013",
        choices=["fer2013", "drop"],
        help="ferplus/mix: training faces with no FER+ vote for our seven keep their FER2013 label, or are dropped",
    )
    parser.add_argument(
        "--teachers",
        nargs="+",
        default=[],
        metavar="MODEL",
        help="distil from these models' flip-averaged, softened mean (computed once, cached in --cache-dir)",
    )
    parser.add_argument("--distill-weight", type=float, default=0.5, help="weight of the KL term (0-1)")
    parser.add_argument(
        "--recut",
        default=None,
        metavar="DIR",
        help="a re-cut copy of --data (python -m emotionnet.training.reframe): each training face is shown "
        "re-cut with probability --recut-prob; teachers see the original",
    )
    parser.add_argument("--recut-prob", type=float, default=0.5, help="share of faces shown re-cut (0-1)")
    parser.add_argument(
        "--low-res-prob",
        type=float,
        default=0.0,
        help="share of faces shown shrunk to a random side in [--low-res-min, 48) and resized back, "
        "as small faces reach the classifier (0-1); teachers see the original",
    )
    parser.add_argument("--low-res-min", type=int, default=16, metavar="PX", help="smallest side for --low-res-prob")
    parser.add_argument("--distill-temperature", type=float, default=2.0, help="softening temperature tau")
    parser.add_argument("--seed", type=int, default=0, help="seeds initialisation, shuffling and augmentation")
    parser.add_argument(
        "--init-from",
        default=None,
        metavar="MODEL",
        help="start from these weights: an earlier run's best/ directory or a registered name such as default",
    )
    parser.add_argument(
        "--qat",
        action="store_true",
        help="quantisation-aware: train through the int8 rounding of export-onnx --int8 (fine-tune a trained "
        "model with --init-from at a low --lr); PublicTest is scored as the int8 file computes",
    )
    parser.add_argument("--limit", type=int, default=None, help="use only N train/val images (smoke tests)")
    parser.add_argument("--cache-dir", default=None, help="cache decoded images here as .npz")
    parser.add_argument("--resume", action="store_true", help="continue from RUN_DIR/last.ckpt")
    parser.add_argument("--stop-after", type=int, default=None, help="stop after N epochs of this invocation")
    parser.add_argument("--no-progress", action="store_true", help="no per-epoch progress bar")


def run_train(args: argparse.Namespace) -> int:
    """Train from parsed ``emotionnet train`` options (``python -m emotionnet.training`` too).

    Args:
        args: The parsed options.

    Returns:
        The exit code: 0, or 130 after Ctrl-C once an epoch was saved (``--resume`` goes on).
    """
    from .config import TrainConfig
    from .train import train

    cfg = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig) if hasattr(args, f.name)})
    try:
        result = train(cfg, resume=args.resume, progress=not args.no_progress, stop_after=args.stop_after)
    except KeyboardInterrupt:
        if (Path(args.out) / "last.ckpt").exists():
            print(
                f"interrupted: the epochs finished are in {Path(args.out) / 'last.ckpt'} (best weights in best/); "
                "run the same command with --resume to go on",
                file=sys.stderr,
            )
            return 130
        raise
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"best PublicTest accuracy {result['best_val_acc']:.4f}; weights in {Path(args.out) / 'best'}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from .eval_cmd import run

    return run(args)


def _export(args: argparse.Namespace) -> int:
    from .export_cmd import run

    return run(args)
