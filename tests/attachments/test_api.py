"""Attachments through the API with the local folder: upload, what is stored and how it is
served, who may do what, limits, bad input, direct uploads, comments and the history.
(The S3 store: test_s3.py; thumbnails and the sweep: test_jobs.py.)"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import func, select

from tasklane.attachments.service import file_signature
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.models import Attachment
from tasklane.security import HeaderPolicy
from tasklane.worker.runner import JobRunner
from tests.factories import Board, User, expect, make_task, make_user
from tests.projects.helpers import join

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, "PNG")
    return out.getvalue()


async def upload(
    client: httpx.AsyncClient,
    user: User,
    task: str,
    name: str,
    data: bytes,
    declared: str = "application/octet-stream",
) -> httpx.Response:
    return await client.post(
        f"/api/v1/tasks/{task}/attachments",
        files={"file": (name, data, declared)},
        headers=user.headers,
    )


async def fetch(client: httpx.AsyncClient, user: User | None, path: str) -> httpx.Response:
    """Follow the access-checked redirect to the signed link, without credentials."""
    headers = user.headers if user else {}
    first = await client.get(path, headers=headers)
    if first.status_code != 302:
        return first
    return await client.get(first.headers["location"])


def _form(boundary: str, name: str, data: bytes) -> list[bytes]:
    """A multipart form with one `file` part, its name sent as raw UTF-8 (as browsers do)."""
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return [head, data, f"\r\n--{boundary}--\r\n".encode()]


def stored_files(settings: Settings) -> list[Path]:
    folder = settings.data_dir / "attachments" / "a"
    return sorted(folder.iterdir()) if folder.exists() else []


async def rows(database: Database) -> int:
    async with database.transaction(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(Attachment)) or 0)


@pytest.fixture
async def task(client: httpx.AsyncClient, board: Board) -> dict[str, Any]:
    return await make_task(client, board.member, board.pid, title="Login times out")


class TestUploadAndDownload:
    async def test_a_file_is_stored_as_sent_and_served_as_a_download(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        settings: Settings,
    ) -> None:
        r = await upload(
            client, board.member, task["key"], "../../etc/passwd.pdf", PDF, declared="image/png"
        )
        attachment = expect(r, 201)
        assert attachment["filename"] == "_.._etc_passwd.pdf"
        assert attachment["content_type"] == "application/pdf"  # sniffed, not as declared
        assert attachment["size"] == len(PDF)
        assert attachment["sha256"] == hashlib.sha256(PDF).hexdigest()
        assert attachment["task_id"] == task["id"]
        assert attachment["created_by"] == board.member.id
        assert attachment["comment_id"] is None
        assert attachment["thumbnail_url"] is None
        [path] = stored_files(settings)
        assert path.read_bytes() == PDF

        listed = expect(
            await client.get(
                f"/api/v1/tasks/{task['key']}/attachments", headers=board.owner.headers
            ),
            200,
        )
        assert listed == [attachment]
        assert (
            expect(
                await client.get(
                    f"/api/v1/attachments/{attachment['id']}", headers=board.owner.headers
                ),
                200,
            )
            == attachment
        )

        redirect = await client.get(attachment["url"], headers=board.owner.headers)
        assert redirect.status_code == 302
        assert redirect.headers["location"].startswith(f"/api/v1/files/a/{attachment['id']}?")
        served = await client.get(redirect.headers["location"])  # the link is the credential
        assert served.status_code == 200
        assert served.content == PDF
        assert served.headers["content-type"] == "application/pdf"
        assert served.headers["content-disposition"].startswith("attachment;")
        assert 'filename="_.._etc_passwd.pdf"' in served.headers["content-disposition"]
        assert served.headers["x-content-type-options"] == "nosniff"

    @pytest.mark.parametrize(
        ("name", "data", "content_type", "disposition"),
        [
            ("shot.png", png(), "image/png", "inline"),
            ("vector.svg", SVG, "image/svg+xml", "attachment"),
            ("page.html", HTML, "text/html", "attachment"),
            ("notes.txt", "Grüße\nfrom the team\n".encode(), "text/plain", "attachment"),
            ("blob.bin", bytes(range(256)) * 4, "application/octet-stream", "attachment"),
            ("empty.txt", b"", "text/plain", "attachment"),
        ],
    )
    async def test_only_safe_images_are_shown_inline(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        name: str,
        data: bytes,
        content_type: str,
        disposition: str,
    ) -> None:
        attachment = expect(
            await upload(client, board.member, task["key"], name, data, declared="image/png"), 201
        )
        assert attachment["content_type"] == content_type
        served = await fetch(client, board.member, attachment["url"])
        assert served.status_code == 200
        assert served.content == data
        assert served.headers["content-type"].split(";")[0] == content_type
        assert served.headers["content-disposition"].split(";")[0] == disposition

    async def test_a_unicode_name_is_kept_for_display(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        name = "Résumé — Q4 報告.pdf"
        attachment = expect(await upload(client, board.member, task["key"], name, PDF), 201)
        assert attachment["filename"] == name
        served = await fetch(client, board.member, attachment["url"])
        assert "filename*=UTF-8''R%C3%A9sum%C3%A9" in served.headers["content-disposition"]

    async def test_control_characters_are_taken_out_of_a_name(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        r = await client.post(
            f"/api/v1/tasks/{task['key']}/attachments",
            content=b"".join(_form("b0undary", "\x1b[31mred\x07\u202e.txt", b"hi")),
            headers={
                **board.member.headers,
                "Content-Type": "multipart/form-data; boundary=b0undary",
            },
        )
        assert expect(r, 201)["filename"] == "[31mred.txt"

    async def test_a_long_name_keeps_its_extension(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        attachment = expect(
            await upload(client, board.member, task["key"], "a" * 600 + ".pdf", PDF), 201
        )
        assert len(attachment["filename"]) == 255
        assert attachment["filename"].endswith("a.pdf")


class TestAccess:
    async def test_who_may_see_add_and_remove(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        viewer = await join(client, board, project_role="viewer")
        colleague = await join(client, board)
        outsider = await make_user(client)
        mine = expect(await upload(client, board.member, task["key"], "a.pdf", PDF), 201)

        assert (await fetch(client, viewer, mine["url"])).content == PDF
        assert (await fetch(client, outsider, mine["url"])).status_code == 404
        assert (await fetch(client, None, mine["url"])).status_code == 401
        for path in (
            f"/api/v1/attachments/{mine['id']}",
            f"/api/v1/tasks/{task['id']}/attachments",
        ):
            assert (await client.get(path, headers=outsider.headers)).status_code == 404
        r = await upload(client, viewer, task["key"], "b.pdf", PDF)
        assert r.status_code == 403
        # Someone else's file: a project member may not remove it, a project admin may.
        r = await client.delete(f"/api/v1/attachments/{mine['id']}", headers=colleague.headers)
        assert r.status_code == 403
        r = await client.delete(f"/api/v1/attachments/{mine['id']}", headers=viewer.headers)
        assert r.status_code == 403
        ours = expect(await upload(client, colleague, task["key"], "c.pdf", PDF), 201)
        expect(
            await client.delete(f"/api/v1/attachments/{ours['id']}", headers=colleague.headers), 204
        )
        expect(
            await client.delete(f"/api/v1/attachments/{mine['id']}", headers=board.owner.headers),
            204,
        )
        assert (
            expect(
                await client.get(
                    f"/api/v1/tasks/{task['id']}/attachments", headers=board.member.headers
                ),
                200,
            )
            == []
        )

    async def test_a_member_removed_from_the_workspace_is_refused(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        colleague = await join(client, board)
        attachment = expect(await upload(client, board.member, task["key"], "a.pdf", PDF), 201)
        assert (await fetch(client, colleague, attachment["url"])).content == PDF
        expect(
            await client.delete(
                f"/api/v1/workspaces/{board.workspace['id']}/members/{colleague.id}",
                headers=board.owner.headers,
            ),
            204,
        )
        assert (await fetch(client, colleague, attachment["url"])).status_code == 404
        r = await client.get(f"/api/v1/attachments/{attachment['id']}", headers=colleague.headers)
        assert r.status_code == 404

    async def test_a_link_stops_working_when_it_expires_is_changed_or_the_file_goes(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        settings: Settings,
        database: Database,
    ) -> None:
        attachment = expect(await upload(client, board.member, task["key"], "a.pdf", PDF), 201)
        link = (await client.get(attachment["url"], headers=board.member.headers)).headers[
            "location"
        ]
        assert (await client.get(link)).status_code == 200
        # An hour later: a link signed for an expiry that has passed.
        past = 1_000_000
        old = f"/api/v1/files/a/{attachment['id']}?expires={past}&signature="
        old += file_signature(settings, attachment["id"], "a", past)
        assert (await client.get(old)).status_code == 404
        # Its expiry pushed back: the signature no longer matches.
        expires = link.split("expires=")[1].split("&")[0]
        extended = link.replace(f"expires={expires}", f"expires={int(expires) + 3600}")
        assert (await client.get(extended)).status_code == 404
        tampered = link[:-1] + ("A" if link[-1] != "A" else "B")
        assert (await client.get(tampered)).status_code == 404
        thumbnail = link.replace("/files/a/", "/files/t/")
        assert (await client.get(thumbnail)).status_code == 404
        expect(
            await client.delete(
                f"/api/v1/attachments/{attachment['id']}", headers=board.member.headers
            ),
            204,
        )
        assert (await client.get(link)).status_code == 404
        # The removal job takes the file off the disk.
        assert len(stored_files(settings)) == 1
        await JobRunner(settings, database, name="w").run_due()
        assert stored_files(settings) == []

    async def test_a_trashed_tasks_files_are_hidden_until_it_is_restored(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        attachment = expect(await upload(client, board.member, task["key"], "a.pdf", PDF), 201)
        expect(
            await client.delete(f"/api/v1/tasks/{task['id']}", headers=board.member.headers), 204
        )
        assert (await fetch(client, board.member, attachment["url"])).status_code == 404
        expect(
            await client.post(f"/api/v1/tasks/{task['id']}/restore", headers=board.member.headers),
            200,
        )
        assert (await fetch(client, board.member, attachment["url"])).content == PDF

    async def test_an_archived_projects_tasks_take_no_files(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        expect(
            await client.patch(
                f"/api/v1/projects/{board.pid}",
                json={"archived": True},
                headers=board.owner.headers,
            ),
            200,
        )
        r = await upload(client, board.member, task["key"], "a.pdf", PDF)
        assert r.status_code == 409
        assert r.json()["code"] == "project_archived"


async def _chunked(parts: list[bytes], piece: int = 64 * 1024) -> AsyncIterator[bytes]:
    for part in parts:
        for start in range(0, len(part), piece):
            yield part[start : start + piece]


class TestLimits:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {
            "max_upload_bytes": 100_000,
            "max_attachments_per_task": 3,
            "workspace_storage_quota_mb": 250_000 / 1024 / 1024,
        }

    async def test_too_large_is_413_and_stores_nothing(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        settings: Settings,
        database: Database,
    ) -> None:
        r = await upload(client, board.member, task["key"], "big.bin", b"x" * 100_001)
        assert r.status_code == 413
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["limit_bytes"] == 100_000
        # Sent without a length (chunked), it is refused as it streams past the limit.
        boundary = "b0undary"
        r = await client.post(
            f"/api/v1/tasks/{task['key']}/attachments",
            content=_chunked(_form(boundary, "big.bin", b"y" * 300_000)),
            headers={
                **board.member.headers,
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        assert r.status_code == 413
        assert await rows(database) == 0
        assert stored_files(settings) == []
        # Exactly the limit is fine, chunked too.
        r = await client.post(
            f"/api/v1/tasks/{task['key']}/attachments",
            content=_chunked(_form(boundary, "edge.bin", b"z" * 100_000), piece=7_777),
            headers={
                **board.member.headers,
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        assert expect(r, 201)["size"] == 100_000
        assert stored_files(settings)[0].read_bytes() == b"z" * 100_000

    async def test_a_task_holds_a_bounded_number_and_a_workspace_a_quota(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        for n in range(3):
            expect(await upload(client, board.member, task["key"], f"{n}.txt", b"hello"), 201)
        r = await upload(client, board.member, task["key"], "3.txt", b"hello")
        assert r.status_code == 409
        assert r.json()["code"] == "too_many_attachments"
        other = await make_task(client, board.member, board.pid, title="Other")
        expect(await upload(client, board.member, other["key"], "a.bin", b"a" * 99_000), 201)
        expect(await upload(client, board.member, other["key"], "b.bin", b"b" * 99_000), 201)
        r = await upload(client, board.member, other["key"], "c.bin", b"c" * 99_000)
        assert r.status_code == 413
        assert r.json()["code"] == "storage_quota_exceeded"
        assert (r.json()["used_bytes"], r.json()["quota_bytes"]) == (3 * 5 + 2 * 99_000, 250_000)
        usage = expect(
            await client.get(
                f"/api/v1/workspaces/{board.workspace['id']}/storage", headers=board.owner.headers
            ),
            200,
        )
        assert usage == {
            "used_bytes": 3 * 5 + 2 * 99_000,
            "quota_bytes": 250_000,
            "attachments": 5,
            "max_upload_bytes": 100_000,
        }
        r = await client.get(
            f"/api/v1/workspaces/{board.workspace['id']}/storage", headers=board.member.headers
        )
        assert r.status_code == 403


class TestBadInput:
    async def test_bad_uploads_are_422_and_change_nothing(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        settings: Settings,
        database: Database,
    ) -> None:
        url = f"/api/v1/tasks/{task['key']}/attachments"
        h = board.member.headers
        bad = [
            await client.post(
                url, content=b"just bytes", headers={**h, "Content-Type": "text/plain"}
            ),
            await client.post(url, files={"other": ("a.txt", b"hi")}, headers=h),
            await client.post(url, data={"note": "no file"}, headers=h),
            await client.post(
                url,
                content=b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nhalf',
                headers={**h, "Content-Type": "multipart/form-data; boundary=x"},
            ),
            await client.post(url, json={"upload_id": "not-a-uuid"}, headers=h),
            await client.post(url, json={"upload_id": task["id"], "extra": 1}, headers=h),
            await client.post(f"{url}/uploads", json={"filename": "", "size": 1}, headers=h),
            await client.post(f"{url}/uploads", json={"filename": "a", "size": -1}, headers=h),
            await client.post(
                f"{url}/uploads",
                json={"filename": "a", "size": 1, "content_type": "nope"},
                headers=h,
            ),
            await client.post(
                f"{url}/uploads", json={"filename": "a", "size": 1, "x": 1}, headers=h
            ),
        ]
        for r in bad:
            assert r.status_code == 422, r.text
            assert r.headers["content-type"] == "application/problem+json"
        assert await rows(database) == 0
        assert stored_files(settings) == []


class TestDirectUpload:
    async def test_post_to_the_link_then_complete(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        database: Database,
    ) -> None:
        url = f"/api/v1/tasks/{task['key']}/attachments"
        h = board.member.headers
        image = png()
        link = expect(
            await client.post(
                f"{url}/uploads",
                headers=h,
                json={"filename": "shot.png", "content_type": "image/png", "size": len(image)},
            ),
            201,
        )
        assert link["method"] == "POST"
        assert link["fields"] == {}
        target = link["url"].removeprefix("http://127.0.0.1:8000")
        # Nothing is listed (or downloadable) before it completes.
        assert expect(await client.get(url, headers=h), 200) == []
        r = await client.post(url, json={"upload_id": link["upload_id"]}, headers=h)
        assert r.status_code == 409
        assert r.json()["code"] == "upload_missing"
        # The link takes exactly the declared size, nothing else, and needs no credentials.
        r = await client.post(target, files={"file": ("shot.png", image + b"!")})
        assert r.status_code == 413
        r = await client.post(target, files={"file": ("shot.png", image[:-1])})
        assert r.status_code == 422
        tampered = target.replace("signature=", "signature=A")[: len(target)]
        assert (await client.post(tampered, files={"file": ("shot.png", image)})).status_code == 404
        assert (await client.post(target, files={"file": ("shot.png", image)})).status_code == 204
        # Only its uploader completes it.
        r = await client.post(
            url, json={"upload_id": link["upload_id"]}, headers=board.owner.headers
        )
        assert r.status_code == 404
        done = expect(await client.post(url, json={"upload_id": link["upload_id"]}, headers=h), 201)
        assert done["id"] == link["upload_id"]
        assert done["content_type"] == "image/png"
        assert done["sha256"] == hashlib.sha256(image).hexdigest()
        assert (await fetch(client, board.member, done["url"])).content == image
        # Completed once only; the link is spent.
        r = await client.post(url, json={"upload_id": link["upload_id"]}, headers=h)
        assert r.status_code == 404
        assert (await client.post(target, files={"file": ("shot.png", image)})).status_code == 404
        assert await rows(database) == 1

    async def test_a_started_upload_holds_its_place_in_the_quota(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        url = f"/api/v1/tasks/{task['key']}/attachments/uploads"
        body = {"filename": "big.bin", "size": 20 * 1024 * 1024}
        expect(await client.post(url, json=body, headers=board.member.headers), 201)
        usage = expect(
            await client.get(
                f"/api/v1/workspaces/{board.workspace['id']}/storage", headers=board.owner.headers
            ),
            200,
        )
        assert usage["used_bytes"] == 20 * 1024 * 1024
        r = await client.post(
            url, json={**body, "size": 26 * 1024 * 1024}, headers=board.member.headers
        )
        assert r.status_code == 413


class TestComments:
    async def test_files_go_with_a_comment_and_stay_when_it_is_deleted(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        h = board.member.headers
        first = expect(await upload(client, board.member, task["key"], "a.pdf", PDF), 201)
        second = expect(await upload(client, board.member, task["key"], "b.png", png()), 201)
        theirs = expect(await upload(client, board.owner, task["key"], "c.pdf", PDF), 201)
        comments = f"/api/v1/tasks/{task['key']}/comments"
        for ids in ([theirs["id"]], [first["id"], task["id"]]):
            r = await client.post(comments, json={"body": "see", "attachment_ids": ids}, headers=h)
            assert r.status_code == 422
            assert r.json()["code"] == "bad_attachment"
        comment = expect(
            await client.post(
                comments,
                headers=h,
                json={"body": "See the files", "attachment_ids": [first["id"], second["id"]]},
            ),
            201,
        )
        listed = expect(
            await client.get(f"/api/v1/tasks/{task['key']}/attachments", headers=h), 200
        )
        assert {a["filename"]: a["comment_id"] for a in listed} == {
            "a.pdf": comment["id"],
            "b.png": comment["id"],
            "c.pdf": None,
        }
        # A file is on one comment only.
        r = await client.post(
            comments, json={"body": "again", "attachment_ids": [first["id"]]}, headers=h
        )
        assert r.status_code == 422
        expect(await client.delete(f"/api/v1/comments/{comment['id']}", headers=h), 204)
        listed = expect(
            await client.get(f"/api/v1/tasks/{task['key']}/attachments", headers=h), 200
        )
        assert [a["comment_id"] for a in listed] == [None, None, None]


class TestHistory:
    async def test_adding_and_removing_are_in_the_tasks_history(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any], app: FastAPI
    ) -> None:
        attachment = expect(await upload(client, board.member, task["key"], "a.pdf", PDF), 201)
        expect(
            await client.delete(
                f"/api/v1/attachments/{attachment['id']}", headers=board.member.headers
            ),
            204,
        )
        items = expect(
            await client.get(f"/api/v1/tasks/{task['key']}/activity", headers=board.owner.headers),
            200,
        )["items"]
        found = [i for i in items if i["type"].startswith("attachment.")]
        assert [i["type"] for i in found] == ["attachment.added", "attachment.removed"]
        added, removed = found
        assert added["actor_id"] == board.member.id
        assert added["changes"]["filename"] == {"from": None, "to": "a.pdf"}
        assert added["changes"]["size"] == {"from": None, "to": len(PDF)}
        assert removed["changes"]["filename"] == {"from": "a.pdf", "to": None}


@pytest.mark.parametrize(
    ("storage", "origin"),
    [
        ({"storage_endpoint_url": "http://127.0.0.1:9000/"}, "http://127.0.0.1:9000"),
        ({"storage_region": "eu-west-3"}, "https://s3.eu-west-3.amazonaws.com"),
    ],
)
def test_the_web_apps_policy_lets_it_reach_an_s3_store(
    tmp_path: Path, storage: dict[str, str], origin: str
) -> None:
    """Images and thumbnails come from the store's pre-signed links, and direct uploads go
    to it: the web app's Content-Security-Policy must allow its origin (and only with S3)."""
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>")
    local = HeaderPolicy(Settings(web_dir=tmp_path), docs_paths=frozenset()).app_csp()
    assert "img-src 'self' data: blob:;" in local
    s3 = Settings(web_dir=tmp_path, storage_url="s3://files/tasklane", **storage)  # type: ignore[arg-type]
    csp = HeaderPolicy(s3, docs_paths=frozenset()).app_csp()
    assert f"img-src 'self' data: blob: {origin};" in csp
    assert f"connect-src 'self' ws://127.0.0.1:8000 {origin};" in csp


def _rss_bytes() -> int:
    """This process's resident memory now (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


class TestMemory:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"max_upload_bytes": 256 * 1024 * 1024, "workspace_storage_quota_mb": 0}

    async def test_a_200_mb_upload_streams_through_without_being_held(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any], settings: Settings
    ) -> None:
        """The app and this client share the process: its resident memory, sampled while the
        file goes through, grows by far less than the file (a generous bound: 64 MB)."""
        size = 200 * 1024 * 1024
        block = os.urandom(1024 * 1024)

        async def body() -> AsyncIterator[bytes]:
            yield _form("b0undary", "big.bin", b"")[0]
            for _ in range(size // len(block)):
                yield block
            yield _form("b0undary", "big.bin", b"")[2]

        peak = baseline = _rss_bytes()
        done = asyncio.Event()

        async def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _rss_bytes())
                await asyncio.sleep(0.01)

        sampler = asyncio.create_task(sample())
        try:
            r = await client.post(
                f"/api/v1/tasks/{task['key']}/attachments",
                content=body(),
                headers={
                    **board.member.headers,
                    "Content-Type": "multipart/form-data; boundary=b0undary",
                },
            )
        finally:
            done.set()
            await sampler
        assert expect(r, 201)["size"] == size
        assert stored_files(settings)[0].stat().st_size == size
        assert peak - baseline < 64 * 1024 * 1024, (baseline, peak)
