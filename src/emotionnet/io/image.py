"""Image input: paths, encoded bytes and arrays in, validated contiguous BGR uint8 out."""

from __future__ import annotations

import math
import os
import re
import stat
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from ..errors import ImageNotFoundError, ImageReadError, InvalidImageError, InvalidInputError
from ._headers import exif_orientation, heif_image, image_size, truncation, video_container

ImageSource = Any
"""Anything :func:`load_image` accepts: a path or ``http(s)://`` URL, encoded bytes, a NumPy array,
a PIL image or a torch tensor."""

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".ppm", ".pgm", ".jp2")
"""File suffixes :func:`list_images` picks from a folder."""
URL_TIMEOUT = 15.0
"""Seconds an image URL may take to answer, and the longest it may then go silent."""
URL_DEADLINE = 120.0
"""Seconds a whole image download may take, however slowly the server keeps sending."""

MIN_SIDE = 8
"""Images with a side shorter than this are refused: no face fits."""
MAX_PIXELS = 100_000_000
"""Images with more pixels than this (e.g. 10,000 x 10,000) are refused before decoding."""
MAX_FILE_BYTES = 1 << 30
"""Image files larger than this are refused before they are read."""
_OTHER_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")  # s3://, ftp://, gs://: not downloaded


def load_image(source: ImageSource, *, color: Literal["bgr", "rgb"] = "bgr") -> np.ndarray:
    """Read or validate one image and return it as a contiguous ``(H, W, 3)`` BGR uint8 array.

    Args:
        source: A path (``str``/``PathLike``) or an ``http(s)://`` URL, encoded image bytes (JPEG,
            PNG, ...), a uint8 array (``(H, W)`` gray, ``(H, W, 1)``, ``(H, W, 3)`` or ``(H, W, 4)``),
            a PIL image, or a uint8 torch tensor (``(C, H, W)`` as torchvision reads images, or
            ``(H, W, C)``; RGB).
        color: Channel order of a 3/4-channel *array*: ``"bgr"`` (OpenCV's, the default) or
            ``"rgb"`` (matplotlib, imageio). Ignored for paths, URLs and bytes; PIL images and
            tensors are always RGB.

    Returns:
        A C-contiguous ``(H, W, 3)`` BGR uint8 array (a contiguous BGR array input comes back as is).

    Raises:
        ImageNotFoundError: the path does not exist or is a directory.
        ImageReadError: the file or bytes are empty, not an image, or truncated.
        InvalidImageError: the array has the wrong dtype, shape or size, or holds NaN.
        InvalidInputError: a URL other than http(s) (``s3://``, ``ftp://``), or a bad ``color``.

    >>> load_image(np.zeros((64, 64), np.uint8)).shape
    (64, 64, 3)
    """
    if color not in ("bgr", "rgb"):
        raise InvalidInputError(f"color must be 'bgr' or 'rgb', got {color!r}")
    if isinstance(source, np.ndarray):
        return _from_array(source, color)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _decode(bytes(source), "<bytes>")
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        return _decode(_download(source), source)
    if isinstance(source, str) and _OTHER_URL.match(source) and not os.path.exists(source):
        raise InvalidInputError(
            f"Cannot read {source!r}: only http(s) URLs are downloaded; fetch it yourself and pass the bytes"
        )
    foreign = _foreign_array(source)
    if foreign is not None:
        return _from_array(foreign, "rgb")
    if isinstance(source, (str, os.PathLike)):
        if not str(source).strip():
            raise ImageNotFoundError("The image path is empty")
        path = Path(source)
        check_input_file(path, "image")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImageReadError(f"{str(path)!r} is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte image limit")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ImageReadError(f"Cannot read {str(path)!r}: {exc}") from exc
        return _decode(data, str(path))
    raise InvalidInputError(
        "Expected an image path or URL, encoded bytes, a numpy uint8 array, a PIL image or a torch tensor, "
        f"got {type(source).__name__}"
    )


def list_images(folder: str | os.PathLike) -> list[Path]:
    """The image files directly inside ``folder`` (by :data:`IMAGE_SUFFIXES`), sorted by name.

    Args:
        folder: The folder to list (not recursively).

    Returns:
        The paths.

    Raises:
        ImageNotFoundError: ``folder`` holds no image file.
    """
    # Not only readable files: a broken link or a FIFO named like an image is listed, so that reading
    # it fails loudly instead of the folder's result silently missing it.
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and not p.is_dir())
    if not files:
        raise ImageNotFoundError(f"No image files ({', '.join(IMAGE_SUFFIXES)}) in the folder {os.fspath(folder)!r}")
    return files


def _foreign_array(source: object) -> np.ndarray | None:
    """A PIL image or a torch tensor as an RGB ``(H, W[, C])`` array; ``None`` for anything else."""
    module = type(source).__module__
    if module.startswith("PIL."):
        image = source.convert("RGBA" if "A" in source.mode else "RGB")  # type: ignore[attr-defined]
        return np.asarray(image)
    if module.startswith("torch") and hasattr(source, "numpy"):
        array = source.detach().cpu().numpy()  # type: ignore[attr-defined]
        if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[2] not in (1, 3, 4):
            array = np.transpose(array, (1, 2, 0))  # (C, H, W), torchvision's layout
        return np.asarray(array)
    return None


def _download(url: str) -> bytes:
    """The bytes at ``url``, at most :data:`MAX_FILE_BYTES` within :data:`URL_DEADLINE` seconds.

    Raises:
        ImageReadError: The URL cannot be read, claims or sends too many bytes, or is too slow.
    """
    import http.client
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + URL_DEADLINE
    data = bytearray()
    try:
        with urllib.request.urlopen(url, timeout=URL_TIMEOUT) as response:
            header = response.headers.get("Content-Length", "").strip()
            claimed = int(header) if header.isdigit() else None
            if claimed is not None and claimed > MAX_FILE_BYTES:
                raise ImageReadError(f"{url} claims {claimed:,} bytes, over the {MAX_FILE_BYTES:,}-byte image limit")
            while chunk := response.read1(1 << 20):
                data += chunk
                if len(data) > MAX_FILE_BYTES:
                    raise ImageReadError(f"{url} is over the {MAX_FILE_BYTES:,}-byte image limit")
                if time.monotonic() > deadline:
                    raise ImageReadError(f"{url} took over {URL_DEADLINE:g} s to download; stopped")
            if claimed is not None and len(data) < claimed:
                raise ImageReadError(f"{url} ended after {len(data):,} of the {claimed:,} bytes it announced")
    except ImageReadError:
        raise
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        raise ImageReadError(f"Cannot download {url}: {getattr(exc, 'reason', exc)}") from exc
    return bytes(data)


def check_input_file(path: Path, kind: str) -> None:
    """Raise :class:`ImageNotFoundError` saying exactly why ``path`` is not a readable regular file.

    Args:
        path: The path to check.
        kind: What the file should be, for the message (``"image"``, ``"video"``).

    Raises:
        ImageNotFoundError: missing, a broken or looping symlink, a directory, a FIFO, socket or device.
    """
    try:
        st = path.stat()
    except ValueError as exc:  # an embedded NUL byte
        raise ImageNotFoundError(f"{str(path)!r} is not a valid path ({exc})") from None
    except FileNotFoundError:
        why = "a broken symlink: its target does not exist" if path.is_symlink() else "no such file"
        raise ImageNotFoundError(f"No such {kind} file: {str(path)!r} ({why})") from None
    except OSError as exc:  # ELOOP, ENAMETOOLONG, EACCES on a parent, ...
        raise ImageNotFoundError(f"Cannot open {kind} file {str(path)!r}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        article = "an" if kind[0] in "aeiou" else "a"
        raise ImageNotFoundError(f"{str(path)!r} is a directory, not {article} {kind} file")
    if not stat.S_ISREG(st.st_mode):
        what = "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else "a socket or device"
        raise ImageNotFoundError(f"{str(path)!r} is {what}, not a regular {kind} file")


def _decode(data: bytes, name: str) -> np.ndarray:
    if not data:
        raise ImageReadError(f"{name} is empty (0 bytes)")
    cut = truncation(data)
    if cut is not None:
        raise ImageReadError(f"{name} is {cut}; re-export or re-download it")
    size = image_size(data)
    if size is not None and size[0] * size[1] > MAX_PIXELS:
        w, h = size
        raise InvalidImageError(
            f"{name} is {w}x{h} = {w * h:,} pixels, over the {MAX_PIXELS:,} limit; downscale it first"
        )
    buffer = np.frombuffer(data, np.uint8)
    image = _imdecode(buffer, cv2.IMREAD_UNCHANGED)  # pixels as stored: EXIF orientation applied below
    if image is None:
        if (still := heif_image(data)) is not None:
            raise ImageReadError(
                f"{name} is {still}, which this OpenCV build cannot decode; convert it to JPEG or PNG "
                "first (for example with Pillow and the pillow-heif plugin)"
            )
        video = video_container(data)
        if video is not None:
            raise ImageReadError(f"{name} is {video}, not an image; use analyze_video() (CLI: emotionnet video)")
        raise ImageReadError(
            f"{name} is not a readable image (JPEG, PNG, BMP, TIFF, WebP, ... expected, at most {MAX_PIXELS:,} pixels)"
        )
    if image.dtype == np.uint16:  # 16-bit PNG/TIFF: keep the most significant byte
        image = (image >> 8).astype(np.uint8)
    elif image.dtype.kind == "f":  # float TIFF/PFM: 0-1 scaled to 0-255 (0-255 kept), NaN as black
        image = np.nan_to_num(image.astype(np.float32), nan=0.0, posinf=255.0, neginf=0.0)
        scale = 255.0 if image.size and float(image.max()) <= 1.0 else 1.0
        image = np.clip(image * scale + 0.5, 0, 255).astype(np.uint8)
    elif image.dtype != np.uint8:  # signed or 32-bit integer samples: let OpenCV convert
        image = _imdecode(buffer, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
        if image is None:
            raise ImageReadError(f"{name} has a pixel type emotionnet cannot read")
    return _from_array(_orient(image, exif_orientation(data)), "bgr")


def _imdecode(buffer: np.ndarray, flags: int) -> np.ndarray | None:
    """``cv2.imdecode``, with a codec OpenCV was built without (OpenEXR) reading as undecodable."""
    try:
        return cv2.imdecode(buffer, flags)
    except cv2.error:
        return None


def _orient(image: np.ndarray, orientation: int) -> np.ndarray:
    """Turn stored pixels the way the EXIF orientation tag (1-8) says viewers show them."""
    if orientation in (5, 6, 7, 8):
        image = np.swapaxes(image, 0, 1)  # transpose; 6 and 8 then flip one axis to rotate
    flips = {2: (1,), 3: (0, 1), 4: (0,), 6: (1,), 7: (0, 1), 8: (0,)}.get(orientation, ())
    return np.flip(image, flips) if flips else image


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


def check_boxes(boxes: object, width: int, height: int) -> list[tuple[float, float, float, float]]:
    """Validate user boxes for one ``width`` x ``height`` image.

    Args:
        boxes: A sequence of ``(x, y, w, h)`` boxes in pixels.
        width: Image width.
        height: Image height.

    Returns:
        The boxes as float tuples.

    Raises:
        InvalidInputError: not a sequence of boxes, a box that is not 4 finite numbers, has no
            area, or lies entirely outside the image.
    """
    if isinstance(boxes, (str, bytes, np.ndarray)) and not (isinstance(boxes, np.ndarray) and boxes.ndim == 2):
        raise InvalidInputError(f"boxes must be a list of (x, y, w, h) boxes, got {type(boxes).__name__}")
    if not isinstance(boxes, (list, tuple, np.ndarray)):
        raise InvalidInputError(f"boxes must be a list of (x, y, w, h) boxes, got {type(boxes).__name__}")
    if len(boxes) == 4 and all(isinstance(v, (int, float, np.number)) for v in boxes):
        raise InvalidInputError(f"boxes is a list of boxes: pass [{tuple(boxes)}] for one box, not {tuple(boxes)}")
    out = []
    for box in boxes:
        try:
            values = [float(v) for v in box]
        except (TypeError, ValueError):
            raise InvalidInputError(f"A box is (x, y, w, h) with 4 numbers, got {box!r:.80}") from None
        if len(values) != 4 or not all(math.isfinite(v) for v in values):
            raise InvalidInputError(f"A box is (x, y, w, h) with 4 finite numbers, got {box!r:.80}")
        x, y, bw, bh = values
        if bw < 1 or bh < 1:
            raise InvalidInputError(f"Box {box!r} has zero or negative size")
        if x >= width or y >= height or x + bw <= 0 or y + bh <= 0:
            raise InvalidInputError(f"Box {box!r} lies entirely outside the {width}x{height} image")
        out.append((x, y, bw, bh))
    return out
