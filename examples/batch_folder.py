"""Every photo in a folder to one CSV row per face (files that cannot be read are reported, not fatal).

Usage: python examples/batch_folder.py FOLDER [OUT.csv]
"""

import csv
import sys
from pathlib import Path

from emotionnet import EMOTIONS, EmotionRecognizer, list_images

folder = sys.argv[1] if len(sys.argv) > 1 else "examples/images"
out = sys.argv[2] if len(sys.argv) > 2 else "faces.csv"

# One call: faces of many photos share forward passes, a progress bar shows past 256 photos, and
# on_error="return" hands back a bad file as a result with .error set instead of raising.
results = EmotionRecognizer().predict(list_images(folder), on_error="return")
with open(out, "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["file", "face", "x", "y", "w", "h", "emotion", "probability", *(e.value for e in EMOTIONS)])
    for result in results:
        if not result.ok:
            print(f"skipped {result.source}: {result.error}", file=sys.stderr)
        for i, face in enumerate(result.faces):
            name, box = Path(str(result.source)).name, [round(v) for v in face.box]
            probabilities = [round(p, 4) for p in face.probabilities.values()]
            writer.writerow([name, i, *box, face.emotion.value, round(face.probability, 4), *probabilities])
print(f"wrote {out} for {len(results)} images")
