"""Where the detector looks: the scales and tiles that keep ``min_face_size`` a promise.

A detector finds faces reliably from a fixed size at its input (``face_px``: 32 px for YuNet).
One whole-image pass shrunk to ``max_side`` finds the large faces; on a 12 MP phone photo it
would miss every face under about 200 px. So finer levels follow, each twice the scale of the one
before, up to the scale where ``min_face_size`` becomes ``face_px``, and each is cut into tiles
of at most ``tile_side`` pixels a side. Tiles overlap by twice ``face_px``: a face found at level
``k`` smaller than that lies whole inside some tile, and a larger one is at least ``face_px`` at
level ``k - 1``, so a tile keeps only faces under three times ``face_px`` (a tile inside a large
face sees parts of it), and a face inside a larger one is dropped when the results merge. Memory
stays that of one tile; time grows with the photo's pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Window:
    """One detector call: a region of the image (input pixels) and the scale it is run at."""

    x0: int
    y0: int
    x1: int
    y1: int
    scale: float
    tiled: bool
    max_face: float = math.inf


def plan(
    height: int, width: int, *, min_face: int, face_px: int, max_side: int, tile_side: int, max_pixels: int
) -> list[Window]:
    """The detector calls that find every face of at least ``min_face`` pixels in an image.

    Args:
        height: Image height in pixels.
        width: Image width in pixels.
        min_face: The smallest face to find (shorter box side, input pixels); 0 for no promise.
        face_px: The face size from which the detector finds faces reliably at its input.
        max_side: Longest side of the whole-image pass, in detector pixels.
        tile_side: Longest side of a tile of the finer levels, in detector pixels.
        max_pixels: The whole-image pass never runs on more pixels than this.

    Returns:
        The windows, the whole-image pass first. Images are never upscaled.
    """
    coarse = min(1.0, max_side / max(height, width), math.sqrt(max_pixels / (height * width)))
    fine = min(1.0, face_px / min_face) if min_face > 0 else coarse
    if fine <= coarse:  # one pass, shrunk further when only large faces are wanted
        return [Window(0, 0, width, height, fine, False)]
    windows = [Window(0, 0, width, height, coarse, False)]
    scale = coarse
    while scale < fine:
        scale = min(fine, scale * 2)
        windows += _tiles(height, width, scale, tile_side, overlap=2 * face_px, max_face=3 * face_px)
    return windows


def _tiles(height: int, width: int, scale: float, side: int, overlap: int, max_face: float) -> list[Window]:
    """Overlapping tiles covering the image, ``side`` detector pixels a side at ``scale``."""
    size = max(1, int(side / scale))  # in input pixels
    step = max(1, int((side - overlap) / scale))
    out = []
    for y in _starts(height, size, step):
        for x in _starts(width, size, step):
            out.append(Window(x, y, min(width, x + size), min(height, y + size), scale, True, max_face))
    return out


def _starts(length: int, size: int, step: int) -> list[int]:
    """Tile origins along one axis; the last tile ends at the edge."""
    if length <= size:
        return [0]
    return [*range(0, length - size, step), length - size]


def run_window(bgr: np.ndarray, window: Window, detect: object) -> np.ndarray:
    """Detector rows for one window, in the whole image's pixels.

    Args:
        bgr: The whole BGR image.
        window: Which region, at which scale.
        detect: A callable taking a BGR image and returning ``(N, 4)`` or ``(N, 15)`` rows
            (box, then landmarks and score) in that image's pixels.

    Returns:
        The rows mapped back to ``bgr``'s pixels. On a tile, faces touching a cut edge are left
        out: a neighbouring tile or a coarser level holds them whole.
    """
    crop = bgr[window.y0 : window.y1, window.x0 : window.x1]
    h, w = crop.shape[:2]
    if window.scale < 1.0:
        size = (max(1, round(w * window.scale)), max(1, round(h * window.scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    rows = np.array(detect(crop), np.float32, copy=True)  # type: ignore[operator]
    if window.tiled and len(rows):
        ch, cw = crop.shape[:2]
        x, y, bw, bh = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
        cut = (
            ((x <= 1) & (window.x0 > 0))
            | ((y <= 1) & (window.y0 > 0))
            | ((x + bw >= cw - 1) & (window.x1 < bgr.shape[1]))
            | ((y + bh >= ch - 1) & (window.y1 < bgr.shape[0]))
        )
        rows = rows[~cut & (np.minimum(bw, bh) < window.max_face)]
    sx, sy = w / crop.shape[1], h / crop.shape[0]
    rows[:, 0:4] *= (sx, sy, sx, sy)
    rows[:, 0] += window.x0
    rows[:, 1] += window.y0
    if rows.shape[1] >= 15:
        rows[:, 4:14:2] = rows[:, 4:14:2] * sx + window.x0
        rows[:, 5:14:2] = rows[:, 5:14:2] * sy + window.y0
    return rows


def merge(rows: list[np.ndarray], nms_threshold: float) -> np.ndarray:
    """One row per face from the rows of several windows (the highest score wins an overlap).

    Args:
        rows: Each window's rows in the whole image's pixels, all of one width (4 or 15).
        nms_threshold: IoU above which two boxes are the same face.

    Returns:
        The kept rows; a box lying mostly (over 60 %) inside a larger kept box is dropped too.
    """
    found = np.concatenate(rows) if rows else np.zeros((0, 4), np.float32)
    if len(rows) <= 1 or len(found) <= 1:
        return found
    scores = found[:, 14] if found.shape[1] >= 15 else found[:, 2] * found[:, 3]  # Haar: larger wins
    boxes = [[int(v) for v in row[:4]] for row in found]
    keep = cv2.dnn.NMSBoxes(boxes, scores.tolist(), 0.0, nms_threshold)
    found = found[np.asarray(keep, np.int64).reshape(-1)]
    x0, y0, x1, y1 = found[:, 0], found[:, 1], found[:, 0] + found[:, 2], found[:, 1] + found[:, 3]
    area = found[:, 2] * found[:, 3]
    inter = np.clip(np.minimum(x1[:, None], x1) - np.maximum(x0[:, None], x0), 0, None) * np.clip(
        np.minimum(y1[:, None], y1) - np.maximum(y0[:, None], y0), 0, None
    )  # inter[i, j]: the overlap of boxes i and j
    inside = (inter > 0.6 * area[:, None]) & (area[None, :] > area[:, None])
    return found[~inside.any(axis=1)]
