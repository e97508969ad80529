"""Face detection.

- :mod:`.detector`: ``FaceDetector`` (YuNet on ONNX Runtime or OpenCV, or Haar cascades).
- :mod:`.yunet`: decoding YuNet's raw outputs into boxes and landmarks.
"""
