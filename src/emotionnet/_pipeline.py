"""The recognizer's work on a batch: images -> faces -> crops -> one classifier call -> results.

:class:`~emotionnet.EmotionRecognizer` holds the stages and the public signatures; these functions
do the per-item work, so that one image's failure never costs the others their results.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence, Sized
from dataclasses import replace
from itertools import islice
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np

from .errors import EmotionNetError, Interrupted, InvalidImageError, InvalidInputError
from .io.image import ImageSource, check_boxes, load_image
from .results import Box, Face, FacePrediction, ImagePrediction

if TYPE_CHECKING:
    from .classifier.stage import Classifier
    from .detection.detector import FaceDetector


def as_batch(
    image: ImageSource | list[ImageSource] | tuple[ImageSource, ...], boxes: object
) -> tuple[list[ImageSource], list[Sequence[Box] | None], bool]:
    """``predict``'s inputs as one list of images with one box list (or ``None``) each.

    Args:
        image: One image, or a list or tuple of them.
        boxes: ``None``, one image's boxes, or one list of boxes per image.

    Returns:
        The images, their boxes, and whether the caller passed several (a list comes back).

    Raises:
        InvalidInputError: an empty list, a folder, or ``boxes`` not one list per image.
    """
    if isinstance(image, (str, os.PathLike)) and os.path.isdir(image):  # one type in, one type out
        raise InvalidInputError(
            f"{os.fspath(image)!r} is a folder; pass predict(list_images(folder)) for one result per image in it"
        )
    if isinstance(image, tuple):
        image = list(image)
    if not isinstance(image, list):
        return [image], [cast("Sequence[Box] | None", boxes)], False
    if not image:
        raise InvalidInputError("predict() got an empty list; pass at least one image")
    if boxes is not None and (not isinstance(boxes, Sequence) or len(boxes) != len(image)):
        raise InvalidInputError(f"boxes must give one list per image ({len(image)} images), got {boxes!r:.80}")
    per_image = cast("list[Sequence[Box] | None]", list(boxes) if boxes is not None else [None] * len(image))
    return list(image), per_image, True


CHUNK = 256
"""Images whose faces go through the classifier together: memory stays bounded however many
images one call gets, and Ctrl-C keeps every chunk already finished."""


def predict_images(
    images: list[ImageSource],
    boxes: list[Sequence[Box] | None],
    color: Literal["bgr", "rgb"],
    detector: FaceDetector | None,
    classifier: Classifier,
    progress: bool | None = None,
) -> list[ImagePrediction]:
    """Predict each image; the faces of each :data:`CHUNK` images go through the classifier together.

    Args:
        images: The images (anything :func:`~emotionnet.load_image` reads).
        boxes: Per image, the boxes to classify, or ``None`` to detect.
        color: Channel order of array inputs.
        detector: Finds faces where ``boxes`` is ``None``.
        classifier: The classifier stage (its ``preprocess`` cuts the crops).
        progress: Show a progress bar; ``None``: for more than :data:`CHUNK` images, on a terminal
            or in a notebook.

    Returns:
        One :class:`ImagePrediction` per image; an image that failed has ``error`` set and no faces.

    Raises:
        Interrupted: Ctrl-C; its ``partial`` holds the predictions of the images finished, in order.
    """
    out: list[ImagePrediction] = []
    bar = _progress_bar(len(images), progress, "image")
    try:
        for start in range(0, len(images), CHUNK):
            end = start + CHUNK
            out.extend(_predict_chunk(images[start:end], boxes[start:end], color, detector, classifier, bar))
    except KeyboardInterrupt:
        raise Interrupted(f"Interrupted after {len(out)} of {len(images)} images", out) from None
    finally:
        if bar is not None:
            bar.close()
    return out


def _progress_bar(total: int | None, progress: bool | None, unit: str) -> Any:
    """A tqdm bar, or ``None``: ``progress=None`` shows one for more than :data:`CHUNK` items of
    known number, on a terminal or in a notebook; ``True`` always, ``False`` never."""
    if not ((total is not None and total > CHUNK) if progress is None else progress):
        return None
    from tqdm.auto import tqdm  # only here: a frame's predict() pays nothing for the bar

    return tqdm(total=total, unit=unit, disable=None if progress is None else False, leave=False)


def _predict_chunk(
    images: list[ImageSource],
    boxes: list[Sequence[Box] | None],
    color: Literal["bgr", "rgb"],
    detector: FaceDetector | None,
    classifier: Classifier,
    bar: Any,
) -> list[ImagePrediction]:
    pre, labels = classifier.preprocess, classifier.labels
    crops: list[np.ndarray] = []  # each image is cut as soon as its faces are found, then let go
    faces: list[tuple[Face, ...]] = []
    sizes: list[tuple[int, int] | None] = []
    errors: list[EmotionNetError | None] = []
    for img, b in zip(images, boxes):
        try:
            bgr = load_image(img, color=color)
            fs = _faces(bgr, b, detector)
        except EmotionNetError as exc:
            faces.append(())
            sizes.append(None)
            errors.append(exc)
            continue
        finally:
            if bar is not None:
                bar.update(1)
        if fs:
            crops.append(pre.crops(bgr, fs))
        faces.append(fs)
        sizes.append((bgr.shape[1], bgr.shape[0]))
        errors.append(None)
    probs = classifier(np.concatenate(crops)) if crops else np.zeros((0, len(labels)))
    out, start = [], 0
    for img, size, fs, error in zip(images, sizes, faces, errors):
        source = os.fspath(img) if isinstance(img, (str, os.PathLike)) else None
        if size is None:
            out.append(ImagePrediction(faces=(), width=0, height=0, source=source, error=error))
            continue
        rows = probs[start : start + len(fs)]
        start += len(fs)
        preds = tuple(FacePrediction(f, dict(zip(labels, map(float, row)))) for f, row in zip(fs, rows))
        out.append(ImagePrediction(faces=preds, width=size[0], height=size[1], source=source))
    return out


def _faces(bgr: np.ndarray, boxes: Sequence[Box] | None, detector: FaceDetector | None) -> tuple[Face, ...]:
    if boxes is None:
        if detector is None:
            raise InvalidInputError("This recognizer has no detector (detector=None); pass boxes=[(x, y, w, h), ...]")
        return detector.detect(bgr)
    faces = [b for b in boxes if isinstance(b, Face)] if isinstance(boxes, (list, tuple)) else []
    if faces and len(faces) == len(boxes):  # Face objects (e.g. from an earlier detection): landmarks kept
        check_boxes([f.box for f in faces], bgr.shape[1], bgr.shape[0])
        return tuple(faces)
    return tuple(Face(box=box) for box in check_boxes(boxes, bgr.shape[1], bgr.shape[0]))


def classify_crops(
    faces: ImageSource | Iterable[ImageSource],
    classifier: Classifier,
    progress: bool | None = None,
    color: Literal["bgr", "rgb"] = "bgr",
) -> list[FacePrediction]:
    """Classify whole crops, one face each (``EmotionRecognizer.classify_faces``), :data:`CHUNK` at a time.

    Args:
        faces: A list of crops (arrays, files, encoded bytes), an iterable read as it goes, one
            array ``(H, W)``, ``(N, H, W)`` or ``(N, H, W, C)``, or one file.
        classifier: The classifier stage.
        progress: Show a progress bar; ``None``: for more than :data:`CHUNK` crops of known number.
        color: Channel order of array crops.

    Returns:
        One :class:`FacePrediction` per crop; its box is the whole crop.

    Raises:
        InvalidInputError: no crops. InvalidImageError: a crop that is not a usable image.
        Interrupted: Ctrl-C; ``.partial`` holds the predictions of the crops finished, in order.
    """
    crops: Iterable[Any]
    if isinstance(faces, np.ndarray):
        if faces.ndim not in (2, 3, 4):
            raise InvalidImageError(f"faces must be (H, W), (N, H, W) or (N, H, W, C), got shape {faces.shape}")
        crops = [faces] if faces.ndim == 2 else list(faces)
    elif isinstance(faces, (str, bytes, os.PathLike)):
        crops = [faces]  # one crop, as a file or its encoded bytes
    elif isinstance(faces, Iterable):
        crops = faces  # read as it goes: a generator of many crops is never held whole
    else:
        raise InvalidInputError(f"classify_faces() takes crops (a list, an array, a file), got {type(faces).__name__}")
    bar = _progress_bar(len(crops) if isinstance(crops, Sized) else None, progress, "face")
    pre = replace(classifier.preprocess, margin=0.0, align=False)
    out: list[FacePrediction] = []
    items = iter(crops)
    try:
        while chunk := list(islice(items, CHUNK)):
            whole, cut = [], []
            for crop in chunk:  # each is resized as soon as it is read, then let go
                bgr = load_image(crop, color=color)
                whole.append(Face(box=(0.0, 0.0, float(bgr.shape[1]), float(bgr.shape[0]))))
                cut.append(pre.crops(bgr, [whole[-1]])[0])
                if bar is not None:
                    bar.update(1)
            probs = classifier(np.stack(cut))
            out.extend(FacePrediction(f, dict(zip(classifier.labels, map(float, row)))) for f, row in zip(whole, probs))
    except KeyboardInterrupt:
        raise Interrupted(f"Interrupted after {len(out)} faces", out) from None
    finally:
        if bar is not None:
            bar.close()
    if not out:
        raise InvalidInputError("classify_faces() got no faces")
    return out
