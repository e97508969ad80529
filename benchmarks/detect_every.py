"""Is detecting faces on every k-th frame worth it? Speed and agreement on the Pexels clip.

Usage: python benchmarks/detect_every.py [--k 2 3 5] [--rounds 3]

Each k is timed over the whole clip (472 frames) in the same process as k=1, alternating, median of
``--rounds``; agreement is the share of analysed frames whose face has the same top emotion as with
k=1 (default smoothing). The rule in docs/performance.md: keep ``detect_every`` only if k=3 is at
least 1.5x faster with >= 97 % agreement.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from emotionnet import EmotionRecognizer

PEXELS = Path(__file__).resolve().parents[1] / "examples" / "videos" / "WolfgangLanger_Pexels.mp4"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, nargs="+", default=[2, 3, 5])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rec = EmotionRecognizer()
    rec.analyze_video(PEXELS, end=1.0, progress=False)  # warm-up
    times: dict[int, list[float]] = {k: [] for k in (1, *args.k)}
    results = {}
    for _ in range(args.rounds):
        for k in times:
            t = time.perf_counter()
            results[k] = rec.analyze_video(PEXELS, detect_every=k, progress=False)
            times[k].append(time.perf_counter() - t)
    base = statistics.median(times[1])
    top = {k: {r.frame: r.face.emotion for r in res.rows} for k, res in results.items()}
    print(f"{rec!r}\n")
    print("| detect_every | s for 472 frames | frames/s | speed-up | same emotion as k=1 | faces found |")
    print("|---:|---:|---:|---:|---:|---:|")
    for k, runs in times.items():
        t = statistics.median(runs)
        same = sum(top[k].get(f) == e for f, e in top[1].items()) / max(len(top[1]), 1)
        print(f"| {k} | {t:.2f} | {472 / t:.0f} | x{base / t:.2f} | {same:.1%} | {len(results[k].rows)} |")


if __name__ == "__main__":
    main()
