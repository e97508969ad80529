"""Distillation: the teachers' softened mean, computed once per image (with flips) and cached.

The student then trains on :mod:`.losses` at the cost of ordinary training: no teacher runs
inside the training loop.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
import torch.nn.functional as F

from ..models.pretrained import load_model
from ..runtimes.device import fast_bf16
from .cache import read_cache, write_cache
from .data import FaceSet
from .evaluate import predict_logits


def teacher_probabilities(
    teachers: list[str], faces: FaceSet, temperature: float, cache_dir: str | Path | None = None
) -> torch.Tensor:
    """Mean over ``teachers`` of ``softmax(flip-averaged logits / temperature)``, shape ``(N, K)``.

    Args:
        teachers: Models as :func:`emotionnet.load_model` takes them (run folders, registered names).
        faces: The training images.
        temperature: Softening temperature tau.
        cache_dir: Where to keep the result (keyed by the teachers' weights, tau and the images).

    Returns:
        float32 probabilities, rows summing to 1.
    """
    models = [load_model(t) for t in teachers]
    key = hashlib.sha256(f"{temperature}\n{len(faces)}\n".encode())
    key.update(faces.images.numpy().tobytes())  # the pixels themselves: a re-cropped copy is other data
    for model in models:
        for name, tensor in model.state_dict().items():
            key.update(name.encode())
            key.update(tensor.float().numpy().tobytes())
    cache = Path(cache_dir).expanduser() / f"teachers-{key.hexdigest()[:16]}.npz" if cache_dir else None
    cached = read_cache(cache, ("probs",))
    if cached is not None and cached["probs"].shape[0] == len(faces):
        return torch.from_numpy(cached["probs"])
    bf16 = fast_bf16(torch.device("cpu"))
    probs = torch.stack(
        [F.softmax(predict_logits(m, faces, tta="flip", bf16=bf16) / temperature, dim=1) for m in models]
    ).mean(0)
    write_cache(cache, probs=probs.numpy())
    return probs
