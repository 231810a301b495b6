"""A webhook receiver for the fault tests: a real HTTP server on 127.0.0.1 in the test's
process that records every POST (its `webhook-id`, headers and body) and answers 200, at once
or, while `slow_seconds` is set and `fast` is not, after that long."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Arrival:
    webhook_id: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    slow_seconds: float = 0.0
    """How long each answer waits until `fast` is set (0: none)."""
    server: ThreadingHTTPServer | None = None
    arrivals: list[Arrival] = field(default_factory=list)
    in_flight: int = 0
    """POSTs received and not yet answered."""
    fast: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def snapshot(self) -> list[Arrival]:
        with self.lock:
            return list(self.arrivals)

    def seen(self) -> set[str]:
        with self.lock:
            return {a.webhook_id for a in self.arrivals}

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self.lock:
            self.arrivals.append(Arrival(headers.get("webhook-id", ""), headers, body))
            self.in_flight += 1
        try:
            if self.slow_seconds:
                self.fast.wait(self.slow_seconds)
            try:
                request.send_response(200)
                request.send_header("content-length", "2")
                request.end_headers()
                request.wfile.write(b"{}")
            except OSError:  # the sender was killed meanwhile
                request.close_connection = True
        finally:
            with self.lock:
                self.in_flight -= 1


@contextmanager
def receiving(slow_seconds: float = 0.0) -> Iterator[Receiver]:
    """A receiver serving until the block ends."""
    receiver = Receiver(slow_seconds)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver.handle(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    receiver.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.fast.set()
        receiver.server.shutdown()
        receiver.server.server_close()
        thread.join(timeout=10)
