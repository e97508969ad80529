"""Live emotions from a webcam (or a video file / stream URL) in the terminal.

Usage: python examples/live_webcam.py [SOURCE] [MAX_FRAMES]
For a browser view use the CLI: emotionnet live --source 0 --view browser
"""

import sys

from emotionnet import EmotionRecognizer

arg = sys.argv[1] if len(sys.argv) > 1 else "0"
source = int(arg) if arg.isdigit() else arg
max_frames = int(sys.argv[2]) if len(sys.argv) > 2 else None

recognizer = EmotionRecognizer()
for frame in recognizer.stream(source, max_frames=max_frames):
    faces = ", ".join(f"#{t} {f.emotion.value} {f.probability:.0%}" for f, t in zip(frame.prediction, frame.track_ids))
    print(f"frame {frame.index:5d}  {frame.fps:5.1f} fps  dropped {frame.dropped:4d}  {faces or 'no faces'}")
