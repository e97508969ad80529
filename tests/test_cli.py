"""The emotionnet command line, run in-process and as a real subprocess."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import ASTRONAUT, MEDIA, needs_media
from emotionnet import EMOTIONS, get_model_entry
from emotionnet.cli import main


def test_predict_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", str(ASTRONAUT), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "512x512  1 face" in out and "emotion" in out


def test_predict_json_and_annotated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", str(ASTRONAUT), "--json", "-", "--save-annotated", str(tmp_path)]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["width"] == 512 and len(result["faces"]) == 1
    assert abs(sum(result["faces"][0]["probabilities"].values()) - 1) < 1e-4
    assert cv2.imread(str(tmp_path / "astronaut_annotated.png")).shape == (512, 512, 3)


def test_json_may_not_take_an_annotated_images_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clash = tmp_path / "astronaut_annotated.png"
    assert main(["predict", str(ASTRONAUT), "--save-annotated", str(tmp_path), "--json", str(clash)]) == 1
    assert "also the name of an annotated image" in capsys.readouterr().err
    assert not clash.exists()  # refused before any work


def test_predict_csv_has_a_row_per_face_and_per_empty_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blank, broken, out = tmp_path / "blank.png", tmp_path / "broken.jpg", tmp_path / "faces.csv"
    cv2.imwrite(str(blank), np.full((120, 160, 3), 128, np.uint8))
    broken.write_bytes(b"not an image")
    assert main(["predict", str(ASTRONAUT), str(blank), str(broken), "--csv", str(out), "--no-progress"]) == 1
    with out.open(newline="") as f:
        face, empty, bad = csv.DictReader(f)
    assert (face["source"], face["face"], face["emotion"], face["error"]) == (str(ASTRONAUT), "0", "happy", "")
    assert abs(sum(float(face[e]) for e in EMOTIONS) - 1) < 1e-3 and 60 < float(face["w"]) < 150
    assert [empty[k] for k in ("source", "face", "x", "emotion", "error")] == [str(blank), "-1", "", "", ""]
    assert bad["face"] == "-1" and bad["error"].startswith("ImageReadError: ")
    assert "512x512  1 face" in capsys.readouterr().out  # the tables still print
    assert main(["predict", str(ASTRONAUT), "--csv", "-", "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()  # CSV alone on stdout, no table
    assert lines[0].startswith("source,face,x,y,w,h") and lines[1].startswith(f"{ASTRONAUT},0,") and len(lines) == 2
    assert main(["predict", str(ASTRONAUT), "--csv", "-", "--json", "-"]) == 2
    same = tmp_path / "same"
    assert main(["predict", str(ASTRONAUT), "--csv", str(same), "--json", str(same)]) == 2
    assert not same.exists()


@pytest.mark.parametrize(
    "old", [["predict", "--backend", "onnxruntime"], ["video", "--every", "2"], ["video", "--out", "a.mp4"]]
)
def test_pre_1_0_spellings_are_refused(old: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:  # one spelling each: --runtime, --every-n-frames, --output-video
        main([old[0], str(ASTRONAUT), *old[1:]])
    assert info.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err


def test_help_shows_the_1_0_spellings(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    text = capsys.readouterr().out
    assert "--runtime" in text and "--backend" not in text and "default: None" not in text
    for command in ("video", "live"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert all(o in text for o in ("--max-faces", "--detect-every", "--smoothing", "--tta")), command


def test_min_face_size_and_backend_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", str(ASTRONAUT), "--min-face-size", "400", "--runtime", "torch"]) == 0
    assert "no faces found" in capsys.readouterr().out  # the astronaut's face is about 90 px
    assert main(["predict", str(ASTRONAUT), "--min-face-size", "60", "--detector", "yunet_n"]) == 0
    assert "1 face" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["predict", str(ASTRONAUT), "--runtime", "tensorflow"])


def test_bad_file_is_reported_and_others_go_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    assert main(["predict", str(bad), str(ASTRONAUT)]) == 1
    captured = capsys.readouterr()
    assert "broken.jpg" in captured.err and "truncated JPEG" in captured.err
    assert "1 face" in captured.out


def test_models_and_unknown_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "(default)" in out and "yunet" in out and "haar" in out
    m = get_model_entry("emotionnet_compact.ferplus").metrics
    ferplus = next(line for line in out.splitlines() if "emotionnet_compact.ferplus" in line)
    assert f"FER2013 {m['privatetest_acc']:.1%}" in ferplus  # judged on both label sets
    assert f"FER+ {m['privatetest_ferplus_acc']:.1%}" in ferplus
    assert "CPU file int8" in ferplus  # what the CPU path computes in
    assert main(["predict", str(ASTRONAUT), "--model", "nope.nope"]) == 1  # the work failed: exit 1
    assert "Unknown model" in capsys.readouterr().err


@needs_media
def test_shared_photos_face_counts(capsys: pytest.CaptureFixture[str]) -> None:
    names = ["multi_face.jpg", "astronaut.png", "free-mountain-vector-01.jpg"]
    assert main(["predict", *(str(MEDIA / n) for n in names)]) == 0
    out = capsys.readouterr().out
    assert "multi_face.jpg  1000x667  5 faces" in out
    assert "astronaut.png  512x512  1 face" in out
    assert "free-mountain-vector-01.jpg  1920x1080  no faces found" in out


def test_console_script_runs_as_a_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "emotionnet", "predict", str(ASTRONAUT)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "1 face" in done.stdout
    done = subprocess.run(
        [sys.executable, "-m", "emotionnet", "predict", "/no/such.jpg"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1 and "No such image file" in done.stderr and "Traceback" not in done.stderr


def test_json_goes_to_a_file_or_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "faces.json"
    assert main(["predict", str(ASTRONAUT), "--json", str(out), "--no-progress"]) == 0
    assert capsys.readouterr().out == "" and json.loads(out.read_text())[0]["faces"]
    assert main(["predict", str(ASTRONAUT), "--json", "-", "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["source"] == str(ASTRONAUT)


@pytest.mark.parametrize("option", ["--json", "--csv"])
def test_an_output_option_never_overwrites_a_photo(
    tmp_path: Path, option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # 0.1.0's spelling `predict --json photo.jpg other.jpg` once wrote JSON over photo.jpg
    photo, other = tmp_path / "photo.jpg", tmp_path / "other.png"
    shutil.copy(ASTRONAUT, other)
    cv2.imwrite(str(photo), cv2.imread(str(ASTRONAUT)))
    before = photo.read_bytes()
    assert main(["predict", option, str(photo), str(other), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "Refusing to write" in err and "photo.jpg" in err and "Traceback" not in err
    assert photo.read_bytes() == before
    with pytest.raises(SystemExit):  # a bare --json needs its FILE (- for stdout), as in `video`
        main(["predict", str(other), option])


def test_a_device_is_not_an_output_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", str(ASTRONAUT), "--csv", "/dev/null", "--no-progress"]) == 1  # never renamed over
    assert "not a regular file" in capsys.readouterr().err and Path("/dev/null").is_char_device()


def test_video_outputs_never_overwrite_files_of_another_kind(tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    shutil.copy(ASTRONAUT, photo)
    before = photo.read_bytes()
    for option in ("--json", "--csv", "--output-video"):
        assert main(["video", str(tmp_path / "missing.mp4"), option, str(photo)]) == 1
    model = tmp_path / "weights.safetensors"
    model.write_bytes(b"weights")
    assert main(["video", str(tmp_path / "missing.mp4"), "--plot", str(model)]) == 1
    assert photo.read_bytes() == before and model.read_bytes() == b"weights"


def test_predict_rows_are_on_disk_as_each_image_finishes_and_survive_a_failure(tmp_path: Path) -> None:
    from emotionnet import EmotionRecognizer
    from emotionnet.cli._rows import prediction_rows

    result, gone = EmotionRecognizer(device="cpu").predict([ASTRONAUT, "gone.png"], on_error="return")
    out_json, out_csv = tmp_path / "faces.json", tmp_path / "faces.csv"
    with pytest.raises(RuntimeError, match="on fire"), prediction_rows(str(out_json), str(out_csv), EMOTIONS) as rows:
        for _ in range(3):
            rows.add(result)
        rows.add(gone)
        (part,) = tmp_path.glob(".faces.*.part.json")  # the rows so far, on disk, not in memory
        assert part.read_text().count('"source"') == 4 and not out_json.exists()
        raise RuntimeError("disk on fire")
    text = out_json.read_text()
    images = json.loads(text)
    assert text == json.dumps(images, indent=2) + "\n"  # what one json.dumps of the whole list writes
    assert len(images) == 4 and images[3] == gone.to_dict() and images[3]["error"]["type"] == "ImageNotFoundError"
    with out_csv.open(newline="") as f:
        assert [r["face"] for r in csv.DictReader(f)] == ["0", "0", "0", "-1"]
    assert not list(tmp_path.glob(".*part*"))
