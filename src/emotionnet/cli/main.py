"""``emotionnet`` command line: predict, models, download, train, eval, export-weights."""

from __future__ import annotations

import argparse
import os
import sys

from .._version import __version__
from ..errors import report
from . import commands


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="default", help="registered name, directory or Hub repo id")
    p.add_argument("--detector", default="yunet", choices=["yunet", "yunet_n", "haar"], help="face detector model")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument(
        "--min-face-size",
        type=_non_negative_int,
        default=16,
        metavar="PX",
        help="smallest face to find; larger is faster",
    )
    runtimes = ["auto", "torch", "onnxruntime", "opencv"]
    p.add_argument("--runtime", default="auto", choices=runtimes, help="who runs the classifier")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "int8"], help="classifier precision")
    p.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        help="CPU threads (default: OMP_NUM_THREADS, else the CPUs, max 4)",
    )


def _tta(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--tta",
        default="none",
        choices=["none", "flip", "tencrop"],
        help="test-time views: flip (2x the classifier's time), tencrop (10x)",
    )


def _tracking(p: argparse.ArgumentParser) -> None:
    """The per-frame options that ``video`` and ``live`` share (as ``analyze_video`` and ``stream`` do)."""
    p.add_argument("--max-faces", type=_positive_int, default=None, help="keep the N most confident faces per frame")
    p.add_argument(
        "--detect-every", type=_positive_int, default=1, metavar="K", help="detect faces on every K-th analysed frame"
    )
    p.add_argument("--smoothing", type=float, default=0.5, help="per-track EMA factor in [0, 1)")
    _tta(p)


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a TCP port, 0-65535 (0: any free one), got {value}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


class _DefaultsHelp(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default in its help, unless it is ``None`` or ``False`` (nothing to show)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``emotionnet`` command."""
    parser = argparse.ArgumentParser(prog="emotionnet", description="Facial emotion recognition.")
    parser.add_argument("--version", action="version", version=f"emotionnet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    defaults = _DefaultsHelp
    p = sub.add_parser("predict", help="emotions of every face in images", formatter_class=defaults)
    p.add_argument("images", nargs="+", help="image files, folders of images, or http(s) URLs")
    p.add_argument("--json", metavar="FILE", help="write JSON instead of a table to FILE (- for stdout)")
    p.add_argument(
        "--csv", metavar="FILE", help="write a row per face to FILE, or - for stdout (an image without faces: face -1)"
    )
    p.add_argument("--save-annotated", metavar="DIR", help="write annotated PNGs here")
    p.add_argument(
        "--no-progress", action="store_true", help="no progress bar (there is none when stderr is not a terminal)"
    )
    _common(p)
    _tta(p)
    p.set_defaults(func=commands.predict)

    p = sub.add_parser(
        "video", help="analyse a video file: CSV/JSON rows, annotated MP4, timeline plot", formatter_class=defaults
    )
    p.add_argument("input", help="video file")
    p.add_argument(
        "--every-n-frames",
        type=_positive_int,
        default=1,
        metavar="N",
        help="analyse every N-th frame",
    )
    p.add_argument("--start", type=float, default=None, help="start time in seconds")
    p.add_argument("--end", type=float, default=None, help="end time in seconds")
    _tracking(p)
    p.add_argument("--output-video", metavar="VIDEO", help="write an annotated video: .webm plays in browsers, .mp4")
    p.add_argument("--csv", metavar="FILE", help="write one row per face per frame, as found (memory stays bounded)")
    p.add_argument(
        "--json", metavar="FILE", help="write the full result as JSON (every row waits in memory until the end)"
    )
    p.add_argument("--plot", metavar="PNG", help="save the probability timeline (needs matplotlib)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _common(p)
    p.set_defaults(func=commands.video)

    p = sub.add_parser("live", help="live camera (or file/URL) with a browser or window view", formatter_class=defaults)
    p.add_argument("--source", default="0", help="camera index, video file or stream URL")
    p.add_argument("--view", default="browser", choices=["browser", "window", "none"])
    p.add_argument("--host", default="127.0.0.1", help="address to serve the browser view on")
    p.add_argument("--port", type=_port, default=8765, help="TCP port of the browser view (0: any free one)")
    p.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    _tracking(p)
    p.add_argument("--max-frames", type=_positive_int, default=None, help="stop after N frames")
    _common(p)
    p.set_defaults(func=commands.live)

    p = sub.add_parser("models", help="list registered models and detectors")
    p.set_defaults(func=commands.models)

    p = sub.add_parser("download", help="fetch a registered model's weights into the Hub cache")
    p.add_argument("name")
    p.add_argument("--force", action="store_true", help="download again even if cached")
    p.set_defaults(func=commands.download)

    p = sub.add_parser("export-onnx", help="export a model (with its temperature) to ONNX", formatter_class=defaults)
    p.add_argument("--model", default="default", help="registered name, directory or Hub repo id")
    p.add_argument("--out", required=True, help="the .onnx file to write")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument(
        "--int8",
        metavar="FER2013",
        default=None,
        help="write a static int8 model instead, calibrated on training faces from this FER2013 folder",
    )
    p.add_argument("--calibration-size", type=_positive_int, default=1024, help="training faces for --int8")
    p.add_argument("--half-storage", action="store_true", help="store weights as float16, computed in float32")
    p.add_argument("--cache-dir", default=None, help="cache decoded FER2013 images here")
    p.set_defaults(func=commands.export_onnx)

    from ..training import commands as training_commands  # argparse wiring only; torch loads when run

    training_commands.add_subcommands(sub, defaults)
    for command in (parser, *sub.choices.values()):  # `--every` or `--out` must not pass for a longer option
        command.allow_abbrev = False
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``emotionnet`` command; returns the exit code.

    Exit codes: 0 success; 1 the work failed (an input missing or unreadable, a model not found,
    an output not writable; for ``predict``, any of several images); 2 the command line is wrong
    (argparse, or an option value emotionnet refuses); 130 interrupted (Ctrl-C).

    Args:
        argv: The arguments after the program name; ``None`` reads ``sys.argv``.
    """
    args = build_parser().parse_args(argv)
    try:
        return report(lambda: int(args.func(args)))  # an emotionnet error: one line, its exit status
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `emotionnet predict ... --json | head -1`: the reader left
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout at exit
        return 0
