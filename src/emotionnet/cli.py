"""``emotionnet`` command line: predict, models, download, train, eval, export-weights."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ._version import __version__
from .errors import EmotionNetError
from .labels import EMOTIONS


def _predict(args: argparse.Namespace) -> int:
    import cv2

    from .annotate import annotate
    from .recognizer import EmotionRecognizer

    recognizer = EmotionRecognizer(
        args.model, detector=None if args.detector == "none" else args.detector, device=args.device, tta=args.tta
    )
    results = []
    for path in args.images:  # one at a time: a bad file is reported and the rest go on
        try:
            results.append((path, recognizer.predict(path)))
        except EmotionNetError as exc:
            print(f"error: {path}: {exc}", file=sys.stderr)
            results.append((path, None))
    if args.save_annotated:
        out = Path(args.save_annotated)
        out.mkdir(parents=True, exist_ok=True)
        for path, result in results:
            if result is not None:
                target = out / f"{Path(path).stem}_annotated.png"
                cv2.imwrite(str(target), annotate(path, result))
                print(f"saved {target}", file=sys.stderr)
    if args.json:
        print(json.dumps([r.to_dict() if r else {"source": p, "error": True} for p, r in results], indent=2))
    else:
        for path, result in results:
            if result is not None:
                print(_table(path, result))
    return 0 if all(r is not None for _, r in results) else 1


def _table(path: str, result: object) -> str:
    from .results import ImagePrediction

    assert isinstance(result, ImagePrediction)
    head = f"{path}  {result.width}x{result.height}  "
    if not result.faces:
        return head + "no faces found"
    short = [e.value[:4] for e in EMOTIONS]
    lines = [
        head + f"{len(result)} face{'s' if len(result) > 1 else ''}",
        f"  {'#':>2}  {'box x,y,w,h':<20} {'det':>4}  {'emotion':<9}" + "".join(f"{s:>6}" for s in short),
    ]
    for i, face in enumerate(result, 1):
        box = ",".join(str(round(v)) for v in face.box)
        probs = "".join(f"{p:6.2f}" for p in face.scores)
        lines.append(f"  {i:>2}  {box:<20} {face.detection_score:4.2f}  {face.emotion.value:<9}{probs}")
    return "\n".join(lines)


def _models(args: argparse.Namespace) -> int:
    from .registry import DEFAULT_MODEL, DETECTORS, get_model_entry, list_models

    print("emotion models:")
    for name in list_models():
        entry = get_model_entry(name)
        acc = entry.metrics.get("privatetest_acc")
        where = "bundled" if entry.weights.bundled else entry.weights.repo_id
        flag = " (default)" if name == DEFAULT_MODEL else ""
        print(
            f"  {name}{flag}  {entry.num_params / 1e6:.1f}M params  PrivateTest {acc:.1%}  [{where}]"
            if acc is not None
            else f"  {name}{flag}  [{where}]"
        )
    if not list_models():
        print("  (none registered)")
    print("face detectors:")
    for name, det in sorted(DETECTORS.items()):
        print(f"  {name}  {det.description}")
    return 0


def _download(args: argparse.Namespace) -> int:
    from .hub import fetch
    from .registry import get_model_entry

    path = fetch(get_model_entry(args.name).weights, force_download=args.force)
    print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``emotionnet`` command."""
    parser = argparse.ArgumentParser(prog="emotionnet", description="Facial emotion recognition.")
    parser.add_argument("--version", action="version", version=f"emotionnet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("predict", help="emotions of every face in images")
    p.add_argument("images", nargs="+", help="image files")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--save-annotated", metavar="DIR", help="write annotated PNGs here")
    p.add_argument("--model", default="default", help="registered name, directory or Hub repo id")
    p.add_argument("--detector", default="yunet", choices=["yunet", "haar"])
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--tta", action="store_true", help="average each face with its mirror image")
    p.set_defaults(func=_predict)

    p = sub.add_parser("models", help="list registered models and detectors")
    p.set_defaults(func=_models)

    p = sub.add_parser("download", help="fetch a registered model's weights into the Hub cache")
    p.add_argument("name")
    p.add_argument("--force", action="store_true", help="download again even if cached")
    p.set_defaults(func=_download)

    from .training import commands  # argparse wiring only; torch-heavy code loads when run

    commands.add_subcommands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``emotionnet`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except EmotionNetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
