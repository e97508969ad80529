"""A small fake Hugging Face Hub: a real HTTP server on 127.0.0.1 serving the resolve endpoint.

It answers ``HEAD``/``GET /{repo_id}/resolve/{revision}/{filename}`` with the ``ETag``,
``X-Repo-Commit`` and ``Content-Length`` headers ``hf_hub_download`` needs, honours ``Range``,
and can inject faults: HTTP errors, stalls, truncated bodies and swapped bytes.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote


@dataclass
class Repo:
    commit: str
    files: dict[str, bytes]


@dataclass
class Faults:
    """Fault injection; each list entry is consumed by one request."""

    statuses: list[int] = field(default_factory=list)  # answer these codes first
    stalls: list[float] = field(default_factory=list)  # sleep this long before answering
    truncate_to: int | None = None  # send only this many body bytes (Content-Length stays full)
    serve_instead: dict[str, bytes] = field(default_factory=dict)  # filename -> other bytes


class FakeHub:
    """Start with :meth:`start`; ``url`` is what ``HF_ENDPOINT`` must point to."""

    def __init__(self, port: int = 0) -> None:
        self.repos: dict[str, Repo] = {}
        self.faults = Faults()
        self.requests: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(self, repo_id: str, files: dict[str, bytes]) -> str:
        """Publish ``files`` as one commit of ``repo_id``; returns the 40-hex commit id."""
        commit = hashlib.sha1(repo_id.encode() + b"".join(sorted(files.values()))).hexdigest()
        self.repos[repo_id] = Repo(commit, dict(files))
        return commit

    def reset(self) -> None:
        self.repos.clear()
        self.faults = Faults()
        self.requests.clear()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._serve(body=False)

            def do_GET(self) -> None:
                self._serve(body=True)

            def _error(self, status: int, code: str | None = None) -> None:
                self.send_response(status)
                if code:
                    self.send_header("X-Error-Code", code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _serve(self, body: bool) -> None:
                hub.requests.append((self.command, self.path))
                if hub.faults.stalls:
                    time.sleep(hub.faults.stalls.pop(0))
                if hub.faults.statuses:
                    return self._error(hub.faults.statuses.pop(0))
                parts = unquote(self.path.split("?")[0]).strip("/").split("/")
                if len(parts) < 5 or parts[2] != "resolve":
                    return self._error(404)
                repo = hub.repos.get(f"{parts[0]}/{parts[1]}")
                if repo is None:
                    return self._error(404, "RepoNotFound")
                if parts[3] not in (repo.commit, "main"):
                    return self._error(404, "RevisionNotFound")
                name = "/".join(parts[4:])
                if name not in repo.files:
                    return self._error(404, "EntryNotFound")
                data = hub.faults.serve_instead.get(name, repo.files[name])
                start = 0
                rng = self.headers.get("Range")
                if rng and rng.startswith("bytes="):
                    start = int(rng[6:].split("-")[0] or 0)
                self.send_response(206 if start else 200)
                self.send_header("X-Repo-Commit", repo.commit)
                self.send_header("ETag", f'"{hashlib.sha256(repo.files[name]).hexdigest()}"')
                self.send_header("Content-Length", str(len(data) - start))
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                if body:
                    payload = data[start:]
                    if hub.faults.truncate_to is not None:
                        payload = payload[: hub.faults.truncate_to]
                        self.close_connection = True
                    self.wfile.write(payload)

        return Handler
