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

import cv2
import numpy as np
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


FERPLUS_CSV_COLUMNS = [
    "neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF"
]  # fmt: skip


@pytest.fixture(scope="module")
def fer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small FER2013-layout folder with ferplus.csv: 7 classes x (16 train, 4 PublicTest,
    4 PrivateTest) 48x48 JPEGs with class-dependent patterns."""
    from emotionnet.labels import EMOTIONS
    from emotionnet.training.ferplus import FERPLUS_COLUMNS

    root = tmp_path_factory.mktemp("fer")
    rng = np.random.default_rng(0)
    rows = ["path," + ",".join(FERPLUS_CSV_COLUMNS) + ",same_image_in_train,votes_uncertain"]
    for label, emotion in enumerate(EMOTIONS):
        for folder, prefix, n in (("train", "Training", 16), ("test", "PublicTest", 4), ("test", "PrivateTest", 4)):
            d = root / folder / emotion.value
            d.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                img = rng.integers(0, 60, (48, 48), dtype=np.uint8)
                img[label * 6 : label * 6 + 6] = 255
                cv2.imwrite(str(d / f"{prefix}_{label}{i:03d}.jpg"), img)
                votes = [0] * 10  # FER+ order; 7 of 10 for the image's own emotion, the rest spread
                votes[FERPLUS_CSV_COLUMNS.index(FERPLUS_COLUMNS[label])] = 7
                votes[int(rng.integers(0, 9))] += 3
                rows.append(
                    f"{folder}/{emotion.value}/{prefix}_{label}{i:03d}.jpg," + ",".join(map(str, votes)) + ",0,0"
                )
    (root / "ferplus.csv").write_text("\n".join(rows) + "\n")
    return root
