"""What each inference subcommand of ``emotionnet`` does (``cli.py`` holds the parser and exit codes)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidInputError, OutputError

if TYPE_CHECKING:
    from ..preprocessing import TTA
    from ..recognizer import EmotionRecognizer
    from ..results import ImagePrediction


def _recognizer(args: argparse.Namespace, tta: TTA = "none") -> EmotionRecognizer:
    """The recognizer the common options (``_common``) describe."""
    from ..recognizer import EmotionRecognizer

    return EmotionRecognizer(
        args.model,
        detector=args.detector,
        min_face_size=args.min_face_size,
        device=args.device,
        runtime=args.runtime,
        precision=args.precision,
        threads=args.threads,
        tta=tta,
    )


def predict(args: argparse.Namespace) -> int:
    """Run ``emotionnet predict``: each image's table, annotated PNG and rows as soon as it is done.

    On Ctrl-C the images finished so far still go to ``--json`` and ``--csv`` (exit code 130).

    Args:
        args: The parsed ``emotionnet predict`` options.

    Returns:
        The exit code (0 on success; see :func:`emotionnet.cli.main`).
    """
    from tqdm.auto import tqdm

    from .._outputs import check_output
    from ..io.image import list_images
    from ._rows import prediction_rows

    args.images = [str(f) for a in args.images for f in (list_images(a) if os.path.isdir(a) else [a])]
    targets = _annotated_targets(args.images, args.save_annotated) if args.save_annotated else {}
    outputs = {"json": args.json, "csv": args.csv}
    files = [f for f in outputs.values() if f not in (None, "-")]
    pictures = {t.resolve() for t in targets.values()}
    for kind, target in outputs.items():
        if target in (None, "-"):
            continue
        check_output(target, inputs=args.images, kind=kind)
        if Path(target).resolve() in pictures:
            raise OutputError(f"{target!r} is also the name of an annotated image; give another file")
    if len({os.path.realpath(f) for f in files}) < len(files) or args.json == args.csv == "-":
        raise InvalidInputError("--json and --csv must name different files (at most one of them -)")
    recognizer = _recognizer(args, tta=args.tta)
    failed, code = 0, 0
    bar = tqdm(args.images, unit="image", disable=None if not args.no_progress else True, leave=False)
    with prediction_rows(args.json or None, args.csv or None, recognizer.labels) as rows:
        try:
            for path in bar:  # one at a time: a bad file is reported and the rest go on
                (result,) = recognizer.predict([path], on_error="return")
                rows.add(result)
                if not result.ok:
                    bar.write(f"error: {path}: {result.error}", file=sys.stderr)
                    failed += 1
                    continue
                if not args.json and args.csv != "-":
                    bar.write(_table(path, result), file=sys.stdout)
                if path in targets:
                    _save_annotated(path, result, targets[path])
        except KeyboardInterrupt:
            bar.close()
            print(f"interrupted: writing the {rows.count} of {len(args.images)} images done", file=sys.stderr)
            code = 130
    return code or int(failed > 0)


def _annotated_targets(images: list[str], folder: str) -> dict[str, Path]:
    """One output PNG per input in ``folder``, checked before any work: names made unique when
    inputs from different folders share a file name, never an input file."""
    from .._outputs import check_output

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
        targets[path] = check_output(out / name, inputs=images, kind="image")
    return targets


def _save_annotated(path: str, result: ImagePrediction, target: Path) -> None:
    import cv2

    from .._outputs import atomic_path
    from ..drawing import annotate

    with atomic_path(target) as tmp:
        if not cv2.imwrite(str(tmp), annotate(path, result)):
            raise OutputError(f"Cannot write {str(target)!r}")
    print(f"saved {target}", file=sys.stderr)


def _table(path: str, result: ImagePrediction) -> str:
    head = f"{path}  {result.width}x{result.height}  "
    if not result.faces:
        return head + "no faces found"
    short = [label[:4] for label in result.faces[0].labels]
    lines = [
        head + f"{len(result)} face{'s' if len(result) > 1 else ''}",
        f"  {'#':>2}  {'box x,y,w,h':<20} {'det':>4}  {'emotion':<9}" + "".join(f"{s:>6}" for s in short),
    ]
    for i, face in enumerate(result, 1):
        box = ",".join(str(round(v)) for v in face.box)
        probs = "".join(f"{p:6.2f}" for p in face.probabilities.values())
        lines.append(f"  {i:>2}  {box:<20} {face.detection_score:4.2f}  {face.label:<9}{probs}")
    return "\n".join(lines)


def video(args: argparse.Namespace) -> int:
    """Run ``emotionnet video``.

    Args:
        args: The parsed ``emotionnet video`` options.

    Returns:
        The exit code (0 on success; see :func:`emotionnet.cli.main`).
    """
    from .._outputs import check_output
    from ..errors import Interrupted
    from ..video.results import import_pyplot

    kinds = {"video": args.output_video, "csv": args.csv, "json": args.json, "plot": args.plot}
    outputs = [o for o in kinds.values() if o]
    for kind, target in kinds.items():  # before the work, not after it
        if target:
            check_output(target, inputs=[args.input], kind=kind)
    if len({os.path.realpath(o) for o in outputs}) < len(outputs):
        raise InvalidInputError("--output-video, --csv, --json and --plot must name different files")
    if args.plot:
        import_pyplot()
    recognizer = _recognizer(args, tta=args.tta)
    code = 0
    try:
        result = recognizer.analyze_video(
            args.input,
            every_n_frames=args.every_n_frames,
            start=args.start,
            end=args.end,
            max_faces=args.max_faces,
            smoothing=args.smoothing,
            output_video=args.output_video,
            output_csv=args.csv,  # streamed: a long video's rows wait in memory only for --json/--plot
            keep_rows=bool(args.json or args.plot),
            progress=False if args.no_progress else None,  # a bar on a terminal, as predict
            detect_every=args.detect_every,
        )
    except Interrupted as exc:  # keep what was finished: the rows so far go to --json/--plot
        print(f"interrupted: {exc}; writing the frames analysed so far", file=sys.stderr)
        result, code = exc.partial, 130  # type: ignore[assignment]
    for target, write in ((args.json, result.to_json), (args.plot, result.plot_timeline)):
        if target:
            write(target)
            print(f"saved {target}", file=sys.stderr)
    for target in (args.csv, args.output_video):
        if target:
            print(f"saved {target}", file=sys.stderr)
    print(result.summary())
    for track, n in sorted(result.track_lengths().items()):
        print(f"  track {track}: {n} frames")
    return code


def live(args: argparse.Namespace) -> int:
    """Run ``emotionnet live``.

    Args:
        args: The parsed ``emotionnet live`` options.

    Returns:
        The exit code (0 on success; see :func:`emotionnet.cli.main`).
    """
    from ..video.live import LiveServer, show_window

    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.allow_remote:
        print("error: --host other than loopback needs --allow-remote (it exposes the camera)", file=sys.stderr)
        return 2
    source: int | str = int(args.source) if args.source.isdigit() else args.source
    recognizer = _recognizer(args, tta=args.tta)
    frames = recognizer.stream(
        source,
        smoothing=args.smoothing,
        max_faces=args.max_faces,
        max_frames=args.max_frames,
        detect_every=args.detect_every,
    )
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


_BENCHMARKS = (("FER2013", "privatetest_acc"), ("FER+", "privatetest_ferplus_acc"))
"""The benchmarks ``emotionnet models`` lists (single crop): each model is judged on both label sets."""


def models(args: argparse.Namespace) -> int:
    """Run ``emotionnet models``.

    Args:
        args: The parsed ``emotionnet models`` options.

    Returns:
        The exit code (0 on success; see :func:`emotionnet.cli.main`).
    """
    from ..models.registry import DEFAULT_MODEL, DETECTORS, get_model_entry, list_models

    print("emotion models:")
    for name in list_models():
        entry = get_model_entry(name)
        m = entry.metrics
        where = "bundled" if entry.weights.bundled else entry.weights.repo_id
        flag = " (default)" if name == DEFAULT_MODEL else ""
        scores = [f"{label} {m[key]:.1%}" for label, key in _BENCHMARKS if key in m]
        figures = f"  PrivateTest: {', '.join(scores)}" if scores else ""
        cpu = f", CPU file {entry.onnx_precision}" if entry.onnx is not None else ""
        print(f"  {name}{flag}  {entry.num_params / 1e6:.1f}M params{figures}  [{where}{cpu}]")
    if not list_models():
        print("  (none registered)")
    print("face detectors:")
    for name, det in sorted(DETECTORS.items()):
        print(f"  {name}  {det.description}")
    print("  haar  OpenCV's frontal-face Haar cascade (ships with OpenCV): no landmarks, score always 1.0")
    return 0


def export_onnx(args: argparse.Namespace) -> int:
    """Run ``emotionnet export-onnx``.

    Args:
        args: The parsed ``emotionnet export-onnx`` options.

    Returns:
        The exit code (0 on success; see :func:`emotionnet.cli.main`).
    """
    from ..models.export import check_onnx_output, export_onnx
    from ..models.pretrained import load_model

    model = load_model(args.model)
    check_onnx_output(args.out, inputs=_model_files(args.model))  # never over the weights it exports
    if args.int8:
        from ..models.export import quantize_int8
        from ..models.hub import sha256_of
        from ..training.data import load_split

        faces = load_split(args.int8, "train", args.cache_dir)
        import torch

        pick = torch.randperm(len(faces), generator=torch.Generator().manual_seed(0))[: args.calibration_size]
        path = quantize_int8(model, args.out, faces.images[pick].numpy())
        print(
            f"wrote {path} (int8, calibrated on {len(pick)} training faces)  {path.stat().st_size} bytes  "
            f"sha256 {sha256_of(path)}"
        )
        return 0
    diff = export_onnx(model, args.out, opset=args.opset, half_storage=args.half_storage)
    from ..models.hub import sha256_of

    size = os.path.getsize(args.out)
    print(f"wrote {args.out} ({size} bytes, sha256 {sha256_of(args.out)}); max abs difference to torch {diff:.2e}")
    return 0


def _model_files(spec: str) -> list[Path]:
    """The local files a model spec was loaded from: a folder's files, or a registered entry's weights
    (safetensors and, where it ships one, ONNX)."""
    from ..models.hub import fetch
    from ..models.pretrained import LOCAL_PREFIX
    from ..models.registry import get_model_entry, list_models

    if spec == "default" or spec in list_models():
        entry = get_model_entry(spec)
        return [fetch(w) for w in entry.files]
    folder = Path(spec.removeprefix(LOCAL_PREFIX))
    return sorted(folder.iterdir()) if folder.is_dir() else []


def download(args: argparse.Namespace) -> int:
    """Run ``emotionnet download``.

    Args:
        args: The parsed ``emotionnet download`` options.

    Returns:
        The exit code (0 on success; see :func:`emotionnet.cli.main`).
    """
    from ..models.hub import fetch
    from ..models.registry import get_model_entry

    for weights in get_model_entry(args.name).files:  # the ONNX file too: the CPU path loads it
        print(fetch(weights, force_download=args.force))
    return 0
