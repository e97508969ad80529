"""Image input: paths, encoded bytes and arrays in, validated contiguous BGR uint8 out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from .errors import ImageNotFoundError, ImageReadError, InvalidImageError, InvalidInputError

ImageSource = str | os.PathLike | bytes | bytearray | memoryview | np.ndarray
"""Anything :func:`load_image` accepts."""

MIN_SIDE = 8
"""Images with a side shorter than this are refused: no face fits."""
MAX_PIXELS = 100_000_000
"""Images with more pixels than this (e.g. 10,000 x 10,000) are refused before decoding."""


def load_image(source: ImageSource, *, color: Literal["bgr", "rgb"] = "bgr") -> np.ndarray:
    """Read or validate one image and return it as a contiguous ``(H, W, 3)`` BGR uint8 array.

    Args:
        source: A path (``str``/``PathLike``), encoded image bytes (JPEG, PNG, ...), or a uint8
            array: ``(H, W)`` gray, ``(H, W, 1)``, ``(H, W, 3)`` or ``(H, W, 4)``.
        color: Channel order of a 3/4-channel *array*: ``"bgr"`` (OpenCV's, the default) or
            ``"rgb"`` (PIL, matplotlib, imageio). Ignored for paths and bytes.

    Raises:
        ImageNotFoundError: the path does not exist or is a directory.
        ImageReadError: the file or bytes are empty, not an image, or truncated.
        InvalidImageError: the array has the wrong dtype, shape or size, or holds NaN.

    >>> load_image(np.zeros((64, 64), np.uint8)).shape
    (64, 64, 3)
    """
    if color not in ("bgr", "rgb"):
        raise InvalidInputError(f"color must be 'bgr' or 'rgb', got {color!r}")
    if isinstance(source, np.ndarray):
        return _from_array(source, color)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _decode(bytes(source), "<bytes>")
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise ImageNotFoundError(f"No such image file: {str(path)!r}")
        if not path.is_file():
            raise ImageNotFoundError(f"Not a file: {str(path)!r} (pass an image file, not a directory)")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ImageReadError(f"Cannot read {str(path)!r}: {exc}") from exc
        return _decode(data, str(path))
    raise InvalidInputError(
        f"Expected an image path, encoded bytes or a numpy uint8 array, got {type(source).__name__}"
    )


def _decode(data: bytes, name: str) -> np.ndarray:
    if not data:
        raise ImageReadError(f"{name} is empty (0 bytes)")
    if data[:2] == b"\xff\xd8" and not data.rstrip(b"\x00\r\n").endswith(b"\xff\xd9"):
        raise ImageReadError(f"{name} is a truncated JPEG (no end-of-image marker); re-export or re-download it")
    if data[:8] == b"\x89PNG\r\n\x1a\n" and b"IEND" not in data[-16:]:
        raise ImageReadError(f"{name} is a truncated PNG (no IEND chunk); re-export or re-download it")
    size = _header_size(data)
    if size is not None and size[0] * size[1] > MAX_PIXELS:
        w, h = size
        raise InvalidImageError(
            f"{name} is {w}x{h} = {w * h:,} pixels, over the {MAX_PIXELS:,} limit; downscale it first"
        )
    buffer = np.frombuffer(data, np.uint8)
    image = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ImageReadError(f"{name} is not a readable image (JPEG, PNG, BMP, TIFF, WebP, ... expected)")
    if image.dtype == np.uint16:  # 16-bit PNG/TIFF: keep the most significant byte
        image = (image.astype(np.uint16) >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:  # float TIFF/EXR and the like: let OpenCV convert
        image = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
        if image is None:
            raise ImageReadError(f"{name} has a pixel type emotionnet cannot read")
    return _from_array(image, "bgr")


def _header_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG or JPEG header, without decoding; ``None`` if not found."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker, length = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(data[i + 5 : i + 7], "big")
        i += 2 + length
    return None


def _from_array(array: np.ndarray, color: str) -> np.ndarray:
    if array.dtype != np.uint8:
        hint = " (scale floats to 0-255 and use .astype(np.uint8))" if array.dtype.kind == "f" else ""
        if array.dtype == np.uint16:
            hint = " (convert with (img >> 8).astype(np.uint8))"
        raise InvalidImageError(f"Image array must have dtype uint8, got {array.dtype}{hint}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InvalidImageError(
            f"Image array must be (H, W) gray, (H, W, 3) or (H, W, 4); got shape {tuple(array.shape)}"
        )
    h, w = array.shape[:2]
    if min(h, w) < MIN_SIDE:
        raise InvalidImageError(f"Image is {w}x{h} pixels; each side must be at least {MIN_SIDE}")
    if h * w > MAX_PIXELS:
        raise InvalidImageError(f"Image is {w}x{h} = {h * w:,} pixels, over the {MAX_PIXELS:,} limit; downscale it")
    array = np.ascontiguousarray(array)
    if array.ndim == 2:
        return cv2.cvtColor(array, cv2.COLOR_GRAY2BGR)
    if array.shape[2] == 4:
        return cv2.cvtColor(array, cv2.COLOR_RGBA2BGR if color == "rgb" else cv2.COLOR_BGRA2BGR)
    return cv2.cvtColor(array, cv2.COLOR_RGB2BGR) if color == "rgb" else array
