"""Memory a video run keeps: analyze_video with keep_rows=True against keep_rows=False (rows streamed to a CSV).

Usage: python benchmarks/video_rows.py [--video examples/videos/WolfgangLanger_Pexels.mp4]

Each mode runs twice, on the first half of the video and on all of it. What a run leaves
allocated (tracemalloc, after the result is built: the result and anything else left behind)
grows by the difference; divided by the extra face detections, that is the memory one row costs,
extrapolated to one hour at 30 frames/s with one face. The baseline, keep_rows=True, is measured
in the same process.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import tracemalloc
from pathlib import Path

from emotionnet import EmotionRecognizer

ROOT = Path(__file__).resolve().parents[1]


def retained(recognizer: EmotionRecognizer, video: str, end: float | None, keep_rows: bool) -> tuple[int, int]:
    """Bytes still allocated after one run (its result alive), and the face detections it found."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    with tempfile.TemporaryDirectory() as tmp:
        result = recognizer.analyze_video(
            video, end=end, keep_rows=keep_rows, output_csv=Path(tmp) / "rows.csv", progress=False
        )
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before, result.face_count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--video", default=str(ROOT / "examples" / "videos" / "WolfgangLanger_Pexels.mp4"))
    args = parser.parse_args()
    recognizer = EmotionRecognizer(device="cpu")
    whole = recognizer.analyze_video(args.video, progress=False)  # warm-up (lazy imports, caches) and length
    half = whole.frames_read / (whole.fps or 30.0) / 2
    per_row = {}
    for keep in (True, False):
        (small, n_small), (large, n_large) = (retained(recognizer, args.video, end, keep) for end in (half, None))
        per_row[keep] = (large - small) / (n_large - n_small)
        name = "keep_rows=True (baseline)" if keep else "keep_rows=False, output_csv"
        print(
            f"{name:28s} kept {small / 1e6:6.3f} MB after {n_small} face detections, {large / 1e6:6.3f} MB after "
            f"{n_large}: {per_row[keep]:6.0f} B per row, {per_row[keep] * 30 * 3600 / 1e6:6.1f} MB per hour "
            "at 30 frames/s with one face"
        )
    print(f"ratio: a row costs keep_rows=False {per_row[False] / per_row[True]:.3f}x what it costs the baseline")


if __name__ == "__main__":
    main()
