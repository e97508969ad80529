"""EmotionRecognizer: detection -> face preprocessing -> classifier -> typed results."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from ._pipeline import as_batch, classify_crops, predict_images
from .classifier.backends import RuntimeName
from .classifier.stage import Classifier, Precision
from .detection.detector import DetectorName, FaceDetector
from .errors import EmotionNetError, InvalidInputError
from .io.image import ImageSource
from .models.registry import ModelEntry
from .preprocessing import TTA
from .results import Box, FacePrediction, ImagePrediction

OnError = Literal["raise", "return"]
"""What a call does when images fail: raise (a batch's results attached as ``.partial``) or return them marked."""

if TYPE_CHECKING:
    import torch

    from .models.emotionnet import EmotionNet
    from .video.results import VideoPrediction
    from .video.stream import StreamFrame


class EmotionRecognizer:
    """Find faces and classify their emotions, on images, batches, video frames and cameras.

    Args:
        model: ``"default"`` (bundled, offline), a registered name, a :class:`ModelEntry`, a
            ``save_pretrained`` directory, a Hub repo id, or an :class:`EmotionNet` instance
            (copied, never modified).
        detector: A detector model name (``"yunet"``, the default; ``"yunet_n"``, ``"haar"``), a
            :class:`FaceDetector`, or ``None`` to only classify boxes you pass to :meth:`predict`
            (or crops to :meth:`classify_faces`).
        device: ``"auto"`` (CUDA, then MPS, then CPU), ``"cpu"``, ``"cuda[:N]"`` or ``"mps"``.
        batch_size: Faces per forward pass; the faces of up to 256 images of one call are batched.
        tta: Test-time views whose probabilities are averaged: ``"none"`` (or ``False``),
            ``"flip"`` (or ``True``: each face and its mirror, 2x the classifier's time) or
            ``"tencrop"`` (five shifted crops and their mirrors, 10x). On PrivateTest the default
            scores 70.19 %, 70.97 % and 71.58 %.
        revision: Hub revision when ``model`` is a repo id.
        precision: ``"auto"``: on CPUs, the ONNX file a registered model ships (int8 for the
            bundled models: ONNX Runtime, no torch needed, within 0.15 points of float32 on
            PrivateTest); elsewhere bfloat16 where the device has fast bf16 kernels (recent x86
            CPUs with AVX-512 BF16/AMX, CUDA GPUs), else float32. ``"fp32"``, ``"bf16"`` or
            ``"int8"`` force one (``"int8"``: only a shipped int8 file, on a CPU).
        runtime: Who runs the classifier: ``"onnxruntime"``, ``"torch"`` or ``"opencv"`` (OpenCV
            DNN). ONNX Runtime runs the shipped ONNX file, or like OpenCV a float32 ONNX export of
            the same weights (made once and cached; needs ``pip install "emotionnet[onnx]"``).
            ``"auto"``: ONNX Runtime on CPUs when the model ships an ONNX file, torch on GPUs and
            bf16 CPUs, else ONNX Runtime when ``onnx`` is installed, else torch. A recognizer uses
            one runtime for every call, so its results never depend on how inputs are batched.
        min_face_size: The smallest face the detector looks for, in pixels, when ``detector`` is a
            name (larger is faster; see :class:`FaceDetector`).
        threads: ONNX Runtime intra-op threads (classifier and YuNet); ``None`` follows
            :func:`emotionnet.runtimes.threads.resolve_threads` (``OMP_NUM_THREADS``, else the CPUs, at
            most 4). The torch runtime uses torch's own setting.

    Thread-safe: concurrent ``predict`` calls may share one instance.

    >>> recognizer = EmotionRecognizer()  # doctest: +SKIP
    >>> recognizer.predict("examples/images/astronaut.png").emotions  # doctest: +SKIP
    (<Emotion.HAPPY: 'happy'>,)
    """

    def __init__(
        self,
        model: str | os.PathLike | ModelEntry | EmotionNet = "default",
        *,
        detector: DetectorName | FaceDetector | None = "yunet",
        device: str | torch.device = "auto",
        batch_size: int = 64,
        tta: bool | TTA = "none",
        revision: str | None = None,
        precision: Precision = "auto",
        runtime: RuntimeName = "auto",
        threads: int | None = None,
        min_face_size: int = 16,
    ) -> None:
        self.classifier = Classifier(
            model,
            device=device,
            batch_size=batch_size,
            tta=tta,
            revision=revision,
            precision=precision,
            runtime=runtime,
            threads=threads,
        )
        if not (detector is None or isinstance(detector, (str, FaceDetector))):
            raise InvalidInputError(f"detector must be a name, a FaceDetector or None, got {type(detector).__name__}")
        if isinstance(detector, str):
            detector = FaceDetector(detector, min_face_size=min_face_size, threads=self.classifier.threads)
        self.detector = detector

    def __getattr__(self, name: str) -> Any:
        """The classifier's settings read through: ``device``, ``runtime``, ``precision``, ``threads``,
        ``batch_size``, ``tta``, ``preprocess``, ``labels``, and ``network``: the torch
        :class:`EmotionNet` (imports torch and loads the weights on first use on ONNX Runtime)."""
        if name in _CLASSIFIER_ATTRS:
            return getattr(self.__dict__["classifier"], name)
        if name == "model":
            raise AttributeError("EmotionRecognizer.model was renamed in 1.0: use .network (the torch EmotionNet)")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        c = self.classifier
        return (
            f"EmotionRecognizer(device={c.device!r}, detector={self.detector!r}, batch_size={c.batch_size}, "
            f"tta={c.tta!r}, runtime={c.runtime!r}, precision={c.precision!r}, threads={c.threads})"
        )

    @overload
    def predict(
        self,
        image: list[ImageSource] | tuple[ImageSource, ...],
        *,
        boxes: Sequence[Sequence[Box]] | None = None,
        color: Literal["bgr", "rgb"] = "bgr",
        on_error: OnError = "raise",
        progress: bool | None = None,
    ) -> list[ImagePrediction]: ...

    @overload
    def predict(
        self,
        image: ImageSource,
        *,
        boxes: Sequence[Box] | None = None,
        color: Literal["bgr", "rgb"] = "bgr",
        on_error: OnError = "raise",
        progress: bool | None = None,
    ) -> ImagePrediction: ...

    def predict(
        self,
        image: ImageSource | list[ImageSource] | tuple[ImageSource, ...],
        *,
        boxes: Sequence[Box] | Sequence[Sequence[Box]] | None = None,
        color: Literal["bgr", "rgb"] = "bgr",
        on_error: OnError = "raise",
        progress: bool | None = None,
    ) -> ImagePrediction | list[ImagePrediction]:
        """Detect faces and classify their emotions.

        Args:
            image: A path or URL, encoded bytes, a uint8 array, a PIL image or a torch tensor
                (see :func:`emotionnet.load_image`); or a list or tuple of these (a list comes back,
                one result per image; the faces of each 256 images are batched together). For a
                folder, ``predict(list_images(folder))``.
            boxes: Classify these ``(x, y, w, h)`` boxes (or :class:`Face` objects, whose
                landmarks then level the eyes) instead of detecting: a list for one image, one
                such list per image when ``image`` is a list.
            color: Channel order of array inputs: ``"bgr"`` (OpenCV) or ``"rgb"``.
            on_error: What happens when images fail. ``"raise"`` (default): every image is
                still predicted, then the first failure is raised; for a list with ``.partial``
                (every image's :class:`ImagePrediction`, failed ones with ``error`` set) and
                ``.index``, so finished work is not lost. ``"return"``: no exception, for one
                image or many; a failed image comes back as an :class:`ImagePrediction` with no
                faces and ``error`` set.
            progress: Show a progress bar; ``None``: for lists of more than 256 images (on a
                terminal or in a notebook). The faces of each 256 images are classified together,
                so memory stays bounded and Ctrl-C keeps the images finished.

        Returns:
            An :class:`ImagePrediction` (a list of them for a list input).

        Raises:
            InvalidInputError: empty list, a folder, bad boxes, or no detector and no boxes.
            ImageNotFoundError, ImageReadError, InvalidImageError: unusable image.
            Interrupted: Ctrl-C; ``.partial`` holds the predictions finished, in input order.

        >>> results = recognizer.predict(["a.jpg", "missing.jpg"], on_error="return")  # doctest: +SKIP
        >>> [r.ok for r in results]  # doctest: +SKIP
        [True, False]
        """
        if on_error not in ("raise", "return"):
            raise InvalidInputError(f"on_error must be 'raise' or 'return', got {on_error!r}")
        images, per_image, many = as_batch(image, boxes)
        results = predict_images(images, per_image, color, self.detector, self.classifier, progress)
        failed = [i for i, r in enumerate(results) if r.error is not None]
        if failed and on_error == "raise":
            first = results[failed[0]].error
            assert isinstance(first, EmotionNetError)
            if many:
                first.partial, first.index = results, failed[0]
            raise first
        return results if many else results[0]

    def classify_faces(
        self,
        crops: ImageSource | Iterable[ImageSource],
        *,
        color: Literal["bgr", "rgb"] = "bgr",
        progress: bool | None = None,
    ) -> list[FacePrediction]:
        """Classify already-cropped faces (one face per crop, any size, gray/BGR uint8).

        Each crop is used whole: converted to grayscale and resized to the model's input.

        Args:
            crops: A list of crops (arrays, files, encoded bytes), an iterable (read as it goes,
                256 at a time), one array ``(H, W)``, ``(N, H, W)`` or ``(N, H, W, C)``, or one file.
            color: Channel order of array crops: ``"bgr"`` (OpenCV) or ``"rgb"``.
            progress: Show a progress bar; ``None``: for lists of more than 256 crops.

        Returns:
            One :class:`FacePrediction` per crop; its box is the whole crop.

        Raises:
            InvalidInputError: no crops. InvalidImageError: a crop that is not a usable image.
            Interrupted: Ctrl-C; ``.partial`` holds the predictions of the crops finished.
        """
        return classify_crops(crops, self.classifier, progress, color)

    def analyze_video(
        self,
        path: str | os.PathLike,
        *,
        every_n_frames: int = 1,
        start: float | None = None,
        end: float | None = None,
        max_faces: int | None = None,
        smoothing: float = 0.5,
        output_video: str | os.PathLike | None = None,
        output_csv: str | os.PathLike | None = None,
        keep_rows: bool = True,
        progress: bool | None = None,
        detect_every: int = 1,
    ) -> VideoPrediction:
        """Analyse a video file frame by frame, streaming it (never loaded whole).

        Args:
            path: The video file.
            every_n_frames: Analyse every n-th frame; the others are grabbed but not decoded.
            start: Start of the time range to analyse, in seconds.
            end: End of the time range to analyse, in seconds.
            max_faces: Keep at most this many faces per frame (highest detector score first).
            smoothing: Per-track EMA factor for probabilities, from 0 (off) up to but excluding 1.
            output_video: Write an annotated MP4 here (same size, frame rate and frame count).
            output_csv: Write the rows to this CSV as they are found (as
                :meth:`VideoPrediction.to_csv` would), so they need not wait in memory.
            keep_rows: Keep every row in the result (about 1.7 KB per face per analysed frame).
                With ``False``, memory stays bounded however long the video: the result keeps
                only counts (frames, faces, tracks, labels); stream the rows with ``output_csv``.
            progress: Show a tqdm progress bar with frames/s and ETA; ``None`` (default): on a
                terminal or in a notebook only, as ``predict`` does, so logs stay clean.
            detect_every: Run the face detector on every k-th analysed frame only; the frames in
                between reuse its faces (boxes and landmarks) and are only classified.

        Returns:
            A :class:`~emotionnet.video.results.VideoPrediction`: one row per face per analysed
            frame with a stable ``track_id``, plus the indices of undecodable frames (a
            :class:`~emotionnet.video.analysis.SkippedFramesWarning` is issued when there are any).

        Raises:
            ImageNotFoundError: no such file. VideoReadError: not a readable video.
        """
        from .video.analysis import analyze_video

        return analyze_video(
            lambda frames, boxes=None: self.predict(list(frames), boxes=boxes),
            path,
            every_n_frames=every_n_frames,
            start=start,
            end=end,
            max_faces=max_faces,
            smoothing=smoothing,
            output_video=output_video,
            output_csv=output_csv,
            keep_rows=keep_rows,
            batch_frames=max(1, self.batch_size // 8),
            progress=progress,
            detect_every=detect_every,
            labels=self.labels,
        )

    def stream(
        self,
        source: int | str | os.PathLike = 0,
        *,
        smoothing: float = 0.5,
        max_faces: int | None = None,
        realtime: bool = True,
        max_frames: int | None = None,
        detect_every: int = 1,
    ) -> Generator[StreamFrame, None, None]:
        """Yield analysed frames from a camera index, a video file or a stream URL.

        A reader thread keeps only the newest frame, so when the model is slower than the source,
        frames are dropped (counted in ``StreamFrame.dropped``) instead of piling up. Files are
        played at their own frame rate when ``realtime``; with ``realtime=False`` every frame is
        analysed as fast as possible and none is dropped. Faces are tracked and their
        probabilities smoothed (``smoothing``). Closing the generator releases the source.

        Args:
            source: Camera index, video file or stream URL (``rtsp://``, ``http://``).
            smoothing: Per-track EMA factor for probabilities, in [0, 1).
            max_faces: Keep at most this many faces per frame (highest detector score first).
            realtime: Play files at their own frame rate, dropping frames the model cannot keep up with.
            max_frames: Stop after this many analysed frames.
            detect_every: Run the detector on every k-th frame; the frames in between reuse its faces.

        Raises:
            VideoReadError: the camera or URL cannot be opened. ImageNotFoundError: no such file.
        """
        from .video.stream import stream

        return stream(
            self.predict,
            source,
            smoothing=smoothing,
            max_faces=max_faces,
            realtime=realtime,
            max_frames=max_frames,
            detect_every=detect_every,
        )

    def predict_proba(self, crops: np.ndarray) -> np.ndarray:
        """The classifier alone on faces already cut as :attr:`preprocess` cuts them.

        Args:
            crops: uint8 ``(N, size, size)`` grayscale crops (``size`` is ``preprocess.size``).

        Returns:
            Calibrated probabilities ``(N, num_classes)``, float32, rows summing to 1.

        Raises:
            InvalidImageError: ``crops`` is not uint8 of the model's input size.
        """
        return self.classifier(crops)


_CLASSIFIER_ATTRS = frozenset(
    {"device", "runtime", "precision", "threads", "batch_size", "tta", "preprocess", "labels", "network"}
)
