"""The training losses: cross-entropy to (soft) targets, and distillation to the teachers.

The student trains on ``(1 - w) x cross-entropy to its targets + w x tau^2 x KL(teachers || student)``
(Hinton et al. 2015).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def soft_cross_entropy(
    logits: torch.Tensor,
    targets: torch.Tensor,
    smoothing: float,
    class_weights: torch.Tensor | None,
    labels: torch.Tensor,
) -> torch.Tensor:
    """Cross-entropy to target distributions, smoothed, each face weighted by its FER2013 label's class.

    Args:
        logits: The network's logits ``(N, C)``.
        targets: Target distributions ``(N, C)`` (one-hot, FER+ votes or a mix).
        smoothing: Label smoothing: this much of each target is spread evenly over the classes.
        class_weights: One weight per class, or ``None`` for a plain mean.
        labels: The FER2013 labels ``(N,)`` that pick each face's weight.

    Returns:
        The loss, a scalar.
    """
    targets = targets * (1 - smoothing) + smoothing / targets.shape[1]
    loss = -(targets * F.log_softmax(logits.float(), dim=1)).sum(1)
    if class_weights is None:
        return loss.mean()
    w = class_weights[labels.to(class_weights.device)]
    return (loss * w).sum() / w.sum()


def distillation_loss(logits: torch.Tensor, teacher: torch.Tensor, temperature: float) -> torch.Tensor:
    """``tau^2 x KL(teacher || softmax(logits / tau))``, averaged over the batch.

    Args:
        logits: The student's logits ``(N, C)``.
        teacher: The teachers' softened probabilities ``(N, C)``.
        temperature: The softening temperature ``tau``.
    """
    log_student = F.log_softmax(logits.float() / temperature, dim=1)
    return F.kl_div(log_student, teacher, reduction="batchmean") * temperature**2
