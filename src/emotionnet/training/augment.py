"""Batched data augmentation in torch: one affine warp, flip and random erasing per batch."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..errors import InvalidInputError


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


def low_resolution(x: torch.Tensor, prob: float, min_side: int, generator: torch.Generator) -> torch.Tensor:
    """Show some faces as a small face would be seen: shrunk to a random side, then resized back.

    A face chosen with probability ``prob`` is averaged down to ``k x k`` pixels (``k`` uniform in
    ``[min_side, H)``) and brought back to ``H x W`` bilinearly, as the pipeline resizes a small crop.

    Args:
        x: Normalised faces ``(N, C, H, W)``.
        prob: The chance that a face is shown at low resolution; 0 returns ``x`` untouched and draws
            nothing from ``generator`` (recipes without it repeat exactly).
        min_side: The smallest side a face is shrunk to, in pixels.
        generator: The CPU generator the choices come from.

    Returns:
        The batch, same shape and device.

    Raises:
        InvalidInputError: ``prob`` is outside [0, 1] or ``min_side`` is not in [1, H).
    """
    n, _, h, w = x.shape
    if not 0.0 <= prob <= 1.0:
        raise InvalidInputError(f"prob must lie in [0, 1], got {prob}")
    if prob == 0.0:
        return x
    if not 1 <= min_side < h:
        raise InvalidInputError(f"min_side must lie in [1, {h}), got {min_side}")
    chosen = torch.rand(n, generator=generator) < prob
    sides = torch.randint(min_side, h, (n,), generator=generator)
    out = x.clone()
    for k in sides[chosen].unique().tolist():
        rows = (chosen & (sides == k)).nonzero().squeeze(1).to(x.device)
        small = F.interpolate(x[rows], size=(k, k), mode="area")
        out[rows] = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    return out


def mix_views(original: torch.Tensor, other: torch.Tensor, prob: float, generator: torch.Generator) -> torch.Tensor:
    """Each row of ``original`` replaced by the same row of ``other`` with probability ``prob``.

    Args:
        original: A batch of faces ``(N, ...)``.
        other: Another view of the same faces, same shape (e.g. re-cut through the detector).
        prob: The chance that a row is taken from ``other``.
        generator: The CPU generator the choice comes from.

    Returns:
        The mixed batch (a new tensor).

    Raises:
        InvalidInputError: ``prob`` is outside [0, 1] or the shapes differ.
    """
    if not 0.0 <= prob <= 1.0:
        raise InvalidInputError(f"prob must lie in [0, 1], got {prob}")
    if original.shape != other.shape:
        raise InvalidInputError(f"views differ in shape: {tuple(original.shape)} and {tuple(other.shape)}")
    use = torch.rand(len(original), generator=generator) < prob
    return torch.where(use.view(-1, *[1] * (original.dim() - 1)), other, original)
