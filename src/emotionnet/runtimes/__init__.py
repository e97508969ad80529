"""The machinery networks run on, shared by the detector and the classifier.

- :mod:`.device`: which device (``"auto"``, CPU, CUDA, MPS) and whether the CPU has fast bf16.
- :mod:`.threads`: how many intra-op threads (``threads=``, ``OMP_NUM_THREADS``, the CPUs).
- :mod:`.ort`: ONNX Runtime CPU sessions with that thread policy.
"""
