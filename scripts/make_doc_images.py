"""Regenerate the pictures in README.md and docs/ from the shipped model.

Usage: python scripts/make_doc_images.py   (the live-view screenshot needs headless Chromium)
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import cv2

from emotionnet import EmotionRecognizer, annotate

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
PEXELS = ROOT / "examples" / "videos" / "WolfgangLanger_Pexels.mp4"


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    recognizer = EmotionRecognizer(device="cpu")
    astronaut = ROOT / "examples" / "images" / "astronaut.png"
    cv2.imwrite(str(IMAGES / "astronaut_annotated.png"), annotate(astronaut, recognizer.predict(astronaut), bars=True))
    video = recognizer.analyze_video(PEXELS, smoothing=0.5, progress=False)
    video.plot_timeline(IMAGES / "timeline.png")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium not found: live_view.png not regenerated")
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    live = subprocess.Popen(
        [sys.executable, "-m", "emotionnet", "live", "--source", str(PEXELS), "--port", str(port), "--device", "cpu"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(12)  # let the clip reach its expressive middle part
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=900,640",
                "--virtual-time-budget=3000",
                f"--screenshot={IMAGES / 'live_view.png'}",
                f"http://127.0.0.1:{port}/",
            ],
            capture_output=True,
            timeout=60,
            check=True,
        )
    finally:
        live.terminate()
        live.wait(timeout=20)


if __name__ == "__main__":
    main()
