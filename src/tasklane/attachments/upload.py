"""Reading an uploaded file as it arrives: the `file` part of a multipart form, never the whole
body in memory (python-multipart's push parser, fed from the request's stream), counted and
hashed on the way through."""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import AsyncIterator

from python_multipart.multipart import MultipartParser, parse_options_header

from tasklane.attachments.files import SNIFF_BYTES
from tasklane.errors import PayloadTooLarge, ValidationFailed

FORM_OVERHEAD = 64 * 1024
"""What a form may add to its file (boundaries, headers, small fields)."""
MAX_PART_HEADERS = 8 * 1024


def _bad_form(detail: str) -> ValidationFailed:
    return ValidationFailed(detail, code="bad_upload")


class FormFile:
    """The first part named `file` of a multipart/form-data body. Other parts are skipped."""

    def __init__(self, content_type: str, stream: AsyncIterator[bytes]) -> None:
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise _bad_form("Send the file as multipart/form-data with a `file` part.")
        self._stream = stream
        self._chunks: deque[bytes] = deque()
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._header_bytes = 0
        self._current_is_file = False
        self._taken = False
        self.started = False
        self.finished = False
        self._ended = False
        self.filename = ""
        self.declared_type = ""
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value_part,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
        )

    # --- the parser's callbacks (synchronous, while `write` runs) ---

    def _part_begin(self) -> None:
        self._headers = {}
        self._header_bytes = 0
        self._current_is_file = False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]
        self._count_header(end - start)

    def _header_value_part(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        self._count_header(end - start)

    def _count_header(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_PART_HEADERS:
            raise _bad_form("A part's headers are too long.")

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = b""
        self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if options.get(b"name") == b"file" and not self._taken:
            self._taken = True
            self._current_is_file = True
            self.started = True
            self.filename = options.get(b"filename", b"").decode("utf-8", "replace")
            self.declared_type = self._headers.get(b"content-type", b"").decode("latin-1")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current_is_file and end > start:
            self._chunks.append(bytes(data[start:end]))

    def _part_end(self) -> None:
        if self._current_is_file:
            self._current_is_file = False
            self.finished = True

    def _end(self) -> None:
        self._ended = True

    # --- reading ---

    async def _pump(self) -> bool:
        """Feed the parser one more piece of the body; False at its end."""
        chunk = await anext(self._stream, None)
        if chunk is None:
            if not self._ended and not self.finished:
                raise _bad_form("The form ended before the file did.")
            return False
        if chunk:
            self._parser.write(chunk)
        return True

    async def open(self) -> None:
        """Read up to the start of the file part."""
        while not self.started:
            if not await self._pump():
                raise _bad_form("The form has no `file` part.")

    async def read(self, size: int) -> bytes:
        while not self._chunks and not self.finished:
            if not await self._pump():
                break
        if not self._chunks:
            return b""
        first = self._chunks.popleft()
        if len(first) > size:
            self._chunks.appendleft(first[size:])
            first = first[:size]
        return first

    async def drain(self) -> None:
        """Read the rest of the body (after the file), so the client gets its answer."""
        while await self._pump():
            pass


class Counted:
    """Reads from `read`, hashing and counting, refusing past `limit` bytes; keeps the
    first SNIFF_BYTES for sniffing."""

    def __init__(self, read: FormFile | RawBody, *, limit: int, exact: int | None = None) -> None:
        self._source = read
        self.limit = limit
        self.exact = exact
        self.size = 0
        self._hash = hashlib.sha256()
        self._head = b""
        self._replay = b""

    async def peek(self) -> bytes:
        """The first SNIFF_BYTES (fewer for a shorter file); they are still read afterwards."""
        while len(self._head) < SNIFF_BYTES:
            chunk = await self._take(SNIFF_BYTES - len(self._head))
            if not chunk:
                break
            self._head += chunk
        self._replay = self._head
        return self._head

    async def _take(self, size: int) -> bytes:
        chunk = await self._source.read(size)
        self.size += len(chunk)
        if self.size > self.limit:
            raise PayloadTooLarge(
                f"The file is larger than {self.limit} bytes.",
                extensions={"limit_bytes": self.limit},
            )
        self._hash.update(chunk)
        return chunk

    async def read(self, size: int) -> bytes:
        if self._replay:
            chunk, self._replay = self._replay[:size], self._replay[size:]
            return chunk
        chunk = await self._take(size)
        if not chunk and self.exact is not None and self.size != self.exact:
            raise _bad_form(f"The file has {self.size} bytes, not the {self.exact} declared.")
        return chunk

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class RawBody:
    """A body that is the file itself (a stored object read back)."""

    def __init__(self, stream: AsyncIterator[bytes]) -> None:
        self._stream = stream
        self._rest = b""

    async def read(self, size: int) -> bytes:
        if not self._rest:
            self._rest = await anext(self._stream, b"")
        chunk, self._rest = self._rest[:size], self._rest[size:]
        return chunk
