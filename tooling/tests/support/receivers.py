"""Real listeners on 127.0.0.1 that stand in for paging providers: a webhook receiver that records every
page, and a silent listener that accepts connections and never answers.

    with Receiver() as receiver:      # or the ``receiver`` fixture from conftest.py
        ... channels(receiver.port, "pager") ...
        assert receiver.paths == ["/page"]
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass(frozen=True)
class Received:
    """One POST as the receiver saw it; ``at`` is ``time.monotonic()`` on arrival, to order pages against
    other events of the same test."""

    path: str
    auth: str
    json: Any
    at: float


class Receiver:
    """A webhook endpoint on a real ThreadingHTTPServer. A path that starts with ``/fail`` answers 500, so a
    test can watch retries; every other path answers 200."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        lock = threading.Lock()
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                arrived = Received(self.path, self.headers.get("Authorization", ""), _json(body), time.monotonic())
                with lock:
                    requests.append(arrived)
                self.send_response(500 if self.path.startswith("/fail") else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _json(body: bytes) -> Any:
    """apprise's ``json://`` sends JSON; anything else is kept as None so the sender still gets its answer."""
    try:
        return json.loads(body)
    except ValueError:
        return None


class Silent:
    """Accepts every connection and never says a word: an HTTP provider that never answers, an SMTP server
    that never greets. Notes when each connection was accepted (``time.monotonic()``)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port: int = self.listener.getsockname()[1]
        self.accepted: list[float] = []
        self.connections: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.accepted.append(time.monotonic())
            self.connections.append(connection)  # held open, unread and unanswered, until close()

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        for connection in self.connections:
            connection.close()
        self.listener.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def channels(port: int, channel: str) -> str:
    """``policies/channels.yaml`` with the minimal organisation's personal email channel (pointing at the
    discard port, so it never delivers) and one webhook ``channel`` that posts to a receiver's ``/page``."""
    return f"""\
channels:
  - id: email
    name: Email
    kind: email
    url: mailto://127.0.0.1:9?to={{address}}
    personal: true
  - id: {channel}
    name: Pager webhook
    kind: webhook
    url: json://127.0.0.1:{port}/page
"""
