from __future__ import annotations

import httpx

from tests.factories import add_member, expect, make_user, make_workspace


class TestCreate:
    async def test_slug_is_generated_and_deduplicated(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        first = await make_workspace(client, user, "Acme Robotics")
        second = await make_workspace(client, user, "Acme  Robotics!")
        assert first["slug"] == "acme-robotics"
        assert second["slug"] == "acme-robotics-2"
        assert first["role"] == "owner"

    async def test_taken_slug_is_409(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        await make_workspace(client, user, "Acme")
        r = await client.post(
            "/api/v1/workspaces", json={"name": "X", "slug": "acme"}, headers=user.headers
        )
        assert r.status_code == 409
        assert r.json()["code"] == "slug_taken"

    async def test_idempotency_key_replays_the_first_response(
        self, client: httpx.AsyncClient
    ) -> None:
        user = await make_user(client)
        headers = {**user.headers, "Idempotency-Key": "create-acme-1"}
        first = await client.post("/api/v1/workspaces", json={"name": "Acme"}, headers=headers)
        again = await client.post("/api/v1/workspaces", json={"name": "Acme"}, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        other_body = await client.post(
            "/api/v1/workspaces", json={"name": "Other"}, headers=headers
        )
        assert other_body.status_code == 422
        listed = expect(await client.get("/api/v1/workspaces", headers=user.headers), 200)
        assert len(listed["items"]) == 1
        someone = await make_user(client)
        theirs = await client.post(
            "/api/v1/workspaces",
            json={"name": "Acme"},
            headers={**someone.headers, "Idempotency-Key": "create-acme-1"},
        )
        assert theirs.status_code == 201
        assert theirs.json()["id"] != first.json()["id"]


class TestList:
    async def test_only_mine_paginated(self, client: httpx.AsyncClient) -> None:
        me, other = await make_user(client), await make_user(client)
        mine = [await make_workspace(client, me, f"W{i}") for i in range(3)]
        await make_workspace(client, other, "Not mine")
        seen, cursor = [], None
        while True:
            params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
            page = expect(
                await client.get("/api/v1/workspaces", params=params, headers=me.headers), 200
            )
            seen += [w["id"] for w in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert sorted(seen) == sorted(w["id"] for w in mine)
        r = await client.get("/api/v1/workspaces", params={"cursor": "garbage"}, headers=me.headers)
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "cursor"


class TestMembers:
    async def test_unknown_email_is_422(self, client: httpx.AsyncClient) -> None:
        owner = await make_user(client)
        ws = await make_workspace(client, owner)
        r = await client.post(
            f"/api/v1/workspaces/{ws['id']}/members",
            json={"email": "ghost@example.com"},
            headers=owner.headers,
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "email"

    async def test_admin_cannot_make_owners(self, client: httpx.AsyncClient) -> None:
        owner, admin, newbie = [await make_user(client) for _ in range(3)]
        ws = await make_workspace(client, owner)
        await add_member(client, owner, ws["id"], admin, "admin")
        r = await client.post(
            f"/api/v1/workspaces/{ws['id']}/members",
            json={"email": newbie.email, "role": "owner"},
            headers=admin.headers,
        )
        assert r.status_code == 403
        await add_member(client, owner, ws["id"], newbie, "owner")

    async def test_last_owner_stays(self, client: httpx.AsyncClient) -> None:
        owner = await make_user(client)
        ws = await make_workspace(client, owner)
        url = f"/api/v1/workspaces/{ws['id']}/members/{owner.id}"
        demote = await client.patch(url, json={"role": "admin"}, headers=owner.headers)
        leave = await client.delete(url, headers=owner.headers)
        assert demote.status_code == leave.status_code == 409
        assert demote.json()["code"] == "last_owner"

    async def test_removed_member_loses_access(self, client: httpx.AsyncClient) -> None:
        owner, member = await make_user(client), await make_user(client)
        ws = await make_workspace(client, owner)
        await add_member(client, owner, ws["id"], member)
        expect(await client.get(f"/api/v1/workspaces/{ws['id']}", headers=member.headers), 200)
        r = await client.delete(
            f"/api/v1/workspaces/{ws['id']}/members/{member.id}", headers=owner.headers
        )
        assert r.status_code == 204
        r = await client.get(f"/api/v1/workspaces/{ws['id']}", headers=member.headers)
        assert r.status_code == 404

    async def test_member_can_leave(self, client: httpx.AsyncClient) -> None:
        owner, member = await make_user(client), await make_user(client)
        ws = await make_workspace(client, owner)
        await add_member(client, owner, ws["id"], member)
        r = await client.delete(
            f"/api/v1/workspaces/{ws['id']}/members/{member.id}", headers=member.headers
        )
        assert r.status_code == 204


class TestProblems:
    async def test_request_id_is_echoed(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/v1/workspaces", headers={"X-Request-ID": "abc-123"})
        assert r.status_code == 401
        assert r.headers["x-request-id"] == "abc-123"
        assert r.json()["request_id"] == "abc-123"
        assert r.headers["content-type"] == "application/problem+json"

    async def test_malformed_json_is_422_problem(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        r = await client.post(
            "/api/v1/workspaces",
            content=b"{not json",
            headers={**user.headers, "content-type": "application/json"},
        )
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
