"""A real local HTTP server for connector tests.

Connectors talk to it with their real client libraries (httpx, feedparser,
later Mastodon.py, atproto, praw), so the tests exercise the actual protocol:
status codes, headers, conditional requests, slow and oversized responses.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "listening"


@dataclass
class Reply:
    """What the server answers on one path."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds to wait before answering
    # Send Content-Length; without it the body runs until the connection
    # closes (HTTP/1.0), which is how a client meets an undeclared size.
    content_length: bool = True
    # When set, the server sends this ETag and answers 304 to a matching
    # If-None-Match, as a well-behaved feed server does.
    etag: str | None = None


@dataclass
class RecordedRequest:
    method: str
    path: str  # as sent, with the query string
    headers: dict[str, str]  # lower-case names

    @property
    def query(self) -> dict[str, list[str]]:
        """The query string's parameters (API clients send theirs there)."""
        return parse_qs(urlsplit(self.path).query)


class LocalHttpServer:
    def __init__(self) -> None:
        self._routes: dict[str, list[Reply]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.requests: list[RecordedRequest] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # a quick shutdown at teardown
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, *replies: Reply) -> str:
        """Answer `path` with the replies in turn; the last one repeats.

        A path without a query string also answers requests to it with any
        query string (as API clients send their parameters); a route with
        the exact query string wins.
        """
        with self._lock:
            self._routes[path] = list(replies)
        return self.url(path)

    def serve_file(
        self, path: str, filename: str, *, content_type: str, **reply: object
    ) -> str:
        body = (DATA_DIR / filename).read_bytes()
        headers = {"Content-Type": content_type, **reply.pop("headers", {})}
        return self.route(path, Reply(body=body, headers=headers, **reply))

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """Requests to `path`: exactly, or to it with a query string."""
        with self._lock:
            return [
                r for r in self.requests if path in (r.path, _without_query(r.path))
            ]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()  # wakes handlers still sleeping on a delay
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next_reply(self, path: str) -> Reply:
        with self._lock:
            replies = self._routes.get(path) or self._routes.get(_without_query(path))
            if not replies:
                return Reply(status=404, body=b"not found")
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                headers = {name.lower(): value for name, value in self.headers.items()}
                with server._lock:
                    server.requests.append(RecordedRequest("GET", self.path, headers))
                reply = server._next_reply(self.path)
                if reply.delay and server._stopping.wait(reply.delay):
                    return
                status, body = reply.status, reply.body
                if reply.etag and headers.get("if-none-match") == reply.etag:
                    status, body = 304, b""
                try:
                    self.send_response(status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if reply.etag:
                        self.send_header("ETag", reply.etag)
                    if reply.content_length and status != 304:
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if status != 304:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout, size limit): expected

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        return Handler


def _without_query(path: str) -> str:
    return path.split("?", 1)[0]


@pytest.fixture
def http_server() -> Iterator[LocalHttpServer]:
    """A threaded HTTP server on 127.0.0.1 and a random port, per test."""
    server = LocalHttpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _local_addresses_allowed():
    """Connector tests call connectors directly against 127.0.0.1; the poll
    service sets this from LISTENING_ALLOW_PRIVATE_ADDRESSES itself."""
    from listening.connectors.base import private_addresses

    with private_addresses(True):
        yield


@pytest.fixture
def webcare(db):
    """Change the default site's webcare settings: webcare(field=value, ...)."""
    from listening.webcare import webcare_settings

    def change(**fields):
        cfg = webcare_settings()
        for name, value in fields.items():
            setattr(cfg, name, value)
        cfg.save()
        return cfg

    return change
