"""From a detected face to the model's input, exactly as training saw it.

FER2013 faces are tight, roughly eye-level, 48x48 grayscale crops. :class:`FacePreprocess` cuts a
square around a face box with the margin that matches that framing, optionally levels the eyes
using landmarks, converts to grayscale, resizes and normalises. Training normalises with the very
same :meth:`FacePreprocess.normalize`, so inference and training cannot drift apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .errors import InvalidInputError
from .results import Face

TTA = Literal["none", "flip", "tencrop"]
"""Test-time views of a face: itself, + its mirror, or ten crops (see :func:`tta_views`)."""

if TYPE_CHECKING:
    import torch

MAX_PATCH_SIDE = 1024
"""A face square wider than this is cut at this size, then resized (bounds memory for huge boxes)."""


@dataclass(frozen=True)
class FacePreprocess:
    """How faces are cut and normalised for a given checkpoint.

    Args:
        size: Side of the square model input in pixels.
        mean: Mean subtracted from pixel values scaled to 0..1.
        std: Standard deviation divided out after the mean.
        margin: Extra border around the detector box, as a fraction of the box side.
        align: Rotate the crop so the eyes are level (needs landmarks).
    """

    size: int = 48
    mean: float = 0.5
    std: float = 0.25
    margin: float = 0.0
    align: bool = True

    def crop(self, gray: np.ndarray, face: Face) -> np.ndarray:
        """Cut one face from a grayscale ``(H, W)`` uint8 image into a ``(size, size)`` uint8 crop.

        The square is centred on the box, ``max(w, h) * (1 + margin)`` wide, rotated so the eyes
        are level when ``align`` and landmarks are set; pixels outside the image repeat the edge.

        Args:
            gray: A grayscale ``(H, W)`` uint8 image.
            face: The face (box, and landmarks if any).
        """
        import cv2  # here, not at import: the registry declares FacePreprocess without loading OpenCV

        x, y, w, h = face.box
        cx, cy = x + w / 2, y + h / 2
        side = max(w, h) * (1 + self.margin)
        angle = 0.0
        if self.align and face.landmarks is not None and len(face.landmarks) >= 2:
            (rx, ry), (lx, ly) = face.landmarks[0], face.landmarks[1]
            angle = math.degrees(math.atan2(ly - ry, lx - rx))
            if abs(angle) > 45:  # implausible landmarks: keep the box as is
                angle = 0.0
        native = max(round(side), 1)
        shrink = min(1.0, MAX_PATCH_SIDE / native)  # a huge box is sampled down while cut, never held whole
        native = max(round(native * shrink), 1)
        matrix = cv2.getRotationMatrix2D((cx, cy), angle, shrink)
        matrix[:, 2] += np.array([native / 2 - cx, native / 2 - cy])
        patch = cv2.warpAffine(gray, matrix, (native, native), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        interp = cv2.INTER_AREA if native > self.size else cv2.INTER_LINEAR
        return cv2.resize(patch, (self.size, self.size), interpolation=interp)

    def crops(self, bgr: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
        """All faces of one BGR image as a ``(N, size, size)`` uint8 array.

        Args:
            bgr: A BGR ``(H, W, 3)`` (or grayscale) uint8 image.
            faces: Faces found in it.
        """
        import cv2

        if not faces:
            return np.zeros((0, self.size, self.size), np.uint8)
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        return np.stack([self.crop(gray, face) for face in faces])

    def normalize(self, faces: torch.Tensor) -> torch.Tensor:
        """uint8 faces ``(N, S, S)`` or ``(N, 1, S, S)`` -> float ``(N, 1, S, S)``, normalised.

        Args:
            faces: uint8 faces as a torch tensor.
        """
        if faces.dim() == 3:
            faces = faces.unsqueeze(1)
        return (faces.float() / 255.0 - self.mean) / self.std

    def resize(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised faces ``(N, C, s, s)`` at ``size`` x ``size``, as training resizes them: bilinear
        with antialiasing (FER2013's 48 px faces for the 40 px ``wide`` and ``paper`` networks).

        Args:
            x: Normalised faces as a float torch tensor; returned as they are when ``s == size``.
        """
        if x.shape[-1] == self.size and x.shape[-2] == self.size:
            return x
        from torch.nn.functional import interpolate

        return interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=True)

    def normalize_array(self, faces: np.ndarray) -> np.ndarray:
        """:meth:`normalize` in NumPy: uint8 ``(N, S, S)`` -> float32 ``(N, 1, S, S)``.

        Args:
            faces: uint8 faces as a NumPy array.
        """
        x = faces.astype(np.float32)[:, None] if faces.ndim == 3 else faces.astype(np.float32)
        return (x / np.float32(255.0) - np.float32(self.mean)) / np.float32(self.std)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (stored in the registry and ``config.json``)."""
        return asdict(self)

    def describe(self) -> str:
        """One-line human description, used in the model card."""
        how = "eye-aligned " if self.align else ""
        return (
            f"{how}square crop, box + {self.margin:.0%} margin, grayscale, resized to "
            f"{self.size}x{self.size}, (x/255 - {self.mean}) / {self.std}"
        )


def tta_views(x: np.ndarray, tta: TTA) -> list[np.ndarray]:
    """The test-time views of normalised faces ``(N, C, S, S)`` whose predictions are averaged.

    ``none``: the faces. ``flip``: and their mirrors. ``tencrop``: the four corner and the centre
    crops of the faces padded by 1/16 of their side (edge pixels repeated; shifts of up to 3 px at
    48 px), each ``S x S``, and their mirrors.

    Args:
        x: Normalised faces.
        tta: ``"none"``, ``"flip"`` or ``"tencrop"``.

    Returns:
        C-contiguous arrays shaped like ``x``, one per view.

    Raises:
        InvalidInputError: ``tta`` is not one of the three.
    """
    if tta not in ("none", "flip", "tencrop"):
        raise InvalidInputError(f"tta must be 'none', 'flip' or 'tencrop', got {tta!r}")
    if tta == "none":
        return [x]
    if tta == "flip":
        return [x, np.ascontiguousarray(x[..., ::-1])]
    side = x.shape[-1]
    pad = side // 16
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="edge")
    o = 2 * pad
    corners = ((0, 0), (0, o), (o, 0), (o, o), (pad, pad))
    crops = [np.ascontiguousarray(padded[..., i : i + side, j : j + side]) for i, j in corners]
    return crops + [np.ascontiguousarray(c[..., ::-1]) for c in crops]
