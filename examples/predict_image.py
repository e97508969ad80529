"""Label every face in one photo and save an annotated copy.

Usage: python examples/predict_image.py [IMAGE] [OUT.png]
"""

import sys

import cv2

from emotionnet import EmotionRecognizer, annotate

image = sys.argv[1] if len(sys.argv) > 1 else "examples/images/astronaut.png"
out = sys.argv[2] if len(sys.argv) > 2 else "annotated.png"

result = EmotionRecognizer().predict(image)
print(result.summary())
for i, face in enumerate(result.faces, 1):
    top3 = sorted(face.probabilities.items(), key=lambda kv: -kv[1])[:3]
    print(f"face {i} at {tuple(round(v) for v in face.box)}: " + ", ".join(f"{k} {p:.0%}" for k, p in top3))
cv2.imwrite(out, annotate(image, result, bars=True))
print(f"saved {out}")
