"""Resolve a device spec once: ``"auto"`` picks CUDA, then MPS, then CPU."""

from __future__ import annotations

import functools
import glob
import os
import sys
from typing import TYPE_CHECKING

from ..errors import InvalidInputError

if TYPE_CHECKING:
    import torch


def cpu_only_machine() -> bool:
    """Whether ``device="auto"`` must mean the CPU, decided without importing torch (1.5 s).

    True when torch is not loaded yet, the OS is not macOS (MPS) and there is no NVIDIA or AMD
    GPU driver node; otherwise torch is asked.
    """
    if "torch" not in sys.modules and sys.platform != "darwin":
        gpu_nodes = glob.glob("/dev/nvidia[0-9]*") or os.path.exists("/dev/kfd")
        if not gpu_nodes and not os.path.exists("/proc/driver/nvidia/version"):
            return True
    return resolve_device("auto").type == "cpu"


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """Turn ``"auto"``, ``"cpu"``, ``"cuda[:N]"``, ``"mps"`` or a ``torch.device`` into a usable device.

    Args:
        device: The spec; ``"auto"`` (or ``None``) picks CUDA, then MPS, then the CPU.

    Returns:
        A ``torch.device`` this machine has.

    Raises:
        InvalidInputError: the spec is malformed or names a device this machine does not have.

    >>> resolve_device("cpu")
    device(type='cpu')
    """
    import torch

    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InvalidInputError(f"device must be 'auto', 'cpu', 'cuda[:N]' or 'mps', got {device!r}") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidInputError(f"device {device!r} requested but CUDA is not available; use device='auto' or 'cpu'")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise InvalidInputError(f"device {device!r}: only {torch.cuda.device_count()} CUDA device(s) present")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise InvalidInputError(f"device {device!r} requested but MPS is not available; use device='auto' or 'cpu'")
    if dev.type not in {"cpu", "cuda", "mps"}:
        raise InvalidInputError(f"unsupported device type {dev.type!r}; use 'cpu', 'cuda' or 'mps'")
    return dev


@functools.lru_cache(maxsize=16)
def fast_bf16(device: torch.device) -> bool:
    """Whether bfloat16 autocast is likely faster than fp32 on ``device`` (asked once per device:
    training asks at every step).

    Args:
        device: The device the model runs on.
    """
    import torch

    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()) and torch.backends.cpu.get_cpu_capability() in (
            "AVX512",
            "AMX",
        )
    return False
