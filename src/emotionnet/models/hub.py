"""Weights files: bundled in the wheel or fetched from the Hugging Face Hub, always sha256-checked.

All Hub access goes through :func:`huggingface_hub.hf_hub_download` with a pinned revision, so
``HF_ENDPOINT``, ``HF_HOME``, ``HF_HUB_OFFLINE`` and the shared cache work as everywhere else, and
a cached file loads with no network call. Hub exceptions are mapped onto :mod:`emotionnet.errors`.
"""

from __future__ import annotations

import hashlib
import os
import socket
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import huggingface_hub
from huggingface_hub import errors as hf_errors

from .._version import __version__
from ..errors import ChecksumError, EmotionNetError, ModelNotFoundError, OfflineError, WeightsError
from .registry import WeightsFile

#: The Hub client's transport error base (httpx's in huggingface_hub >= 1.0, requests' OSError before).
HUB_TRANSPORT_ERRORS: tuple[type[Exception], ...] = (OSError, getattr(hf_errors, "HTTPError", OSError))


def bundled_path(filename: str) -> Path:
    """Path of a file shipped inside the wheel's ``emotionnet/weights/`` folder.

    Args:
        filename: The file's name in the registry.
    """
    return Path(str(resources.files("emotionnet") / "weights" / filename))


def sha256_of(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks.

    Args:
        path: The file.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: str | os.PathLike, expected: str) -> Path:
    """Return ``path`` if its sha256 is ``expected``; raise :class:`ChecksumError` otherwise.

    Args:
        path: The file.
        expected: Its hex sha256 from the registry.
    """
    actual = sha256_of(path)
    if actual != expected:
        raise ChecksumError(str(path), expected, actual)
    return Path(path)


def fetch(
    weights: WeightsFile,
    *,
    cache_dir: str | os.PathLike | None = None,
    force_download: bool = False,
) -> Path:
    """Local path of a verified weights file: the bundled copy, else the Hub cache, else a download.

    Args:
        weights: The registry's declaration of the file (repo, pinned revision, sha256).
        cache_dir: The Hub cache folder; ``None`` uses ``HF_HOME``'s.
        force_download: Download again even if cached.

    Returns:
        The local path of the verified file.

    Raises:
        ModelNotFoundError: the repo, revision or file does not exist on the Hub.
        OfflineError: not cached and the Hub is unreachable or ``HF_HUB_OFFLINE=1``.
        ChecksumError: the bytes differ from the registry's sha256; a downloaded copy is removed
            from the cache so that the next call downloads it again.
        WeightsError: any other failure to obtain the file (HTTP error, incomplete download).
    """
    if weights.bundled and not force_download:
        local = bundled_path(weights.filename)
        if local.is_file():
            return verify(local, weights.sha256)
        if weights.repo_id is None:
            raise WeightsError(f"Bundled weights {weights.filename} are missing from the installed package; reinstall")
    if weights.repo_id is None:
        raise ModelNotFoundError(f"{weights.filename} is not published on the Hub")
    path = download(
        weights.repo_id, weights.filename, revision=weights.revision, cache_dir=cache_dir, force_download=force_download
    )
    try:
        return verify(path, weights.sha256)
    except ChecksumError:
        _evict(Path(path))
        raise


def download(
    repo_id: str,
    filename: str,
    *,
    revision: str | None = None,
    cache_dir: str | os.PathLike | None = None,
    force_download: bool = False,
    local_files_only: bool = False,
    token: str | bool | None = None,
    missing_file: type[EmotionNetError] = ModelNotFoundError,
    missing_hint: str = "",
) -> Path:
    """``hf_hub_download`` with its exceptions mapped onto :mod:`emotionnet.errors` (no checksum).

    A file absent from an existing repo raises ``missing_file`` (``ModelNotFoundError`` by default).

    Args:
        repo_id: The Hub repo (``owner/name``).
        filename: The file in it.
        revision: A branch, tag or commit; ``None`` is the default branch.
        cache_dir: The Hub cache folder.
        force_download: Download again even if cached.
        local_files_only: Use the cache only.
        token: A Hub token, as ``huggingface_hub`` takes it.
        missing_file: The error raised for a file absent from an existing repo.
        missing_hint: Added to that error's message.

    Returns:
        The local path of the file.
    """
    where = f"{repo_id}@{revision or 'main'} / {filename}"
    if not (local_files_only or force_download) and _not_cached(repo_id, filename, revision, cache_dir):
        _check_reachable(where)
    try:
        return Path(
            huggingface_hub.hf_hub_download(
                repo_id,
                filename,
                revision=revision,
                cache_dir=None if cache_dir is None else Path(cache_dir),
                force_download=force_download,
                local_files_only=local_files_only,
                token=token,
                library_name="emotionnet",
                library_version=__version__,
            )
        )
    except hf_errors.LocalEntryNotFoundError as exc:
        raise OfflineError(
            f"{where} is not in the cache and the Hub cannot be reached (offline mode, or no network). "
            "Run once with network access, or run `emotionnet download` first."
        ) from exc
    except (hf_errors.RepositoryNotFoundError, hf_errors.RevisionNotFoundError) as exc:
        raise ModelNotFoundError(f"Not found on the Hub: {where} ({type(exc).__name__})") from exc
    except hf_errors.EntryNotFoundError as exc:
        raise missing_file(f"Not found on the Hub: {where} ({type(exc).__name__}){missing_hint}") from exc
    except (hf_errors.OfflineModeIsEnabled, ConnectionError, TimeoutError) as exc:
        raise OfflineError(f"Cannot reach the Hub for {where}: {exc}") from exc
    except HUB_TRANSPORT_ERRORS as exc:
        raise WeightsError(f"Could not download {where}: {exc}") from exc


def _not_cached(repo_id: str, filename: str, revision: str | None, cache_dir: str | os.PathLike | None) -> bool:
    found = huggingface_hub.try_to_load_from_cache(
        repo_id, filename, revision=revision, cache_dir=None if cache_dir is None else str(cache_dir)
    )
    return not isinstance(found, str)


def _check_reachable(where: str, timeout: float = 3.0) -> None:
    """Fail in seconds, not after the Hub client's ~25 s of retries, when the endpoint cannot be reached.

    Skipped in offline mode (the client answers at once) and behind a proxy (only the proxy
    knows whether the Hub is reachable).

    Raises:
        OfflineError: no TCP connection to ``HF_ENDPOINT`` within ``timeout`` seconds.
    """
    if huggingface_hub.constants.HF_HUB_OFFLINE or any(
        os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
    ):
        return
    url = urlsplit(huggingface_hub.constants.ENDPOINT)
    host, port = url.hostname or "", url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise OfflineError(
            f"{where} is not in the cache and the Hub ({url.scheme}://{url.netloc}) cannot be reached: "
            f"{exc.strerror or exc}. Run once with network access, or run `emotionnet download` first."
        ) from exc


def _evict(path: Path) -> None:
    """Remove a cached snapshot link and the blob it points to."""
    blob = path.resolve()
    for p in {path, blob}:
        p.unlink(missing_ok=True)
