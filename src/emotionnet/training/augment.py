"""Batched data augmentation in torch: one affine warp, flip and random erasing per batch."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def augment_batch(
    x: torch.Tensor,
    generator: torch.Generator,
    *,
    scale: tuple[float, float] = (0.8, 1.2),
    max_rotation: float = 15.0,
    max_shift: float = 0.12,
    erase_p: float = 0.5,
) -> torch.Tensor:
    """Randomly zoom, rotate, shift, flip and erase a float batch ``(N, 1, H, W)``.

    Zoom/rotation/shift/flip are one ``affine_grid`` + ``grid_sample`` (reflection padding);
    erasing fills a random rectangle (2-20 % of the area) with noise, as in random erasing.
    All randomness comes from ``generator`` (a CPU generator) so runs repeat exactly; the warp runs
    on ``x``'s device.

    Args:
        x: Normalised faces ``(N, 1, H, W)``.
        generator: The CPU generator all randomness comes from.
        scale: Range of zoom factors.
        max_rotation: Largest rotation, in degrees.
        max_shift: Largest shift, as a fraction of the side.
        erase_p: Probability that a face gets an erased rectangle.

    Returns:
        The augmented batch, same shape and device.
    """
    n, _, h, w = x.shape

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return torch.rand(n, generator=generator) * (hi - lo) + lo

    zoom = uniform(*scale)
    angle = uniform(-max_rotation, max_rotation) * (math.pi / 180)
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack(
        [
            torch.stack([cos * flip, -sin, uniform(-max_shift, max_shift) * 2], 1),
            torch.stack([sin * flip, cos, uniform(-max_shift, max_shift) * 2], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta.to(x.device), [n, 1, h, w], align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)

    area = uniform(0.02, 0.2) * h * w
    ratio = torch.exp(uniform(math.log(0.3), math.log(3.3)))
    eh = torch.sqrt(area * ratio).clamp(1, h).long()
    ew = torch.sqrt(area / ratio).clamp(1, w).long()
    top = (torch.rand(n, generator=generator) * (h - eh + 1)).long()
    left = (torch.rand(n, generator=generator) * (w - ew + 1)).long()
    rows = torch.arange(h).view(1, h, 1)
    cols = torch.arange(w).view(1, 1, w)
    box = (
        (rows >= top.view(n, 1, 1))
        & (rows < (top + eh).view(n, 1, 1))
        & (cols >= left.view(n, 1, 1))
        & (cols < (left + ew).view(n, 1, 1))
    )
    box &= (torch.rand(n, generator=generator) < erase_p).view(n, 1, 1)
    noise = torch.randn(out.shape, generator=generator).to(x.device) * out.std() + out.mean()
    return torch.where(box.unsqueeze(1).to(x.device), noise, out)
