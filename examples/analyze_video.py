"""A video file to a CSV of per-frame emotions, an annotated MP4 and a timeline plot.

Usage: python examples/analyze_video.py [VIDEO] [OUT_DIR]
"""

import sys
from pathlib import Path

from emotionnet import EmotionRecognizer

video = sys.argv[1] if len(sys.argv) > 1 else "examples/videos/WolfgangLanger_Pexels.mp4"
out = Path(sys.argv[2] if len(sys.argv) > 2 else "video_out")
out.mkdir(parents=True, exist_ok=True)

# The rows go to the CSV as they are found; for hours of video add keep_rows=False (no plot then).
recognizer = EmotionRecognizer()
result = recognizer.analyze_video(video, smoothing=0.5, output_video=out / "annotated.mp4", output_csv=out / "rows.csv")
result.plot_timeline(out / "timeline.png")  # needs matplotlib: pip install "emotionnet[plot]"
print(result.summary())
print(f"wrote {out / 'rows.csv'}, {out / 'annotated.mp4'}, {out / 'timeline.png'}")
