"""``emotionnet predict --json/--csv``: each image's result written as soon as it is done.

Rows go to a hidden temporary file (or stdout for ``-``) while the images are predicted, so
memory stays flat however many images there are; the file is renamed into place on exit.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from ..results import ImagePrediction


class PredictionRows:
    """Streams image predictions to a JSON array and/or a CSV table.

    Use :func:`prediction_rows` to open one; :meth:`add` each image as it finishes.
    """

    def __init__(self, json_file: IO[str] | None, csv_file: IO[str] | None, labels: Sequence[str]) -> None:
        """Start the outputs: ``[`` of the JSON array, the CSV header.

        Args:
            json_file: Where the JSON array goes, or ``None``.
            csv_file: Where the CSV rows go, or ``None``.
            labels: The model's labels, one probability column each.
        """
        self._json, self._labels, self.count = json_file, tuple(labels), 0
        self._csv = None
        if csv_file is not None:
            from ..results import ROW_COLUMNS

            self._csv = csv.DictWriter(csv_file, fieldnames=[*ROW_COLUMNS, *self._labels, "error"])
            self._csv.writeheader()
        if self._json is not None:
            self._json.write("[")

    def add(self, result: ImagePrediction) -> None:
        """Write one image: its faces, or its error.

        Args:
            result: Its prediction; a failed image has ``error`` set (``on_error="return"``).
        """
        from ..errors import describe
        from ..results import csv_row, image_rows

        if self._json is not None:
            # json.dumps(rows, indent=2), one element at a time: JSON strings hold no raw newline.
            text = json.dumps(result.to_dict(), indent=2).replace("\n", "\n  ")
            self._json.write(("," if self.count else "") + "\n  " + text)
            self._json.flush()
        if self._csv is not None:
            error = "" if result.error is None else describe(result.error)
            rows = image_rows(result.source or "", result.faces, self._labels, error)
            self._csv.writerows(csv_row(r) for r in rows)
        self.count += 1

    def close(self) -> None:
        """End the JSON array."""
        if self._json is not None:
            self._json.write("\n]\n" if self.count else "]\n")
            self._json.flush()


@contextmanager
def prediction_rows(json_target: str | None, csv_target: str | None, labels: Sequence[str]) -> Iterator[PredictionRows]:
    """Open ``--json`` and ``--csv`` (``-`` is stdout) for :class:`PredictionRows`.

    On exit the JSON array is closed and each file renamed into place. An exception in the block
    still keeps the images finished before it, and is then raised again (the caller handles
    Ctrl-C itself and ends the block normally).

    Args:
        json_target: The ``--json`` value, or ``None``.
        csv_target: The ``--csv`` value, or ``None``.
        labels: The model's labels.

    Yields:
        The writer.

    Raises:
        OutputError: A file cannot be written.
    """
    failure: Exception | None = None
    with ExitStack() as stack:
        files = [
            None if t is None else sys.stdout if t == "-" else stack.enter_context(_open(t, kind))
            for t, kind in ((json_target, "json"), (csv_target, "csv"))
        ]
        rows = PredictionRows(files[0], files[1], labels)
        try:
            yield rows
        except Exception as exc:
            failure = exc
        rows.close()
    for target in (json_target, csv_target):
        if target not in (None, "-"):
            print(f"saved {target} ({rows.count} images)", file=sys.stderr)
    if failure is not None:
        raise failure


def _open(target: str, kind: str) -> AbstractContextManager[IO[str]]:
    from .._outputs import atomic_open

    return atomic_open(target, "w", kind=kind, newline="", encoding="utf-8")
