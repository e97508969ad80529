"""emotionnet against the `fer` package in the same run: accuracy, faces/s, end-to-end ms per frame.

Usage: python benchmarks/compare_fer.py [--data ../shared/data/fer2013] [--frames 40] [--rounds 3] [--model NAME]

`fer` is installed into its own virtual environment (benchmarks/.fer-venv) on first use, with
--no-deps (its facenet-pytorch dependency pins an old CUDA torch) plus tensorflow-cpu and the rest it
imports. Both packages see the same FER2013 PrivateTest crops (each with its own preprocessing) and
the same frames (synthetic 640x480 frames with 1 and 4 faces, and frames of the Pexels clip).
emotionnet runs twice: as `EmotionRecognizer()` (faces from 16 px) and with
`FaceDetector(min_face_size=50)`, the smallest face fer's own detector looks for by default.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench import PEXELS, ROOT, frame_with_faces

from emotionnet import EmotionRecognizer, FaceDetector
from emotionnet.training.data import load_split

VENV = ROOT / "benchmarks" / ".fer-venv"
FER_PACKAGES = [
    "tensorflow-cpu",
    "opencv-contrib-python<5",
    "pandas",
    "requests",
    "matplotlib",
    "tqdm",
    "moviepy<2",
    "ffmpeg-python",
    "Pillow",
]


def ensure_fer_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "fer==25.10.3"], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *FER_PACKAGES], check=True)
    return python


def venv_size_gb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e9


def installed_size_gb(root: str = "emotionnet") -> float:
    """Bytes on disk of ``root`` and its runtime requirements (transitively, no extras)."""
    from importlib import metadata

    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo, total = [root], 0
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        total += sum((f.size or 0) for f in dist.files or [])
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return total / 1e9


def run_fer(python: Path, job: Path) -> dict:  # type: ignore[type-arg]
    done = subprocess.run(
        [str(python), str(ROOT / "benchmarks" / "_fer_worker.py"), str(job)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_ours(recognizers: dict[str, EmotionRecognizer], crops: np.ndarray, frames: dict) -> dict:  # type: ignore[type-arg]
    """Seconds for all crops, and median ms per frame (with faces found) per recognizer and frame set."""
    rec = recognizers["default"]
    side = rec.preprocess.size
    if crops.shape[-1] != side:  # FER2013's 48 px crops for a 40 px network, shrunk as the pipeline shrinks faces
        crops = np.stack([cv2.resize(c, (side, side), interpolation=cv2.INTER_AREA) for c in crops])
    rec.predict_proba(crops[:64])
    t = time.perf_counter()
    pred = rec.predict_proba(crops).argmax(1)
    out: dict = {"pred": pred, "crop_seconds": time.perf_counter() - t, "frames": {}}  # type: ignore[type-arg]
    for name, rec in recognizers.items():
        for key, batch in frames.items():
            rec.predict(batch[0])
            runs, faces = [], 0
            for frame in batch:
                t = time.perf_counter()
                faces += len(rec.predict(frame))
                runs.append(time.perf_counter() - t)
            detect_runs = []
            for frame in batch:
                t = time.perf_counter()
                rec.detector.detect(frame)  # type: ignore[union-attr]
                detect_runs.append(time.perf_counter() - t)
            out["frames"][name, key] = {
                "median_ms": statistics.median(runs) * 1000,
                "detect_ms": statistics.median(detect_runs) * 1000,
                "faces": faces,
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "fer2013"))
    parser.add_argument("--frames", type=int, default=40, help="frames per end-to-end measurement")
    parser.add_argument("--rounds", type=int, default=3, help="fer and emotionnet measured alternately, medians")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--model", default="default", help="the emotionnet model to compare (registered name, ...)")
    args = parser.parse_args()
    python = ensure_fer_venv()
    test = load_split(args.data, "test")
    cap = cv2.VideoCapture(str(PEXELS))
    video = [cap.read()[1] for _ in range(args.frames)]
    frames = {
        "frames1": [frame_with_faces(1)] * args.frames,
        "frames4": [frame_with_faces(4)] * args.frames,
        "video": video,
    }
    recognizers = {
        "default": EmotionRecognizer(args.model, device="cpu"),
        "min face 50": EmotionRecognizer(args.model, device="cpu", detector=FaceDetector(min_face_size=50)),
    }
    crops = test.images.numpy()
    fers, ours = [], []
    with tempfile.TemporaryDirectory() as tmp:
        job = Path(tmp) / "job.npz"
        np.savez(job, crops=crops, **{k: np.stack(v) for k, v in frames.items()})
        for _ in range(args.rounds):  # alternate, so a slow spell of this shared machine hits both
            fers.append(run_fer(python, job))
            ours.append(run_ours(recognizers, crops, frames))

    def median(runs: list, *keys) -> float:  # type: ignore[no-untyped-def, type-arg]
        values = []
        for run in runs:
            for key in keys:
                run = run[key]
            values.append(run)
        return statistics.median(values)

    labels = test.labels.numpy()
    ours_acc = float((ours[0]["pred"] == labels).mean())
    fer_acc = float((np.array(fers[0]["pred"]) == labels).mean())
    ours_crop_s, fer_crop_s = median(ours, "crop_seconds"), median(fers, "crop_seconds")
    rows = [
        ("PrivateTest accuracy (3,589 crops)", f"{ours_acc:.2%}", f"{fer_acc:.2%}", f"{ours_acc / fer_acc:.2f}"),
        (
            "classifier faces/s (all crops)",
            f"{len(crops) / ours_crop_s:,.0f}",
            f"{len(crops) / fer_crop_s:,.0f}",
            f"{fer_crop_s / ours_crop_s:.1f}",
        ),
    ]
    for key, name in (("frames1", "640x480, 1 face"), ("frames4", "640x480, 4 faces"), ("video", "Pexels 640x360")):
        fer_ms = median(fers, "frames", key, "median_ms")
        fer_detect_ms = median(fers, "frames", key, "detect_ms")
        for config in recognizers:
            ours_detect_ms = median(ours, "frames", (config, key), "detect_ms")
            rows.append(
                (
                    f"detector alone ms/frame, {name}, emotionnet {config}",
                    f"{ours_detect_ms:.1f}",
                    f"{fer_detect_ms:.1f}",
                    f"{fer_detect_ms / ours_detect_ms:.1f}",
                )
            )
        fer_faces = fers[0]["frames"][key]["faces"]
        for config in recognizers:
            ours_ms = median(ours, "frames", (config, key), "median_ms")
            faces = ours[0]["frames"][config, key]["faces"]
            rows.append(
                (
                    f"end to end ms/frame, {name}, emotionnet {config} (faces found: ours {faces}, fer {fer_faces})",
                    f"{ours_ms:.1f}",
                    f"{fer_ms:.1f}",
                    f"{fer_ms / ours_ms:.1f}",
                )
            )
    rows.append(
        (
            "install size, GB (emotionnet + runtime deps; fer's whole venv)",
            f"{installed_size_gb():.2f}",
            f"{venv_size_gb(VENV):.2f}",
            f"{venv_size_gb(VENV) / installed_size_gb():.1f}",
        )
    )
    table = ["| measure | emotionnet | fer | ratio (emotionnet better when > 1) |", "|---|---:|---:|---:|"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    rec = recognizers["default"]
    head = (
        f"torch threads {torch.get_num_threads()}; emotionnet model {args.model!r} on {rec.runtime!r}, "
        f"YuNet runtime {rec.detector.runtime!r}; fer 25.10.3 (Haar, min face 50 px, + TFLite mini-Xception); "
        f"median of {args.rounds} alternating rounds"
    )
    text = head + "\n\n" + "\n".join(table)
    print(text)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "compare_fer.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
