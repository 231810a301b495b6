"""Where webhooks may not send: refused URLs at registration and on change, the address checked
again at each delivery (a row that slipped past registration is not sent), and redirects never
followed. With webhook_allow_private off, as in production."""

from __future__ import annotations

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


class TestRegistration(Private):
    @pytest.mark.parametrize(
        "url",
        [
            pytest.param("http://127.0.0.1/", id="loopback"),
            pytest.param("http://127.0.0.1:8080/hook", id="loopback-port"),
            pytest.param("http://10.0.0.5/", id="private-10"),
            pytest.param("http://192.168.1.1/", id="private-192"),
            pytest.param("http://172.16.0.1/", id="private-172"),
            pytest.param("http://100.64.0.1/", id="shared-cgnat"),
            pytest.param("http://169.254.169.254/latest/meta-data", id="cloud-metadata"),
            pytest.param("http://0.0.0.0/", id="this-host"),
            pytest.param("http://224.0.0.1/", id="multicast"),
            pytest.param("http://[::1]/", id="ipv6-loopback"),
            pytest.param("http://[::ffff:127.0.0.1]/", id="ipv4-mapped-loopback"),
            pytest.param("http://[fd00::1]/", id="ipv6-unique-local"),
            pytest.param("http://[fe80::1]/", id="ipv6-link-local"),
            pytest.param("http://localhost/", id="name-of-loopback"),
            pytest.param("http://2130706433/", id="loopback-as-a-number"),
            pytest.param("http://127.1/", id="loopback-shortened"),
        ],
    )
    async def test_a_non_public_address_is_refused(
        self, client: httpx.AsyncClient, board: Board, url: str
    ) -> None:
        r = await refused(client, board, url)
        assert "public" in r.json()["errors"][0]["message"]

    async def test_a_url_with_user_and_password_is_refused(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        await refused(client, board, "http://user:password@93.184.215.14/hook")

    @pytest.mark.parametrize(
        "url",
        [
            pytest.param("ftp://93.184.215.14/hook", id="ftp"),
            pytest.param("file:///etc/passwd", id="file"),
            pytest.param("gopher://93.184.215.14:70/", id="gopher"),
            pytest.param("javascript:alert(1)", id="javascript"),
        ],
    )
    async def test_a_scheme_other_than_http_is_refused(
        self, client: httpx.AsyncClient, board: Board, url: str
    ) -> None:
        await refused(client, board, url)

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
