"""emotionnet beside other busy processes: how much slower does each backend get on a shared CPU?

Usage: python benchmarks/contention.py [--busy 0 1 2] [--repeats 40] [--out benchmarks/results]

For every configuration and every load (0, 1 and 2 busy processes that this script starts and
stops itself: each spins one core in pure Python, like a browser tab or another program), a fresh
interpreter builds the recognizer, warms it up, then measures:

- ``predict()`` on a 640x480 frame with one face (median ms/frame),
- the classifier alone on batches of 64 crops (faces/s),
- the first 4 s of the Pexels clip through ``analyze_video`` (frames/s).

Ratios compare each load with the same configuration's quiet run in this same invocation; the
targets (docs/performance.md) are predict() beside one busy process <= 1.5x its quiet time and
batches/video keeping >= 50 % of their quiet throughput.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASTRONAUT = ROOT / "examples" / "images" / "astronaut.png"
PEXELS = ROOT / "examples" / "videos" / "WolfgangLanger_Pexels.mp4"

CONFIGS: dict[str, dict[str, object]] = {  # label -> EmotionRecognizer keyword arguments
    "default": {},
    "default, threads=1": {"threads": 1},
    "torch bf16 (0.1.0 default)": {"runtime": "torch", "precision": "bf16"},
    "torch bf16, torch.set_num_threads(1)": {"runtime": "torch", "precision": "bf16", "torch_threads": 1},
}
SPIN = "while True: pass"


def worker(label: str, repeats: int) -> dict[str, float]:
    """Measure one configuration in this process (called in a fresh interpreter)."""
    import cv2
    import numpy as np

    from emotionnet import EmotionRecognizer

    kwargs = dict(CONFIGS[label])
    torch_threads = kwargs.pop("torch_threads", None)
    if torch_threads is not None:
        import torch

        torch.set_num_threads(int(torch_threads))  # type: ignore[call-overload]
    rec = EmotionRecognizer(device="cpu", **kwargs)  # type: ignore[arg-type]
    face = cv2.resize(cv2.imread(str(ASTRONAUT))[30:270, 130:340], (140, 160))
    frame = np.full((480, 640, 3), 100, np.uint8)
    frame[160:320, 250:390] = face
    assert len(rec.predict(frame)) == 1
    crops = np.random.default_rng(0).integers(0, 255, (64, 48, 48), dtype=np.uint8)
    out: dict[str, float] = {}
    for _ in range(5):
        rec.predict(frame)
        rec.predict_proba(crops)
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        rec.predict(frame)
        runs.append(time.perf_counter() - t)
    out["predict_ms"] = statistics.median(runs) * 1e3
    t = time.perf_counter()
    for _ in range(max(repeats // 4, 5)):
        rec.predict_proba(crops)
    out["faces_per_s"] = max(repeats // 4, 5) * len(crops) / (time.perf_counter() - t)
    t = time.perf_counter()
    video = rec.analyze_video(PEXELS, end=4.0, progress=False)
    out["video_fps"] = video.frames_analyzed / (time.perf_counter() - t)
    return out


def measure(label: str, busy: int, repeats: int) -> dict[str, float]:
    """Run :func:`worker` in a fresh interpreter beside ``busy`` spinning processes."""
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(busy)]
    try:
        time.sleep(0.5 if busy else 0.0)  # let the spinners reach full speed
        cmd = [sys.executable, __file__, "--worker", label, "--repeats", str(repeats)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=900)
        return json.loads(done.stdout.splitlines()[-1])
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--busy", type=int, nargs="+", default=[0, 1, 2], help="numbers of busy processes")
    parser.add_argument("--repeats", type=int, default=40, help="timed predict() calls per measurement")
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--worker", choices=list(CONFIGS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.repeats)))
        return
    results = {label: {b: measure(label, b, args.repeats) for b in args.busy} for label in args.configs}
    head = (
        "| configuration | busy | predict ms/frame | x quiet | classifier faces/s | % quiet "
        "| video frames/s | % quiet |"
    )
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for label, by_busy in results.items():
        quiet = by_busy[min(by_busy)]
        for busy, r in by_busy.items():
            lines.append(
                f"| {label} | {busy} | {r['predict_ms']:.1f} | x{r['predict_ms'] / quiet['predict_ms']:.2f} | "
                f"{r['faces_per_s']:,.0f} | {r['faces_per_s'] / quiet['faces_per_s']:.0%} | "
                f"{r['video_fps']:.1f} | {r['video_fps'] / quiet['video_fps']:.0%} |"
            )
    table = "\n".join(lines)
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "contention.md").write_text(table + "\n")
    (out / "contention.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
