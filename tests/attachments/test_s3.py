"""Attachments kept in an S3-compatible store (moto's server on loopback), through the API:
uploads land under the prefix, downloads are pre-signed URLs on the store, direct uploads are
pre-signed forms, and removed files leave the bucket.

S3 refuses a pre-signed URL that was changed or has expired, and a posted form that its policy
does not allow (another key, type or size); moto (5.2) checks none of that and stores whatever
is posted. So what S3 would enforce is read here from the URL and the policy, and their
signatures are checked against the store's secret (SigV4, computed here, not by botocore);
what moto stored is checked with boto3.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from tasklane.attachments.jobs import ORPHAN_AGE, SWEEP_JOB
from tasklane.attachments.storage import S3_PART
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.kit.clock import frozen, utcnow
from tasklane.worker.jobs import enqueue
from tasklane.worker.runner import JobRunner
from tests.attachments.conftest import SECRET_KEY, Bucket, fetch, image, upload
from tests.factories import Board, expect, make_task

LINK_SECONDS = 120
"""Not the default (300), so the URL's expiry is seen to come from the setting."""


@pytest.fixture
def settings_overrides(bucket: Bucket) -> dict[str, object]:
    return {**bucket.overrides, "attachment_link_seconds": LINK_SECONDS}


@pytest.fixture
async def task(client: httpx.AsyncClient, board: Board) -> dict[str, Any]:
    return await make_task(client, board.owner, board.pid)


async def run_jobs(settings: Settings, database: Database) -> int:
    return await JobRunner(settings, database, name="w").run_due()


# --- SigV4, computed here (what S3 checks and moto does not) -------------------------------


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _signing_key(secret: str, scope: str) -> bytes:
    """scope: "<yyyymmdd>/<region>/s3/aws4_request"."""
    key = f"AWS4{secret}".encode()
    for part in scope.split("/"):
        key = _hmac(key, part)
    return key


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def url_signature(url: str, secret: str) -> str:
    """The signature S3 expects on a pre-signed GET URL (SigV4, query parameters)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    named = dict(query)
    canonical_query = "&".join(
        f"{key}={value}"
        for key, value in sorted(
            (_encode(k), _encode(v)) for k, v in query if k != "X-Amz-Signature"
        )
    )
    assert named["X-Amz-SignedHeaders"] == "host"
    canonical_request = "\n".join(
        ["GET", parts.path, canonical_query, f"host:{parts.netloc}\n", "host", "UNSIGNED-PAYLOAD"]
    )
    scope = named["X-Amz-Credential"].split("/", 1)[1]
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            named["X-Amz-Date"],
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    return hmac.new(
        _signing_key(secret, scope), string_to_sign.encode(), hashlib.sha256
    ).hexdigest()


def policy_signature(fields: dict[str, str], secret: str) -> str:
    """The signature S3 expects on a pre-signed form: of its base64 policy."""
    scope = fields["x-amz-credential"].split("/", 1)[1]
    return hmac.new(
        _signing_key(secret, scope), fields["policy"].encode(), hashlib.sha256
    ).hexdigest()


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def redirect(answer: httpx.Response) -> str:
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def amz_time(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


# --- uploads through the app ---------------------------------------------------------------


class TestUpload:
    async def test_the_file_lands_under_the_prefix_with_the_sniffed_type(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any], bucket: Bucket
    ) -> None:
        data = image("PNG", (64, 48))
        added = await upload(
            client, board.owner, task["id"], data, "pic.png", content_type="text/plain"
        )
        assert added["content_type"] == "image/png"
        assert added["size"] == len(data)
        assert added["sha256"] == hashlib.sha256(data).hexdigest()
        assert bucket.all_keys() == {f"some/prefix/a/{added['id']}"}
        head = bucket.head(f"a/{added['id']}")
        assert head["ContentType"] == "image/png"
        assert head["ContentLength"] == len(data)
        assert bucket.read(f"a/{added['id']}") == data

    async def test_a_file_larger_than_a_part_goes_up_in_parts(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any], bucket: Bucket
    ) -> None:
        data = bytes(range(256)) * ((S3_PART + S3_PART // 2) // 256)
        added = await upload(client, board.owner, task["id"], data, "blob.bin")
        assert added["size"] == len(data)
        assert added["sha256"] == hashlib.sha256(data).hexdigest()
        head = bucket.head(f"a/{added['id']}")
        assert head["ETag"].strip('"').endswith("-2")  # a multipart upload of two parts
        assert bucket.read(f"a/{added['id']}") == data


async def _pieces(parts: list[bytes], size: int = 256 * 1024) -> AsyncIterator[bytes]:
    for part in parts:
        for start in range(0, len(part), size):
            yield part[start : start + size]


class TestUploadPastTheLimit:
    LIMIT = S3_PART + 1024 * 1024

    @pytest.fixture
    def settings_overrides(self, bucket: Bucket) -> dict[str, object]:
        return {**bucket.overrides, "max_upload_bytes": self.LIMIT}

    async def test_a_file_cut_off_in_its_second_part_leaves_nothing_in_the_bucket(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any], bucket: Bucket
    ) -> None:
        # Sent without a length (chunked), so the app finds out only as the bytes arrive: the
        # first part is in the bucket by then, and the multipart upload must be aborted.
        boundary = "tasklane-test-boundary"
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        body = [head, b"\x00" * (self.LIMIT + 1024 * 1024), f"\r\n--{boundary}--\r\n".encode()]
        answer = await client.post(
            f"/api/v1/tasks/{task['id']}/attachments",
            content=_pieces(body),
            headers={
                **board.owner.headers,
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        assert answer.status_code == 413, answer.text
        assert bucket.all_keys() == set()
        unfinished = bucket.client.list_multipart_uploads(Bucket=bucket.name)
        assert unfinished.get("Uploads", []) == []
        assert await listed(client, board, task) == []


# --- downloads ---------------------------------------------------------------------------------


class TestDownload:
    async def test_content_redirects_to_a_presigned_url_that_shows_an_image(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any], bucket: Bucket
    ) -> None:
        data = image("PNG", (64, 48))
        added = await upload(client, board.owner, task["id"], data, "pic.png")
        answer = await client.get(
            f"/api/v1/attachments/{added['id']}/content", headers=board.member.headers
        )
        location = redirect(answer)
        assert location.startswith(f"{bucket.endpoint}/{bucket.name}/some/prefix/a/{added['id']}?")
        got = await fetch(client, location)
        assert got.status_code == 200
        assert got.content == data
        assert got.headers["content-type"] == "image/png"
        assert got.headers["content-disposition"] == (
            "inline; filename=\"pic.png\"; filename*=UTF-8''pic.png"
        )

    async def test_other_types_are_a_download_of_the_sniffed_type(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        data = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
        added = await upload(client, board.owner, task["id"], data, "résumé.png", "image/png")
        assert added["content_type"] == "text/html"
        answer = await client.get(
            f"/api/v1/attachments/{added['id']}/content", headers=board.owner.headers
        )
        got = await fetch(client, redirect(answer))
        assert got.status_code == 200
        assert got.content == data
        assert got.headers["content-type"] == "text/html"
        assert got.headers["content-disposition"] == (
            "attachment; filename=\"r_sum_.png\"; filename*=UTF-8''r%C3%A9sum%C3%A9.png"
        )

    async def test_the_url_is_signed_for_the_link_seconds(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        added = await upload(client, board.owner, task["id"], b"some notes\n", "notes.txt")
        before = utcnow()
        answer = await client.get(
            f"/api/v1/attachments/{added['id']}/content", headers=board.owner.headers
        )
        location = redirect(answer)
        query = {key: values[0] for key, values in parse_qs(location.split("?", 1)[1]).items()}
        assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
        assert query["X-Amz-Credential"].startswith("test/")
        assert query["X-Amz-Credential"].endswith("/us-east-1/s3/aws4_request")
        assert query["X-Amz-Expires"] == str(LINK_SECONDS)
        signed_at = amz_time(query["X-Amz-Date"])
        assert before - timedelta(seconds=2) <= signed_at <= utcnow()
        assert query["response-content-type"] == "text/plain"
        assert query["response-content-disposition"].startswith("attachment;")
        # The signature covers the query, the type and disposition overrides included: S3
        # refuses the URL changed, or after X-Amz-Date + X-Amz-Expires.
        assert url_signature(location, SECRET_KEY) == query["X-Amz-Signature"]
        tampered = with_query(location, **{"response-content-type": "text/html"})
        assert url_signature(tampered, SECRET_KEY) != query["X-Amz-Signature"]
        assert url_signature(location, "another-secret") != query["X-Amz-Signature"]


# --- direct uploads ------------------------------------------------------------------------


async def start(
    client: httpx.AsyncClient,
    board: Board,
    task: dict[str, Any],
    size: int,
    filename: str = "photo.png",
    content_type: str = "image/png",
) -> dict[str, Any]:
    link: dict[str, Any] = expect(
        await client.post(
            f"/api/v1/tasks/{task['id']}/attachments/uploads",
            json={"filename": filename, "content_type": content_type, "size": size},
            headers=board.owner.headers,
        ),
        201,
    )
    return link


async def post_to_store(link: dict[str, Any], data: bytes) -> httpx.Response:
    """The browser's part: the form's fields, then the file; no credentials of the app's."""
    async with httpx.AsyncClient() as browser:
        return await browser.post(
            link["url"],
            data=link["fields"],
            files={"file": ("photo.png", data, link["fields"]["Content-Type"])},
        )


async def complete(
    client: httpx.AsyncClient, board: Board, task: dict[str, Any], link: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"/api/v1/tasks/{task['id']}/attachments",
        json={"upload_id": link["upload_id"]},
        headers=board.owner.headers,
    )


async def listed(client: httpx.AsyncClient, board: Board, task: dict[str, Any]) -> list[Any]:
    return list(
        expect(
            await client.get(
                f"/api/v1/tasks/{task['id']}/attachments", headers=board.owner.headers
            ),
            200,
        )
    )


class TestDirectUpload:
    async def test_a_form_posted_to_the_store_completes_with_the_sniffed_type(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any], bucket: Bucket
    ) -> None:
        data = image("JPEG", (40, 30))
        link = await start(
            client, board, task, len(data), "photo.png", content_type="application/octet-stream"
        )
        assert link["url"] == f"{bucket.endpoint}/{bucket.name}"
        assert link["method"] == "POST"
        assert link["fields"]["key"] == f"some/prefix/a/{link['upload_id']}"
        assert await listed(client, board, task) == []

        stored = await post_to_store(link, data)
        assert stored.status_code == 204, stored.text
        assert bucket.read(f"a/{link['upload_id']}") == data

        added = expect(await complete(client, board, task, link), 201)
        assert added["id"] == link["upload_id"]
        assert added["content_type"] == "image/jpeg"
        assert added["size"] == len(data)
        assert added["sha256"] == hashlib.sha256(data).hexdigest()
        assert [a["id"] for a in await listed(client, board, task)] == [added["id"]]
        answer = await client.get(added["url"], headers=board.owner.headers)
        got = await fetch(client, redirect(answer))
        assert got.content == data
        assert got.headers["content-type"] == "image/jpeg"

    async def test_the_form_is_signed_for_this_key_size_type_and_time(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any], bucket: Bucket
    ) -> None:
        before = utcnow().replace(microsecond=0)
        link = await start(client, board, task, 1234, content_type="image/png")
        after = utcnow()
        fields = link["fields"]
        policy = json.loads(base64.b64decode(fields["policy"]))
        conditions = policy["conditions"]
        assert ["content-length-range", 1234, 1234] in conditions
        assert {"Content-Type": "image/png"} in conditions
        assert {"bucket": bucket.name} in conditions
        assert {"key": f"some/prefix/a/{link['upload_id']}"} in conditions
        assert fields["Content-Type"] == "image/png"
        # Both LINK_SECONDS after a moment during the request (the policy's to the second).
        lifetime = timedelta(seconds=LINK_SECONDS)
        expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
        assert before + lifetime <= expiration <= after + lifetime
        assert before + lifetime <= datetime.fromisoformat(link["expires_at"]) <= after + lifetime
        assert fields["x-amz-credential"].startswith("test/")
        assert policy_signature(fields, SECRET_KEY) == fields["x-amz-signature"]

    @pytest.mark.parametrize("sent", [101, 99], ids=["larger", "smaller"])
    async def test_a_file_of_another_size_than_declared_is_refused(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        bucket: Bucket,
        sent: int,
    ) -> None:
        link = await start(client, board, task, 100, "notes.txt", "text/plain")
        stored = await post_to_store(link, b"n" * sent)
        answer = await complete(client, board, task, link)
        if stored.status_code == 204:  # moto: the policy's content-length-range is not checked
            assert expect(answer, 422)["code"] == "upload_size_mismatch"
        else:  # S3: EntityTooLarge / EntityTooSmall, and nothing stored
            assert stored.status_code == 400
            assert expect(answer, 409)["code"] == "upload_missing"
        assert await listed(client, board, task) == []

    async def test_a_file_larger_than_allowed_gets_no_link(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        settings: Settings,
        bucket: Bucket,
    ) -> None:
        answer = await client.post(
            f"/api/v1/tasks/{task['id']}/attachments/uploads",
            json={"filename": "big.bin", "size": settings.max_upload_bytes + 1},
            headers=board.owner.headers,
        )
        assert answer.status_code == 413
        assert bucket.all_keys() == set()

    async def test_completing_before_uploading_is_409(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        link = await start(client, board, task, 10)
        assert expect(await complete(client, board, task, link), 409)["code"] == "upload_missing"
        assert await listed(client, board, task) == []

    async def test_completing_twice_adds_one_attachment(
        self, client: httpx.AsyncClient, board: Board, task: dict[str, Any]
    ) -> None:
        data = image("PNG", (8, 8))
        link = await start(client, board, task, len(data))
        assert (await post_to_store(link, data)).status_code == 204
        expect(await complete(client, board, task, link), 201)
        expect(await complete(client, board, task, link), 404)
        assert len(await listed(client, board, task)) == 1


# --- removing and sweeping ------------------------------------------------------------------


class TestRemove:
    async def test_a_deleted_file_leaves_the_bucket_when_jobs_run(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        bucket: Bucket,
        settings: Settings,
        database: Database,
    ) -> None:
        added = await upload(client, board.owner, task["id"], image("PNG", (600, 400)), "p.png")
        await run_jobs(settings, database)  # the thumbnail
        assert bucket.keys() == {f"a/{added['id']}", f"t/{added['id']}"}
        expect(
            await client.delete(f"/api/v1/attachments/{added['id']}", headers=board.owner.headers),
            204,
        )
        assert bucket.keys() == {f"a/{added['id']}", f"t/{added['id']}"}  # until the job runs
        assert await run_jobs(settings, database) == 1
        assert bucket.all_keys() == set()


class TestSweep:
    async def test_it_looks_only_under_the_prefix(
        self,
        client: httpx.AsyncClient,
        board: Board,
        task: dict[str, Any],
        bucket: Bucket,
        settings: Settings,
        database: Database,
    ) -> None:
        added = await upload(client, board.owner, task["id"], b"kept\n", "kept.txt")
        stray = f"a/{uuid.uuid4()}"
        bucket.write(stray, b"no row names me")
        others = {"other/a/" + str(uuid.uuid4()), "some/prefixed/a/x", "top-level.txt"}
        for key in others:
            bucket.client.put_object(Bucket=bucket.name, Key=key, Body=b"not the app's")
        async with database.transaction() as session:
            await enqueue(session, SWEEP_JOB, {})
        with frozen(utcnow() + ORPHAN_AGE + timedelta(minutes=5)):
            assert await run_jobs(settings, database) == 1
        assert bucket.all_keys() == {bucket.key(f"a/{added['id']}"), *others}
