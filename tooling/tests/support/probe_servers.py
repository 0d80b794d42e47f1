"""Real servers on 127.0.0.1 for the probe tests: HTTP that misbehaves in every way a target can, TLS with
good and bad certificates, and a DNS server answering from a small zone.

:func:`local_services` writes a services file whose probes point at them. Each server starts in a
background thread and is stopped by its context manager; a handler that is stuck on
purpose (hanging, endless body) ends when the client goes away or the server shuts down.
"""

from __future__ import annotations

import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import dnslib
from dnslib.server import BaseResolver, DNSServer


@dataclass
class Behaviour:
    """Switchable at run time, so one server can go down and come back within a test."""

    status: int = 200
    fail_first: int = 0
    """Answer this many requests with 503 before answering with ``status``: a target that recovers."""
    body: bytes = b'{"status": "ok", "checks": {"db": {"state": "up", "latency": 3}}}'
    delay: float = 0.0
    hits: int = 0
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    active: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    behaviour: Behaviour
    stop: threading.Event

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server_behaviour.hits += 1
        self.server_behaviour.headers_seen.append(dict(self.headers))
        route = self.path.split("?")[0]
        getattr(self, "route_" + route.strip("/").replace("-", "_"), self.route_default)()

    do_POST = do_GET

    @property
    def server_behaviour(self) -> Behaviour:
        return self.server.behaviour  # type: ignore[attr-defined, no-any-return]

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route_default(self) -> None:
        behaviour = self.server_behaviour
        with behaviour.lock:
            behaviour.active += 1
            behaviour.peak = max(behaviour.peak, behaviour.active)
        try:
            if behaviour.delay:
                time.sleep(behaviour.delay)
            with behaviour.lock:
                failing = behaviour.fail_first > 0
                behaviour.fail_first -= int(failing)
            self._send(503 if failing else behaviour.status, behaviour.body)
        finally:
            with behaviour.lock:
                behaviour.active -= 1

    def route_ok(self) -> None:
        self._send(200, b"ok", "text/plain")

    def route_slow(self) -> None:
        time.sleep(0.3)
        self._send(200, b"ok", "text/plain")

    def route_hang(self) -> None:
        self.server.stop.wait()  # type: ignore[attr-defined]

    def route_error(self) -> None:
        self._send(500, b'{"error": "internal"}')

    def route_reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def route_loop(self) -> None:
        self.send_response(302)
        self.send_header("Location", "/loop")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_endless(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"x" * 65536
        try:
            while not self.server.stop.is_set():  # type: ignore[attr-defined]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass
        self.close_connection = True

    def route_trickle(self) -> None:
        """Headers at once, then a byte every 50 ms for ever: no single read ever times out."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            while not self.server.stop.is_set():  # type: ignore[attr-defined]
                self.wfile.write(b"1\r\nx\r\n")
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass
        self.close_connection = True

    def route_headers(self) -> None:
        self._send(200, json.dumps(dict(self.headers)).encode())


@dataclass
class HttpServer:
    url: str
    behaviour: Behaviour
    port: int


@contextmanager
def http_server(tls: ssl.SSLContext | None = None) -> Iterator[HttpServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.behaviour = Behaviour()  # type: ignore[attr-defined]
    server.stop = threading.Event()  # type: ignore[attr-defined]
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    port = server.server_address[1]
    scheme = "https" if tls else "http"
    host = "localhost" if tls else "127.0.0.1"
    try:
        yield HttpServer(f"{scheme}://{host}:{port}", server.behaviour, port)  # type: ignore[attr-defined]
    finally:
        server.stop.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


@contextmanager
def tls_server(context: ssl.SSLContext) -> Iterator[int]:
    """Completes TLS handshakes and closes; enough for certificate checks."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                connection.settimeout(2)
                with context.wrap_socket(connection, server_side=True) as tls:
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass
            finally:
                connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        thread.join(2)


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def tcp_listener() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def local_services(url: str, port: int | None = None) -> str:
    """``policies/services.yaml`` whose probes check servers on 127.0.0.1: ``api/health``, a SEV-1 GET of
    ``url``/ (an :func:`http_server`), and with ``port`` the internal ``db/port``, a TCP connect (a
    :func:`tcp_listener`). Each probe gives up after 1 s without a retry, so a run sees a failure at once."""
    text = f"""\
services:
  - id: api
    name: Public API
    owner: primary
    probes:
      - id: health
        severity: SEV-1
        timeout: 1s
        retries: 0
        http:
          url: {url}/
"""
    if port is not None:
        text += f"""\
  - id: db
    name: Database
    owner: primary
    public: false
    probes:
      - id: port
        timeout: 1s
        retries: 0
        tcp:
          host: 127.0.0.1
          port: {port}
"""
    return text


class _ZoneResolver(BaseResolver):  # type: ignore[misc]
    def __init__(self, zone: dict[tuple[str, str], list[str]], silent: set[str]) -> None:
        self.zone = zone
        self.silent = silent

    def resolve(self, request: dnslib.DNSRecord, handler: Any) -> dnslib.DNSRecord:
        name = str(request.q.qname).rstrip(".").lower()
        qtype = dnslib.QTYPE[request.q.qtype]
        if name in self.silent:
            time.sleep(5)  # never answers in time
        reply = request.reply()
        answers = self.zone.get((name, qtype))
        if answers is None:
            if not any(key[0] == name for key in self.zone):
                reply.header.rcode = dnslib.RCODE.NXDOMAIN
            return reply
        for value in answers:
            reply.add_answer(*dnslib.RR.fromZone(f"{name}. 60 IN {qtype} {value}"))
        return reply


class _Quiet:
    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


@contextmanager
def dns_server(zone: dict[tuple[str, str], list[str]], silent: set[str] | None = None) -> Iterator[int]:
    server = DNSServer(_ZoneResolver(zone, silent or set()), address="127.0.0.1", port=0, logger=_Quiet())
    server.start_thread()
    try:
        yield server.server.server_address[1]
    finally:
        server.stop()
        server.server.server_close()
