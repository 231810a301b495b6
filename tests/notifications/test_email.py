"""Notification e-mail through a real SMTP server on loopback (aiosmtpd): immediate mail, the
daily digest at the person's hour (the clock moved, not slept), the unsigned-in unsubscribe
link, a mail server that is down and comes back, and one that refuses for good."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy import select
from structlog.testing import capture_logs

from tasklane.kit.clock import frozen, utcnow
from tasklane.models import Job, Notification
from tasklane.notifications.delivery import next_digest
from tasklane.worker.runner import JobRunner
from tests.factories import Board, expect, make_task
from tests.notifications.conftest import Notify


@dataclass
class Inbox:
    """What the SMTP server received; `refuse` makes it answer RCPT with a permanent 550."""

    received: list[EmailMessage] = field(default_factory=list)
    refuse: bool = False

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(_free_port(), Inbox())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings_overrides(smtp: SmtpServer) -> dict[str, object]:
    return {
        "smtp_url": f"smtp://127.0.0.1:{smtp.port}",
        "mail_from": "Tasklane <tasklane@example.com>",
        "public_url": "https://tasks.example.com",
    }


async def run_jobs(app: FastAPI) -> int:
    runtime = app.state.runtime
    return await JobRunner(runtime.settings, runtime.db, name="mail-test").run_due()


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


TAMPERINGS: dict[str, Callable[[str], str]] = {
    "signature": lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
    "kind": lambda t: t.replace(".assigned.", ".mentioned."),
    "person": lambda t: ("0" if t[0] != "0" else "1") + t[1:],
    "appended": lambda t: t + "x",
    "nonsense": lambda t: "nonsense",
}
"""Changes to an unsubscribe link's token, by case name."""


async def assign(client: httpx.AsyncClient, board: Board, title: str = "Ship it") -> dict[str, Any]:
    return await make_task(client, board.owner, board.pid, title, assignee_ids=[board.member.id])


class TestImmediate:
    async def test_an_assignment_mails_the_assignee_once_with_both_parts_and_unsubscribe(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        board: Board,
        notify: Notify,
        smtp: SmtpServer,
    ) -> None:
        task = await assign(client, board, "Fix <b>login</b>")
        await notify()
        assert await run_jobs(app) == 1
        assert len(smtp.inbox.received) == 1
        mail = smtp.inbox.received[0]
        assert mail["To"] == f"Max Member <{board.member.email}>"
        assert mail["From"] == "Tasklane <tasklane@example.com>"
        assert mail["Subject"] == f"Olive Owner assigned you {task['key']}: Fix <b>login</b>"
        assert mail["Auto-Submitted"] == "auto-generated"
        text, html = parts(mail)
        link = f"https://tasks.example.com/{board.workspace['slug']}/t/{task['key']}"
        assert link in text
        assert "Fix <b>login</b>" in text  # plain text is not escaped
        assert f'href="{link}"' in html
        assert "Fix &lt;b&gt;login&lt;/b&gt;" in html  # HTML is
        assert "<b>login</b>" not in html
        unsubscribe = mail["List-Unsubscribe"]
        assert unsubscribe.startswith("<https://tasks.example.com/unsubscribe/")
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert await run_jobs(app) == 0
        assert len(smtp.inbox.received) == 1

    async def test_the_actor_and_kinds_set_to_digest_or_off_get_no_immediate_mail(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        board: Board,
        notify: Notify,
        smtp: SmtpServer,
    ) -> None:
        expect(
            await client.put(
                "/api/v1/users/me/notification-settings",
                json={"types": {"assigned": {"in_app": "immediate", "email": "off"}}},
                headers=board.member.headers,
            ),
            200,
        )
        await make_task(
            client, board.owner, board.pid, "Mine", assignee_ids=[board.owner.id, board.member.id]
        )
        await notify()
        await run_jobs(app)
        assert smtp.inbox.received == []
        count = expect(
            await client.get("/api/v1/notifications/unread-count", headers=board.member.headers),
            200,
        )
        assert count == {"count": 1}  # the inbox still has it


class TestUnsubscribe:
    async def test_the_link_works_without_signing_in_and_stops_that_kind(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        board: Board,
        notify: Notify,
        smtp: SmtpServer,
    ) -> None:
        await assign(client, board)
        await notify()
        await run_jobs(app)
        path = urlsplit(smtp.inbox.received[0]["List-Unsubscribe"].strip("<>")).path
        page = await client.get(path)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "Stop these e-mails" in page.text
        settings = expect(
            await client.get(
                "/api/v1/users/me/notification-settings", headers=board.member.headers
            ),
            200,
        )
        assert settings["types"]["assigned"]["email"] == "immediate"  # a GET changes nothing

        done = await client.post(
            path,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert done.status_code == 200, done.text
        assert "You are unsubscribed" in done.text
        settings = expect(
            await client.get(
                "/api/v1/users/me/notification-settings", headers=board.member.headers
            ),
            200,
        )
        assert settings["types"]["assigned"] == {"in_app": "immediate", "email": "off"}
        assert settings["types"]["mentioned"]["email"] == "immediate"

        await assign(client, board, "Another")
        await notify()
        await run_jobs(app)
        assert len(smtp.inbox.received) == 1

    async def test_a_tampered_link_is_404_and_changes_nothing(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        board: Board,
        notify: Notify,
        smtp: SmtpServer,
        subtests: pytest.Subtests,
    ) -> None:
        await assign(client, board)
        await notify()
        await run_jobs(app)
        path = urlsplit(smtp.inbox.received[0]["List-Unsubscribe"].strip("<>")).path
        token = path.rsplit("/", 1)[1]
        for case, change in TAMPERINGS.items():
            with subtests.test(case):
                bad = f"/unsubscribe/{change(token)}"
                assert (await client.get(bad)).status_code == 404, case
                refused = await client.post(bad)
                assert refused.status_code == 404, case
                assert refused.headers["content-type"] == "application/problem+json", case
                settings = expect(
                    await client.get(
                        "/api/v1/users/me/notification-settings", headers=board.member.headers
                    ),
                    200,
                )
                assert settings["types"]["assigned"]["email"] == "immediate", case
                assert settings["types"]["mentioned"]["email"] == "immediate", case


class TestDigest:
    async def test_sent_once_at_the_persons_hour_in_their_zone_grouped_by_task(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        board: Board,
        notify: Notify,
        smtp: SmtpServer,
    ) -> None:
        expect(
            await client.put(
                "/api/v1/users/me/notification-settings",
                json={
                    "types": {"commented": {"in_app": "immediate", "email": "digest"}},
                    "digest_hour": 8,
                    "time_zone": "Asia/Tokyo",
                },
                headers=board.member.headers,
            ),
            200,
        )
        first = await assign(client, board, "First")  # mailed at once (assigned: immediate)
        second = await make_task(client, board.owner, board.pid, "Second")
        expect(
            await client.post(
                f"/api/v1/tasks/{second['id']}/watchers",
                json={"user_id": board.member.id},
                headers=board.member.headers,
            ),
            201,
        )
        for task, body in ((first, "one"), (second, "two"), (first, "three")):
            expect(
                await client.post(
                    f"/api/v1/tasks/{task['id']}/comments",
                    json={"body": body},
                    headers=board.owner.headers,
                ),
                201,
            )
        await notify()
        await run_jobs(app)
        assert [m["Subject"] for m in smtp.inbox.received] == [
            f"Olive Owner assigned you {first['key']}: First"
        ]
        at = next_digest(utcnow(), 8, "Asia/Tokyo")
        assert at.astimezone().utcoffset() is not None
        with frozen(at - timedelta(minutes=1)):
            assert await run_jobs(app) == 0  # not yet
        with frozen(at + timedelta(seconds=5)):
            assert await run_jobs(app) == 1
            assert await run_jobs(app) == 0
        assert len(smtp.inbox.received) == 2
        digest = smtp.inbox.received[1]
        assert digest["Subject"] == "Your Tasklane digest: 2 notifications"
        text, html = parts(digest)
        assert f"{first['key']}: First" in text
        assert f"{second['key']}: Second" in text
        assert "(2 changes)" in text  # the two comments on First folded into one
        assert "08:00 (Asia/Tokyo)" in text
        assert "/unsubscribe/" in digest["List-Unsubscribe"]
        assert "Second" in html

    async def test_nothing_is_sent_when_nothing_is_owed(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        board: Board,
        notify: Notify,
        smtp: SmtpServer,
    ) -> None:
        expect(
            await client.put(
                "/api/v1/users/me/notification-settings",
                json={"types": {"commented": {"in_app": "immediate", "email": "digest"}}},
                headers=board.member.headers,
            ),
            200,
        )
        task = await make_task(client, board.member, board.pid, "Watched")
        expect(
            await client.post(
                f"/api/v1/tasks/{task['id']}/comments",
                json={"body": "hello"},
                headers=board.owner.headers,
            ),
            201,
        )
        await notify()
        expect(
            await client.post(
                "/api/v1/notifications/read", json={"all": True}, headers=board.member.headers
            ),
            200,
        )
        with frozen(next_digest(utcnow(), 8, None) + timedelta(seconds=5)):
            assert await run_jobs(app) == 1  # the digest job ran ...
        assert smtp.inbox.received == []  # ... and had nothing unread to send


class TestServerTrouble:
    async def test_down_then_back_delivers_once(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        board: Board,
        notify: Notify,
        smtp: SmtpServer,
    ) -> None:
        smtp.stop()
        await assign(client, board)
        await notify()
        assert await run_jobs(app) == 1  # the attempt failed: queued again, later
        runtime = app.state.runtime
        async with runtime.db.transaction(write=False) as session:
            job = await session.scalar(select(Job).where(Job.kind == "notifications.email"))
            assert job is not None
            assert job.status == "queued"
            assert job.attempts == 1
            assert job.last_error
            retry_at = job.run_at
        smtp.start()
        assert await run_jobs(app) == 0  # not before its time
        with frozen(retry_at + timedelta(seconds=1)):
            assert await run_jobs(app) == 1
            assert await run_jobs(app) == 0
        assert len(smtp.inbox.received) == 1

    async def test_a_permanent_refusal_is_recorded_and_not_retried(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        board: Board,
        notify: Notify,
        smtp: SmtpServer,
    ) -> None:
        smtp.inbox.refuse = True
        await assign(client, board)
        await notify()
        assert await run_jobs(app) == 1
        runtime = app.state.runtime
        async with runtime.db.transaction(write=False) as session:
            job = await session.scalar(select(Job).where(Job.kind == "notifications.email"))
            assert job is not None
            assert job.status == "succeeded"
            n = await session.scalar(
                select(Notification).where(Notification.user_id == UUID(board.member.id))
            )
            assert n is not None
            assert n.emailed_at is None
            assert n.email_due_at is None
            assert "550" in n.data["email_error"]
        assert smtp.inbox.received == []


class TestWithoutSmtp:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {}

    async def test_mail_goes_to_the_log_and_the_inbox_works(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        board: Board,
        notify: Notify,
    ) -> None:
        task = await assign(client, board)
        await notify()
        with capture_logs() as logged:
            assert await run_jobs(app) == 1
        mails = [e for e in logged if e["event"] == "mail_logged"]
        assert [m["to"] for m in mails] == [f"Max Member <{board.member.email}>"]
        assert f"assigned you {task['key']}" in mails[0]["subject"]
        assert task["title"] in mails[0]["text"]
        runtime = app.state.runtime
        async with runtime.db.transaction(write=False) as session:
            n = await session.scalar(
                select(Notification).where(Notification.user_id == UUID(board.member.id))
            )
            assert n is not None
            assert n.emailed_at is not None
        items = expect(await client.get("/api/v1/notifications", headers=board.member.headers), 200)
        assert [i["type"] for i in items["items"]] == ["assigned"]
