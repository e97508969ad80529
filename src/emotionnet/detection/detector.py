"""FaceDetector: YuNet (bundled ONNX, on ONNX Runtime or OpenCV) or OpenCV's Haar cascade."""

from __future__ import annotations

import importlib.util
import threading
from typing import Any, Literal

import cv2
import numpy as np

from .._numbers import as_int
from ..errors import DetectorError, InvalidInputError
from ..io.image import ImageSource, load_image
from ..models.hub import fetch
from ..models.registry import get_detector_entry
from ..results import Face
from ..runtimes.threads import resolve_threads
from .pyramid import merge, plan, run_window
from .yunet import YuNetOnnxRuntime

DetectorName = Literal["yunet", "yunet_n", "haar"]
Runtime = Literal["auto", "onnxruntime", "opencv"]

#: YuNet found all of 50 reference faces once they were 32 px (shorter box side) at its input,
#: 94 % at 24 px and 72 % at 16 px (``python benchmarks/detector_recall.py``).
YUNET_FACE_PX = 32
#: OpenCV's Haar cascade is run with ``minSize=(24, 24)``.
HAAR_FACE_PX = 24
#: The detector never runs on more pixels than this at once (about 3000 x 2000): YuNet needs some
#: 60 bytes per input pixel, so a 9000 x 9000 image at full size would take 4.7 GB.
MAX_DETECT_PIXELS = 6_000_000
#: Side of the tiles in which large images are searched for small faces: 1.6 MP, about 100 MB of
#: YuNet's memory; a 1280x720 frame is one tile (640 px tiles made it six, overlaps included).
TILE_SIDE = 1280
#: Tile side when ``max_side=None`` (the square of MAX_DETECT_PIXELS' size).
LARGE_TILE_SIDE = 2448


class FaceDetector:
    """Find faces (box, 5 landmarks, score) in photos and frames of any size.

    Args:
        model: ``"yunet"`` (default: YuNet's faster ``s`` variant, accurate, 5 landmarks),
            ``"yunet_n"`` (YuNet's larger ``n`` variant) or ``"haar"`` (OpenCV's frontal-face
            cascade: no landmarks, score always 1.0); ``emotionnet models`` lists them.
        score_threshold: Drop YuNet detections below this confidence.
        nms_threshold: IoU above which overlapping YuNet boxes are merged.
        min_face_size: The smallest face to find, in input pixels (shorter box side), whatever
            the image size. Smaller ones are dropped. The detector looks at the image at the
            scale where a face of this size is 32 px (YuNet; 24 px Haar), the size from which it
            finds faces reliably, in tiles of 1280 px when that is larger than ``max_side``
            (:mod:`emotionnet.detection.pyramid`). Never upscaled: on an image where this is
            under 32 px, YuNet runs at full size. A larger value is faster: on a 12 MP photo
            on 2 cores, 16 takes about 1.2 s and 64 about 0.3 s (docs/detectors.md).
            0 makes no promise: one pass at ``max_side``.
        max_side: The longest side of the whole-image pass, which finds the large faces (boxes
            are mapped back to the input's pixels); tiles are this or :data:`TILE_SIDE`, the
            larger. ``None``: the whole image, up to :data:`MAX_DETECT_PIXELS`, which bounds the
            detector's memory.
        runtime: Who runs YuNet: ``"onnxruntime"`` (2-4x faster on CPUs), ``"opencv"``
            (OpenCV DNN) or ``"auto"`` (ONNX Runtime when importable). Both give the same faces.
        threads: ONNX Runtime intra-op threads; ``None`` follows
            :func:`emotionnet.runtimes.threads.resolve_threads`.

    Thread-safe: one detector may serve several threads. Picklable: a copy re-creates its
    ONNX Runtime or OpenCV objects from the same arguments (no native handle is pickled).

    >>> FaceDetector().detect(np.zeros((100, 100, 3), np.uint8))
    ()
    """

    def __init__(
        self,
        model: DetectorName = "yunet",
        *,
        score_threshold: float = 0.6,
        nms_threshold: float = 0.3,
        min_face_size: int = 16,
        max_side: int | None = 640,
        runtime: Runtime = "auto",
        threads: int | None = None,
    ) -> None:
        if model != "haar":
            get_detector_entry(model)  # ModelNotFoundError for an unknown name
        if runtime not in ("auto", "onnxruntime", "opencv"):
            raise InvalidInputError(f"runtime must be 'auto', 'onnxruntime' or 'opencv', got {runtime!r}")
        if not 0.0 <= score_threshold <= 1.0 or not 0.0 <= nms_threshold <= 1.0:
            raise InvalidInputError("score_threshold and nms_threshold must lie in [0, 1]")
        if (min_face := as_int(min_face_size)) is None or min_face < 0:  # NumPy ints too
            raise InvalidInputError(f"min_face_size must be an int >= 0, got {min_face_size!r}")
        if max_side is not None and max_side < 32:
            raise InvalidInputError(f"max_side must be at least 32 or None, got {max_side}")
        self.model = model
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold
        self.min_face_size = min_face
        self.max_side = max_side
        self.runtime = runtime
        self.threads = resolve_threads(threads)
        self._lock = threading.Lock()
        self._yunet: cv2.FaceDetectorYN | None = None
        self._yunet_ort: YuNetOnnxRuntime | None = None
        self._haar: cv2.CascadeClassifier | None = None
        if model != "haar":
            path = fetch(get_detector_entry(model).weights)
            if runtime == "auto":
                self.runtime = "onnxruntime" if importlib.util.find_spec("onnxruntime") else "opencv"
            try:
                if self.runtime == "onnxruntime":
                    self._yunet_ort = YuNetOnnxRuntime(path, score_threshold, nms_threshold, self.threads)
                else:
                    self._yunet = cv2.FaceDetectorYN.create(
                        str(path), "", (320, 320), score_threshold, nms_threshold, 5000
                    )
            except Exception as exc:  # cv2.error or onnxruntime's own errors
                raise DetectorError(f"{self.runtime} could not load YuNet from {path}: {exc}") from exc
        else:
            cascade = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
            self._haar = cv2.CascadeClassifier(cascade)
            if self._haar.empty():
                raise DetectorError(f"OpenCV could not load the Haar cascade {cascade}")

    def __getstate__(self) -> dict[str, object]:
        return {
            "model": self.model,
            "score_threshold": self.score_threshold,
            "nms_threshold": self.nms_threshold,
            "min_face_size": self.min_face_size,
            "max_side": self.max_side,
            "runtime": self.runtime,
            "threads": self.threads,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def __repr__(self) -> str:
        return (
            f"FaceDetector(model={self.model!r}, score_threshold={self.score_threshold}, "
            f"min_face_size={self.min_face_size}, max_side={self.max_side}, runtime={self.runtime!r})"
        )

    def detect(self, image: ImageSource, *, color: Literal["bgr", "rgb"] = "bgr") -> tuple[Face, ...]:
        """Faces in ``image``, highest detection score first.

        Args:
            image: Anything :func:`emotionnet.load_image` takes (an array, a path, bytes, ...).
            color: Channel order of an array ``image``: ``"bgr"`` (OpenCV) or ``"rgb"``.

        Returns:
            The faces (box, landmarks, score) in the image's own pixels; an empty tuple when there
            are none.

        Raises:
            ImageNotFoundError, ImageReadError, InvalidImageError: unusable image.
            DetectorError: the detector failed on it.
        """
        bgr = load_image(image, color=color)
        h, w = bgr.shape[:2]
        detect = self._detect_haar if self._haar is not None else self._detect_yunet
        windows = plan(
            h,
            w,
            min_face=self.min_face_size,
            face_px=HAAR_FACE_PX if self._haar is not None else YUNET_FACE_PX,
            max_side=self.max_side or LARGE_TILE_SIDE,
            tile_side=max(self.max_side, TILE_SIDE) if self.max_side else LARGE_TILE_SIDE,
            max_pixels=MAX_DETECT_PIXELS,
        )
        rows = merge([run_window(bgr, window, detect) for window in windows], self.nms_threshold)
        faces = []
        for row in rows:
            x, y, bw, bh = (float(v) for v in row[:4])
            x0, y0 = max(x, 0.0), max(y, 0.0)
            bw, bh = min(x + bw, w) - x0, min(y + bh, h) - y0
            if min(bw, bh) < max(self.min_face_size, 1):
                continue
            marks = None
            if len(row) >= 15:
                marks = tuple((float(row[4 + 2 * i]), float(row[5 + 2 * i])) for i in range(5))
            faces.append(
                Face(box=(x0, y0, bw, bh), landmarks=marks, detection_score=float(row[-1]) if len(row) >= 15 else 1.0)
            )
        return tuple(sorted(faces, key=lambda f: -f.detection_score))

    def _detect_yunet(self, bgr: np.ndarray) -> np.ndarray:
        if self._yunet_ort is not None:
            try:
                return self._yunet_ort.detect(bgr)
            except Exception as exc:  # onnxruntime raises its own exception types
                raise DetectorError(f"YuNet failed on a {bgr.shape[1]}x{bgr.shape[0]} image: {exc}") from exc
        assert self._yunet is not None
        with self._lock:
            self._yunet.setInputSize((bgr.shape[1], bgr.shape[0]))
            try:
                _, found = self._yunet.detect(bgr)
            except cv2.error as exc:
                raise DetectorError(f"YuNet failed on a {bgr.shape[1]}x{bgr.shape[0]} image: {exc}") from exc
        return np.zeros((0, 15), np.float32) if found is None else found

    def _detect_haar(self, bgr: np.ndarray) -> np.ndarray:
        assert self._haar is not None
        gray = cv2.equalizeHist(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
        with self._lock:
            boxes = self._haar.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24))
        return np.asarray(boxes, np.float32).reshape(-1, 4)
