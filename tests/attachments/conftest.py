"""The stores attachments are kept in, real ones: the local folder, and an S3-compatible
server on loopback (moto's, one per test process) with a fresh bucket for each test.

A test that takes `storage_kind` runs twice, against the folder and against a bucket (its
`settings_overrides` point the app there); the others keep the local folder. `objects` looks at
either store from outside the app (the files, or boto3 on the bucket), so a test checks what
was stored rather than what the app says it stored.

Helpers the tests share (uploading through the API, following a download link, images) are
here too.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer
from PIL import Image

from tasklane.config import Settings
from tests.factories import User, expect

ACCESS_KEY, SECRET_KEY, REGION = "test", "test", "us-east-1"
PREFIX = "some/prefix"


# --- the stores, from outside the app ------------------------------------------------------


class ObjectStore(Protocol):
    """A store's objects by their key under the store's root (`a/<id>`, `t/<id>`)."""

    def keys(self) -> set[str]: ...
    def read(self, key: str) -> bytes: ...
    def write(self, key: str, data: bytes) -> None: ...


@dataclass(frozen=True)
class Folder:
    """The local storage's folder (`<data_dir>/attachments`)."""

    root: Path

    def keys(self) -> set[str]:
        return {
            f"{kind}/{path.name}"
            for kind in ("a", "t")
            if (self.root / kind).is_dir()
            for path in (self.root / kind).iterdir()
        }

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def write(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@dataclass(frozen=True)
class Bucket:
    """A bucket of the moto server, and the prefix the app keeps its objects under."""

    endpoint: str
    name: str
    client: Any  # a boto3 S3 client
    prefix: str = PREFIX

    @property
    def overrides(self) -> dict[str, object]:
        """The settings that make an app keep its attachments here."""
        return {
            "storage_url": f"s3://{self.name}/{self.prefix}",
            "storage_endpoint_url": self.endpoint,
            "storage_access_key_id": ACCESS_KEY,
            "storage_secret_access_key": SECRET_KEY,
            "storage_region": REGION,
        }

    def key(self, key: str) -> str:
        """The bucket's key of an object of the app's."""
        return f"{self.prefix}/{key}"

    def all_keys(self) -> set[str]:
        """Every key in the bucket, the prefix included (and objects outside it)."""
        found: set[str] = set()
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name):
            found.update(item["Key"] for item in page.get("Contents", ()))
        return found

    def keys(self) -> set[str]:
        start = f"{self.prefix}/"
        return {key[len(start) :] for key in self.all_keys() if key.startswith(start)}

    def head(self, key: str) -> dict[str, Any]:
        found: dict[str, Any] = self.client.head_object(Bucket=self.name, Key=self.key(key))
        return found

    def read(self, key: str) -> bytes:
        answer = self.client.get_object(Bucket=self.name, Key=self.key(key))
        body: bytes = answer["Body"].read()
        return body

    def write(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=self.key(key), Body=data)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3-compatible server on a free loopback port, started once per test process
    (each xdist worker has its own) and stopped when the session ends."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str) -> Iterator[Bucket]:
    """A new, empty bucket of its own for the test; emptied and removed afterwards (moto keeps
    objects in this process's memory)."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    made = Bucket(s3_endpoint, f"tasklane-{uuid.uuid4().hex[:20]}", client)
    client.create_bucket(Bucket=made.name)
    try:
        yield made
    finally:
        for key in made.all_keys():
            client.delete_object(Bucket=made.name, Key=key)
        client.delete_bucket(Bucket=made.name)
        client.close()


@pytest.fixture(params=["local", "s3"])
def storage_kind(request: pytest.FixtureRequest) -> str:
    """Take it to run a test against both stores."""
    return str(request.param)


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    """A bucket's settings where the test takes `storage_kind` and it is "s3"; none (the local
    folder) otherwise."""
    if "storage_kind" in request.fixturenames and request.getfixturevalue("storage_kind") == "s3":
        made: Bucket = request.getfixturevalue("bucket")
        return made.overrides
    return {}


@pytest.fixture
def objects(storage_kind: str, settings: Settings, request: pytest.FixtureRequest) -> ObjectStore:
    """The test's store (as `storage_kind` says), seen from outside the app."""
    if storage_kind == "s3":
        made: Bucket = request.getfixturevalue("bucket")
        return made
    return Folder(settings.data_dir / "attachments")


@pytest.fixture
def board_is_copied() -> bool:
    """These tests start from a fresh board but do not test its making (tests/conftest.py);
    with a bucket's settings each test makes its own anyway."""
    return True


# --- through the API -------------------------------------------------------------------------


async def upload(
    client: httpx.AsyncClient,
    user: User,
    task_id: str,
    data: bytes,
    filename: str = "file.bin",
    content_type: str = "application/octet-stream",
) -> dict[str, Any]:
    """Attach `data` to the task with a multipart form (the type sent is not the one kept)."""
    body: dict[str, Any] = expect(
        await client.post(
            f"/api/v1/tasks/{task_id}/attachments",
            files={"file": (filename, data, content_type)},
            headers=user.headers,
        ),
        201,
    )
    return body


async def fetch(client: httpx.AsyncClient, location: str) -> httpx.Response:
    """Follow a download link as a browser would, without the caller's credentials: the
    app's own signed link (local storage), or the store's pre-signed URL."""
    if location.startswith("/"):
        return await client.get(location)
    async with httpx.AsyncClient() as outside:
        return await outside.get(location)


async def post_form(
    client: httpx.AsyncClient, link: dict[str, Any], data: bytes, filename: str
) -> httpx.Response:
    """Post a file to a direct upload's link as a browser would: `fields`, then `file`,
    without the caller's credentials (to the app itself for local storage)."""
    files = {"file": (filename, data, "application/octet-stream")}
    url = str(link["url"])
    if not link["fields"]:  # the app's own upload link: its public URL
        parts = urlsplit(url)
        return await client.post(f"{parts.path}?{parts.query}", files=files)
    async with httpx.AsyncClient() as outside:
        return await outside.post(url, data=link["fields"], files=files)


def image(kind: str, size: tuple[int, int] = (1200, 800)) -> bytes:
    """A picture with some detail (not one flat colour), as PNG or JPEG."""
    picture = Image.linear_gradient("L").resize(size).convert("RGB")
    picture.paste((200, 40, 40), (0, 0, size[0] // 3, size[1] // 2))
    out = io.BytesIO()
    picture.save(out, kind)
    return out.getvalue()
