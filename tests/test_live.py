"""The live browser view: real server, real HTTP, real headless Chromium."""

from __future__ import annotations

import http.client
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT, popen_ctrl_c

PEXELS = ROOT / "examples" / "videos" / "WolfgangLanger_Pexels.mp4"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_live() -> tuple[int, subprocess.Popen]:
    """``emotionnet live`` on the Pexels clip, once its browser view serves faces."""
    port = _free_port()
    proc = popen_ctrl_c(
        [
            sys.executable,
            "-m",
            "emotionnet",
            "live",
            "--source",
            str(PEXELS),
            "--view",
            "browser",
            "--port",
            str(port),
            "--device",
            "cpu",
            *("--detect-every", "2", "--max-faces", "1", "--tta", "flip"),  # the options video has, too
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/faces.json")
            state = json.loads(conn.getresponse().read())
            if state["faces"]:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("live server did not start: " + (proc.stderr.read() if proc.stderr else ""))
    return port, proc


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[int, subprocess.Popen]]:
    port, proc = _start_live()
    yield port, proc
    if proc.poll() is None:
        proc.kill()


def _get(port: int, path: str, method: str = "GET") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request(method, path)
    resp = conn.getresponse()
    return resp.status, resp.read() if resp.getheader("Content-Type", "").find("multipart") < 0 else b""


def test_state_and_page(live: tuple[int, subprocess.Popen]) -> None:
    port, _ = live
    status, body = _get(port, "/faces.json")
    state = json.loads(body)
    assert status == 200 and state["faces"][0]["track_id"] == 1 and state["faces"][0]["emotion"]
    status, page = _get(port, "/")
    assert status == 200 and b"/stream.mjpg" in page


def test_mjpeg_stream_delivers_jpeg_frames(live: tuple[int, subprocess.Popen]) -> None:
    port, _ = live
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /stream.mjpg HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while data.count(b"\xff\xd8") < 2 and len(data) < 2_000_000:
            data += s.recv(65536)
    assert b"multipart/x-mixed-replace" in data and data.count(b"--frame") >= 2


def test_rejects_other_paths_methods_and_garbage(live: tuple[int, subprocess.Popen]) -> None:
    port, _ = live
    assert _get(port, "/../../etc/passwd")[0] == 404
    assert _get(port, "/faces.json", "POST")[0] == 405
    assert _get(port, "/" + "a" * 5000)[0] == 414
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"\x00\x01garbage that is not http\r\n\r\n")
        reply = b""
        while chunk := s.recv(4096):
            reply += chunk
        assert b"400" in reply and b"/stream.mjpg" not in reply  # a 400 error page, not the app
    assert _get(port, "/faces.json")[0] == 200


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (.ci/run installs it)")
def test_page_in_headless_chromium(live: tuple[int, subprocess.Popen], tmp_path: Path) -> None:
    port, _ = live
    url = f"http://127.0.0.1:{port}/"
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=4000"]
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=90).stdout
    assert 'class="label"' in dom and "%" in dom.split('class="label"')[1][:60]
    shot = tmp_path / "live.png"
    subprocess.run([*flags, "--window-size=900,700", f"--screenshot={shot}", url], capture_output=True, timeout=90)
    assert shot.stat().st_size > 20_000


def test_ctrl_c_stops_cleanly() -> None:
    port, proc = _start_live()  # its own: the shared one's 20 s clip may have ended (exit 0) by now
    try:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err[-2000:]
    with pytest.raises(OSError):
        _get(port, "/faces.json")  # the server is gone with it


def test_remote_bind_needs_a_flag() -> None:
    from emotionnet.cli import main

    assert main(["live", "--host", "0.0.0.0", "--source", str(PEXELS)]) == 2


def test_port_out_of_range_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from emotionnet import errors
    from emotionnet.cli import main
    from emotionnet.video.live import LiveServer

    with pytest.raises(SystemExit) as exit_info:  # argparse's usage error
        main(["live", "--port", "99999", "--source", str(PEXELS)])
    assert exit_info.value.code == 2 and "must be a TCP port" in capsys.readouterr().err
    for port in (-1, 65536, "8765", True):
        with pytest.raises(errors.InvalidInputError, match="port must be"):
            LiveServer(port=port)  # type: ignore[arg-type]
