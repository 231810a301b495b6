"""A task key is resolved within a workspace: the same project key in two of a person's
workspaces leaves every task reachable (issue 12, bug 2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.factories import (
    User,
    add_member,
    expect,
    make_project,
    make_task,
    make_user,
    make_workspace,
)
from tests.projects.helpers import problem

API = "/api/v1"


@dataclass
class Twins:
    """Bob's Acme has WEB-1 and WEB-2; Ada's Nora has its own WEB-1 and WEB-2, and Bob joined."""

    ada: User
    bob: User
    acme: dict[str, Any]
    nora: dict[str, Any]
    acme_tasks: list[dict[str, Any]]
    nora_tasks: list[dict[str, Any]]


@pytest.fixture
async def twins(client: httpx.AsyncClient) -> Twins:
    bob = await make_user(client, name="Bob")
    ada = await make_user(client, name="Ada")
    acme = await make_workspace(client, bob, "Acme")
    web = await make_project(client, bob, acme["id"], key="WEB", name="Website")
    acme_tasks = [await make_task(client, bob, web["id"], f"Acme {i}") for i in (1, 2)]
    nora = await make_workspace(client, ada, "Nora")
    other = await make_project(client, ada, nora["id"], key="WEB", name="Web")
    nora_tasks = [await make_task(client, ada, other["id"], f"Nora {i}") for i in (1, 2)]
    # Before Bob joins, WEB-1 is his Acme task, and inviting him changes nothing for him.
    await client.post(
        f"{API}/workspaces/{nora['id']}/members", json={"email": bob.email}, headers=ada.headers
    )
    got = expect(await client.get(f"{API}/tasks/WEB-1", headers=bob.headers), 200)
    assert got["id"] == acme_tasks[0]["id"]
    (invitation,) = expect(
        await client.get(f"{API}/users/me/invitations", headers=bob.headers), 200
    )
    expect(
        await client.post(f"{API}/invitations/{invitation['id']}/accept", headers=bob.headers), 200
    )
    return Twins(ada, bob, acme, nora, acme_tasks, nora_tasks)


class TestResolution:
    async def test_a_bare_key_in_two_workspaces_names_them(
        self, client: httpx.AsyncClient, twins: Twins
    ) -> None:
        body = problem(
            await client.get(f"{API}/tasks/WEB-1", headers=twins.bob.headers), 409, "ambiguous_key"
        )
        assert body["workspaces"] == ["acme", "nora"]
        # Ada has only Nora's: for her the key is plain.
        got = expect(await client.get(f"{API}/tasks/web-1", headers=twins.ada.headers), 200)
        assert got["id"] == twins.nora_tasks[0]["id"]

    async def test_the_workspace_by_slug_or_id_picks_the_task(
        self, client: httpx.AsyncClient, twins: Twins
    ) -> None:
        h = twins.bob.headers
        for workspace, tasks in (
            (twins.acme["slug"], twins.acme_tasks),
            (twins.nora["id"], twins.nora_tasks),
            ("NORA", twins.nora_tasks),
        ):
            got = expect(
                await client.get(f"{API}/tasks/WEB-2", params={"workspace": workspace}, headers=h),
                200,
            )
            assert got["id"] == tasks[1]["id"]

    async def test_an_id_must_be_in_the_named_workspace(
        self, client: httpx.AsyncClient, twins: Twins
    ) -> None:
        h = twins.bob.headers
        task_id = twins.acme_tasks[0]["id"]
        assert (await client.get(f"{API}/tasks/{task_id}", headers=h)).status_code == 200
        r = await client.get(f"{API}/tasks/{task_id}", params={"workspace": "acme"}, headers=h)
        assert r.status_code == 200
        r = await client.get(f"{API}/tasks/{task_id}", params={"workspace": "nora"}, headers=h)
        problem(r, 404, "not_found")

    async def test_an_unknown_or_foreign_workspace_finds_nothing(
        self, client: httpx.AsyncClient, twins: Twins
    ) -> None:
        stranger = await make_user(client)
        await make_workspace(client, stranger, "Secret")
        for workspace in ("nowhere", "secret"):
            r = await client.get(
                f"{API}/tasks/WEB-1", params={"workspace": workspace}, headers=twins.bob.headers
            )
            problem(r, 404, "not_found")
        r = await client.get(
            f"{API}/tasks/WEB-1", params={"workspace": "x" * 65}, headers=twins.bob.headers
        )
        problem(r, 422, "validation_failed")


class TestEveryTaskRoute:
    async def test_writes_and_sub_resources_take_the_workspace(
        self, client: httpx.AsyncClient, twins: Twins
    ) -> None:
        h = twins.bob.headers
        acme = {"workspace": "acme"}
        nora = {"workspace": "nora"}
        r = await client.patch(
            f"{API}/tasks/WEB-1", params=acme, json={"title": "Renamed"}, headers=h
        )
        assert expect(r, 200)["id"] == twins.acme_tasks[0]["id"]
        untouched = expect(await client.get(f"{API}/tasks/WEB-1", params=nora, headers=h), 200)
        assert untouched["title"] == "Nora 1"
        comment = expect(
            await client.post(
                f"{API}/tasks/WEB-1/comments", params=nora, json={"body": "Hi"}, headers=h
            ),
            201,
        )
        assert comment["task_id"] == twins.nora_tasks[0]["id"]
        listed = expect(
            await client.get(f"{API}/tasks/WEB-1/comments", params=nora, headers=h), 200
        )
        assert [c["id"] for c in listed["items"]] == [comment["id"]]
        activity = expect(
            await client.get(f"{API}/tasks/WEB-1/activity", params=acme, headers=h), 200
        )
        assert activity["items"]
        # The related task's key is resolved in the same workspace as the task.
        relation = expect(
            await client.post(
                f"{API}/tasks/WEB-1/relations",
                params=acme,
                json={"type": "blocks", "task_id": "WEB-2"},
                headers=h,
            ),
            201,
        )
        assert relation["task"]["id"] == twins.acme_tasks[1]["id"]
        for method, path in (
            ("GET", "/tasks/WEB-1/comments"),
            ("GET", "/tasks/WEB-1/relations"),
            ("GET", "/tasks/WEB-1/activity"),
            ("POST", "/tasks/WEB-1/restore"),
            ("DELETE", "/tasks/WEB-1"),
        ):
            r = await client.request(method, f"{API}{path}", json={}, headers=h)
            problem(r, 409, "ambiguous_key")
        r = await client.delete(f"{API}/tasks/WEB-2", params=nora, headers=h)
        assert r.status_code == 204, r.text
        # With Nora's WEB-2 in the trash, the bare key is Acme's again (Bob sees no other).
        got = expect(await client.get(f"{API}/tasks/WEB-2", headers=h), 200)
        assert got["id"] == twins.acme_tasks[1]["id"]

    async def test_a_replayed_create_passes_its_check_again(
        self, client: httpx.AsyncClient, twins: Twins
    ) -> None:
        h = {**twins.bob.headers, "Idempotency-Key": "comment-once"}
        url = f"{API}/tasks/WEB-1/comments"
        first = await client.post(url, params={"workspace": "acme"}, json={"body": "x"}, headers=h)
        again = await client.post(url, params={"workspace": "acme"}, json={"body": "x"}, headers=h)
        assert first.status_code == again.status_code == 201, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()


class TestReservedSlugs:
    @pytest.mark.parametrize("slug", ["signin", "api", "t", "healthz-team", "metrics"])
    async def test_a_top_level_word_is_refused(self, client: httpx.AsyncClient, slug: str) -> None:
        user = await make_user(client)
        r = await client.post(
            f"{API}/workspaces", json={"name": "X", "slug": slug}, headers=user.headers
        )
        if len(slug) < 2:
            problem(r, 422, "validation_failed")
            return
        body = problem(r, 422, "validation_failed")
        assert body["errors"][0]["code"] == "slug_reserved"
        ws = await make_workspace(client, user, "Fine")
        r = await client.patch(
            f"{API}/workspaces/{ws['id']}", json={"slug": slug}, headers=user.headers
        )
        problem(r, 422, "validation_failed")

    async def test_a_name_that_makes_one_gets_another_slug(self, client: httpx.AsyncClient) -> None:
        user = await make_user(client)
        assert (await make_workspace(client, user, "Sign in"))["slug"] == "sign-in"
        assert (await make_workspace(client, user, "API"))["slug"] == "ws-api"
        assert (await make_workspace(client, user, "Metrics team"))["slug"] == "ws-metrics-team"


async def test_members_added_by_the_factory_join_through_acceptance(
    client: httpx.AsyncClient,
) -> None:
    owner = await make_user(client)
    ws = await make_workspace(client, owner)
    member = await make_user(client)
    joined = await add_member(client, owner, ws["id"], member, "admin")
    assert joined["user_id"] == member.id
    assert joined["role"] == "admin"
