"""Where attachments' bytes are kept, behind one interface: a folder under the data folder
(the default), or any S3-compatible store through aioboto3.

aioboto3 (not obstore) because the S3 side needs what only the AWS SDK signs: a pre-signed
POST whose policy bounds the size and fixes the type of a direct upload, and pre-signed GETs
that set the response's Content-Disposition and Content-Type (so the store, not only the app,
serves a file as a download with the type we sniffed). The local folder is a few file
operations, written here.

Objects are named by the attachment's id: `a/<id>` for the file, `t/<id>` for its thumbnail.
Workspace archives made or uploaded through the API wait here too, as `w/<id>`
(tasklane.archive.service): every app and worker process reaches the store, wherever it runs.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit
from uuid import UUID

import anyio
from anyio import to_thread

from tasklane.config import Settings

CHUNK = 256 * 1024
"""Bytes read or written at a time when streaming."""
S3_PART = 8 * 1024 * 1024
"""A multipart upload's part: at most S3_CONCURRENCY of them are held in memory at once."""
S3_CONCURRENCY = 2

FILE, THUMBNAIL = "a", "t"
ARCHIVE = "w"
"""Workspace archives (an export to download, an upload to import), named by their row's id."""
IMPORT = "i"
"""Project import files waiting for their run (tasklane.imports), named by the run's id."""
ATTACHMENT_KINDS = (FILE, THUMBNAIL)


def object_key(kind: str, attachment_id: UUID) -> str:
    return f"{kind}/{attachment_id}"


def attachment_of(key: str) -> UUID | None:
    """The attachment an object belongs to, from its key (None for a key that is not ours)."""
    return owner_of(key) if key.partition("/")[0] in ATTACHMENT_KINDS else None


def owner_of(key: str) -> UUID | None:
    """The row an object of any kind belongs to, from its key (None for a key that is not
    `<kind>/<id>`)."""
    try:
        return UUID(key.partition("/")[2])
    except ValueError:
        return None


async def sweep_orphans(
    storage: Storage,
    kinds: tuple[str, ...],
    *,
    written_before: datetime,
    needed: Callable[[set[UUID]], Awaitable[set[UUID]]],
    batch_size: int = 500,
) -> int:
    """Remove the objects of `kinds` written before `written_before` that no row needs:
    `needed` gets the owners (`owner_of`) of a batch of them and answers those still needed;
    an object whose key names no owner goes too. One written since may be in use (a file
    stored before its row is committed), so it stays. How many were removed."""
    removed = 0
    batch: list[tuple[str, UUID | None]] = []

    async def settle() -> int:
        keep = await needed({owner for _, owner in batch if owner is not None})
        gone = [key for key, owner in batch if owner not in keep]
        for key in gone:
            await storage.delete(key)
        batch.clear()
        return len(gone)

    async for item in storage.listing(kinds):
        if item.modified > written_before:
            continue
        batch.append((item.key, owner_of(item.key)))
        if len(batch) >= batch_size:
            removed += await settle()
    if batch:
        removed += await settle()
    return removed


Read = Callable[[int], Awaitable[bytes]]
"""Reads up to n bytes; b"" at the end."""


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    size: int
    modified: datetime


@dataclass(frozen=True, slots=True)
class DirectUpload:
    url: str
    method: str
    fields: dict[str, str]
    """Form fields to post before the file (S3), or none (the app's own upload link)."""


class Storage(Protocol):
    signs_links: bool
    """Whether downloads and direct uploads go straight to the store (pre-signed); if not,
    the app serves them through its own signed, expiring links."""

    async def put(self, key: str, read: Read, *, content_type: str) -> None: ...
    def get(self, key: str) -> AsyncIterator[bytes]: ...
    async def head(self, key: str) -> StoredObject | None: ...
    async def delete(self, key: str) -> None: ...
    def listing(self, kinds: tuple[str, ...] = ATTACHMENT_KINDS) -> AsyncIterator[StoredObject]:
        """Every object in the folders of `kinds` (by default the attachments' and
        thumbnails', nothing else)."""
        ...

    async def download_url(
        self, key: str, *, filename: str, content_type: str, inline: bool, expires: int
    ) -> str: ...
    async def upload_form(
        self, key: str, *, content_type: str, size: int, expires: int
    ) -> DirectUpload: ...


def content_disposition(filename: str, *, inline: bool) -> str:
    """RFC 6266 with an ASCII fallback and the UTF-8 name (RFC 8187)."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


_LOCAL_NAME = re.compile(r"\.?[0-9a-f-]{36}(\.[0-9a-f]{8}\.part)?")
"""An object's file name: the attachment's id, or a temporary one being written."""


class LocalStorage:
    """Files under a folder; each is written to a temporary name and renamed into place, so a
    reader never sees half a file and a crash leaves only a temporary to sweep."""

    signs_links = False

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        kind, _, name = key.partition("/")
        if kind not in (FILE, THUMBNAIL, ARCHIVE, IMPORT) or not _LOCAL_NAME.fullmatch(name):
            raise ValueError(f"not an object key: {key!r}")
        return self.root / kind / name

    async def put(self, key: str, read: Read, *, content_type: str) -> None:
        path = self._path(key)
        await anyio.Path(path.parent).mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        try:
            async with await anyio.open_file(temporary, "wb") as out:
                while chunk := await read(CHUNK):
                    await out.write(chunk)
                await to_thread.run_sync(os.fsync, out.wrapped.fileno())
            await to_thread.run_sync(os.replace, temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise

    async def get(self, key: str) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self._path(key), "rb") as source:
            while chunk := await source.read(CHUNK):
                yield chunk

    def path(self, key: str) -> Path:
        return self._path(key)

    async def head(self, key: str) -> StoredObject | None:
        try:
            stat = await anyio.Path(self._path(key)).stat()
        except FileNotFoundError:
            return None
        return StoredObject(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    async def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await anyio.Path(self._path(key)).unlink()

    async def listing(
        self, kinds: tuple[str, ...] = ATTACHMENT_KINDS
    ) -> AsyncIterator[StoredObject]:
        for kind in kinds:
            folder = anyio.Path(self.root / kind)
            if not await folder.exists():
                continue
            async for entry in folder.iterdir():
                try:
                    stat = await entry.stat()
                except FileNotFoundError:
                    continue
                modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                # A temporary (".<name>.<random>.part") is listed under its own name, which is
                # no attachment's: the sweep removes it once it is old.
                yield StoredObject(f"{kind}/{entry.name}", stat.st_size, modified)

    async def download_url(
        self, key: str, *, filename: str, content_type: str, inline: bool, expires: int
    ) -> str:
        raise NotImplementedError("the app serves local files through its own signed links")

    async def upload_form(
        self, key: str, *, content_type: str, size: int, expires: int
    ) -> DirectUpload:
        raise NotImplementedError("the app takes direct uploads through its own signed links")


class S3Storage:
    """A bucket (and a prefix in it) of any S3-compatible store."""

    signs_links = True

    def __init__(self, settings: Settings) -> None:
        import aioboto3  # noqa: PLC0415 - only installations using S3 import the SDK

        parts = urlsplit(settings.storage_url)
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/") + "/" if parts.path.strip("/") else ""
        self._session = aioboto3.Session()
        secret = settings.storage_secret_access_key
        self._client_args: dict[str, Any] = {
            "region_name": settings.storage_region,
            "endpoint_url": settings.storage_endpoint_url or None,
            "aws_access_key_id": settings.storage_access_key_id or None,
            "aws_secret_access_key": secret.get_secret_value() if secret else None,
        }

    def _client(self) -> Any:
        from botocore.config import Config  # noqa: PLC0415 - as above

        config = Config(signature_version="s3v4", s3={"addressing_style": "path"})
        return self._session.client("s3", config=config, **self._client_args)

    def _key(self, key: str) -> str:
        return self.prefix + key

    async def put(self, key: str, read: Read, *, content_type: str) -> None:
        from boto3.s3.transfer import S3TransferConfig  # noqa: PLC0415 - as above

        class Source:
            async def read(self, size: int = -1) -> bytes:
                return await read(size if size > 0 else CHUNK)

        config = S3TransferConfig(
            multipart_threshold=S3_PART,
            multipart_chunksize=S3_PART,
            max_request_concurrency=S3_CONCURRENCY,
        )
        async with self._client() as s3:
            await s3.upload_fileobj(
                Source(),
                self.bucket,
                self._key(key),
                ExtraArgs={"ContentType": content_type},
                Config=config,
            )

    async def get(self, key: str) -> AsyncIterator[bytes]:
        async with self._client() as s3:
            response = await s3.get_object(Bucket=self.bucket, Key=self._key(key))
            body = response["Body"]
            # Entered as a context (it is released at the end), but read through the body
            # itself: what `async with` binds is the raw response, whose read takes no size.
            async with body:
                while chunk := await body.read(CHUNK):
                    yield chunk

    async def head(self, key: str) -> StoredObject | None:
        from botocore.exceptions import ClientError  # noqa: PLC0415 - as above

        async with self._client() as s3:
            try:
                found = await s3.head_object(Bucket=self.bucket, Key=self._key(key))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return None
                raise
        return StoredObject(key, int(found["ContentLength"]), found["LastModified"])

    async def delete(self, key: str) -> None:
        async with self._client() as s3:
            await s3.delete_object(Bucket=self.bucket, Key=self._key(key))

    async def listing(
        self, kinds: tuple[str, ...] = ATTACHMENT_KINDS
    ) -> AsyncIterator[StoredObject]:
        # Only our own folders: the bucket (and the prefix) may hold other things.
        async with self._client() as s3:
            for kind in kinds:
                pages = s3.get_paginator("list_objects_v2").paginate(
                    Bucket=self.bucket, Prefix=f"{self.prefix}{kind}/"
                )
                async for page in pages:
                    for item in page.get("Contents", ()):
                        key = item["Key"][len(self.prefix) :]
                        yield StoredObject(key, int(item["Size"]), item["LastModified"])

    async def download_url(
        self, key: str, *, filename: str, content_type: str, inline: bool, expires: int
    ) -> str:
        params = {
            "Bucket": self.bucket,
            "Key": self._key(key),
            "ResponseContentDisposition": content_disposition(filename, inline=inline),
            "ResponseContentType": content_type,
            "ResponseCacheControl": "private, max-age=300",
        }
        async with self._client() as s3:
            url: str = await s3.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires
            )
        return url

    async def upload_form(
        self, key: str, *, content_type: str, size: int, expires: int
    ) -> DirectUpload:
        conditions: list[Any] = [
            ["content-length-range", size, size],
            {"Content-Type": content_type},
        ]
        async with self._client() as s3:
            post = await s3.generate_presigned_post(
                self.bucket,
                self._key(key),
                Fields={"Content-Type": content_type},
                Conditions=conditions,
                ExpiresIn=expires,
            )
        return DirectUpload(url=post["url"], method="POST", fields=dict(post["fields"]))


def storage_for(settings: Settings) -> Storage:
    if settings.storage_url:
        return S3Storage(settings)
    return LocalStorage(settings.data_dir / "attachments")


def reader(data: bytes) -> Read:
    """A `Read` over bytes already in memory (a thumbnail)."""
    view = memoryview(data)
    offset = 0

    async def read(size: int) -> bytes:
        nonlocal offset
        chunk = bytes(view[offset : offset + size])
        offset += len(chunk)
        return chunk

    return read
