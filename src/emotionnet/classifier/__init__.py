"""The classifier stage: normalised faces in, calibrated probabilities out.

- :mod:`.stage`: ``Classifier``, which picks the runtime and the weights' file.
- :mod:`.backends`: ONNX Runtime and OpenCV DNN runners (no torch), the cached ONNX export.
- :mod:`.torch_backend`: the torch runner (GPU, bf16 CPU).
- :mod:`.fused`: a fused oneDNN CPU network for the torch runner.
"""
