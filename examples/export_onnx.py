"""Export the default model to ONNX and run it with OpenCV's DNN module (no torch needed at run time).

Usage: python examples/export_onnx.py [OUT.onnx]   (needs: pip install "emotionnet[onnx]")
"""

import sys

import cv2
import numpy as np

from emotionnet import EMOTIONS, EmotionRecognizer
from emotionnet.models.export import export_onnx

out = sys.argv[1] if len(sys.argv) > 1 else "emotionnet.onnx"
recognizer = EmotionRecognizer(device="cpu")
print(f"max abs difference to torch: {export_onnx(recognizer.network, out):.2e}")

# Crop and normalise with emotionnet, classify with OpenCV DNN alone:
image = cv2.imread("examples/images/astronaut.png")
faces = recognizer.detector.detect(image) if recognizer.detector else ()
crops = recognizer.preprocess.crops(image, faces)
x = (crops[:, None].astype(np.float32) / 255 - recognizer.preprocess.mean) / recognizer.preprocess.std
net = cv2.dnn.readNetFromONNX(out)
net.setInput(x)
for probs in net.forward():
    print(EMOTIONS[int(probs.argmax())].value, f"{probs.max():.2f}")
