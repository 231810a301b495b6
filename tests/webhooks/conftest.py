"""A real HTTP receiver on loopback, and the webhook consumer and sender run by hand."""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi import FastAPI

from tasklane.events.dispatch import Dispatcher
from tasklane.webhooks.consumer import WebhookConsumer
from tasklane.worker.runner import JobRunner
from tests.factories import Board

POLL_SECONDS = 0.02
"""How often the receiver's loop looks for `stop`: serve_forever's default (0.5 s) made each
test that used a receiver wait about that long in its teardown."""


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    """What it was answered."""


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"ok": true}'
    delay: float = 0.0
    """Seconds to wait before answering."""
    drip: float = 0.0
    """Seconds to wait between bytes of the body (a slow receiver)."""
    raw: bytes | None = None
    """Bytes written instead of an HTTP answer (a broken receiver)."""


@dataclass
class Receiver:
    """Answers each POST with the next of `answers` (then 200), keeping what it got."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    thread: threading.Thread | None = None
    in_flight: int = 0
    most_in_flight: int = 0
    """The most requests it was answering at once."""

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def answer(self, *statuses: int, headers: dict[str, str] | None = None) -> None:
        with self.lock:
            self.answers.extend(Answer(s, headers or {}) for s in statuses)

    def answer_with(self, *answers: Answer) -> None:
        with self.lock:
            self.answers.extend(answers)

    def start(self) -> None:
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(POLL_SECONDS,), daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        """Close the socket: connections are refused until `restart`."""
        self.server.shutdown()
        self.server.server_close()

    def restart(self) -> None:
        """Listen again on the same port."""
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self.server.RequestHandlerClass)
        self.start()


def _handler(receiver_ref: list[Receiver]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = receiver_ref[0]
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.in_flight += 1
                receiver.most_in_flight = max(receiver.most_in_flight, receiver.in_flight)
                answer = receiver.answers.pop(0) if receiver.answers else Answer()
                receiver.received.append(
                    Received(
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                        answer.status,
                    )
                )
            try:
                self._answer(answer)
            finally:
                with receiver.lock:
                    receiver.in_flight -= 1

        def _answer(self, answer: Answer) -> None:
            if answer.delay:
                time.sleep(answer.delay)
            if answer.raw is not None:
                self.wfile.write(answer.raw)
                self.close_connection = True
                return
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(answer.body)))
            self.end_headers()
            if not answer.drip:
                self.wfile.write(answer.body)
                return
            for i in range(len(answer.body)):
                self.wfile.write(answer.body[i : i + 1])
                self.wfile.flush()
                time.sleep(answer.drip)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _serve() -> Receiver:
    ref: list[Receiver] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    ref.append(Receiver(server))
    ref[0].start()
    return ref[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    served = _serve()
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture
def other_receiver() -> Iterator[Receiver]:
    """A second server, for what must never reach it."""
    served = _serve()
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture
def board_is_copied() -> bool:
    """These tests start from a fresh board but do not test its making: copy one (conftest)."""
    return True


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"webhook_allow_private": True, "webhook_retry_seconds": 10}


Deliver = Callable[[], Awaitable[int]]


@pytest.fixture
async def deliver(app: FastAPI, board: Board) -> Deliver:
    """Hand the events committed since to the webhook consumer, then run the due jobs (the
    senders): the number of jobs run. The board is made first, so its own events are not
    handed over."""
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
