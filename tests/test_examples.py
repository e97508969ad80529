"""Every script in examples/ runs as a user would run it, and its outputs are sane."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import ROOT
from emotionnet.labels import EMOTIONS


def _run(script: str, *args: str, cwd: Path) -> str:
    (cwd / "examples").exists() or (cwd / "examples").symlink_to(ROOT / "examples")
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_predict_image(tmp_path: Path) -> None:
    out = _run("predict_image.py", "examples/images/astronaut.png", "a.png", cwd=tmp_path)
    assert "1 face" in out and cv2.imread(str(tmp_path / "a.png")).shape == (512, 512, 3)


def test_batch_folder(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "astronaut.png").write_bytes((ROOT / "examples/images/astronaut.png").read_bytes())
    (photos / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    out = _run("batch_folder.py", str(photos), "faces.csv", cwd=tmp_path)
    with open(tmp_path / "faces.csv") as f:
        rows = list(csv.DictReader(f))
    assert "2 images" in out and len(rows) == 1 and rows[0]["file"] == "astronaut.png"


@pytest.mark.slow
def test_analyze_video(tmp_path: Path) -> None:
    out = _run("analyze_video.py", "examples/videos/WolfgangLanger_Pexels.mp4", "v", cwd=tmp_path)
    assert "472/472 frames analysed" in out
    assert (tmp_path / "v" / "rows.csv").stat().st_size > 10_000 and (tmp_path / "v" / "timeline.png").exists()


def test_live_webcam_on_a_file(tmp_path: Path) -> None:
    out = _run("live_webcam.py", "examples/videos/WolfgangLanger_Pexels.mp4", "5", cwd=tmp_path)
    assert out.count("frame ") == 5 and "#1" in out


def test_custom_detector(tmp_path: Path) -> None:
    out = _run("custom_detector.py", cwd=tmp_path)
    assert any(e.value in out for e in EMOTIONS)


@pytest.mark.slow
def test_train_fer2013_on_a_tiny_folder(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for emotion in EMOTIONS:
        for folder, prefix, n in (("train", "Training", 10), ("test", "PublicTest", 3), ("test", "PrivateTest", 3)):
            d = tmp_path / "fer" / folder / emotion.value
            d.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                cv2.imwrite(str(d / f"{prefix}_{i}.jpg"), rng.integers(0, 255, (48, 48), dtype=np.uint8))
    out = _run("train_fer2013.py", str(tmp_path / "fer"), str(tmp_path / "run"), "1", "64", cwd=tmp_path)
    assert "accuracy" in out and (tmp_path / "run" / "best" / "model.safetensors").exists()


@pytest.mark.slow
def test_export_onnx(tmp_path: Path) -> None:
    out = _run("export_onnx.py", str(tmp_path / "m.onnx"), cwd=tmp_path)
    assert "max abs difference" in out and any(e.value in out for e in EMOTIONS)


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "examples").glob("*.py")))
def test_every_example_has_a_docstring_and_a_test(script: str) -> None:
    text = (ROOT / "examples" / script).read_text()
    assert text.startswith('"""') and "Usage:" in text
    assert f'"{script}"' in Path(__file__).read_text()
