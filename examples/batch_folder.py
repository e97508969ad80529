"""Every photo in a folder to one CSV row per face (files that cannot be read are reported, not fatal).

Usage: python examples/batch_folder.py FOLDER [OUT.csv]
"""

import csv
import sys
from pathlib import Path

from emotionnet import EMOTIONS, EmotionNetError, EmotionRecognizer

folder = Path(sys.argv[1] if len(sys.argv) > 1 else "examples/images")
out = sys.argv[2] if len(sys.argv) > 2 else "faces.csv"
paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".bmp", ".webp"})

recognizer = EmotionRecognizer()
with open(out, "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["file", "face", "x", "y", "w", "h", "emotion", "score", *(e.value for e in EMOTIONS)])
    for start in range(0, len(paths), 16):  # 16 photos per call: their faces share forward passes
        chunk = paths[start : start + 16]
        try:
            results = recognizer.predict([str(p) for p in chunk])
        except EmotionNetError:  # one bad file: fall back to one call per file to keep the rest
            results = []
            for p in chunk:
                try:
                    results.append(recognizer.predict(str(p)))
                except EmotionNetError as exc:
                    print(f"skipped {p}: {exc}", file=sys.stderr)
                    results.append(None)
        for path, result in zip(chunk, results):
            for i, face in enumerate(result.faces if result else ()):
                writer.writerow(
                    [
                        path.name,
                        i,
                        *(round(v) for v in face.box),
                        face.emotion.value,
                        round(face.score, 4),
                        *(round(p, 4) for p in face.scores),
                    ]
                )
print(f"wrote {out} for {len(paths)} images")
