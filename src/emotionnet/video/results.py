"""Results of a video run: one row per (frame, face), plus what was read, skipped and found."""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from dataclasses import dataclass
from typing import IO, Any

from .._outputs import atomic_open, atomic_path, check_output
from ..errors import InvalidInputError, MissingDependencyError
from ..labels import LABELS
from ..results import FacePrediction, csv_row

BASE_COLUMNS = (
    "frame",
    "time",
    "track_id",
    "x",
    "y",
    "w",
    "h",
    "detection_score",
    "emotion",
    "probability",
)
"""The columns before the one probability column per label."""
COLUMNS = (*BASE_COLUMNS, *LABELS)
"""Column order of :meth:`VideoPrediction.to_csv` and :meth:`VideoPrediction.to_dataframe` for the
bundled models; a model with other labels has its own class names in place of the seven emotions."""


@dataclass(frozen=True)
class VideoFaceRow:
    """One face in one frame, with the id of the track it belongs to."""

    frame: int
    time: float
    track_id: int
    face: FacePrediction

    def to_dict(self) -> dict[str, Any]:
        """Flat JSON-ready dict with :data:`COLUMNS` as keys, at full precision."""
        return {"frame": self.frame, "time": self.time, "track_id": self.track_id} | self.face.to_row()


class CsvRows:
    """Writes :class:`VideoFaceRow` s to an open text file as they come, so a long video's rows need
    not be held in memory. The header is the first row's keys (:data:`COLUMNS` for the bundled
    models), written with that row, or by :meth:`finish` when there was none."""

    def __init__(self, file: IO[str], labels: tuple[str, ...] = LABELS) -> None:
        self.file = file
        self.labels = labels
        self.writer: csv.DictWriter | None = None

    def write(self, rows: list[VideoFaceRow] | tuple[VideoFaceRow, ...]) -> None:
        """Append rows, rounded as :meth:`VideoPrediction.to_csv` rounds them.

        Args:
            rows: The rows, in frame order.
        """
        for row in rows:
            values = csv_row(row.to_dict())
            if self.writer is None:
                self.writer = self._start(list(values))
            self.writer.writerow(values)

    def finish(self) -> None:
        """Write the header if no row came, so the file always says what its columns are."""
        if self.writer is None:
            self.writer = self._start([*BASE_COLUMNS, *self.labels])

    def _start(self, columns: list[str]) -> csv.DictWriter:
        writer = csv.DictWriter(self.file, fieldnames=columns)
        writer.writeheader()
        return writer


@dataclass(frozen=True)
class VideoPrediction:
    """Everything :meth:`EmotionRecognizer.analyze_video` found.

    Attributes:
        source: The video path.
        fps: Frame rate the container reports (0 when unknown).
        width: Frame width in pixels.
        height: Frame height in pixels.
        frames_read: Frames visited (decoded or grabbed) between ``start`` and ``end``.
        frames_analyzed: Frames that went through detection and classification.
        skipped_frames: Indices of frames that could not be decoded (the run went on past them).
        missing_at_end: Frames the container announced but the file did not deliver.
        rows: One :class:`VideoFaceRow` per face per analysed frame, in frame order; empty when the
            run did not keep them (``keep_rows=False``).
        track_frames: ``(track_id, analysed frames it appears in)`` pairs, by track id.
        label_counts: ``(label, face detections with that top label)`` pairs, most frequent first.
        rows_kept: Whether ``rows`` holds every row found; ``False`` after ``keep_rows=False``.
        labels: The model's class names, one probability column each.
    """

    source: str
    fps: float
    width: int
    height: int
    frames_read: int
    frames_analyzed: int
    skipped_frames: tuple[int, ...]
    missing_at_end: int
    rows: tuple[VideoFaceRow, ...]
    track_frames: tuple[tuple[int, int], ...] = ()
    label_counts: tuple[tuple[str, int], ...] = ()
    rows_kept: bool = True
    labels: tuple[str, ...] = LABELS

    def __post_init__(self) -> None:
        if self.rows and not self.track_frames:  # built from rows alone: count them
            for name, value in RowCounts().add(self.rows).fields().items():
                object.__setattr__(self, name, value)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def face_count(self) -> int:
        """Face detections in all analysed frames (rows found, whether kept or not)."""
        return sum(n for _, n in self.label_counts)

    @property
    def track_ids(self) -> tuple[int, ...]:
        """Distinct track ids, sorted."""
        return tuple(t for t, _ in self.track_frames)

    def track_lengths(self) -> dict[int, int]:
        """Number of analysed frames each track appears in."""
        return dict(self.track_frames)

    def summary(self) -> str:
        """One line: frames, faces, tracks, dominant emotion, skipped frames."""
        if not self.label_counts:
            faces = "no faces found"
        else:
            top = self.label_counts[0][0]
            faces = f"{self.face_count} face detections in {len(self.track_frames)} track(s), mostly {top}"
        skipped = f", {len(self.skipped_frames)} undecodable frame(s) skipped" if self.skipped_frames else ""
        return f"{self.frames_analyzed}/{self.frames_read} frames analysed: {faces}{skipped}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: metadata, counts (``track_frames`` and ``label_counts`` as
        ``[key, count]`` pairs) and ``rows`` as flat dicts."""
        return {
            "source": self.source,
            "fps": self.fps,
            "width": self.width,
            "height": self.height,
            "frames_read": self.frames_read,
            "frames_analyzed": self.frames_analyzed,
            "skipped_frames": list(self.skipped_frames),
            "missing_at_end": self.missing_at_end,
            "face_count": self.face_count,
            "track_frames": [list(pair) for pair in self.track_frames],
            "label_counts": [list(pair) for pair in self.label_counts],
            "rows_kept": self.rows_kept,
            "labels": list(self.labels),
            "rows": [r.to_dict() for r in self.rows],
        }

    def _need_rows(self, what: str) -> None:
        if not self.rows_kept:
            raise InvalidInputError(
                f"{what} needs the rows, and this run did not keep them (keep_rows=False); "
                "analyse with keep_rows=True, or stream them with output_csv"
            )

    def to_json(self, path: str | os.PathLike) -> None:
        """Write :meth:`to_dict` as JSON (to a temporary file renamed into place when complete).

        Args:
            path: The ``.json`` file to write.

        Raises:
            OutputError: the folder does not exist, or ``path`` is a directory or the source video.
        """
        with atomic_open(check_output(path, inputs=[self.source], kind="json"), "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, indent=1)

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write one row per (frame, face) with :data:`COLUMNS`, rounded to 4 decimals (boxes to 0.1 px),
        atomically like :meth:`to_json`; :meth:`to_dict` and :meth:`to_dataframe` keep full precision.

        Args:
            path: The ``.csv`` file to write.

        Raises:
            OutputError: the folder does not exist, or ``path`` is a directory or the source video.
            InvalidInputError: the run did not keep its rows.
        """
        self._need_rows("to_csv()")
        with atomic_open(check_output(path, inputs=[self.source], kind="csv"), "w", newline="", encoding="utf-8") as f:
            rows = CsvRows(f, self.labels)
            rows.write(self.rows)
            rows.finish()

    def to_dataframe(self) -> Any:
        """The rows as a ``pandas.DataFrame`` (needs pandas, which emotionnet does not install).

        Raises:
            MissingDependencyError: pandas is not installed. InvalidInputError: the run did not keep its rows.
        """
        self._need_rows("to_dataframe()")
        try:
            import pandas as pd
        except ImportError as exc:
            raise MissingDependencyError("to_dataframe() needs pandas: pip install pandas") from exc
        return pd.DataFrame([r.to_dict() for r in self.rows], columns=[*BASE_COLUMNS, *self.labels])

    def plot_timeline(self, path: str | os.PathLike) -> None:
        """Save a PNG of each track's emotion probabilities over time (needs the ``plot`` extra).

        Args:
            path: The ``.png`` file to write.

        Raises:
            MissingDependencyError: matplotlib is not installed.
            OutputError: the folder does not exist, or ``path`` is a directory or the source video.
            InvalidInputError: the run did not keep its rows.
        """
        self._need_rows("plot_timeline()")
        out = check_output(path, inputs=[self.source], kind="plot")
        plt = import_pyplot()
        from ..drawing import COLORS, OTHER

        tracks = self.track_ids or (0,)
        height = 2.2 * len(tracks) + 0.8  # inches: one panel per track, then a header for title and legend
        fig, axes = plt.subplots(len(tracks), 1, figsize=(10, height), sharex=True, squeeze=False)
        for ax, track in zip(axes[:, 0], tracks):
            rows = [r for r in self.rows if r.track_id == track]
            times = [r.time if self.fps else r.frame for r in rows]
            for label in self.labels:
                b, g, r_ = COLORS.get(label, OTHER)
                ax.plot(
                    times, [r.face.probabilities[label] for r in rows], label=label, color=(r_ / 255, g / 255, b / 255)
                )
            ax.set_ylim(0, 1)
            ax.set_ylabel(f"track {track}" if rows else "no faces")
        axes[-1, 0].set_xlabel("time (s)" if self.fps else "frame")
        fig.suptitle(f"{os.path.basename(self.source)}: emotion probabilities per face track", y=1 - 0.05 / height)
        handles, names = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, names, loc="upper center", ncol=7, fontsize=8, bbox_to_anchor=(0.5, 1 - 0.3 / height))
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / height))  # the legend sits above the first track, not on it
        with atomic_path(out) as tmp:
            fig.savefig(tmp, dpi=100, format="png")
        plt.close(fig)


class RowCounts:
    """Frames per track and detections per top label, counted as rows come (a run keeps these
    even when it does not keep its rows)."""

    def __init__(self) -> None:
        self.tracks: Counter[int] = Counter()
        self.labels: Counter[str] = Counter()

    def add(self, rows: list[VideoFaceRow] | tuple[VideoFaceRow, ...]) -> RowCounts:
        """Count more rows.

        Args:
            rows: The rows.

        Returns:
            ``self``.
        """
        self.tracks.update(r.track_id for r in rows)
        self.labels.update(r.face.label for r in rows)
        return self

    def fields(self) -> dict[str, Any]:
        """``track_frames`` (by track id) and ``label_counts`` (most frequent first) for :class:`VideoPrediction`.

        Returns:
            The two fields as keyword arguments.
        """
        return {"track_frames": tuple(sorted(self.tracks.items())), "label_counts": tuple(self.labels.most_common())}


def import_pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend.

    Raises:
        MissingDependencyError: matplotlib is not installed (``pip install 'emotionnet[plot]'``).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise MissingDependencyError("Plots need matplotlib: pip install 'emotionnet[plot]'") from exc
    return plt
