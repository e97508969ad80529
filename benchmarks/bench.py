"""emotionnet speed and memory on this machine: prints a table and writes JSON + markdown.

Usage: python benchmarks/bench.py [--out benchmarks/results] [--repeats 5]

Each figure is the median of several timed runs after warm-up. Baselines measured in the same run:
the plain fp32 torch path (ratios compare the default path against it).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from emotionnet import EmotionRecognizer
from emotionnet.backends import onnxruntime_available

ROOT = Path(__file__).resolve().parents[1]
ASTRONAUT = ROOT / "examples" / "images" / "astronaut.png"
PEXELS = ROOT / "examples" / "videos" / "WolfgangLanger_Pexels.mp4"


def timed(fn, repeats: int, warmup: int = 2) -> float:  # type: ignore[no-untyped-def]
    """Median wall seconds of ``fn()`` over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def frame_with_faces(n: int) -> np.ndarray:
    """A 640x480 frame with ``n`` copies of the astronaut's face on a plain background."""
    face = cv2.resize(cv2.imread(str(ASTRONAUT))[30:270, 130:340], (140, 160))
    frame = np.full((480, 640, 3), 100, np.uint8)
    spots = [(40, 60), (40, 380), (270, 60), (270, 380)]
    for y, x in spots[:n]:
        frame[y : y + 160, x : x + 140] = face
    return frame


def cold_start() -> float:
    code = (
        "import time; t=time.perf_counter(); from emotionnet import EmotionRecognizer; "
        f"r=EmotionRecognizer(device='cpu'); r.predict({str(ASTRONAUT)!r}); print(time.perf_counter()-t)"
    )
    runs = [
        float(
            subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()[-1]
        )
        for _ in range(3)
    ]
    return statistics.median(runs)


def peak_rss_mb(backend: str = "auto") -> float:
    """Peak RSS (VmHWM) of a fresh interpreter; ru_maxrss would carry this big parent's over fork+exec."""
    code = (
        "from emotionnet import EmotionRecognizer; "
        f"r=EmotionRecognizer(device='cpu', backend={backend!r}); "
        f"[r.predict({str(ASTRONAUT)!r}) for _ in range(20)]; "
        "print(next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM')) / 1024)"
    )
    return float(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()[-1]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rec = EmotionRecognizer(device="cpu")
    rows: list[tuple[str, float, str, str]] = []  # name, value, unit, note
    rows.append(("default backend", 0.0, rec.backend, f"bf16={rec.bf16}; 'auto' picked it"))
    backends = {"torch fp32 (baseline)": EmotionRecognizer(device="cpu", precision="fp32", backend="torch")}
    if rec.bf16:
        backends["torch bf16"] = EmotionRecognizer(device="cpu", precision="bf16", backend="torch")
    if onnxruntime_available():
        backends["onnxruntime"] = EmotionRecognizer(device="cpu", backend="onnxruntime")
    backends["opencv dnn"] = EmotionRecognizer(device="cpu", backend="opencv")
    crops = np.random.default_rng(0).integers(0, 255, (256, 48, 48), dtype=np.uint8)
    for batch in (1, 8, 64, 256):
        x = crops[:batch]
        times = {
            name: timed(lambda r=r, x=x: r.predict_proba(x), args.repeats * (4 if batch < 64 else 1))
            for name, r in backends.items()
        }
        base = times["torch fp32 (baseline)"]
        for name, t in times.items():
            note = f"{t * 1e3:.2f} ms/batch; x{base / t:.2f} vs torch fp32"
            rows.append((f"classifier, batch {batch}, {name}", batch / t, "faces/s", note))
    for n in (1, 4):
        frame = frame_with_faces(n)
        assert len(rec.predict(frame)) == n, f"expected {n} faces in the synthetic frame"
        for name, r in {"default": rec, **backends}.items():
            t = timed(lambda frame=frame, r=r: r.predict(frame), args.repeats * 4)
            rows.append((f"end to end, 640x480, {n} face(s), {name}", 1 / t, "frames/s", f"{t * 1e3:.1f} ms/frame"))
    det = rec.detector
    assert det is not None
    frame = frame_with_faces(1)
    t = timed(lambda: det.detect(frame), args.repeats * 4)
    rows.append(("detector only, 640x480", 1 / t, "frames/s", f"{t * 1e3:.1f} ms/frame"))
    t = timed(lambda: rec.analyze_video(PEXELS, progress=False), 1, warmup=0)
    rows.append(("video, Pexels clip 640x360, every frame", 472 / t, "frames/s", f"{t:.1f} s for 472 frames"))
    rows.append(("cold start (import, load, first predict)", cold_start(), "s", "fresh interpreter, median of 3"))
    for backend in ("auto", *(["onnxruntime"] if onnxruntime_available() else []), "opencv"):
        rss = peak_rss_mb(backend)
        rows.append((f"peak RSS, 20 image predictions, backend={backend}", rss, "MB", "fresh interpreter"))

    cpu = platform.processor() or platform.machine()
    machine = f"{cpu}, {torch.get_num_threads()} torch threads, torch {torch.__version__}"
    lines = [f"Machine: {machine}", "", "| measure | value | unit | note |", "|---|---:|---|---|"]
    lines += [
        f"| {name} | {value:,.1f} | {unit} | {note} |" if value else f"| {name} | | {unit} | {note} |"
        for name, value, unit, note in rows
    ]
    table = "\n".join(lines)
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.md").write_text(table + "\n")
    (out / "bench.json").write_text(
        json.dumps(
            {"machine": machine, "rows": [dict(zip(("measure", "value", "unit", "note"), r)) for r in rows]}, indent=2
        )
    )


if __name__ == "__main__":
    main()
