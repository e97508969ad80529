"""Use boxes from another face detector (here OpenCV's Haar cascade, as a stand-in for yours).

Usage: python examples/custom_detector.py [IMAGE]
"""

import sys

import cv2

from emotionnet import EmotionRecognizer

image = sys.argv[1] if len(sys.argv) > 1 else "examples/images/astronaut.png"
bgr = cv2.imread(image)
cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
boxes = [tuple(map(float, b)) for b in cascade.detectMultiScale(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), 1.1, 5)]

recognizer = EmotionRecognizer(detector=None)  # no built-in detection: classify the given boxes
result = recognizer.predict(bgr, boxes=boxes)
for face in result.faces:
    print(face.box, face.emotion.value, f"{face.probability:.2f}")
