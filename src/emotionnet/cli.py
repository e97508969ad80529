"""``emotionnet`` command line: predict, models, download, train, eval, export-weights."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ._version import __version__
from .errors import EmotionNetError, InvalidImageError, InvalidInputError, OutputError
from .labels import EMOTIONS

if TYPE_CHECKING:
    from .recognizer import EmotionRecognizer


def _recognizer(args: argparse.Namespace, tta: bool = False) -> EmotionRecognizer:
    """The recognizer the common options (``_common``) describe."""
    from .detection import FaceDetector
    from .recognizer import EmotionRecognizer

    if args.detector == "haar":
        detector = FaceDetector("haar", min_face_size=args.min_face_size)
    else:
        detector = FaceDetector("yunet", model=args.detector, min_face_size=args.min_face_size, threads=args.threads)
    return EmotionRecognizer(
        args.model,
        detector=detector,
        device=args.device,
        backend=args.backend,
        precision=args.precision,
        threads=args.threads,
        tta=tta,
    )


def _predict(args: argparse.Namespace) -> int:
    from .io import list_images

    args.images = [str(f) for a in args.images for f in (list_images(a) if os.path.isdir(a) else [a])]
    targets = _annotated_targets(args.images, args.save_annotated) if args.save_annotated else {}
    if args.json not in (None, "-"):
        from ._outputs import check_output

        check_output(args.json, inputs=args.images)
    recognizer = _recognizer(args, tta=args.tta == "flip")
    results = []
    from tqdm.auto import tqdm

    bar = tqdm(args.images, unit="image", disable=None if not args.no_progress else True, leave=False)
    for path in bar:  # one at a time: a bad file is reported and the rest go on
        try:
            results.append((path, recognizer.predict(path)))
        except EmotionNetError as exc:
            bar.write(f"error: {path}: {exc}", file=sys.stderr)
            results.append((path, exc))
    for path, result in results:
        if path in targets and not isinstance(result, Exception):
            _save_annotated(path, result, targets[path])
    if args.json:
        print(
            json.dumps(
                [r.to_dict() if not isinstance(r, Exception) else _error_dict(p, r) for p, r in results], indent=2
            )
        )
    else:
        for path, result in results:
            if not isinstance(result, Exception):
                print(_table(path, result))
    return 0 if not any(isinstance(r, Exception) for _, r in results) else 1


def _error_dict(path: str, exc: Exception) -> dict[str, object]:
    return {"source": path, "faces": [], "error": {"type": type(exc).__name__, "message": str(exc)}}


def _annotated_targets(images: list[str], folder: str) -> dict[str, Path]:
    """One output PNG per input in ``folder``, checked before any work: names made unique when
    inputs from different folders share a file name, never an input file."""
    from ._outputs import check_output

    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise OutputError(f"--save-annotated {folder!r} is a file; give a folder")
    out.mkdir(parents=True, exist_ok=True)
    targets: dict[str, Path] = {}
    taken: set[str] = set()
    for path in dict.fromkeys(images):
        stem, n = Path(path).stem, 1
        name = f"{stem}_annotated.png"
        while name in taken:
            n += 1
            name = f"{stem}_annotated-{n}.png"
        taken.add(name)
        targets[path] = check_output(out / name, inputs=images)
    return targets


def _save_annotated(path: str, result: object, target: Path) -> None:
    import cv2

    from ._outputs import atomic_path
    from .drawing import annotate

    with atomic_path(target) as tmp:
        if not cv2.imwrite(str(tmp), annotate(path, result)):  # type: ignore[arg-type]
            raise OutputError(f"Cannot write {str(target)!r}")
    print(f"saved {target}", file=sys.stderr)


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


def _video(args: argparse.Namespace) -> int:
    from ._outputs import check_output
    from .errors import Interrupted
    from .video_results import import_pyplot

    outputs = [o for o in (args.out, args.csv, args.json, args.plot) if o]
    for target in outputs:  # before the work, not after it
        check_output(target, inputs=[args.input])
    if len({os.path.realpath(o) for o in outputs}) < len(outputs):
        raise InvalidInputError("--out, --csv, --json and --plot must name different files")
    if args.plot:
        import_pyplot()
    recognizer = _recognizer(args)
    code = 0
    try:
        result = recognizer.analyze_video(
            args.input,
            every_n_frames=args.every,
            start=args.start,
            end=args.end,
            max_faces=args.max_faces,
            smoothing=args.smoothing,
            output_video=args.out,
            progress=not args.no_progress,
            detect_every=args.detect_every,
        )
    except Interrupted as exc:  # keep what was finished: the rows so far go to --csv/--json
        print(f"interrupted: {exc}; writing the frames analysed so far", file=sys.stderr)
        result, code = exc.partial, 130  # type: ignore[assignment]
    for target, write in ((args.csv, result.to_csv), (args.json, result.to_json), (args.plot, result.plot_timeline)):
        if target:
            write(target)
            print(f"saved {target}", file=sys.stderr)
    if args.out:
        print(f"saved {args.out}", file=sys.stderr)
    print(result.summary())
    for track, n in sorted(result.track_lengths().items()):
        print(f"  track {track}: {n} frames")
    return code


def _live(args: argparse.Namespace) -> int:
    from .live import LiveServer, show_window

    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.allow_remote:
        print("error: --host other than loopback needs --allow-remote (it exposes the camera)", file=sys.stderr)
        return 2
    source: int | str = int(args.source) if args.source.isdigit() else args.source
    recognizer = _recognizer(args)
    frames = recognizer.stream(source, smoothing=args.smoothing, max_frames=args.max_frames)
    if args.view == "window":
        show_window(frames)
        return 0
    server = LiveServer(args.host, args.port).start() if args.view == "browser" else None
    if server is not None:
        print(f"live view on {server.url}  (Ctrl-C to stop)", flush=True)
    try:
        for frame in frames:
            if server is not None:
                server.publish(frame)
            elif frame.index % 30 == 0:
                print(f"frame {frame.index}: {frame.prediction.summary()} ({frame.fps:.1f} fps)", flush=True)
    finally:
        frames.close()  # closing the generator releases the camera or file
        if server is not None:
            server.close()
    return 0


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
    print("  haar  OpenCV's frontal-face Haar cascade (ships with OpenCV): no landmarks, score always 1.0")
    return 0


def _export_onnx(args: argparse.Namespace) -> int:
    from .export import export_onnx
    from .pretrained import load_model

    model = load_model(args.model)
    if args.int8:
        from .export import quantize_int8
        from .hub import sha256_of
        from .training.data import load_split

        faces = load_split(args.int8, "train", args.cache_dir)
        import torch

        pick = torch.randperm(len(faces), generator=torch.Generator().manual_seed(0))[: args.calibration_size]
        path = quantize_int8(model, args.out, faces.images[pick].numpy())
        print(
            f"wrote {path} (int8, calibrated on {len(pick)} training faces)  {path.stat().st_size} bytes  "
            f"sha256 {sha256_of(path)}"
        )
        return 0
    diff = export_onnx(model, args.out, opset=args.opset)
    print(f"wrote {args.out}; max abs difference to torch {diff:.2e} (checked with OpenCV DNN)")
    return 0


def _download(args: argparse.Namespace) -> int:
    from .hub import fetch
    from .registry import get_model_entry

    path = fetch(get_model_entry(args.name).weights, force_download=args.force)
    print(path)
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="default", help="registered name, directory or Hub repo id")
    p.add_argument("--detector", default="yunet", choices=["yunet", "yunet_n", "haar"])
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument(
        "--min-face-size",
        type=_non_negative_int,
        default=16,
        metavar="PX",
        help="smallest face to find; larger is faster",
    )
    p.add_argument(
        "--backend", default="auto", choices=["auto", "torch", "onnxruntime", "opencv"], help="classifier runtime"
    )
    p.add_argument("--precision", default="auto", choices=["auto", "int8", "fp32", "bf16"], help="classifier precision")
    p.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        help="CPU threads (default: OMP_NUM_THREADS, else the CPUs, max 4)",
    )


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``emotionnet`` command."""
    parser = argparse.ArgumentParser(prog="emotionnet", description="Facial emotion recognition.")
    parser.add_argument("--version", action="version", version=f"emotionnet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    defaults = argparse.ArgumentDefaultsHelpFormatter
    p = sub.add_parser("predict", help="emotions of every face in images", formatter_class=defaults)
    p.add_argument("images", nargs="+", help="image files, folders of images, or http(s) URLs")
    p.add_argument(
        "--json", nargs="?", const="-", metavar="FILE", help="write JSON instead of a table (to FILE, or - for stdout)"
    )
    p.add_argument("--save-annotated", metavar="DIR", help="write annotated PNGs here")
    p.add_argument(
        "--no-progress", action="store_true", help="no progress bar (there is none when stderr is not a terminal)"
    )
    _common(p)
    p.add_argument("--tta", nargs="?", const="flip", default="none", choices=["none", "flip"], help="test-time views")
    p.set_defaults(func=_predict)

    p = sub.add_parser(
        "video", help="analyse a video file: CSV/JSON rows, annotated MP4, timeline plot", formatter_class=defaults
    )
    p.add_argument("input", help="video file")
    p.add_argument(
        "--every-n-frames",
        "--every",
        dest="every",
        type=_positive_int,
        default=1,
        metavar="N",
        help="analyse every N-th frame",
    )
    p.add_argument("--start", type=float, default=None, help="start time in seconds")
    p.add_argument("--end", type=float, default=None, help="end time in seconds")
    p.add_argument("--max-faces", type=_positive_int, default=None, help="keep the N most confident faces per frame")
    p.add_argument(
        "--detect-every", type=_positive_int, default=1, metavar="K", help="detect faces on every K-th analysed frame"
    )
    p.add_argument("--smoothing", type=float, default=0.5, help="per-track EMA factor in [0, 1)")
    p.add_argument(
        "--out-video",
        "--out",
        dest="out",
        metavar="VIDEO",
        help="write an annotated video: .webm plays in browsers, .mp4",
    )
    p.add_argument("--csv", metavar="FILE", help="write one row per face per frame")
    p.add_argument("--json", metavar="FILE", help="write the full result as JSON")
    p.add_argument("--plot", metavar="PNG", help="save the probability timeline (needs matplotlib)")
    p.add_argument("--no-progress", action="store_true")
    _common(p)
    p.set_defaults(func=_video)

    p = sub.add_parser("live", help="live camera (or file/URL) with a browser or window view", formatter_class=defaults)
    p.add_argument("--source", default="0", help="camera index, video file or stream URL")
    p.add_argument("--view", default="browser", choices=["browser", "window", "none"])
    p.add_argument("--host", default="127.0.0.1", help="address to serve the browser view on")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    p.add_argument("--smoothing", type=float, default=0.5, help="per-track EMA factor in [0, 1)")
    p.add_argument("--max-frames", type=_positive_int, default=None, help="stop after N frames")
    _common(p)
    p.set_defaults(func=_live)

    p = sub.add_parser("models", help="list registered models and detectors")
    p.set_defaults(func=_models)

    p = sub.add_parser("download", help="fetch a registered model's weights into the Hub cache")
    p.add_argument("name")
    p.add_argument("--force", action="store_true", help="download again even if cached")
    p.set_defaults(func=_download)

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
    p.add_argument("--cache-dir", default=None, help="cache decoded FER2013 images here")
    p.set_defaults(func=_export_onnx)

    from .training import commands  # argparse wiring only; torch-heavy code loads when run

    commands.add_subcommands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``emotionnet`` command; returns the exit code.

    Exit codes: 0 success; 1 the work failed (an input missing or unreadable, a model not found,
    an output not writable; for ``predict``, any of several images); 2 the command line is wrong
    (argparse, or an option value emotionnet refuses); 130 interrupted (Ctrl-C).
    """
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except EmotionNetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, InvalidInputError) and not isinstance(exc, InvalidImageError) else 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `emotionnet predict ... --json | head -1`: the reader left
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout at exit
        return 0
