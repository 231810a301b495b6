"""The audit log: actions write rows, a workspace's admins read and export them, and
`tasklane audit verify` finds an edited or deleted row."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text

from tasklane import audit
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.models import AuditEntry
from tests.factories import (
    PASSWORD,
    User,
    add_member,
    api_token_headers,
    expect,
    make_user,
    make_workspace,
)
from tests.faults.live import BIN


def _log(client: httpx.AsyncClient, who: User, workspace_id: str, **params: Any) -> Any:
    return client.get(
        f"/api/v1/workspaces/{workspace_id}/audit-log", params=params, headers=who.headers
    )


async def _all(client: httpx.AsyncClient, who: User, workspace_id: str, **params: Any) -> list[Any]:
    return list(expect(await _log(client, who, workspace_id, **params), 200)["items"])


class TestWorkspaceAuditLog:
    async def test_actions_filters_paging_and_export(self, client: httpx.AsyncClient) -> None:
        owner = await make_user(client)
        member = await make_user(client)
        stranger = await make_user(client)
        ws = (await make_workspace(client, owner))["id"]
        other_ws = (await make_workspace(client, stranger, "Elsewhere"))["id"]
        await add_member(client, owner, ws, member)
        expect(
            await client.patch(
                f"/api/v1/workspaces/{ws}/members/{member.id}",
                json={"role": "guest"},
                headers=owner.headers,
            ),
            200,
        )
        bad = {"email": member.email, "password": "not the password"}
        expect(await client.post("/api/v1/auth/session", json=bad), 401)
        expect(
            await client.patch(
                f"/api/v1/workspaces/{other_ws}", json={"name": "X"}, headers=stranger.headers
            ),
            200,
        )

        # Anonymous, outsider, member: 401, 404, 403.
        assert (await client.get(f"/api/v1/workspaces/{ws}/audit-log")).status_code == 401
        assert (await _log(client, stranger, ws)).status_code == 404
        assert (await _log(client, member, ws)).status_code == 403

        rows = await _all(client, owner, ws)
        seqs = [r["seq"] for r in rows]
        assert seqs == sorted(seqs, reverse=True)
        mine = {(r["action"], r["actor_email"]) for r in rows}
        assert {
            ("auth.login", owner.email),
            ("auth.login", member.email),
            ("auth.login_failed", member.email),
            ("member.invited", owner.email),
            ("member.added", member.email),
            ("member.role_changed", owner.email),
        } <= mine
        # Not another workspace's rows, nor a non-member's sign-ins.
        assert all(r["actor_email"] != stranger.email for r in rows)
        assert all(r["workspace_id"] in (ws, None) for r in rows)
        changed = next(r for r in rows if r["action"] == "member.role_changed")
        assert changed["ip"] == "127.0.0.1"
        assert changed["details"]["from"] == "member"
        assert changed["details"]["to"] == "guest"
        assert changed["details"]["user_id"] == member.id
        failed = next(r for r in rows if r["action"] == "auth.login_failed")
        assert failed["details"] == {"email": member.email, "via": "cookie", "step": "password"}

        # Filters: a kind, an exact action, a person, a time range.
        auth_rows = await _all(client, owner, ws, action="auth.")
        assert auth_rows
        assert all(r["action"].startswith("auth.") for r in auth_rows)
        assert [r["action"] for r in await _all(client, owner, ws, action="member.added")] == [
            "member.added"
        ]
        assert {r["actor_id"] for r in await _all(client, owner, ws, actor=member.id)} == {
            member.id
        }
        assert await _all(client, owner, ws, since="2999-01-01T00:00:00Z") == []
        # A time without a zone, or one past the calendar, is a 422 naming the field.
        for since in ("2026-01-01T00:00:00", "0001-01-01T00:00:00+05:00"):
            assert (await _log(client, owner, ws, since=since)).status_code == 422
        assert len(await _all(client, owner, ws, until="2999-01-01T00:00:00Z")) == len(rows)

        # Paging: newest first, no row twice, none left out.
        paged: list[Any] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = expect(await _log(client, owner, ws, **params), 200)
            paged += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert [r["seq"] for r in paged] == seqs

        # Export: the same rows (with the filters), and the export itself is recorded.
        url = f"/api/v1/workspaces/{ws}/audit-log/export"
        r = await client.get(url, params={"format": "jsonl"}, headers=owner.headers)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/x-ndjson")
        assert "attachment" in r.headers["content-disposition"]
        exported = [json.loads(line) for line in r.text.splitlines()]
        assert exported[0]["action"] == "audit.exported"
        assert [e["seq"] for e in exported[1:]] == seqs
        r = await client.get(
            url, params={"format": "csv", "action": "member."}, headers=owner.headers
        )
        assert r.status_code == 200
        table = list(csv.DictReader(io.StringIO(r.text)))
        assert {row["action"] for row in table} == {
            "member.invited",
            "member.added",
            "member.role_changed",
        }
        assert json.loads(table[0]["details"])["to"] == "guest"
        assert (await client.get(url, headers=member.headers)).status_code == 403

        # An API token needs the admin scope to read the log.
        by_token = await api_token_headers(client, owner, "read")
        r = await client.get(f"/api/v1/workspaces/{ws}/audit-log", headers=by_token)
        assert r.status_code == 403
        assert r.json()["code"] == "token_scope"
        created = await _all(client, owner, ws, action="token.created")
        assert created[0]["details"]["scopes"] == ["read"]


class TestVerify:
    async def test_verify_finds_edited_and_deleted_rows(
        self, client: httpx.AsyncClient, database: Database, settings: Settings, tmp_path: Path
    ) -> None:
        owner = await make_user(client)
        await make_workspace(client, owner)
        expect(
            await client.post(
                "/api/v1/auth/login", json={"email": owner.email, "password": PASSWORD}
            ),
            200,
        )
        await make_user(client)
        await make_user(client)
        async with database.transaction(write=False) as session:
            count, broken = await audit.verify(session)
        assert broken is None
        assert count >= 4

        async with database.transaction() as session:
            entry = await session.get_one(AuditEntry, 2)
            original = dict(entry.details)
            entry.details = {**original, "via": "forged"}
        env = {
            **os.environ,
            "TASKLANE_DATABASE_URL": settings.database_url,
            "TASKLANE_DATA_DIR": str(tmp_path / "data"),
            "TASKLANE_SECRET_KEY": settings.secret_key.get_secret_value()
            if settings.secret_key
            else "",
        }
        result = await asyncio.to_thread(
            subprocess.run,
            [str(BIN), "audit", "verify"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 1, result.stdout + result.stderr
        assert "row 2: content edited" in result.stderr

        async with database.transaction() as session:
            (await session.get_one(AuditEntry, 2)).details = original
        async with database.transaction(write=False) as session:
            assert await audit.verify(session) == (count, None)

        async with database.transaction() as session:
            await session.execute(text("DELETE FROM audit_log WHERE seq = 3"))
        async with database.transaction(write=False) as session:
            checked, broken = await audit.verify(session)
        assert checked == 2
        assert broken is not None
        assert broken.seq == 4
        assert "row deleted" in broken.reason
        assert "3..3" in broken.reason
        async with database.transaction(write=False) as session:
            last = await session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()))
        assert last == count
