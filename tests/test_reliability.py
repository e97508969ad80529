"""Lose nothing, never answer wrong in silence: outputs vs inputs, EXIF, partial batches, Ctrl-C,
decompression bombs, bounded memory, typed errors and CLI exit codes. Real files, processes, sockets."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import ASTRONAUT, MEDIA, needs_media, popen_ctrl_c
from emotionnet import EmotionRecognizer, FaceDetector, errors, load_image, load_model
from emotionnet.cli import main

CLIP = MEDIA / "single_face.mp4"
PEXELS = MEDIA / "WolfgangLanger_Pexels.mp4"


@pytest.fixture(scope="module")
def recognizer() -> EmotionRecognizer:
    return EmotionRecognizer(device="cpu")


def _jpeg_with_orientation(image: np.ndarray, orientation: int) -> bytes:
    """A real JPEG whose EXIF APP1 segment holds the given orientation tag."""
    jpg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    ifd = struct.pack("<H", 1) + struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack("<I", 0)
    app1 = b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + ifd
    return jpg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpg[2:]


def _peak_rss_mb(code: str) -> tuple[float, str]:
    """Run ``code`` in a fresh interpreter; its peak RSS in MB and its stdout."""
    # VmHWM belongs to this process's own memory map (ru_maxrss can carry a forking parent's peak).
    peak = "print([line for line in open('/proc/self/status') if line.startswith('VmHWM')][0], flush=True)"
    out = subprocess.run([sys.executable, "-c", f"{code}\n{peak}"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stdout.splitlines() if line.startswith("VmHWM"))
    return int(line.split()[1]) / 1024, out.stdout


# 1. outputs never destroy inputs; writes are atomic -------------------------------------------


@needs_media
@pytest.mark.parametrize("link", ["same", "symlink", "hardlink"])
def test_video_output_over_its_input_is_refused(tmp_path: Path, link: str) -> None:
    src = tmp_path / "in.mp4"
    src.write_bytes(CLIP.read_bytes())
    out = {"same": src, "symlink": tmp_path / "sym.mp4", "hardlink": tmp_path / "hard.mp4"}[link]
    if link == "symlink":
        out.symlink_to(src)
    elif link == "hardlink":
        os.link(src, out)
    assert main(["video", str(src), "--output-video", str(out), "--no-progress"]) == 1
    assert src.read_bytes() == CLIP.read_bytes()


@needs_media
def test_failed_video_run_leaves_no_output_and_no_temp(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    with pytest.raises(errors.InvalidInputError):
        recognizer.analyze_video(CLIP, every_n_frames=0, output_video=out, progress=False)
    with pytest.raises(errors.InvalidInputError):
        recognizer.analyze_video(CLIP, start=99.0, output_video=out, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_result_writers_refuse_missing_folders_and_keep_old_files(tmp_path: Path) -> None:
    from emotionnet.video.results import VideoPrediction

    result = VideoPrediction(str(tmp_path / "v.mp4"), 30.0, 64, 64, 0, 0, (), 0, ())
    with pytest.raises(errors.OutputError, match="does not exist"):
        result.to_csv(tmp_path / "no" / "rows.csv")
    with pytest.raises(errors.OutputError, match="directory"):
        result.to_json(tmp_path)
    result.to_csv(tmp_path / "rows.csv")
    assert (tmp_path / "rows.csv").read_text().startswith("frame,")
    assert [p.name for p in tmp_path.iterdir()] == ["rows.csv"]  # no temporary file left behind


# 2. EXIF orientation ---------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_what_viewers_show(orientation: int) -> None:
    image = cv2.resize(cv2.imread(str(ASTRONAUT)), (96, 64))
    data = _jpeg_with_orientation(image, orientation)
    shown = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)  # OpenCV applies EXIF here
    assert np.array_equal(load_image(data), shown)


def test_upside_down_phone_photo_reads_like_the_upright_one(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    upright = cv2.imread(str(ASTRONAUT))
    path = tmp_path / "phone.jpg"
    path.write_bytes(_jpeg_with_orientation(upright[::-1, ::-1], 3))  # stored upside down, tagged "rotate 180"
    want, got = recognizer.predict(upright), recognizer.predict(path)
    assert got.emotions == want.emotions
    assert np.allclose(got[0].box, want[0].box, atol=4)
    portrait = tmp_path / "portrait.jpg"
    portrait.write_bytes(_jpeg_with_orientation(np.ascontiguousarray(np.rot90(upright[:, :400])), 6))
    result = recognizer.predict(portrait)
    assert (result.width, result.height) == (400, 512)  # the viewer's frame, not the stored one
    assert len(result) == 1 and result.emotions == want.emotions


# 3. partial batches -------------------------------------------------------------------------------


def test_batch_with_a_bad_image_keeps_the_good_results(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    missing = tmp_path / "missing.jpg"
    with pytest.raises(errors.ImageNotFoundError) as caught:
        recognizer.predict([ASTRONAUT, missing, ASTRONAUT])
    assert caught.value.index == 1
    results = caught.value.partial
    assert results is not None and [r.ok for r in results] == [True, False, True]
    assert results[1].error is caught.value and results[0].emotions == results[2].emotions
    single = recognizer.predict(missing, on_error="return")  # one image: returned marked too, not raised
    assert not single.ok and isinstance(single.error, errors.ImageNotFoundError) and single.faces == ()
    with pytest.raises(errors.ImageNotFoundError):
        recognizer.predict(missing)
    returned = recognizer.predict([ASTRONAUT, missing, ASTRONAUT], on_error="return")
    assert [r.ok for r in returned] == [True, False, True]
    assert isinstance(returned[1].error, errors.ImageNotFoundError)
    assert returned[1].to_dict()["error"]["type"] == "ImageNotFoundError"
    assert returned[0].to_dict()["error"] is None


def test_cli_json_says_why_a_file_failed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", str(ASTRONAUT), str(tmp_path / "missing.jpg"), "--json", "-"]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["error"] is None and len(rows[0]["faces"]) == 1
    assert rows[1]["error"]["type"] == "ImageNotFoundError" and "missing.jpg" in rows[1]["error"]["message"]


# 4. annotated outputs with the same file name ----------------------------------------------------


def test_save_annotated_keeps_both_when_names_collide(tmp_path: Path) -> None:
    for cam in ("cam1", "cam2"):
        (tmp_path / cam).mkdir()
        (tmp_path / cam / "img_0001.png").write_bytes(ASTRONAUT.read_bytes())
    out = tmp_path / "out"
    inputs = [str(tmp_path / cam / "img_0001.png") for cam in ("cam1", "cam2")]
    assert main(["predict", *inputs, "--save-annotated", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["img_0001_annotated-2.png", "img_0001_annotated.png"]
    existing_file = tmp_path / "file.png"
    existing_file.write_bytes(b"keep me")
    assert main(["predict", inputs[0], "--save-annotated", str(existing_file)]) == 1
    assert existing_file.read_bytes() == b"keep me"


# 5. Ctrl-C keeps the rows ---------------------------------------------------------------------------


@needs_media
@pytest.mark.slow
def test_ctrl_c_during_video_keeps_csv_rows_and_a_playable_video(tmp_path: Path) -> None:
    csv_path, mp4 = tmp_path / "rows.csv", tmp_path / "annotated.mp4"
    cmd = [sys.executable, "-m", "emotionnet", "video", str(PEXELS), "--csv", str(csv_path), "--output-video", str(mp4)]
    proc = popen_ctrl_c([*cmd, "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until frames are being written, then interrupt
        parts = list(tmp_path.glob(".annotated.*.part.mp4"))
        if parts and parts[0].stat().st_size > 200_000:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    rows = csv_path.read_text().splitlines()
    assert len(rows) > 10 and rows[0].startswith("frame,")
    cap = cv2.VideoCapture(str(mp4))
    assert cap.isOpened() and cap.get(cv2.CAP_PROP_FRAME_COUNT) > 10
    assert not list(tmp_path.glob(".*part*"))


@pytest.mark.slow
def test_ctrl_c_during_predict_keeps_the_images_done(tmp_path: Path) -> None:
    photos, annotated = tmp_path / "photos", tmp_path / "annotated"
    photos.mkdir()
    for i in range(400):
        os.link(ASTRONAUT, photos / f"a{i:03d}.png")
    rows, js = tmp_path / "rows.csv", tmp_path / "faces.json"
    cmd = [sys.executable, "-m", "emotionnet", "predict", str(photos), "--csv", str(rows), "--json", str(js)]
    cmd += ["--save-annotated", str(annotated), "--no-progress"]
    proc = popen_ctrl_c(cmd, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(annotated.glob("*_annotated.png"))) < 3:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    done = json.loads(js.read_text())
    assert 3 <= len(done) < 400 and all(len(r["faces"]) == 1 for r in done)
    assert len(rows.read_text().splitlines()) == len(done) + 1  # header + one face each
    # the last prediction may have finished while its picture was being written (then removed)
    assert len(done) - 1 <= len(list(annotated.glob("*_annotated.png"))) <= len(done)
    assert not list(tmp_path.rglob(".*part*"))


# 6. video ranges -------------------------------------------------------------------------------------


@needs_media
@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": -1},
        {"start": math.nan},
        {"end": math.inf},
        {"every_n_frames": 2.5},
        {"every_n_frames": "2"},
        {"every_n_frames": True},
        {"start": 2.0, "end": 1.0},
        {"start": 1e6},
        {"max_faces": 0},
        {"smoothing": 1.0},
    ],
)
def test_video_arguments_are_checked(recognizer: EmotionRecognizer, kwargs: dict[str, object]) -> None:
    with pytest.raises(errors.InvalidInputError):
        recognizer.analyze_video(CLIP, progress=False, **kwargs)  # type: ignore[arg-type]


# 7. bytes after the end marker -------------------------------------------------------------------------


@pytest.mark.parametrize("ext", [".jpg", ".png"])
def test_trailing_bytes_are_fine_truncation_is_not(ext: str) -> None:
    data = cv2.imencode(ext, cv2.imread(str(ASTRONAUT)))[1].tobytes()
    motion_photo = data + b"\x00\x00\x00\x18ftypmp42" + os.urandom(4096)  # a video appended, as phones do
    assert load_image(motion_photo).shape == (512, 512, 3)
    with pytest.raises(errors.ImageReadError, match="truncated"):
        load_image(data[: len(data) // 2])


# 8-9. memory stays bounded ---------------------------------------------------------------------------------


def _bomb(ext: str, tmp_path: Path) -> Path:
    """A small real file whose header claims a huge image (what a decompression bomb looks like)."""
    small = np.zeros((64, 64, 3), np.uint8)
    data = bytearray(cv2.imencode(ext, small, [cv2.IMWRITE_WEBP_QUALITY, 80] if ext == ".webp" else [])[1].tobytes())
    if ext == ".webp":  # lossy VP8: 14-bit width and height in the key frame header
        at = data.index(b"VP8 ") + 14
        data[at : at + 4] = struct.pack("<HH", 16383, 16383)
    elif ext == ".tiff":
        order = "<" if data[:2] == b"II" else ">"
        ifd = struct.unpack_from(order + "I", data, 4)[0]
        for k in range(struct.unpack_from(order + "H", data, ifd)[0]):
            at = ifd + 2 + 12 * k
            tag, kind = struct.unpack_from(order + "HH", data, at)
            if tag in (256, 257):
                struct.pack_into(order + ("H" if kind == 3 else "I"), data, at + 8, 30000)
    path = tmp_path / f"bomb{ext}"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("ext", [".webp", ".tiff"])
def test_decompression_bombs_are_refused_before_decoding(ext: str, tmp_path: Path) -> None:
    path = _bomb(ext, tmp_path)
    with pytest.raises(errors.InvalidImageError, match="pixels"):
        load_image(path)
    peak, out = _peak_rss_mb(
        f"from emotionnet import load_image, errors\ntry:\n    load_image({str(path)!r})\n"
        "except errors.InvalidImageError:\n    print('refused')"
    )
    assert "refused" in out and peak < 400, peak


@pytest.mark.slow
def test_huge_boxes_and_huge_images_stay_under_1_gb(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    cv2.imwrite(str(big), cv2.resize(cv2.imread(str(ASTRONAUT)), (9000, 9000), interpolation=cv2.INTER_NEAREST))
    peak, out = _peak_rss_mb(
        "import numpy as np\nfrom emotionnet import EmotionRecognizer, FaceDetector\n"
        f"r = EmotionRecognizer(device='cpu', detector=FaceDetector(max_side=None))\n"
        f"print('faces', len(r.predict({str(big)!r})))\n"
        "img = np.zeros((600, 600, 3), np.uint8)\n"
        "print('boxed', len(r.predict(img, boxes=[(0, 0, 100000, 100000)])))"
    )
    assert "faces 1" in out and "boxed 1" in out
    assert peak < 1024, peak


@pytest.mark.slow
def test_a_long_list_of_large_photos_holds_one_photo_at_a_time(tmp_path: Path) -> None:
    """Each image is cut as soon as its faces are found: 20 decoded 4000x4000 photos would be 960 MB."""
    big = tmp_path / "big.jpg"
    cv2.imwrite(str(big), cv2.resize(cv2.imread(str(ASTRONAUT)), (4000, 4000), interpolation=cv2.INTER_LINEAR))
    peak, out = _peak_rss_mb(
        "from emotionnet import EmotionRecognizer\n"
        "r = EmotionRecognizer(device='cpu')\n"
        # the astronaut's face (about 700 px here); the search for small faces also sees her wings badge
        f"print('faces', sum(f.box[2] > 300 for p in r.predict([{str(big)!r}] * 20) for f in p))"
    )
    assert "faces 20" in out
    assert peak < 600, peak


# 10. the Hub -------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_hub_offline_and_unreachable_are_offline_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    code = (
        "import emotionnet\ntry:\n    emotionnet.load_model('org/name')\n"
        "except emotionnet.OfflineError as e:\n    print('offline', e)"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.startswith("offline"), out.stderr
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {**os.environ, "HF_ENDPOINT": f"http://127.0.0.1:{port}"}
    env.pop("HF_HUB_OFFLINE", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.startswith("offline") and "cannot be reached" in out.stdout, out.stderr
    assert "Retrying" not in out.stderr  # no 25 s of back-off retries against a closed port


# 11. API arguments ------------------------------------------------------------------------------------------------


def test_api_arguments_get_typed_errors(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    with pytest.raises(errors.InvalidInputError, match=r"\[\(10, 10, 50, 50\)\]"):
        recognizer.predict(ASTRONAUT, boxes=(10, 10, 50, 50))  # type: ignore[arg-type]
    for bad in ([(1, 2, 3)], [("a", 2, 3, 4)], [5], "box"):
        with pytest.raises(errors.InvalidInputError):
            recognizer.predict(ASTRONAUT, boxes=bad)  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidInputError):
        EmotionRecognizer(batch_size="64")  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidInputError):
        recognizer.predict(ASTRONAUT, on_error="ignore")  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidInputError):
        FaceDetector(min_face_size=-5)
    for config in ('{"widths": 5', "[1, 2]", '{"widths": [1, 2, 3]}', '{"widths": 5}', '{"fc": [1, "a"]}'):
        (tmp_path / "config.json").write_text(config)
        with pytest.raises(errors.WeightsError, match="config"):
            load_model(tmp_path)
    # a config that claims a 20-billion-parameter network is refused before anything is allocated
    (tmp_path / "config.json").write_text('{"widths": [16384, 16384, 16384, 16384], "fc": [16384, 16384]}')
    with pytest.raises(errors.WeightsError, match="parameters"):
        load_model(tmp_path)


# 12 and "also": CLI ------------------------------------------------------------------------------------------------


def _cli(*args: str, pre: str = "") -> subprocess.CompletedProcess[str]:
    code = f"{pre}\nimport sys\nfrom emotionnet.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)


@needs_media
def test_cli_live_on_a_busy_port() -> None:
    from emotionnet.video.live import LiveServer

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = _cli("live", "--source", str(CLIP), "--port", str(port))
        assert out.returncode == 1 and "in use" in out.stderr and "Traceback" not in out.stderr
        with pytest.raises(errors.ServerError, match="in use"):
            LiveServer("127.0.0.1", port)


def test_cli_broken_pipe_is_quiet() -> None:
    code = (
        "import subprocess, sys\n"
        "p = subprocess.Popen([sys.executable, '-m', 'emotionnet', 'predict', sys.argv[1], sys.argv[1], '--json', '-'],"
        " stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
        "p.stdout.readline(); p.stdout.close(); err = p.stderr.read().decode(); p.wait()\n"
        "print(p.returncode, 'Traceback' in err)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(ASTRONAUT)], capture_output=True, text=True, timeout=300)
    assert out.stdout.split() == ["0", "False"], out.stderr


@needs_media
def test_cli_checks_outputs_before_the_work(tmp_path: Path) -> None:
    out = _cli("video", str(CLIP), "--csv", str(tmp_path / "no" / "such" / "x.csv"))
    assert out.returncode == 1 and "does not exist" in out.stderr and "frames analysed" not in out.stdout
    no_mpl = _cli(
        "video", str(CLIP), "--plot", str(tmp_path / "t.png"), pre="import sys; sys.modules['matplotlib'] = None"
    )
    assert no_mpl.returncode == 1 and "emotionnet[plot]" in no_mpl.stderr and "Traceback" not in no_mpl.stderr


@pytest.mark.slow
def test_cli_backend_without_onnx_names_the_extra() -> None:
    pre = (  # as if the onnx extra were not installed
        "import importlib.util as u; real = u.find_spec\n"
        "u.find_spec = lambda n, *a: None if n == 'onnx' else real(n, *a)"
    )
    out = _cli("predict", str(ASTRONAUT), "--runtime", "opencv", pre=pre)  # runs an export: needs onnx
    assert out.returncode == 1 and "emotionnet[onnx]" in out.stderr and "Traceback" not in out.stderr


def test_cli_exit_codes_follow_one_rule(tmp_path: Path) -> None:
    assert _cli("predict", str(tmp_path / "missing.jpg")).returncode == 1
    assert _cli("video", str(tmp_path / "missing.mp4")).returncode == 1
    bad = _cli("predict", str(ASTRONAUT), "--min-face-size", "-5")
    assert bad.returncode == 2 and "must be >= 0" in bad.stderr


def test_messages_say_what_really_happened(tmp_path: Path) -> None:
    loop = tmp_path / "loop.jpg"
    loop.symlink_to(loop)
    with pytest.raises(errors.ImageNotFoundError, match="symbolic links"):
        load_image(loop)
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    with pytest.raises(errors.ImageNotFoundError, match="FIFO"):
        load_image(fifo)
    dangling = tmp_path / "dangling.jpg"
    dangling.symlink_to(tmp_path / "gone.jpg")
    with pytest.raises(errors.ImageNotFoundError, match="broken symlink"):
        load_image(dangling)


@pytest.mark.slow
def test_a_stalled_stream_url_says_it_stalled(recognizer: EmotionRecognizer) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]  # accepts connections (the kernel's backlog) and never answers
        with pytest.raises(errors.VideoReadError, match="stalled"):
            next(recognizer.stream(f"http://127.0.0.1:{port}/stream.mjpg"))


@needs_media
def test_a_range_with_no_frame_warns(recognizer: EmotionRecognizer) -> None:
    with pytest.warns(UserWarning, match="no frame in the requested range was analysed"):
        result = recognizer.analyze_video(PEXELS, start=0.0, end=0.001, progress=False)
    assert len(result.rows) == 0


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    from emotionnet.io.image import MAX_FILE_BYTES

    huge = tmp_path / "huge.jpg"
    with open(huge, "wb") as f:
        f.write(b"\xff\xd8\xff")
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing is written to disk, nothing can be read in time
    with pytest.raises(errors.ImageReadError, match="limit"):
        load_image(huge)
