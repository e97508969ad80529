"""Models and weights: the network, its configs, the registry of published weights and loading.

- :mod:`.configs`: the architectures (``compact``, ``slim``, ``paper``, ``tiny``) as plain data.
- :mod:`.registry`: declarations of published weights (files, sha256, preprocessing, labels,
  metrics); plain data, importable without torch or OpenCV.
- :mod:`.hub`: files from the wheel or a pinned Hugging Face Hub revision, sha256-checked.
- :mod:`.emotionnet`: the ``EmotionNet`` network (torch).
- :mod:`.pretrained`: ``create_model`` and ``load_model`` (``hf-hub:`` / ``local-dir:`` prefixes).
- :mod:`.export`: ONNX export and int8 quantisation.

This ``__init__`` imports nothing, so the registry stays free of torch.
"""
