"""Ray Data integration: emotions for millions of images and thousands of videos on a Ray cluster.

Needs the ``ray`` extra (``pip install 'emotionnet[ray]'``); nothing else in emotionnet imports Ray.

* :class:`EmotionPredictor` is a callable class for :meth:`ray.data.Dataset.map_batches`: each
  Ray actor builds one :class:`~emotionnet.EmotionRecognizer` and reuses it for every batch.
* :func:`analyze_images` turns paths (or a Dataset) into a Dataset of flat face rows.
* :func:`analyze_videos` runs :meth:`~emotionnet.EmotionRecognizer.analyze_video` as one Ray
  task per file and writes one Parquet or CSV file per video.

Rows are exactly what a single process gives: the same decoding, batching and model.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..errors import EmotionNetError, InvalidInputError, describe
from ..labels import LABELS
from ..results import ROW_COLUMNS, image_rows
from . import _rows

if TYPE_CHECKING:
    import ray.data

    from ..recognizer import EmotionRecognizer
    from ..results import FacePrediction

COLUMNS = (*ROW_COLUMNS, *LABELS)
"""Columns of every output row for the bundled models, plus ``error`` (empty unless the input could not
be used); a model with other labels has its own class names in place of the seven emotions."""
_INPUT_COLUMNS = ("bytes", "image", "path")
Mode = Literal["predict", "classify"]


@lru_cache(maxsize=4)
def _recognizer(
    model: str, detector: str | None, device: str, batch_size: int, precision: str, threads: int | None = None
) -> EmotionRecognizer:
    from ..recognizer import EmotionRecognizer

    return EmotionRecognizer(
        model,
        detector=detector,  # type: ignore[arg-type]
        device=device,
        batch_size=batch_size,
        precision=precision,  # type: ignore[arg-type]
        threads=threads,
    )


class EmotionPredictor:
    """``map_batches`` callable: a batch of images in, one row per face out (see :data:`COLUMNS`).

    ``model``, ``detector``, ``device``, ``batch_size`` and ``precision`` are as for
    :class:`~emotionnet.EmotionRecognizer`.

    Args:
        mode: ``"predict"`` detects faces in whole images; ``"classify"`` treats each input as
            one face crop (:meth:`~emotionnet.EmotionRecognizer.classify_faces`).
        column: Input column: ``"bytes"`` (encoded files, as from ``ray.data.read_binary_files``),
            ``"image"`` (arrays, as from ``ray.data.read_images``) or ``"path"`` (file paths).
            ``None`` takes the first of these the batch has.
        id_column: Column copied to ``source``; ``None`` uses ``"path"`` when present, else ``"id"``.
        color: Channel order of array inputs (``ray.data.read_images`` gives ``"rgb"``).
        threads: As for :class:`~emotionnet.EmotionRecognizer`: ONNX Runtime's intra-op threads
            (classifier and YuNet); ``None`` follows ``OMP_NUM_THREADS``, which Ray sets to the
            actor's ``num_cpus``.

    An image that cannot be decoded gives one row with ``face = -1`` and the reason in ``error``;
    an image without faces gives one row with ``face = -1`` and an empty ``error``. So every input
    appears in the output and nothing is lost silently.

    >>> ds.map_batches(EmotionPredictor, compute=ray.data.ActorPoolStrategy(size=2), batch_size=64)  # doctest: +SKIP
    """

    def __init__(
        self,
        model: str = "default",
        *,
        detector: str | None = "yunet",
        device: str = "auto",
        batch_size: int = 64,
        precision: str = "auto",
        mode: Mode = "predict",
        column: str | None = None,
        id_column: str | None = None,
        color: Literal["bgr", "rgb"] = "rgb",
        threads: int | None = None,
    ) -> None:
        if mode not in ("predict", "classify"):
            raise InvalidInputError(f"mode must be 'predict' or 'classify', got {mode!r}")
        self.recognizer = _recognizer(model, detector, device, batch_size, precision, threads)
        self.mode, self.column, self.id_column, self.color = mode, column, id_column, color

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Predict every image of one batch.

        Args:
            batch: A Ray batch with a ``bytes``, ``image`` or ``path`` column (and ``boxes`` in ``classify`` mode).

        Returns:
            Columns of one row per face (:data:`COLUMNS` and ``error``).
        """
        column = self.column or next((c for c in _INPUT_COLUMNS if c in batch), None)
        if column is None or column not in batch:
            raise InvalidInputError(f"The batch has columns {sorted(batch)}; expected one of {_INPUT_COLUMNS}")
        id_column = self.id_column or ("path" if "path" in batch else "id")
        if id_column not in batch:
            raise InvalidInputError(f"No id column {id_column!r} in the batch (columns {sorted(batch)})")
        ids = [str(i) for i in batch[id_column]]
        items = _rows.items(batch[column], column)
        images, errors = _rows.decode(items, self.color)
        good = [i for i, img in enumerate(images) if img is not None]
        results: dict[int, Sequence[FacePrediction]] = {}
        if good:
            arrays = [images[i] for i in good]
            if self.mode == "classify":
                preds = self.recognizer.classify_faces(arrays)
                results = {i: (p,) for i, p in zip(good, preds)}
            else:
                found = self.recognizer.predict(arrays, progress=False)
                results = {i: tuple(p.faces) for i, p in zip(good, found)}
        columns = (*ROW_COLUMNS, *self.recognizer.labels)  # the model's own class names
        rows: list[dict[str, Any]] = []
        for i, source in enumerate(ids):
            rows.extend(image_rows(source, results.get(i, ()), self.recognizer.labels, errors[i]))
        return _rows.columns(rows, columns)


def analyze_images(
    source: ray.data.Dataset | str | os.PathLike | Sequence[str | os.PathLike],
    *,
    model: str = "default",
    detector: str | None = "yunet",
    mode: Mode = "predict",
    batch_size: int = 64,
    concurrency: int = 1,
    num_cpus: float = 1,
    num_gpus: float = 0,
    device: str = "auto",
    precision: str = "auto",
    **predictor_kwargs: Any,
) -> ray.data.Dataset:
    """A lazy Dataset of face rows (:data:`COLUMNS` + ``error``) for images on a Ray cluster.

    Args:
        source: A ``ray.data.Dataset`` (with a ``bytes``, ``image`` or ``path`` column and an id
            column, e.g. ``ray.data.read_binary_files("s3://...", include_paths=True)``), or
            local image paths and directories (searched recursively for image files). Paths
            are read inside the actors, which must all see them (one machine or a shared
            file system); ``source`` is then the path. Decoding is emotionnet's own either way.
        concurrency: Number of actors, each holding one recognizer.
        num_cpus: CPUs per actor.
        num_gpus: GPUs per actor (``num_gpus=1`` puts each actor on a GPU).

    The other arguments are those of :class:`EmotionPredictor`.

    Write the result with ``.write_parquet(dir)`` or collect it with ``.to_pandas()``.
    """
    import ray.data

    if isinstance(source, ray.data.Dataset):
        ds = source
    else:
        paths = _image_paths([source] if isinstance(source, (str, os.PathLike)) else source)
        ds = ray.data.from_items([{"path": p} for p in paths])
    kwargs = {"model": model, "detector": detector, "device": device, "batch_size": batch_size}
    kwargs |= {"precision": precision, "mode": mode, **predictor_kwargs}
    if num_gpus and device == "auto":
        kwargs["device"] = "cuda"
    return ds.map_batches(
        EmotionPredictor,
        fn_constructor_kwargs=kwargs,
        batch_size=batch_size,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=concurrency),
        num_cpus=num_cpus,
        num_gpus=num_gpus,
    )


_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"}


def _image_paths(sources: Sequence[str | os.PathLike]) -> list[str]:
    paths: list[str] = []
    for src in sources:
        if Path(src).is_dir():
            found = sorted(p for p in Path(src).rglob("*") if p.suffix.lower() in _IMAGE_SUFFIXES)
            paths.extend(str(p) for p in found)
        else:
            paths.append(os.fspath(src))  # a missing file becomes an error row, not a failed job
    if not paths:
        raise InvalidInputError(f"analyze_images() found no images in {[os.fspath(s) for s in sources]}")
    return paths


@dataclass(frozen=True)
class VideoJob:
    """What one :func:`analyze_videos` task did: its output file, counts, or the error."""

    source: str
    output: str | None
    frames_read: int = 0
    frames_analyzed: int = 0
    skipped_frames: int = 0
    rows: int = 0
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the fields."""
        return asdict(self)


def _video_task(source: str, output: str, fmt: str, rec: dict[str, Any], video: dict[str, Any]) -> VideoJob:
    import warnings

    from ..video.analysis import SkippedFramesWarning

    try:
        recognizer = _recognizer(**rec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SkippedFramesWarning)  # counted in the VideoJob instead
            csv: dict[str, Any] = {"output_csv": output, "keep_rows": False} if fmt == "csv" else {}  # streamed
            result = recognizer.analyze_video(source, progress=False, **csv, **video)
    except EmotionNetError as exc:
        return VideoJob(source, None, error=describe(exc))
    if fmt == "parquet":
        result.to_dataframe().to_parquet(output, index=False)
    n_skipped = len(result.skipped_frames)
    return VideoJob(source, output, result.frames_read, result.frames_analyzed, n_skipped, result.face_count)


def analyze_videos(
    paths: Sequence[str | os.PathLike],
    output_dir: str | os.PathLike,
    *,
    format: Literal["parquet", "csv"] = "parquet",
    model: str = "default",
    detector: str = "yunet",
    device: str = "auto",
    batch_size: int = 64,
    precision: str = "auto",
    num_cpus: float = 1,
    num_gpus: float = 0,
    progress: bool = True,
    **video_kwargs: Any,
) -> list[VideoJob]:
    """Analyse each video in its own Ray task; write ``output_dir/<name>.parquet`` (or ``.csv``,
    streamed as rows are found, so a task's memory does not grow with its video).

    ``video_kwargs`` go to :meth:`~emotionnet.EmotionRecognizer.analyze_video` (``every_n_frames``,
    ``start``, ``end``, ``max_faces``, ``smoothing``). Each task reuses its worker's recognizer.
    A video that cannot be read gives a :class:`VideoJob` with ``error`` set; the others go on.
    Returns one :class:`VideoJob` per path, in the order given.

    Args:
        paths: Video files.
        output_dir: Folder for the per-video tables (created if needed).
        format: ``"parquet"`` or ``"csv"``.
        model: As for :class:`~emotionnet.EmotionRecognizer`.
        detector: As for :class:`~emotionnet.EmotionRecognizer`.
        device: As for :class:`~emotionnet.EmotionRecognizer`.
        batch_size: As for :class:`~emotionnet.EmotionRecognizer`.
        precision: As for :class:`~emotionnet.EmotionRecognizer`.
        num_cpus: CPUs each task reserves.
        num_gpus: GPUs each task reserves.
        progress: Show a progress bar over finished videos.
        **video_kwargs: Options of :meth:`~emotionnet.EmotionRecognizer.analyze_video`.
    """
    import ray
    from tqdm.auto import tqdm

    if format not in ("parquet", "csv"):
        raise InvalidInputError(f"format must be 'parquet' or 'csv', got {format!r}")
    sources = [os.fspath(p) for p in paths]
    if not sources:
        raise InvalidInputError("analyze_videos() got no paths")
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = [Path(s).stem for s in sources]
    outputs = [
        str(out / (f"{n}.{format}" if names.count(n) == 1 else f"{n}-{i}.{format}")) for i, n in enumerate(names)
    ]
    rec = {"model": model, "detector": detector, "device": device, "batch_size": batch_size, "precision": precision}
    task = ray.remote(_video_task).options(num_cpus=num_cpus, num_gpus=num_gpus)
    refs = [task.remote(s, o, format, rec, video_kwargs) for s, o in zip(sources, outputs)]
    pending = list(refs)
    with tqdm(total=len(refs), unit="video", disable=not progress) as bar:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            bar.update(len(done))
    return list(ray.get(refs))
