"""An import's file, from the upload to its rows, never whole in memory.

The upload lands in an anonymous temporary file (under the data folder: the system removes it
however the process ends) as it streams in, up to TASKLANE_IMPORT_MAX_FILE_BYTES. One pass then
checks it (UTF-8, no NUL) and hashes it, and the format's reader reads its rows from the file
(csv from a text stream, Trello's JSON with ijson). A real run keeps the file in the store
(`i/<run id>`, where every app and worker process reaches it) until the run ends; the job copies
it back to a temporary file and reads it the same way.
"""

from __future__ import annotations

import codecs
import hashlib
import tempfile
from collections.abc import AsyncIterator
from typing import IO
from uuid import UUID

import anyio
from anyio import to_thread

from tasklane.attachments.storage import CHUNK, IMPORT, Storage, object_key
from tasklane.attachments.upload import Counted, FormFile
from tasklane.config import Settings
from tasklane.errors import PayloadTooLarge, ValidationFailed

BOM = codecs.BOM_UTF8
MEDIA_TYPE = "application/octet-stream"

BinaryFile = IO[bytes]


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The file is larger than the import limit of {limit / 2**20:g} MiB ({limit} bytes); "
        "split it into smaller files.",
        code="payload_too_large",
        extensions={"limit_bytes": limit},
    )


def temporary(settings: Settings) -> BinaryFile:
    """A new anonymous file under the data folder (not /tmp, which may be memory)."""
    folder = settings.data_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryFile(dir=folder)


async def _land(settings: Settings, chunks: AsyncIterator[bytes]) -> BinaryFile:
    """A temporary file holding `chunks`, written as they come."""
    landed = await to_thread.run_sync(temporary, settings)
    try:
        async for chunk in chunks:
            await to_thread.run_sync(landed.write, chunk)
        await to_thread.run_sync(landed.flush)
    except BaseException:
        landed.close()
        raise
    return landed


async def receive(form: FormFile, settings: Settings) -> BinaryFile:
    """The form's file, landed in a temporary file; 413 past the limit."""
    limit = settings.import_max_file_bytes
    counted = Counted(form, limit=limit)

    async def chunks() -> AsyncIterator[bytes]:
        while True:
            try:
                chunk = await counted.read(CHUNK)
            except PayloadTooLarge:
                raise too_large(limit) from None
            if not chunk:
                return
            yield chunk

    return await _land(settings, chunks())


def _not_utf8(position: int) -> ValidationFailed:
    return ValidationFailed.for_field(
        "file",
        f"The file is not UTF-8 text (byte {position} cannot be read). Save it as "
        '"CSV UTF-8" in your spreadsheet and try again.',
        code="not_utf8",
    )


def check(file: BinaryFile) -> str:
    """Check that the file is UTF-8 text (with or without the byte order mark spreadsheets
    write) without NUL characters, or a 422 saying so; its digest (tasklane.imports.csvfile
    `digest_of` its text). Empty, or only blanks: a 422 `empty_file`."""
    file.seek(0)
    offset = 3 if file.read(3) == BOM else 0
    file.seek(offset)
    decoder = codecs.getincrementaldecoder("utf-8")()
    digest = hashlib.sha256()
    blank = True
    while chunk := file.read(CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise _not_utf8(offset - pending + exc.start + 1) from None
        if "\x00" in text:
            raise ValidationFailed.for_field(
                "file", "The file holds NUL characters: it is not a text file.", code="not_csv"
            )
        blank = blank and not text.strip()
        digest.update(chunk)
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _not_utf8(offset - len(decoder.getstate()[0]) + 1) from None
    if blank:
        raise ValidationFailed.for_field("file", "The file is empty.", code="empty_file")
    file.seek(0)
    return digest.hexdigest()[:16]


def source_key(run_id: UUID) -> str:
    return object_key(IMPORT, run_id)


async def store(storage: Storage, run_id: UUID, file: BinaryFile) -> None:
    """Keep the file for the run's job."""
    await to_thread.run_sync(file.seek, 0)

    async def read(size: int) -> bytes:
        return await to_thread.run_sync(file.read, size)

    await storage.put(source_key(run_id), read, content_type=MEDIA_TYPE)


async def fetch(storage: Storage, run_id: UUID, settings: Settings) -> BinaryFile:
    """The run's file, copied from the store to a temporary file."""
    return await _land(settings, storage.get(source_key(run_id)))


async def from_text(text: str, settings: Settings) -> BinaryFile:
    """A temporary file holding `text` (a run queued before files went to the store)."""
    landed = await to_thread.run_sync(temporary, settings)
    await to_thread.run_sync(landed.write, text.encode())
    return landed


async def discard(storage: Storage, run_id: UUID) -> None:
    await storage.delete(source_key(run_id))


async def close(file: BinaryFile) -> None:
    await anyio.to_thread.run_sync(file.close)
