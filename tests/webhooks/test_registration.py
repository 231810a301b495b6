"""Registering webhooks over HTTP: who may, what is checked, the secret shown only on create and
rotate, and the audit trail of every change."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tasklane.models import WebhookDelivery
from tasklane.webhooks.service import MAX_WEBHOOKS
from tests.factories import (
    Board,
    add_member,
    api_token_headers,
    expect,
    make_project,
    make_task,
    make_user,
    make_workspace,
)
from tests.webhooks.conftest import Deliver, Receiver
from tests.webhooks.helpers import (
    deliveries,
    get_hook,
    hook_url,
    hooks_url,
    patch_hook,
    register,
)


class TestCreate:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.post(
            hooks_url(board.workspace["id"]),
            json={"url": "http://127.0.0.1:9/hook", "event_types": ["*"]},
        )
        assert r.status_code == 401

    async def test_an_outsider_is_404(self, client: httpx.AsyncClient, board: Board) -> None:
        outsider = await make_user(client)
        r = await client.post(
            hooks_url(board.workspace["id"]),
            json={"url": "http://127.0.0.1:9/hook", "event_types": ["*"]},
            headers=outsider.headers,
        )
        assert r.status_code == 404

    async def test_a_member_is_403(self, client: httpx.AsyncClient, board: Board) -> None:
        r = await client.post(
            hooks_url(board.workspace["id"]),
            json={"url": "http://127.0.0.1:9/hook", "event_types": ["*"]},
            headers=board.member.headers,
        )
        assert r.status_code == 403
        listed = expect(
            await client.get(hooks_url(board.workspace["id"]), headers=board.owner.headers), 200
        )
        assert listed == []

    async def test_an_admin_may_register(self, client: httpx.AsyncClient, board: Board) -> None:
        admin = await make_user(client)
        await add_member(client, board.owner, board.workspace["id"], admin, role="admin")
        hook = await register(client, board, "http://127.0.0.1:9/hook", who=admin)
        assert hook["workspace_id"] == board.workspace["id"]

    async def test_a_token_without_the_admin_scope_is_403(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        headers = await api_token_headers(client, board.owner, scope="write")
        r = await client.post(
            hooks_url(board.workspace["id"]),
            json={"url": "http://127.0.0.1:9/hook", "event_types": ["*"]},
            headers=headers,
        )
        assert r.status_code == 403

    async def test_returns_the_secret_once_and_the_fields_given(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(
            client,
            board,
            receiver.url,
            ["task.*", "comment.created", "task.created"],
            project_id=board.pid,
            description="CI bridge",
        )
        assert hook["secret"].startswith("whsec_")
        assert len(hook["secret"]) > len("whsec_") + 20
        assert hook["secret_hint"] == hook["secret"][:10] + "…"
        assert hook["url"] == receiver.url
        assert hook["event_types"] == ["task.*", "comment.created", "task.created"]
        assert hook["project_id"] == board.pid
        assert hook["description"] == "CI bridge"
        assert hook["enabled"] is True
        assert hook["disabled_reason"] is None
        one = await get_hook(client, board.owner, hook)
        assert "secret" not in one
        assert one["secret_hint"] == hook["secret_hint"]
        listed = expect(
            await client.get(hooks_url(board.workspace["id"]), headers=board.owner.headers), 200
        )
        assert [h["id"] for h in listed] == [hook["id"]]
        assert "secret" not in listed[0]
        assert (
            hook["secret"]
            not in (await client.get(hook_url(hook), headers=board.owner.headers)).text
        )

    async def test_each_webhook_gets_its_own_secret(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        first = await register(client, board, receiver.url)
        second = await register(client, board, receiver.url)
        assert first["secret"] != second["secret"]

    async def test_an_unknown_event_type_is_422_naming_it(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        r = await client.post(
            hooks_url(board.workspace["id"]),
            json={"url": receiver.url, "event_types": ["task.exploded"]},
            headers=board.owner.headers,
        )
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["event_types.0"]

    async def test_the_second_bad_event_type_is_named_by_its_index(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        r = await client.post(
            hooks_url(board.workspace["id"]),
            json={"url": receiver.url, "event_types": ["task.*", "ping", "*"]},
            headers=board.owner.headers,
        )
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["event_types.1"]

    async def test_no_event_types_is_422(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        r = await client.post(
            hooks_url(board.workspace["id"]),
            json={"url": receiver.url, "event_types": []},
            headers=board.owner.headers,
        )
        assert r.status_code == 422

    async def test_a_project_of_another_workspace_is_422(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        other = await make_workspace(client, board.owner, "Elsewhere")
        theirs = await make_project(client, board.owner, other["id"], key="OTH")
        r = await client.post(
            hooks_url(board.workspace["id"]),
            json={"url": receiver.url, "event_types": ["*"], "project_id": theirs["id"]},
            headers=board.owner.headers,
        )
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["project_id"]

    async def test_the_26th_webhook_is_409(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        assert MAX_WEBHOOKS == 25
        for _ in range(MAX_WEBHOOKS):
            await register(client, board, receiver.url)
        r = await client.post(
            hooks_url(board.workspace["id"]),
            json={"url": receiver.url, "event_types": ["*"]},
            headers=board.owner.headers,
        )
        assert r.status_code == 409
        assert r.json()["code"] == "too_many_webhooks"
        # The limit is per workspace.
        other = await make_workspace(client, board.owner, "Elsewhere")
        await register(client, board, receiver.url, workspace_id=other["id"])


class TestRead:
    async def test_anonymous_is_401(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        assert (await client.get(hook_url(hook))).status_code == 401
        assert (await client.get(hooks_url(board.workspace["id"]))).status_code == 401

    async def test_an_outsider_is_404(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        outsider = await make_user(client)
        assert (await client.get(hook_url(hook), headers=outsider.headers)).status_code == 404
        r = await client.get(hooks_url(board.workspace["id"]), headers=outsider.headers)
        assert r.status_code == 404

    async def test_a_member_is_403(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        assert (await client.get(hook_url(hook), headers=board.member.headers)).status_code == 403
        r = await client.get(hooks_url(board.workspace["id"]), headers=board.member.headers)
        assert r.status_code == 403

    async def test_through_another_workspace_is_404(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        mine = await make_workspace(client, board.owner, "Elsewhere")
        r = await client.get(f"{hooks_url(mine['id'])}/{hook['id']}", headers=board.owner.headers)
        assert r.status_code == 404

    async def test_lists_the_workspaces_webhooks_oldest_first(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        first = await register(client, board, receiver.url, ["task.*"])
        second = await register(client, board, receiver.url, ["comment.created"])
        other = await make_workspace(client, board.owner, "Elsewhere")
        await register(client, board, receiver.url, workspace_id=other["id"])
        listed = expect(
            await client.get(hooks_url(board.workspace["id"]), headers=board.owner.headers), 200
        )
        assert [h["id"] for h in listed] == [first["id"], second["id"]]
        assert all("secret" not in h for h in listed)


class TestUpdate:
    async def test_anonymous_is_401(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        assert (await client.patch(hook_url(hook), json={"enabled": False})).status_code == 401

    async def test_an_outsider_is_404(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        outsider = await make_user(client)
        r = await client.patch(hook_url(hook), json={"enabled": False}, headers=outsider.headers)
        assert r.status_code == 404

    async def test_a_member_is_403(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        r = await client.patch(
            hook_url(hook), json={"enabled": False}, headers=board.member.headers
        )
        assert r.status_code == 403
        assert (await get_hook(client, board.owner, hook))["enabled"] is True

    async def test_changes_url_event_types_and_description(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver, other_receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.*"])
        changed = await patch_hook(
            client,
            board.owner,
            hook,
            url=other_receiver.url,
            event_types=["comment.created"],
            description="now comments",
        )
        assert changed["url"] == other_receiver.url
        assert changed["event_types"] == ["comment.created"]
        assert changed["description"] == "now comments"
        assert "secret" not in changed
        assert await get_hook(client, board.owner, hook) == changed

    async def test_disables_and_enables(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        off = await patch_hook(client, board.owner, hook, enabled=False)
        assert off["enabled"] is False
        assert off["disabled_reason"]
        on = await patch_hook(client, board.owner, hook, enabled=True)
        assert on["enabled"] is True
        assert on["disabled_reason"] is None

    async def test_an_unknown_event_type_is_422_and_changes_nothing(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url, ["task.*"])
        r = await client.patch(
            hook_url(hook),
            json={"event_types": ["comment.*", "nope.*"], "description": "x"},
            headers=board.owner.headers,
        )
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["event_types.1"]
        after = await get_hook(client, board.owner, hook)
        assert after["event_types"] == ["task.*"]
        assert after["description"] == ""


class TestDelete:
    async def test_anonymous_is_401(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        assert (await client.delete(hook_url(hook))).status_code == 401

    async def test_an_outsider_is_404(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        outsider = await make_user(client)
        assert (await client.delete(hook_url(hook), headers=outsider.headers)).status_code == 404

    async def test_a_member_is_403(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        r = await client.delete(hook_url(hook), headers=board.member.headers)
        assert r.status_code == 403
        await get_hook(client, board.owner, hook)

    async def test_removes_it_and_its_log_and_nothing_more_is_sent(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        board: Board,
        receiver: Receiver,
        deliver: Deliver,
    ) -> None:
        hook = await register(client, board, receiver.url)
        await make_task(client, board.owner, board.pid, "Sent")
        await deliver()
        assert len(await deliveries(client, board.owner, hook)) == 1
        expect(await client.delete(hook_url(hook), headers=board.owner.headers), 204)
        assert (await client.get(hook_url(hook), headers=board.owner.headers)).status_code == 404
        r = await client.get(
            f"/api/v1/webhooks/{hook['id']}/deliveries", headers=board.owner.headers
        )
        assert r.status_code == 404
        async with app.state.runtime.db.transaction(write=False) as session:
            left = await session.scalar(select(func.count()).select_from(WebhookDelivery))
        assert left == 0
        await make_task(client, board.owner, board.pid, "Not sent")
        await deliver()
        assert len(receiver.received) == 1


class TestRotateSecret:
    async def test_anonymous_is_401(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        assert (await client.post(f"{hook_url(hook)}/rotate-secret")).status_code == 401

    async def test_an_outsider_is_404(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        outsider = await make_user(client)
        r = await client.post(f"{hook_url(hook)}/rotate-secret", headers=outsider.headers)
        assert r.status_code == 404

    async def test_a_member_is_403(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        r = await client.post(f"{hook_url(hook)}/rotate-secret", headers=board.member.headers)
        assert r.status_code == 403

    async def test_returns_a_new_secret_once(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        rotated = expect(
            await client.post(f"{hook_url(hook)}/rotate-secret", headers=board.owner.headers), 200
        )
        assert rotated["secret"].startswith("whsec_")
        assert rotated["secret"] != hook["secret"]
        assert rotated["secret_hint"] == rotated["secret"][:10] + "…"
        one = await get_hook(client, board.owner, hook)
        assert "secret" not in one
        assert one["secret_hint"] == rotated["secret_hint"]


class TestAudit:
    async def test_create_update_rotate_and_delete_are_in_the_audit_log(
        self, client: httpx.AsyncClient, board: Board, receiver: Receiver
    ) -> None:
        hook = await register(client, board, receiver.url)
        await patch_hook(client, board.owner, hook, enabled=False)
        expect(
            await client.post(f"{hook_url(hook)}/rotate-secret", headers=board.owner.headers), 200
        )
        expect(await client.delete(hook_url(hook), headers=board.owner.headers), 204)
        log = expect(
            await client.get(
                f"/api/v1/workspaces/{board.workspace['id']}/audit-log",
                headers=board.owner.headers,
            ),
            200,
        )["items"]
        ours = [e for e in log if e["action"].startswith("webhook.")]
        assert [e["action"] for e in ours] == [
            "webhook.deleted",
            "webhook.secret_rotated",
            "webhook.updated",
            "webhook.created",
        ]
        for entry in ours:
            assert entry["actor_id"] == board.owner.id
            assert entry["workspace_id"] == board.workspace["id"]
            assert entry["details"]["webhook_id"] == hook["id"]
            assert entry["details"]["url"] == receiver.url
            assert hook["secret"] not in str(entry["details"])
