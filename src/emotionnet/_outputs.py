"""Output files that never overwrite an input and never appear half-written.

Every file emotionnet writes (annotated images and videos, CSV, JSON, plots, exports) goes through
:func:`check_output` before the work starts and :func:`atomic_path` while it is written: the bytes go
to a hidden temporary file in the same folder, renamed over the target only once complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .errors import OutputError

_UMASK = os.umask(0o022)
os.umask(_UMASK)

#: The file names each kind of output may replace when they exist already. An output never
#: overwrites a file of another kind: ``predict --json photo.jpg`` is refused, not a lost photo.
KINDS: dict[str, tuple[str, ...]] = {
    "json": (".json",),
    "csv": (".csv", ".tsv", ".txt"),
    "image": (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"),
    "plot": (".png", ".svg", ".pdf", ".jpg", ".jpeg"),
    "video": (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm"),
    "onnx": (".onnx",),
}


def check_output(path: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] = (), kind: str | None = None) -> Path:
    """Refuse an output path that cannot or must not be written, before any work is done.

    Args:
        path: The file to be written.
        inputs: Files this run reads; the output may not be any of them (also through a symlink
            or a hard link).
        kind: What is written (a key of :data:`KINDS`): an existing file is replaced only when
            its name says it is of this kind. ``None`` checks nothing of the kind.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        OutputError: ``path`` is one of ``inputs``, an existing directory, an existing file of
            another kind, or in a folder that does not exist.
    """
    out = Path(path)
    if out.is_dir():
        raise OutputError(f"Output {str(out)!r} is a directory; give a file name")
    if not out.parent.is_dir():
        raise OutputError(f"Cannot write {str(out)!r}: the folder {str(out.parent)!r} does not exist")
    if out.exists() or out.is_symlink():
        for src in inputs:
            if _same_file(out, Path(src)):
                raise OutputError(f"Output {str(out)!r} is the input {os.fspath(src)!r}; it would be destroyed")
        if kind is not None and out.exists() and not out.is_file():  # /dev/stdout, a FIFO: never renamed over
            raise OutputError(
                f"Output {str(out)!r} is not a regular file; give a file name (- for stdout, where taken)"
            )
        if kind is not None and out.suffix.lower() not in KINDS[kind]:
            raise OutputError(
                f"Refusing to write {kind} over {str(out)!r}: it exists and is not a {'/'.join(KINDS[kind])} file"
            )
    return out


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


@contextmanager
def atomic_path(path: str | os.PathLike, *, keep_on_interrupt: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix) to write to; rename it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left as it was. With
    ``keep_on_interrupt``, a :class:`KeyboardInterrupt` still renames what was written (a partial
    video that plays is worth keeping).

    Args:
        path: The file to write in the end (its folder must exist and be writable).
        keep_on_interrupt: On Ctrl-C, keep what was written under ``path`` instead of removing it.

    Raises:
        OutputError: the folder cannot be written to.
    """
    out = Path(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=f".part{out.suffix}", dir=out.parent)
    except OSError as exc:
        raise OutputError(f"Cannot write in {str(out.parent)!r}: {exc.strerror or exc}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
    except KeyboardInterrupt:
        _finish(tmp, out) if keep_on_interrupt else tmp.unlink(missing_ok=True)
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _finish(tmp, out)


def _finish(tmp: Path, out: Path) -> None:
    if not tmp.exists() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"Nothing was written to {str(out)!r}")
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # as open() would have made it, not mkstemp's 0600
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"Cannot write {str(out)!r}: {exc.strerror or exc}") from exc


@contextmanager
def atomic_open(
    path: str | os.PathLike, mode: str = "w", *, kind: str | None = None, **kwargs: Any
) -> Iterator[IO[Any]]:
    """:func:`open` on an :func:`atomic_path` of a checked ``path``; ``kwargs`` go to :func:`open`.

    Args:
        path: The file to write; checked with :func:`check_output` first.
        mode: A writing mode of :func:`open` (``"w"``, ``"wb"``, ...).
        kind: What is written (see :func:`check_output`).
        **kwargs: Passed to :func:`open`.
    """
    with atomic_path(check_output(path, kind=kind)) as tmp, open(tmp, mode, **kwargs) as f:
        yield f


@contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a hidden temporary folder beside ``path`` to write a folder's files into.

    On success a new ``path`` is the temporary folder renamed; an existing one has each file
    replaced in turn (``os.replace``), so no file in it is ever half-written. On an exception or
    Ctrl-C the temporary folder is removed and ``path`` is left as it was.

    Args:
        path: The folder to write (its parent is created if missing).

    Raises:
        OutputError: ``path`` is a file, or its parent cannot be written to.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputError(f"Output {str(out)!r} is a file; give a folder")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent))
    except OSError as exc:
        raise OutputError(f"Cannot write in {str(out.parent)!r}: {exc.strerror or exc}") from exc
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_UMASK)  # as mkdir would have made it, not mkdtemp's 0700
        if not out.exists():
            os.replace(tmp, out)
            return
        for src in sorted(p for p in tmp.rglob("*") if not p.is_dir()):
            target = out / src.relative_to(tmp)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
