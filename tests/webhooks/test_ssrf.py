"""Where webhooks may not send: refused URLs at registration and on change, the address checked
again at each delivery (a row that slipped past registration is not sent), and redirects never
followed. With webhook_allow_private off, as in production."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from tasklane.kit.clock import utcnow
from tasklane.kit.ids import new_id
from tasklane.models import Webhook
from tasklane.webhooks.service import new_secret
from tests.factories import Board, expect, make_task
from tests.webhooks.conftest import Deliver, Receiver
from tests.webhooks.helpers import deliveries, get_hook, hook_url, hooks_url, register

PUBLIC = "http://93.184.215.14/hook"
"""A public address, given literally: registering it needs no DNS."""


async def refused(client: httpx.AsyncClient, board: Board, url: str) -> httpx.Response:
    r = await client.post(
        hooks_url(board.workspace["id"]),
        json={"url": url, "event_types": ["*"]},
        headers=board.owner.headers,
    )
    assert r.status_code == 422, r.text
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("url", "webhook_url_refused")]
    return r


class Private:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"webhook_allow_private": False, "webhook_retry_seconds": 10}


NON_PUBLIC = {
    "loopback": "http://127.0.0.1/",
    "loopback-port": "http://127.0.0.1:8080/hook",
    "private-10": "http://10.0.0.5/",
    "private-192": "http://192.168.1.1/",
    "private-172": "http://172.16.0.1/",
    "shared-cgnat": "http://100.64.0.1/",
    "cloud-metadata": "http://169.254.169.254/latest/meta-data",
    "this-host": "http://0.0.0.0/",
    "multicast": "http://224.0.0.1/",
    "ipv6-loopback": "http://[::1]/",
    "ipv4-mapped-loopback": "http://[::ffff:127.0.0.1]/",
    "ipv6-unique-local": "http://[fd00::1]/",
    "ipv6-link-local": "http://[fe80::1]/",
    "name-of-loopback": "http://localhost/",
    "loopback-as-a-number": "http://2130706433/",
    "loopback-shortened": "http://127.1/",
}
"""Addresses that are not public, by case name."""

NOT_HTTP = {
    "ftp": "ftp://93.184.215.14/hook",
    "file": "file:///etc/passwd",
    "gopher": "gopher://93.184.215.14:70/",
    "javascript": "javascript:alert(1)",
}


async def registered(client: httpx.AsyncClient, board: Board) -> list[Any]:
    """The workspace's webhooks."""
    return list(
        expect(await client.get(hooks_url(board.workspace["id"]), headers=board.owner.headers), 200)
    )


class TestRegistration(Private):
    async def test_a_non_public_address_is_refused(
        self, client: httpx.AsyncClient, board: Board, subtests: pytest.Subtests
    ) -> None:
        # One board for every case: a refused registration changes nothing (checked last).
        for case, url in NON_PUBLIC.items():
            with subtests.test(case, url=url):
                r = await refused(client, board, url)
                assert "public" in r.json()["errors"][0]["message"], case
        assert await registered(client, board) == []

    async def test_a_url_with_user_and_password_is_refused(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await refused(client, board, "http://user:password@93.184.215.14/hook")

    async def test_a_scheme_other_than_http_is_refused(
        self, client: httpx.AsyncClient, board: Board, subtests: pytest.Subtests
    ) -> None:
        for case, url in NOT_HTTP.items():
            with subtests.test(case, url=url):
                await refused(client, board, url)
        assert await registered(client, board) == []

    async def test_a_port_out_of_range_is_refused(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await refused(client, board, "http://93.184.215.14:70000/")

    async def test_a_malformed_url_is_refused(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await refused(client, board, "http://[::1/hook")

    async def test_a_name_that_does_not_resolve_is_refused(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await refused(client, board, "http://no-such-host.invalid/")

    async def test_a_nat64_address_of_a_private_one_is_refused(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        # 64:ff9b::/96 (RFC 6052) embeds an IPv4 address: behind a NAT64 gateway (an IPv6-only
        # cloud subnet) 64:ff9b::a00:5 reaches 10.0.0.5.
        await refused(client, board, "http://[64:ff9b::a00:5]/")

    async def test_a_6to4_address_of_loopback_is_refused(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        # 2002::/16 (RFC 3056) embeds an IPv4 address: 2002:7f00:1:: is 127.0.0.1.
        await refused(client, board, "http://[2002:7f00:1::]/")

    async def test_a_public_address_is_accepted(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        hook = await register(client, board, PUBLIC)
        assert hook["url"] == PUBLIC

    async def test_changing_to_a_refused_url_is_422_and_keeps_the_old_one(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        hook = await register(client, board, PUBLIC)
        r = await client.patch(
            hook_url(hook),
            json={"url": "http://169.254.169.254/latest/meta-data"},
            headers=board.owner.headers,
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["code"] == "webhook_url_refused"
        assert (await get_hook(client, board.owner, hook))["url"] == PUBLIC


class TestAtDelivery(Private):
    async def test_a_loopback_url_that_slipped_in_is_not_sent(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        board: Board,
        receiver: Receiver,
        deliver: Deliver,
    ) -> None:
        now = utcnow()
        hook_id = new_id()
        async with app.state.runtime.db.transaction() as session:
            session.add(
                Webhook(
                    id=hook_id,
                    workspace_id=UUID(board.workspace["id"]),
                    url=receiver.url,
                    event_types=["*"],
                    secret=new_secret(),
                    created_at=now,
                    updated_at=now,
                )
            )
        await make_task(client, board.owner, board.pid)
        await deliver()
        assert receiver.received == []
        hook = {"id": str(hook_id), "workspace_id": board.workspace["id"]}
        (attempt,) = await deliveries(client, board.owner, hook)
        assert attempt["status"] != "delivered"
        assert attempt["attempts"] == 1
        assert attempt["response_status"] is None
        assert attempt["error"].startswith("Not sent:")
        assert "127.0.0.1" in attempt["error"]


class TestRedirects:
    async def test_a_redirect_to_another_address_is_not_followed(
        self,
        client: httpx.AsyncClient,
        board: Board,
        receiver: Receiver,
        other_receiver: Receiver,
        deliver: Deliver,
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        receiver.answer(302, headers={"location": other_receiver.url})
        await make_task(client, board.owner, board.pid)
        await deliver()
        assert len(receiver.received) == 1
        assert other_receiver.received == []
        (attempt,) = await deliveries(client, board.owner, hook)
        assert attempt["status"] == "pending"
        assert attempt["response_status"] == 302
        assert attempt["delivered_at"] is None

    async def test_a_307_redirect_is_not_followed_either(
        self,
        client: httpx.AsyncClient,
        board: Board,
        receiver: Receiver,
        other_receiver: Receiver,
        deliver: Deliver,
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.created"])
        receiver.answer(307, headers={"location": other_receiver.url})
        await make_task(client, board.owner, board.pid)
        await deliver()
        assert other_receiver.received == []
        (attempt,) = await deliveries(client, board.owner, hook)
        assert (attempt["status"], attempt["response_status"]) == ("pending", 307)
        expect(await client.get(hook_url(hook), headers=board.owner.headers), 200)
