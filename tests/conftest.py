"""Shared fixtures. HF_ENDPOINT/HF_HOME are set before huggingface_hub is first imported."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_PORT = _free_port()
os.environ["HF_ENDPOINT"] = f"http://127.0.0.1:{_PORT}"
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="emotionnet-tests-hf-")
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["EMOTIONNET_CACHE"] = tempfile.mkdtemp(prefix="emotionnet-tests-cache-")  # ONNX exports
os.environ.pop("HF_HUB_OFFLINE", None)

from fake_hub import FakeHub  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MEDIA = SHARED / "media"
FER2013 = SHARED / "data" / "fer2013"
ASTRONAUT = ROOT / "examples" / "images" / "astronaut.png"

needs_media = pytest.mark.skipif(not MEDIA.is_dir(), reason="../shared/media is absent (it is always present in CI)")
needs_fer2013 = pytest.mark.skipif(
    not FER2013.is_dir(), reason="../shared/data/fer2013 is absent (it is always present in CI)"
)


@pytest.fixture(scope="session")
def fake_hub() -> Iterator[FakeHub]:
    hub = FakeHub(_PORT).start()
    yield hub
    hub.stop()


@pytest.fixture
def hub(fake_hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """The fake Hub, emptied, with a fresh Hub cache for this test."""
    import huggingface_hub.constants as hf_constants

    fake_hub.reset()
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    yield fake_hub
    fake_hub.reset()


# Ctrl-C in tests --------------------------------------------------------------------------------
# A script, nohup or some CI runners start pytest with SIGINT ignored, and children inherit that.
# Every test that sends a Ctrl-C goes through these two helpers, so it means the same thing there.


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Python then installs its KeyboardInterrupt handler


def popen_ctrl_c(cmd: list[str], **kwargs: Any) -> subprocess.Popen:
    """``subprocess.Popen`` of a child that takes SIGINT as Ctrl-C, whatever pytest inherited."""
    return subprocess.Popen(cmd, preexec_fn=_default_sigint, **kwargs)


@contextmanager
def ctrl_c_raises() -> Iterator[None]:
    """In this process, SIGINT raises ``KeyboardInterrupt`` for the duration (then as it was)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
