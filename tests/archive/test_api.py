"""Workspace archives through the API: an owner exports (a job), downloads the archive, and
anyone imports it as a new workspace (a job), into the installation it came from (a copy with
new ids) or into another on the other database; who may do what; files that are damaged,
not archives, too new or too large are refused and make nothing; an archive cannot name rows
outside itself; the housekeeping keeps the newest exports and removes the rest. Also through
an S3 store.

The tests on a lived-in world run under anyio, like the rest of tests/archive (its fixtures
build the world with asyncio.run); those on the suite's app and board fixtures run under
pytest-asyncio, in the loop those fixtures started the app in."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from tests.archive.canonical import Rows, normalized, read
from tests.archive.conftest import (
    ATTACHMENT,
    World,
    drain,
    login,
    serving,
    world_settings,
)
from tests.attachments.conftest import Bucket, bucket, s3_endpoint  # noqa: F401 - fixtures
from tests.factories import Board, User, expect, make_task, make_user

from tasklane.archive import service
from tasklane.archive.codec import kinds
from tasklane.archive.jobs import PAUSED_WEBHOOK
from tasklane.archive.tables import TABLES
from tasklane.archive.workspace import copied_id, export_workspace
from tasklane.attachments.storage import object_key, storage_for
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.demo import DEMO_SLUG, demo_email
from tasklane.kit.clock import frozen, utcnow
from tasklane.kit.ids import new_id
from tasklane.models import (
    Attachment,
    AuditEntry,
    Task,
    Workspace,
    WorkspaceExport,
    WorkspaceImport,
    WorkspaceMember,
)
from tasklane.models import (
    User as UserRow,
)
from tasklane.worker.runner import JobRunner

API = "/api/v1"
BOTH = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


async def run_jobs(app: FastAPI) -> int:
    runtime = app.state.runtime
    return await JobRunner(runtime.settings, runtime.db, name="archive-test").run_due()


async def count(app: FastAPI, model: Any) -> int:
    async with app.state.runtime.db.transaction(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def archive_objects(settings: Settings) -> set[str]:
    """The `w/` objects of the local store."""
    folder = settings.data_dir / "attachments" / "w"
    return {f"w/{p.name}" for p in folder.iterdir()} if folder.is_dir() else set()


def staged(settings: Settings) -> list[Path]:
    folder = service.staging(settings)
    return list(folder.iterdir()) if folder.is_dir() else []


async def export_via_api(
    app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str], workspace_id: str
) -> tuple[dict[str, Any], httpx.Response]:
    """Start an export, run the worker's jobs, and download it: (the export, the download)."""
    started = expect(
        await client.post(f"{API}/workspaces/{workspace_id}/archives", headers=headers), 202
    )
    assert started["state"] == "queued"
    assert started["size"] is None
    assert await run_jobs(app) >= 1
    done = expect(
        await client.get(
            f"{API}/workspaces/{workspace_id}/archives/{started['id']}", headers=headers
        ),
        200,
    )
    assert done["state"] == "done", done
    download = await client.get(
        f"{API}/workspaces/{workspace_id}/archives/{started['id']}/download", headers=headers
    )
    assert download.status_code == 200, download.text
    return done, download


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    data: bytes,
    *,
    slug: str | None = None,
    filename: str = "acme.tar.gz",
) -> httpx.Response:
    return await client.post(
        f"{API}/workspaces/imports",
        params={"slug": slug} if slug else None,
        files={"file": (filename, data, "application/gzip")},
        headers=headers,
    )


async def import_via_api(
    app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str], data: bytes, **kwargs: Any
) -> dict[str, Any]:
    """Upload, let the worker catch up and run the import: the import as its reader sees it."""
    started = expect(await upload(client, headers, data, **kwargs), 202)
    assert started["state"] == "queued"
    await drain(app)  # the installation's consumers at its log's head, as a worker keeps them
    assert await run_jobs(app) >= 1
    answer: dict[str, Any] = expect(
        await client.get(f"{API}/workspaces/imports/{started['id']}", headers=headers), 200
    )
    return answer


async def cli_export(app: FastAPI, slug: str, out: Path) -> Path:
    runtime = app.state.runtime
    await export_workspace(runtime.db, storage_for(runtime.settings), slug, out)
    return out


def as_copied(tables: Rows, files: dict[str, bytes], salt: UUID, slug: str) -> None:
    """What a copy keyed by `salt` holds, in place: every id but the accounts' made new, the
    slug as claimed. (The invitations' link secrets are new too: see `without_secrets`.)"""
    users = {row["id"] for row in tables.get("users", [])}

    def ref(value: str) -> str:
        return value if value in users else str(copied_id(salt, UUID(value)))

    def document(value: Any) -> Any:
        if isinstance(value, str) and len(value) == 36:
            try:
                return ref(str(UUID(value)))
            except ValueError:
                return value
        if isinstance(value, list):
            return [document(v) for v in value]
        if isinstance(value, dict):
            return {k: document(v) for k, v in value.items()}
        return value

    for name, rows in tables.items():
        if name == "users":
            continue
        columns = kinds(TABLES[name])
        for row in rows:
            for column, kind in columns.items():
                if row.get(column) is None:
                    continue
                if kind == "uuid":
                    row[column] = ref(row[column])
                elif kind == "json":
                    row[column] = document(row[column])
            if name == "workspaces":
                row["slug"] = slug
            if name == "notifications" and not row["dedupe_key"].startswith("event:"):
                row["dedupe_key"] = ":".join(document(p) for p in row["dedupe_key"].split(":"))
    for key in list(files):
        kind, _, attachment = key.partition("/")
        files[object_key(kind, copied_id(salt, UUID(attachment)))] = files.pop(key)


def as_imported_by(copied: Rows, archived: Rows, owner: str) -> None:
    """What an import through the API does beside copying, checked, then both sides brought to
    the same rows for the canonical comparison: each member of the archive but `owner` is
    invited with their role instead of kept (the archive's other memberships dropped, the
    copy's invitations made for them); only the owner's notifications are kept; the webhooks
    are made turned off."""
    emails = {row["id"]: row["email"] for row in archived["users"]}
    others = [m for m in archived["workspace_members"] if m["user_id"] != owner]
    expected = {(emails[m["user_id"]], m["role"]) for m in others}
    made = [
        row
        for row in copied.get("workspace_invitations", [])
        if row["invited_by"] == owner and (row["email"], row["role"]) in expected
    ]
    assert len(expected) > 1
    assert sorted((row["email"], row["role"]) for row in made) == sorted(expected)
    assert not [m for m in copied["workspace_members"] if m["user_id"] != owner]
    copied["workspace_invitations"] = [
        row for row in copied["workspace_invitations"] if row not in made
    ]
    archived["workspace_members"] = [
        m for m in archived["workspace_members"] if m["user_id"] == owner
    ]

    assert {n["user_id"] for n in archived["notifications"]} - {owner}
    assert {n["user_id"] for n in copied.get("notifications", [])} <= {owner}
    archived["notifications"] = [n for n in archived["notifications"] if n["user_id"] == owner]

    assert any(w["enabled"] for w in archived["webhooks"])
    by_id = {w["id"]: w for w in copied["webhooks"]}
    for webhook in archived["webhooks"]:
        copy = by_id[webhook["id"]]
        assert copy["enabled"] is False
        if webhook["enabled"]:
            assert copy["disabled_reason"] == PAUSED_WEBHOOK
            webhook.update(
                enabled=False, disabled_reason=PAUSED_WEBHOOK, updated_at=copy["updated_at"]
            )


def without_secrets(tables: Rows) -> Rows:
    for row in tables.get("workspace_invitations", []):
        row.pop("token_hash", None)
    return tables


def rebuilt(archive: bytes, edit: Callable[[str, bytes], bytes | None]) -> bytes:
    """The archive with each member passed through `edit` (None drops it), its manifest's
    checksums and row counts made to match: damage that only a deeper look finds."""
    members = members_of(archive)
    manifest = orjson.loads(members.pop("manifest.json"))
    out: list[tuple[str, bytes]] = []
    for name, data in members.items():
        changed = edit(name, data)
        if changed is None:
            continue
        kind, _, rest = name.partition("/")
        digest = hashlib.sha256(changed).hexdigest()
        if kind == "tables":
            entry = manifest["tables"][rest.removesuffix(".jsonl")]
            entry.update(rows=changed.count(b"\n"), sha256=digest)
        else:
            manifest["files"].setdefault(rest, {}).update(size=len(changed), sha256=digest)
        out.append((name, changed))
    return tar_from([("manifest.json", orjson.dumps(manifest)), *out])


def members_of(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return {i.name: tar.extractfile(i).read() for i in tar.getmembers()}  # type: ignore[union-attr]


def tar_from(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def tar_of(manifest: dict[str, Any]) -> bytes:
    """A tar with only a manifest."""
    return tar_from([("manifest.json", orjson.dumps(manifest))])


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the round trips ---------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BOTH)
async def test_export_download_and_import_as_a_copy_beside_the_original(
    world: World, lived_in: tuple[str, Path], tmp_path: Path
) -> None:
    """Into the installation it came from: a new workspace with new ids, the same contents
    (compared canonically, ids mapped as the copy maps them), ada its owner, the original
    untouched."""
    url, data = lived_in
    # Webhook retries (to a closed port) never come due during the test, and what the world
    # left queued (e-mails) runs first: the original's rows stay as they are from here.
    settings = world_settings(url, data, webhook_retry_seconds=3600)
    async with serving(settings) as (app, client):
        ada = await login(client, "ada")
        ada_id = expect(await client.get(f"{API}/users/me", headers=ada), 200)["id"]
        await run_jobs(app)
        before = await cli_export(app, DEMO_SLUG, tmp_path / "before.tar.gz")

        export, download = await export_via_api(app, client, ada, world.workspace_id)
        assert download.headers["content-type"] == "application/gzip"
        disposition = download.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert f'filename="{export["filename"]}"' in disposition
        assert export["filename"].startswith(f"{DEMO_SLUG}-")
        assert export["filename"].endswith(".tar.gz")
        assert int(download.headers["content-length"]) == export["size"] == len(download.content)
        assert export["contents"]["tables"]["tasks"] > 0
        assert export["contents"]["files"] == 1
        downloaded = tmp_path / "downloaded.tar.gz"
        downloaded.write_bytes(download.content)
        assert normalized(*read(downloaded)) == normalized(*read(before))
        listed = expect(
            await client.get(f"{API}/workspaces/{world.workspace_id}/archives", headers=ada), 200
        )
        assert [e["id"] for e in listed] == [export["id"]]

        users_before = await count(app, UserRow)
        done = await import_via_api(app, client, ada, download.content)
        assert done["state"] == "done", done
        assert done["source"] == {
            "slug": DEMO_SLUG,
            "name": done["source"]["name"],
            "made_at": done["source"]["made_at"],
        }
        new = done["workspace"]
        assert new["slug"] == f"{DEMO_SLUG}-2"  # the archive's is taken: the next free one
        assert new["id"] != world.workspace_id
        assert new["id"] == str(copied_id(UUID(done["id"]), UUID(world.workspace_id)))
        summary = done["summary"]
        assert summary["accounts_matched"] == 6
        assert summary["accounts_created"] == 0  # every account is this installation's own
        assert summary["owner_added"] is False  # ada owns the archived workspace
        assert summary["members_invited"] == 5  # everyone else is invited, not added
        assert summary["webhooks_paused"] >= 1
        assert summary["files"] == 1
        assert await count(app, UserRow) == users_before

        # The copy holds what the original holds, every id but the accounts' mapped.
        after = await cli_export(app, DEMO_SLUG, tmp_path / "after.tar.gz")
        copy = await cli_export(app, new["slug"], tmp_path / "copy.tar.gz")
        tables, files = read(downloaded)
        as_copied(tables, files, UUID(done["id"]), new["slug"])
        copied_tables, copied_files = read(copy)
        as_imported_by(copied_tables, tables, ada_id)
        assert normalized(without_secrets(copied_tables), copied_files) == normalized(
            without_secrets(tables), files
        )
        assert normalized(*read(after)) == normalized(*read(before))  # the original as it was

        # The copy is served: ada sees its tasks and its file's bytes, under the new ids.
        workspaces = expect(await client.get(f"{API}/workspaces", headers=ada), 200)["items"]
        assert {w["slug"]: w["role"] for w in workspaces}[new["slug"]] == "owner"
        tasks = expect(
            await client.get(f"{API}/workspaces/{new['id']}/tasks?limit=100", headers=ada), 200
        )["items"]
        originals = expect(
            await client.get(f"{API}/workspaces/{world.workspace_id}/tasks?limit=100", headers=ada),
            200,
        )["items"]
        assert sorted(t["key"] for t in tasks) == sorted(t["key"] for t in originals)
        assert not {t["id"] for t in tasks} & {t["id"] for t in originals}
        attachment = copied_id(UUID(done["id"]), UUID(world.attachment_id))
        storage = storage_for(app.state.runtime.settings)
        got = b"".join([c async for c in storage.get(object_key("a", attachment))])
        assert got == ATTACHMENT
        # Grace (an admin there) sees nothing of it until she accepts the invitation the
        # import made her, with her role; the upload is gone from the store.
        grace = await login(client, "grace")
        hers = expect(await client.get(f"{API}/workspaces", headers=grace), 200)["items"]
        assert new["slug"] not in {w["slug"] for w in hers}
        expect(await client.get(f"{API}/workspaces/{new['id']}/tasks", headers=grace), 404)
        mine = expect(await client.get(f"{API}/users/me/invitations", headers=grace), 200)
        invitation = next(i for i in mine if i["workspace_id"] == new["id"])
        assert (invitation["role"], invitation["invited_by"]) == ("admin", ada_id)
        expect(
            await client.post(f"{API}/invitations/{invitation['id']}/accept", headers=grace), 200
        )
        hers = expect(await client.get(f"{API}/workspaces", headers=grace), 200)["items"]
        assert {w["slug"]: w["role"] for w in hers}[new["slug"]] == "admin"
        settings = app.state.runtime.settings
        assert archive_objects(settings) == {f"w/{export['id']}"}
        assert staged(settings) == []
        # The audit log has both, with who did them.
        async with app.state.runtime.db.transaction(write=False) as session:
            actions = set(
                await session.scalars(
                    select(AuditEntry.action).where(
                        AuditEntry.action.in_(("workspace.exported", "workspace.imported"))
                    )
                )
            )
        assert actions == {"workspace.exported", "workspace.imported"}

        # The same archive again: another copy, under the next slug.
        again = await import_via_api(app, client, ada, download.content, slug="acme-third")
        assert again["state"] == "done", again
        assert again["workspace"]["slug"] == "acme-third"


@pytest.mark.anyio
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_import_into_another_installation_on_the_other_database(
    backend: str,
    world: World,
    lived_in: tuple[str, Path],
    empty_postgres: tuple[str, Path],
    empty_sqlite: tuple[str, Path],
    tmp_path: Path,
) -> None:
    """Exported from one database, imported through the API into a new installation on the
    other by someone the archive does not name: they are made its owner, everyone else gets
    an account without a password, and the contents are the archive's."""
    url, data = lived_in
    async with serving(world_settings(url, data)) as (app, client):
        ada = await login(client, "ada")
        _, download = await export_via_api(app, client, ada, world.workspace_id)
    archive = tmp_path / "acme.tar.gz"
    archive.write_bytes(download.content)

    target_url, target_data = empty_postgres if backend == "sqlite" else empty_sqlite
    async with serving(world_settings(target_url, target_data)) as (app, client):
        newcomer = await make_user(client, email="newcomer@elsewhere.example")
        done = await import_via_api(app, client, newcomer.headers, download.content)
        assert done["state"] == "done", done
        new = done["workspace"]
        assert new["slug"] == DEMO_SLUG
        assert done["summary"]["owner_added"] is True
        assert done["summary"]["accounts_matched"] == 0
        assert done["summary"]["accounts_created"] == 6
        assert done["summary"]["members_invited"] == 6
        async with app.state.runtime.db.transaction(write=False) as session:
            role = await session.scalar(
                select(WorkspaceMember.role).where(
                    WorkspaceMember.workspace_id == UUID(new["id"]),
                    WorkspaceMember.user_id == UUID(newcomer.id),
                )
            )
            rows = await session.execute(select(UserRow.email, UserRow.password_hash))
            hashes = {row.email: row.password_hash for row in rows}
        assert role == "owner"
        assert hashes[demo_email("ada")] == ""
        assert hashes["newcomer@elsewhere.example"] != ""
        tasks = expect(
            await client.get(
                f"{API}/workspaces/{new['id']}/tasks?limit=5", headers=newcomer.headers
            ),
            200,
        )
        assert tasks["items"]
        copy = await cli_export(app, DEMO_SLUG, tmp_path / "copy.tar.gz")
    tables, files = read(archive)
    as_copied(tables, files, UUID(done["id"]), DEMO_SLUG)
    copied_tables, copied_files = read(copy)
    as_imported_by(copied_tables, tables, newcomer.id)
    # The copy has one member and one account more: the newcomer, its owner.
    newcomer_rows = {
        "users": [r for r in copied_tables["users"] if r["email"] == "newcomer@elsewhere.example"],
        "workspace_members": [
            r for r in copied_tables["workspace_members"] if r["user_id"] == newcomer.id
        ],
    }
    assert len(newcomer_rows["users"]) == len(newcomer_rows["workspace_members"]) == 1
    for name, extra in newcomer_rows.items():
        copied_tables[name] = [r for r in copied_tables[name] if r not in extra]
    assert normalized(without_secrets(copied_tables), copied_files) == normalized(
        without_secrets(tables), files
    )


# --- who may ------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_only_owners_export_and_only_the_uploader_follows_an_import(
    world: World, lived_in: tuple[str, Path]
) -> None:
    url, data = lived_in
    async with serving(world_settings(url, data)) as (app, client):
        ada = await login(client, "ada")
        export, _ = await export_via_api(app, client, ada, world.workspace_id)
        base = f"{API}/workspaces/{world.workspace_id}/archives"
        one = f"{base}/{export['id']}"
        outsider = await make_user(client, email="outsider@elsewhere.example")
        for who, status in (("grace", 403), ("linus", 403), ("barbara", 403)):
            headers = await login(client, who)  # admin, member, guest
            assert (await client.post(base, headers=headers)).status_code == status, who
            assert (await client.get(base, headers=headers)).status_code == status, who
            assert (await client.get(one, headers=headers)).status_code == status, who
            assert (await client.get(f"{one}/download", headers=headers)).status_code == status
        for headers, status in ((outsider.headers, 404), ({}, 401)):
            for method, path in (
                ("POST", base),
                ("GET", base),
                ("GET", one),
                ("GET", f"{one}/download"),
            ):
                r = await client.request(method, path, headers=headers)
                assert r.status_code == status, (method, path, r.text)
                assert r.headers["content-type"] == "application/problem+json"
        # Another workspace's export id under this workspace: 404.
        own = expect(
            await client.post(f"{API}/workspaces", json={"name": "Mine"}, headers=outsider.headers),
            201,
        )
        r = await client.get(
            f"{API}/workspaces/{own['id']}/archives/{export['id']}", headers=outsider.headers
        )
        assert r.status_code == 404

        # An import is followed by whoever uploaded it, nobody else.
        _, download = await export_via_api(app, client, ada, world.workspace_id)
        started = expect(await upload(client, outsider.headers, download.content), 202)
        path = f"{API}/workspaces/imports/{started['id']}"
        assert expect(await client.get(path, headers=outsider.headers), 200)["state"] == "queued"
        assert (await client.get(path, headers=ada)).status_code == 404
        assert (await client.get(path, headers={})).status_code == 401
        # One at a time per person: a second upload while the first waits is refused.
        second = await upload(client, outsider.headers, download.content)
        assert second.status_code == 409
        assert second.json()["code"] == "import_in_progress"


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_exports_one_at_a_time_and_not_downloadable_before_done(
    world: World, lived_in: tuple[str, Path]
) -> None:
    url, data = lived_in
    async with serving(world_settings(url, data)) as (app, client):
        ada = await login(client, "ada")
        base = f"{API}/workspaces/{world.workspace_id}/archives"
        first = expect(await client.post(base, headers=ada), 202)
        busy = await client.post(base, headers=ada)
        assert busy.status_code == 409
        assert busy.json()["code"] == "export_in_progress"
        early = await client.get(f"{base}/{first['id']}/download", headers=ada)
        assert early.status_code == 409
        assert early.json()["code"] == "export_not_ready"
        await run_jobs(app)
        # Its file removed behind its back (a restore from a backup, say): 404, not a 500.
        settings = app.state.runtime.settings
        await storage_for(settings).delete(object_key("w", UUID(first["id"])))
        gone = await client.get(f"{base}/{first['id']}/download", headers=ada)
        assert gone.status_code == 404
        assert gone.headers["content-type"] == "application/problem+json"


# --- bad files -----------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BOTH)
async def test_files_that_are_not_importable_are_refused_and_make_nothing(
    world: World, lived_in: tuple[str, Path]
) -> None:
    url, data = lived_in
    async with serving(world_settings(url, data)) as (app, client):
        ada = await login(client, "ada")
        _, download = await export_via_api(app, client, ada, world.workspace_id)
        good = download.content
        manifest = orjson.loads(members_of(good)["manifest.json"])
        settings = app.state.runtime.settings
        counts = {m: await count(app, m) for m in (Workspace, UserRow, Task, Attachment)}
        objects = archive_objects(settings)

        refused_at_once = {
            "not_an_archive": [
                b"id,title\n1,hello\n",
                gzip.compress(b"not a tar at all" * 100),
                tar_of({"format": "something-else", "version": 1}),
                tar_of({**manifest, "kind": "workspace", "workspace": {"id": "x"}}),
            ],
            "not_a_workspace_archive": [tar_of({**manifest, "kind": "installation"})],
            "archive_too_new": [
                tar_of({**manifest, "version": 99}),
                tar_of({**manifest, "schema": "ffffffffffff"}),
            ],
        }
        for code, files in refused_at_once.items():
            for n, content in enumerate(files):
                r = await upload(client, ada, content)
                assert r.status_code == 422, (code, n, r.text)
                assert r.headers["content-type"] == "application/problem+json"
                body = r.json()
                assert body["code"] == "validation_failed", body
                assert body["errors"][0]["field"] == "file"
                assert body["errors"][0]["code"] == code, (code, n, body)
                assert str(settings.data_dir) not in r.text  # no server paths
        await drain(app)
        await run_jobs(app)

        # Damage deeper in: accepted at first (the manifest is fine), then the job finds it.
        tasks_member = "tables/tasks.jsonl"

        def flip(name: str, data: bytes) -> bytes:
            return data[:10] + bytes([data[10] ^ 1]) + data[11:] if name == tasks_member else data

        damaged = tar_from([(n, flip(n, d)) for n, d in members_of(good).items()])
        raw = gzip.decompress(good)
        cut = gzip.compress(raw[: len(raw) * 2 // 3])
        not_json = rebuilt(good, lambda n, d: b"{not json\n" + d if n == tasks_member else d)
        for bad in (damaged, cut, not_json):
            failed = await import_via_api(app, client, ada, bad)
            assert failed["state"] == "failed", failed
            assert failed["workspace"] is None
            assert failed["error"]
            assert "Traceback" not in failed["error"]
            assert str(settings.data_dir) not in failed["error"]

        assert {m: await count(app, m) for m in counts} == counts
        assert archive_objects(settings) == objects  # the uploads went with their imports
        assert staged(settings) == []
        attachments = settings.data_dir / "attachments" / "a"
        assert len(list(attachments.iterdir())) == 1  # the world's one file, nothing more


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_an_archive_cannot_name_rows_outside_itself(
    world: World, lived_in: tuple[str, Path]
) -> None:
    """An edited archive whose rows name another workspace (a membership in it), or whose
    files would replace another attachment's bytes, makes nothing and changes nothing: a
    copy maps every id it holds, so what it names outside itself does not exist."""
    url, data = lived_in
    async with serving(world_settings(url, data)) as (app, client):
        ada = await login(client, "ada")
        _, download = await export_via_api(app, client, ada, world.workspace_id)
        mallory = await make_user(client, email="mallory@elsewhere.example")
        victim = await make_user(client, email="victim@elsewhere.example")
        theirs = expect(
            await client.post(f"{API}/workspaces", json={"name": "Theirs"}, headers=victim.headers),
            201,
        )
        membership = (
            orjson.dumps(
                {
                    "workspace_id": theirs["id"],
                    "user_id": mallory.id,
                    "role": "owner",
                    "created_at": utcnow().isoformat(),
                },
                option=orjson.OPT_SORT_KEYS,
            )
            + b"\n"
        )
        project = expect(
            await client.post(
                f"{API}/workspaces/{theirs['id']}/projects",
                json={"key": "VIC", "name": "Victim"},
                headers=victim.headers,
            ),
            201,
        )
        task = await make_task(client, victim, project["id"])
        their_file = expect(
            await client.post(
                f"{API}/tasks/{task['id']}/attachments",
                files={"file": ("secret.txt", b"theirs", "text/plain")},
                headers=victim.headers,
            ),
            201,
        )
        settings = app.state.runtime.settings
        storage = storage_for(settings)
        key = object_key("a", UUID(their_file["id"]))

        joins = rebuilt(
            download.content,
            lambda n, d: d + membership if n == "tables/workspace_members.jsonl" else d,
        )
        failed = await import_via_api(app, client, mallory.headers, joins)
        assert failed["state"] == "failed", failed
        assert "damaged" in failed["error"]

        # A file no attachment of the archive names: another one's bytes, by its key.
        members = members_of(download.content)
        manifest = orjson.loads(members.pop("manifest.json"))
        for other in (UUID(their_file["id"]), new_id()):
            owned = b"owned"
            files = {**manifest["files"], f"a/{other}": {"size": 5, "sha256": _sha(owned)}}
            forged = tar_from(
                [
                    ("manifest.json", orjson.dumps({**manifest, "files": files})),
                    *members.items(),
                    (f"files/a/{other}", owned),
                ]
            )
            failed = await import_via_api(app, client, mallory.headers, forged)
            assert failed["state"] == "failed", failed
            assert "no attachment" in failed["error"]
            copy_key = object_key("a", copied_id(UUID(failed["id"]), other))
            assert await storage.head(copy_key) is None

        async with app.state.runtime.db.transaction(write=False) as session:
            members_of_theirs = set(
                await session.scalars(
                    select(WorkspaceMember.user_id).where(
                        WorkspaceMember.workspace_id == UUID(theirs["id"])
                    )
                )
            )
        assert members_of_theirs == {UUID(victim.id)}
        assert b"".join([c async for c in storage.get(key)]) == b"theirs"
        mine = expect(await client.get(f"{API}/workspaces", headers=mallory.headers), 200)
        assert mine["items"] == []


class TestTooLarge:
    @pytest.fixture
    def backend(self) -> str:
        return "sqlite"

    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"archive_max_upload_bytes": 4096}

    async def test_an_upload_over_the_limit_is_413_and_makes_nothing(
        self, client: httpx.AsyncClient, board: Board, settings: Settings
    ) -> None:
        owner = board.owner
        # Within a form's overhead, over the limit: refused as it streams in.
        r = await upload(client, owner.headers, os.urandom(10 * 1024))
        assert r.status_code == 413, r.text
        assert r.json()["code"] == "payload_too_large"
        assert "4096" in r.json()["detail"]
        # Declared larger than the limit and a form's overhead: refused before it is read.
        r = await client.post(
            f"{API}/workspaces/imports",
            content=b"x" * (200 * 1024),
            headers={**owner.headers, "Content-Type": "multipart/form-data; boundary=x"},
        )
        assert r.status_code == 413, r.text
        assert r.json()["code"] == "payload_too_large"
        assert archive_objects(settings) == set()
        assert staged(settings) == []

    async def test_files_over_the_workspace_quota_are_413(
        self, client: httpx.AsyncClient, board: Board, settings: Settings
    ) -> None:
        quota = settings.storage_quota_bytes
        assert quota is not None
        manifest = {
            "format": "tasklane-archive",
            "version": 1,
            "kind": "workspace",
            "workspace": {"id": str(new_id()), "slug": "big", "name": "Big"},
            "tables": {},
            "files": {f"a/{new_id()}": {"size": quota + 1, "sha256": "0" * 64}},
        }
        r = await upload(client, board.owner.headers, tar_of(manifest))
        assert r.status_code == 413, r.text
        assert r.json()["code"] == "storage_quota_exceeded"

    async def test_an_asked_slug_that_cannot_be_had_is_refused_before_the_upload(
        self, client: httpx.AsyncClient, board: Board
    ) -> None:
        taken = await upload(client, board.owner.headers, b"x", slug=board.workspace["slug"])
        assert taken.status_code == 409
        assert taken.json()["code"] == "slug_taken"
        reserved = await upload(client, board.owner.headers, b"x", slug="settings")
        assert reserved.status_code == 422
        bad = await upload(client, board.owner.headers, b"x", slug="Not A Slug")
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "slug"
        no_form = await client.post(
            f"{API}/workspaces/imports", content=b"x", headers=board.owner.headers
        )
        assert no_form.status_code == 422


# --- housekeeping ----------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BOTH)
async def test_the_housekeeping_keeps_the_newest_and_removes_the_rest(
    world: World, lived_in: tuple[str, Path]
) -> None:
    url, data = lived_in
    async with serving(world_settings(url, data, archive_keep=2)) as (app, client):
        ada = await login(client, "ada")
        settings = app.state.runtime.settings
        db: Database = app.state.runtime.db
        storage = storage_for(settings)
        made = []
        for _ in range(3):
            export, _ = await export_via_api(app, client, ada, world.workspace_id)
            made.append(export["id"])
        listed = expect(
            await client.get(f"{API}/workspaces/{world.workspace_id}/archives", headers=ada), 200
        )
        # The third made the first go (TASKLANE_ARCHIVE_KEEP=2), its file with it.
        assert [e["id"] for e in listed] == made[:0:-1]
        assert archive_objects(settings) == {f"w/{i}" for i in made[1:]}
        done_import = await import_via_api(
            app,
            client,
            ada,
            (
                await client.get(
                    f"{API}/workspaces/{world.workspace_id}/archives/{made[2]}/download",
                    headers=ada,
                )
            ).content,
        )
        assert done_import["state"] == "done"

        # Left behind by processes that died: an object no row names, a staged file.
        orphan = object_key("w", new_id())
        await storage.put(orphan, _reader(b"left behind"), content_type="application/gzip")
        leftover = service.staging(settings) / ".export-dead.tar.gz"
        leftover.write_bytes(b"half")
        old = time.time() - 2 * 24 * 3600
        os.utime(settings.data_dir / "attachments" / orphan, (old, old))
        os.utime(leftover, (old, old))
        # A stuck export (its worker kept dying) is failed after a day.
        async with db.transaction() as session:
            session.add(
                WorkspaceExport(
                    workspace_id=UUID(world.workspace_id),
                    state="running",
                    filename="stuck.tar.gz",
                    summary={},
                    created_at=utcnow() - timedelta(days=2),
                    updated_at=utcnow() - timedelta(days=2),
                )
            )
        removed = await service.cleanup(db, storage, settings)
        assert removed["stale"] == 1
        assert removed["objects"] == 1
        assert removed["staged"] == 1
        assert await storage.head(orphan) is None
        assert not leftover.exists()
        assert archive_objects(settings) == {f"w/{i}" for i in made[1:]}

        # Past the retention everything goes: exports, their files, the imports' records.
        later = utcnow() + timedelta(days=settings.archive_retention_days, hours=1)
        with frozen(later):
            removed = await service.cleanup(db, storage, settings)
        assert removed["exports"] == 3  # two done, and the stuck one
        assert removed["imports"] == 1
        assert archive_objects(settings) == set()
        assert await count(app, WorkspaceExport) == 0
        assert await count(app, WorkspaceImport) == 0
        listed = expect(
            await client.get(f"{API}/workspaces/{world.workspace_id}/archives", headers=ada), 200
        )
        assert listed == []
        # The imported workspace stays: only the record of its import went.
        assert done_import["workspace"]["id"] in {
            w["id"]
            for w in expect(await client.get(f"{API}/workspaces", headers=ada), 200)["items"]
        }


def _reader(data: bytes) -> Any:
    from tasklane.attachments.storage import reader

    return reader(data)


# --- an S3 store ------------------------------------------------------------------------------


class TestThroughS3:
    @pytest.fixture
    def backend(self) -> str:
        return "sqlite"

    @pytest.fixture
    def settings_overrides(self, bucket: Bucket) -> dict[str, object]:  # noqa: F811
        return bucket.overrides

    @pytest.fixture
    def board_is_copied(self) -> bool:
        return True

    async def test_export_download_and_import(
        self,
        client: httpx.AsyncClient,
        app: FastAPI,
        board: Board,
        bucket: Bucket,  # noqa: F811
    ) -> None:
        owner: User = board.owner
        task = await make_task(client, owner, board.pid, title="Kept in a bucket")
        file = expect(
            await client.post(
                f"{API}/tasks/{task['id']}/attachments",
                files={"file": ("notes.txt", b"bucket bytes\n" * 50, "text/plain")},
                headers=owner.headers,
            ),
            201,
        )
        await drain(app)
        export, download = await export_via_api(app, client, owner.headers, board.workspace["id"])
        stored = bucket.keys()
        assert f"w/{export['id']}" in stored
        assert bucket.read(f"w/{export['id']}") == download.content
        done = await import_via_api(app, client, owner.headers, download.content, slug="from-s3")
        assert done["state"] == "done", done
        stored = bucket.keys()
        assert f"w/{done['id']}" not in stored  # the upload, gone once imported
        copied = copied_id(UUID(done["id"]), UUID(file["id"]))
        assert bucket.read(f"a/{copied}") == b"bucket bytes\n" * 50
        listed = expect(
            await client.get(
                f"{API}/workspaces/{done['workspace']['id']}/tasks", headers=owner.headers
            ),
            200,
        )
        assert "Kept in a bucket" in {t["title"] for t in listed["items"]}
        # Past the retention, the export's object leaves the bucket.
        runtime = app.state.runtime
        with frozen(utcnow() + timedelta(days=runtime.settings.archive_retention_days + 1)):
            await service.cleanup(runtime.db, storage_for(runtime.settings), runtime.settings)
        stored = bucket.keys()
        assert not {k for k in stored if k.startswith("w/")}
