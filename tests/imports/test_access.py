"""Who may export, import and read an import: anonymous and outsiders first, then viewers and
guests (the role table for every route is in tests/meta/test_authorization.py)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tasklane.config import Settings
from tasklane.db import Database
from tests.factories import User, add_member, expect, make_task, make_user
from tests.imports.conftest import Team, export, sample, upload


@dataclass
class Others:
    viewer: User
    guest: User
    outsider: User


@pytest.fixture
async def others(client: httpx.AsyncClient, team: Team) -> Others:
    board = team.board
    ws = board.workspace["id"]
    viewer = await make_user(client, name="Vera Viewer")
    guest = await make_user(client, name="Gus Guest")
    outsider = await make_user(client, name="Otto Outsider")
    await add_member(client, board.owner, ws, viewer)
    await add_member(client, board.owner, ws, guest, "guest")
    for user, role in ((viewer, "viewer"), (guest, "member")):
        expect(
            await client.post(
                f"/api/v1/projects/{team.pid}/members",
                json={"user_id": user.id, "role": role},
                headers=board.owner.headers,
            ),
            201,
        )
    return Others(viewer, guest, outsider)


class TestExportAccess:
    async def test_anonymous_and_outsiders(
        self, client: httpx.AsyncClient, team: Team, others: Others
    ) -> None:
        url = f"/api/v1/projects/{team.pid}/export.csv"
        assert (await client.get(url)).status_code == 401
        r = await client.get(url, headers=others.outsider.headers)
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"

    async def test_viewers_export(
        self, client: httpx.AsyncClient, team: Team, others: Others
    ) -> None:
        await make_task(client, team.board.owner, team.pid, title="Seen")
        assert [r["title"] for r in await export(client, others.viewer, team.pid)] == ["Seen"]

    async def test_guests_see_names_not_addresses(
        self, client: httpx.AsyncClient, team: Team, others: Others
    ) -> None:
        await make_task(client, team.board.owner, team.pid, assignee_ids=[team.ada.id])
        [row] = await export(client, others.guest, team.pid)
        assert row["assignees"] == "Ada Lovelace"
        assert row["created_by"] == team.board.owner.name


class TestImportAccess:
    async def test_anonymous_outsiders_and_viewers(
        self, client: httpx.AsyncClient, team: Team, others: Others
    ) -> None:
        r = await client.post(
            f"/api/v1/projects/{team.pid}/imports",
            files={"file": ("t.csv", b"title\nx\n", "text/csv")},
        )
        assert r.status_code == 401
        for user, status in ((others.outsider, 404), (others.viewer, 403)):
            for dry_run in (True, False):
                r = await upload(client, user, team.pid, sample("titles_only.csv"), dry_run=dry_run)
                assert r.status_code == status, (user.name, dry_run, r.text)

    async def test_guests_import_without_assigning_by_address(
        self, client: httpx.AsyncClient, team: Team, others: Others
    ) -> None:
        body = expect(
            await upload(client, others.guest, team.pid, sample("planning.csv"), dry_run=True),
            200,
        )
        first = body["rows"][0]
        assert first["action"] == "create"
        assert any(
            p["column"] == "assignees" and "workspace members" in p["message"]
            for p in first["problems"]
        )

    async def test_a_run_is_read_by_its_starter_and_project_admins(
        self,
        client: httpx.AsyncClient,
        team: Team,
        others: Others,
        settings: Settings,
        database: Database,
    ) -> None:
        run = expect(
            await upload(client, others.guest, team.pid, sample("titles_only.csv"), dry_run=False),
            202,
        )
        url = f"/api/v1/imports/{run['id']}"
        assert (await client.get(url)).status_code == 401
        for user, status in (
            (others.guest, 200),
            (team.board.owner, 200),
            (team.board.member, 404),
            (others.viewer, 404),
            (others.outsider, 404),
        ):
            assert (await client.get(url, headers=user.headers)).status_code == status, user.name
        missing = "/api/v1/imports/00000000-0000-0000-0000-000000000000"
        assert (await client.get(missing, headers=team.board.owner.headers)).status_code == 404

    async def test_an_archived_project_takes_no_import(
        self, client: httpx.AsyncClient, team: Team
    ) -> None:
        expect(
            await client.patch(
                f"/api/v1/projects/{team.pid}",
                json={"archived": True},
                headers=team.board.owner.headers,
            ),
            200,
        )
        r = await upload(
            client, team.board.member, team.pid, sample("titles_only.csv"), dry_run=True
        )
        assert r.status_code == 409
        assert r.json()["code"] == "project_archived"
