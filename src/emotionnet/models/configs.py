"""Named EmotionNet architectures as plain data (no torch): the model, the registry and training share them."""

from __future__ import annotations

from typing import Any

#: ``paper`` is the published VGG variant (~29.9M params, 40x40 input); ``wide`` has its widths and
#: input with 1024-wide fully connected layers (7.8M params: the FC 4096 layers would put the int8
#: file over 20 MB and cost 2 ms a face at batch 1); ``compact`` is the
#: CPU-sized default shipped in the wheel; ``slim`` has 3/4 of its widths (about 0.56x the
#: multiply-adds), a distillation student; ``narrow`` has half of them and 512-wide fully connected
#: layers (3.4x the faces/s of ``compact`` on ONNX Runtime, ``benchmarks/student_speed.py``), the
#: student sized for fer's per-face speed; ``tiny`` is for tests.
CONFIGS: dict[str, dict[str, Any]] = {
    "paper": {"widths": (64, 128, 256, 512), "fc": (4096, 4096), "input_size": 40, "dropout": 0.2},
    "wide": {"widths": (64, 128, 256, 512), "fc": (1024, 1024), "input_size": 40, "dropout": 0.4},
    "compact": {"widths": (32, 64, 128, 256), "fc": (1024, 1024), "input_size": 48, "dropout": 0.4},
    "slim": {"widths": (24, 48, 96, 192), "fc": (1024, 1024), "input_size": 48, "dropout": 0.4},
    "narrow": {"widths": (16, 32, 64, 128), "fc": (512, 512), "input_size": 48, "dropout": 0.4},
    "tiny": {"widths": (4, 8, 8, 16), "fc": (32, 32), "input_size": 48, "dropout": 0.0},
}
