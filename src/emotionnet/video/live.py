"""Live view of ``EmotionRecognizer.stream``: an MJPEG page served on loopback, or an OpenCV window."""

from __future__ import annotations

import contextlib
import json
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2

from ..errors import InvalidInputError, ServerError
from .stream import StreamFrame

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>emotionnet live</title>
<style>body{font-family:sans-serif;background:#111;color:#eee;margin:1em}img{max-width:100%}
.face{margin:.5em 0}.bar{display:flex;align-items:center;font-size:12px}.bar span{width:70px}
.bar div{height:10px;background:#4af;margin-left:4px}</style></head>
<body><h3>emotionnet live</h3><img id="video" src="/stream.mjpg" alt="live video">
<div id="faces">waiting for frames...</div>
<script>
async function poll(){
  try{
    const r = await fetch('/faces.json'); const s = await r.json();
    const box = document.getElementById('faces');
    if(!s.faces.length){ box.textContent = 'no faces (' + s.fps.toFixed(1) + ' fps)'; }
    else { box.innerHTML = s.faces.map(f => '<div class="face"><b class="label">#' + f.track_id + ' ' +
      f.emotion + ' ' + Math.round(f.probability*100) + '%</b>' + Object.entries(f.probabilities).map(([k,v]) =>
      '<div class="bar"><span>' + k + '</span><div style="width:' + Math.round(v*200) + 'px"></div></div>').join('') +
      '</div>').join('') + '<small>' + s.fps.toFixed(1) + ' fps, frame ' + s.frame + '</small>'; }
  }catch(e){}
  setTimeout(poll, 250);
}
poll();
</script></body></html>
"""

MAX_REQUEST_LINE = 2048


class LiveServer:
    """Serve the newest annotated frame as MJPEG plus a page with per-face probability bars.

    Paths: ``/`` (the page), ``/stream.mjpg`` (the video) and ``/faces.json`` (the newest
    faces); anything else gets 404, other methods 405. Binds to 127.0.0.1 unless told otherwise.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 8765) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise InvalidInputError(f"port must be an int in 0-65535 (0: any free one), got {port!r}")
        if host not in ("127.0.0.1", "localhost", "::1"):
            warnings.warn(
                f"Serving the live view on {host}: anyone who can reach this machine can watch the camera",
                stacklevel=2,
            )
        self._cond = threading.Condition()
        self._jpeg: bytes | None = None
        self._state: dict = {"frame": -1, "fps": 0.0, "faces": []}
        self._seq = 0
        self.closed = False
        try:
            self.httpd = ThreadingHTTPServer((host, port), self._handler())
        except OSError as exc:  # EADDRINUSE, EACCES on ports < 1024, unknown host
            raise ServerError(f"Cannot serve the live view on {host}:{port}: {exc.strerror or exc}") from exc
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def publish(self, frame: StreamFrame) -> None:
        """Make ``frame`` (annotated) the newest frame served.

        Args:
            frame: A :class:`~emotionnet.video.stream.StreamFrame`.
        """
        ok, buf = cv2.imencode(".jpg", frame.annotated(), [cv2.IMWRITE_JPEG_QUALITY, 80])
        faces = [{"track_id": tid, **face.to_dict()} for face, tid in zip(frame.prediction.faces, frame.track_ids)]
        with self._cond:
            if ok:
                self._jpeg = buf.tobytes()
            self._state = {"frame": frame.index, "fps": frame.fps, "dropped": frame.dropped, "faces": faces}
            self._seq += 1
            self._cond.notify_all()

    def close(self) -> None:
        """Stop serving and wake any waiting stream."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    def _frames(self) -> Iterator[bytes]:
        seen = [-1]

        def ready() -> bool:
            return self.closed or (self._seq != seen[0] and self._jpeg is not None)

        while True:
            with self._cond:
                self._cond.wait_for(ready, timeout=5)
                if self.closed:
                    return
                seen[0], jpeg = self._seq, self._jpeg
            if jpeg is not None:
                yield jpeg

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "emotionnet-live"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if len(self.path) > MAX_REQUEST_LINE:
                    return self.send_error(414)
                path = self.path.split("?", 1)[0]
                if path == "/":
                    return self._send(200, "text/html; charset=utf-8", PAGE.encode())
                if path == "/faces.json":
                    with server._cond:
                        body = json.dumps(server._state).encode()
                    return self._send(200, "application/json", body)
                if path == "/stream.mjpg":
                    return self._mjpeg()
                self.send_error(404)

            def _send(self, status: int, kind: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def _mjpeg(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                try:
                    for jpeg in server._frames():
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\n")
                        self.wfile.write(f"Content-Length: {len(jpeg)}\r\n\r\n".encode() + jpeg + b"\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _refuse(self) -> None:
                self.send_error(405)

            do_POST = do_PUT = do_DELETE = do_PATCH = _refuse

        return Handler


def show_window(frames: Iterator[StreamFrame], title: str = "emotionnet live") -> None:
    """Show annotated frames in an OpenCV window until the stream ends or q/Esc is pressed.

    Args:
        frames: The analysed frames (e.g. :meth:`EmotionRecognizer.stream`).
        title: The window title.
    """
    try:
        for frame in frames:
            cv2.imshow(title, frame.annotated())
            if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                break
    except cv2.error as exc:
        raise InvalidInputError(
            "No GUI available for --view window (opencv-python-headless has none); use --view browser"
        ) from exc
    finally:
        with contextlib.suppress(cv2.error):
            cv2.destroyAllWindows()
