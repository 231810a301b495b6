"""A real HTTP receiver on loopback, and the webhook consumer and sender run by hand."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi import FastAPI

from tasklane.events.dispatch import Dispatcher
from tasklane.webhooks.consumer import WebhookConsumer
from tasklane.worker.runner import JobRunner


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next of `answers` (then 200), keeping what it got."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def answer(self, *statuses: int, headers: dict[str, str] | None = None) -> None:
        with self.lock:
            self.answers.extend((s, headers or {}) for s in statuses)


def _handler(receiver_ref: list[Receiver]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            receiver = receiver_ref[0]
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status, headers = receiver.answers.pop(0) if receiver.answers else (200, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            reply = b'{"ok": true}'
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    ref: list[Receiver] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    ref.append(Receiver(server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ref[0]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"webhook_allow_private": True, "webhook_retry_seconds": 10}


Deliver = Callable[[], Awaitable[int]]


@pytest.fixture
async def deliver(app: FastAPI) -> Deliver:
    """Hand the events committed since to the webhook consumer, then run the due jobs (the
    senders): the number of jobs run."""
    runtime = app.state.runtime
    consumer = WebhookConsumer(runtime.db)
    dispatcher = Dispatcher(runtime.settings, runtime.db, [consumer])
    await dispatcher.prepare()
    runner = JobRunner(runtime.settings, runtime.db, name="webhook-test")

    async def run() -> int:
        while await dispatcher.dispatch_once(consumer):
            pass
        return await runner.run_due()

    return run
