"""``python -m emotionnet.training`` (and ``torchrun ... -m emotionnet.training``): ``emotionnet train``."""

from __future__ import annotations

import argparse

from ..errors import report
from .commands import add_train_arguments, run_train


def main(argv: list[str] | None = None) -> int:
    """Parse ``emotionnet train`` options and train.

    Args:
        argv: The options; ``None`` reads ``sys.argv``.

    Returns:
        The exit code.
    """
    parser = argparse.ArgumentParser(prog="emotionnet train", description="Train EmotionNet on FER2013.")
    add_train_arguments(parser)
    return run_train(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(report(main))
