"""Soak test: N frames through EmotionRecognizer.stream() from a looping video; RSS every 1,000 frames.

Usage: python benchmarks/soak.py [--frames 10000] [--video examples/videos/WolfgangLanger_Pexels.mp4]

Prints RSS after each 1,000 frames and the growth between the first report (after warm-up) and
the last. The target is growth <= 20 MB.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from emotionnet import EmotionRecognizer

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no /proc/self/status (Linux only)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--video", default=str(ROOT / "examples" / "videos" / "WolfgangLanger_Pexels.mp4"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "soak.json"))
    args = parser.parse_args()
    recognizer = EmotionRecognizer(device="cpu")
    done, loops, reports = 0, 0, []
    start = time.perf_counter()
    while done < args.frames:
        loops += 1  # the source loops: reopen it at its end, as a long camera session would keep going
        for _ in recognizer.stream(args.video, realtime=False, max_frames=args.frames - done):
            done += 1
            if done % 1000 == 0:
                reports.append(
                    {"frames": done, "rss_mb": round(rss_mb(), 1), "seconds": round(time.perf_counter() - start, 1)}
                )
                print(
                    f"{done:6d} frames  RSS {reports[-1]['rss_mb']:7.1f} MB  {reports[-1]['seconds']:7.1f} s",
                    flush=True,
                )
    growth = reports[-1]["rss_mb"] - reports[0]["rss_mb"]
    fps = done / (time.perf_counter() - start)
    print(
        f"RSS growth from {reports[0]['frames']} to {done} frames: {growth:+.1f} MB "
        f"(target <= 20 MB); {fps:.1f} frames/s over {loops} passes of the video"
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"reports": reports, "growth_mb": growth, "fps": fps}, indent=2))


if __name__ == "__main__":
    main()
