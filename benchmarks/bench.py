"""emotionnet speed and memory on this machine: prints a table and writes JSON + markdown.

Usage: python benchmarks/bench.py [--out benchmarks/results] [--repeats 5] [--model NAME ...]

``--model NAME`` adds that model (a registered name, ``local-dir:`` folder or Hub repo) on its
default runtime as one more backend: its classifier and end-to-end rows beside today's default.

Each backend is measured in a fresh interpreter holding only its own recognizer (as an application
would); each figure is the median of several timed runs after warm-up, and then the median over
``--rounds`` such processes, interleaved across backends (this shared machine has slow spells that
last seconds and would otherwise land on one backend). The baseline is the plain fp32 torch path,
measured in the same run, and the ratios compare every backend against it. "default" is what
``EmotionRecognizer()`` runs here (on CPUs: ONNX Runtime on the model's shipped int8 file);
"onnxruntime fp32" the float32 export of the same weights on the same runtime.
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

from emotionnet import EmotionRecognizer, FaceDetector
from emotionnet.classifier.backends import onnx_export_available

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
        f"r=EmotionRecognizer(device='cpu', runtime={backend!r}); "
        f"[r.predict({str(ASTRONAUT)!r}) for _ in range(20)]; "
        "print(next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM')) / 1024)"
    )
    return float(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()[-1]
    )


BACKENDS = {  # label -> EmotionRecognizer keyword arguments
    "default": {},
    "torch fp32 (baseline)": {"runtime": "torch", "precision": "fp32"},
    "torch bf16": {"runtime": "torch", "precision": "bf16"},
    "onnxruntime fp32": {"runtime": "onnxruntime", "precision": "fp32"},
    "opencv dnn": {"runtime": "opencv"},
}


def measure_backend(label: str, repeats: int) -> dict[str, float]:
    """Seconds per classifier batch and per end-to-end frame for one backend (run in its own process).

    For ``"default"`` also the detector alone on both YuNet runtimes, end to end with
    ``min_face_size=50`` (the `fer` package's default smallest face), and the Pexels video.
    """
    options = {"model": label.removeprefix("model ")} if label.startswith("model ") else BACKENDS[label]
    rec = EmotionRecognizer(device="cpu", **options)  # type: ignore[arg-type]
    out: dict[str, float] = {}
    side = rec.preprocess.size
    crops = np.random.default_rng(0).integers(0, 255, (256, side, side), dtype=np.uint8)
    for batch in (1, 8, 64, 256):
        x = crops[:batch]
        out[f"batch {batch}"] = timed(lambda x=x: rec.predict_proba(x), repeats * (4 if batch < 64 else 1))
    for n in (1, 4):
        frame = frame_with_faces(n)
        assert len(rec.predict(frame)) == n, f"expected {n} faces in the synthetic frame"
        out[f"{n} face(s)"] = timed(lambda frame=frame: rec.predict(frame), repeats * 4)
    if label == "default":
        frame = frame_with_faces(1)
        for runtime in ("onnxruntime", "opencv"):
            det = FaceDetector(runtime=runtime)
            out[f"detector {runtime}"] = timed(lambda det=det: det.detect(frame), repeats * 4)
        del det
        rec50 = EmotionRecognizer(device="cpu", detector=FaceDetector(min_face_size=50))
        for n in (1, 4):
            frame = frame_with_faces(n)
            assert len(rec50.predict(frame)) == n
            out[f"{n} face(s), min face 50"] = timed(lambda frame=frame: rec50.predict(frame), repeats * 4)
        del rec50
        out["video"] = timed(lambda: rec.analyze_video(PEXELS, progress=False), 1, warmup=0)
    return out


def in_fresh_process(label: str, repeats: int) -> dict[str, float]:
    """:func:`measure_backend` in a new interpreter, so no other recognizer shares its threads."""
    cmd = [sys.executable, __file__, "--worker", label, "--repeats", str(repeats)]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per backend, interleaved")
    parser.add_argument("--model", nargs="+", default=[], metavar="NAME", help="more models to measure")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure_backend(args.worker, args.repeats)))
        return
    needs_export = ("onnxruntime fp32", "opencv dnn")
    labels = [b for b in BACKENDS if b not in needs_export or onnx_export_available()]
    labels += [f"model {name}" for name in args.model]
    rounds = [{label: in_fresh_process(label, args.repeats) for label in labels} for _ in range(args.rounds)]
    times = {
        label: {key: statistics.median(r[label][key] for r in rounds) for key in rounds[0][label]} for label in labels
    }
    default = times["default"]

    def spread(label: str, key: str, per_call: int) -> str:
        """Lowest and highest rate over the rounds: this shared machine drifts by up to ~1.5x."""
        rates = sorted(per_call / r[label][key] for r in rounds)
        return f"rounds {rates[0]:,.0f}-{rates[-1]:,.0f}"

    auto = EmotionRecognizer(device="cpu", detector=None)  # what "auto" picks on this machine
    rows: list[tuple[str, float, str, str]] = []  # name, value, unit, note
    rows.append(("default runtime", 0.0, auto.runtime, f"precision={auto.precision}, threads={auto.threads}"))
    base = times["torch fp32 (baseline)"]
    for batch in (1, 8, 64, 256):
        for label in labels:
            t = times[label][f"batch {batch}"]
            ratio = base[f"batch {batch}"] / t
            note = f"{t * 1e3:.2f} ms/batch; x{ratio:.2f} vs torch fp32; {spread(label, f'batch {batch}', batch)}"
            rows.append((f"classifier, batch {batch}, {label}", batch / t, "faces/s", note))
    for n in (1, 4):
        for label in labels:
            t = times[label][f"{n} face(s)"]
            note = f"{t * 1e3:.1f} ms/frame; {spread(label, f'{n} face(s)', 1)}"
            if label.startswith("model "):
                note += f"; x{t / default[f'{n} face(s)']:.2f} the default's time"
            rows.append((f"end to end, 640x480, {n} face(s), {label}", 1 / t, "frames/s", note))
    for n in (1, 4):
        t = default[f"{n} face(s), min face 50"]
        name = f"end to end, 640x480, {n} face(s), default with min_face_size=50"
        rows.append((name, 1 / t, "frames/s", f"{t * 1e3:.1f} ms/frame"))
    base_det = default["detector opencv"]
    for runtime in ("onnxruntime", "opencv"):
        t = default[f"detector {runtime}"]
        note = f"{t * 1e3:.1f} ms/frame; x{base_det / t:.2f} vs opencv"
        rows.append((f"detector only (YuNet), 640x480, runtime={runtime}", 1 / t, "frames/s", note))
    t = default["video"]
    rows.append(("video, Pexels clip 640x360, every frame", 472 / t, "frames/s", f"{t:.1f} s for 472 frames"))
    rows.append(("cold start (import, load, first predict)", cold_start(), "s", "fresh interpreter, median of 3"))
    for name in ("auto", "torch", *(["opencv"] if onnx_export_available() else [])):
        rss = peak_rss_mb(name)
        rows.append((f"peak RSS, 20 image predictions, runtime={name}", rss, "MB", "fresh interpreter"))

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
