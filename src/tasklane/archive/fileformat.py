"""The archive file: a tar (gzip-compressed) of JSON lines per table and the attachments'
bytes, with a manifest first (docs/archive.md).

    manifest.json              format, version, kind, schema revision, per member: sha256
    tables/<table>.jsonl       one row per line, parents' tables before children's
    files/a/<id>, files/t/<id> attachments and thumbnails, named as in the store

The writer stages members in a folder beside the output, then writes the tar in that order
and renames it into place, so a failed export leaves no half archive under the asked name.
The reader streams members in order and checks each one's checksum as it ends.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from tasklane.archive.codec import decode_row, line

FORMAT = "tasklane-archive"
VERSION = 1
MANIFEST = "manifest.json"
MAX_LINE = 64 * 1024 * 1024
"""The longest row line read (a JSON column, a long description); a longer one is damage."""


class ArchiveError(Exception):
    """The file is not an archive this version can read, or it is damaged."""


class ArchiveTooNew(ArchiveError):
    """The archive is of a newer format version than this Tasklane reads."""


_BROKEN = (tarfile.TarError, EOFError, OSError, zlib.error)
"""What reading a cut or damaged gzip tar raises."""


@dataclass(slots=True)
class _Member:
    path: Path
    digest: Any = field(default_factory=hashlib.sha256)
    rows: int = 0


class TableWriter:
    def __init__(self, member: _Member, handle: IO[bytes]) -> None:
        self._member = member
        self._handle = handle

    def write(self, row: dict[str, Any]) -> None:
        data = line(row)
        self._member.digest.update(data)
        self._member.rows += 1
        self._handle.write(data)


class ArchiveWriter:
    def __init__(self, out: Path) -> None:
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        self._stage = Path(tempfile.mkdtemp(prefix=".tasklane-export-", dir=out.parent))
        self._tables: dict[str, _Member] = {}
        self._files: dict[str, _Member] = {}
        self._sizes: dict[str, int] = {}

    def table(self, name: str) -> tuple[TableWriter, IO[bytes]]:
        member = _Member(self._stage / "tables" / f"{name}.jsonl")
        member.path.parent.mkdir(parents=True, exist_ok=True)
        handle = member.path.open("wb")
        self._tables[str(name)] = member
        return TableWriter(member, handle), handle

    def file(self, key: str) -> tuple[_Member, IO[bytes]]:
        member = _Member(self._stage / "files" / key)
        member.path.parent.mkdir(parents=True, exist_ok=True)
        self._files[key] = member
        return member, member.path.open("wb")

    def drop_file(self, key: str) -> None:
        """Forget a file that could not be read whole (its object is missing from the store)."""
        member = self._files.pop(key)
        member.path.unlink(missing_ok=True)

    def finish(self, manifest: dict[str, Any], order: list[str]) -> dict[str, Any]:
        """Write the tar: the manifest, the tables in `order`, then the files."""
        manifest = {
            **manifest,
            "format": FORMAT,
            "version": VERSION,
            "tables": {
                name: {"rows": m.rows, "sha256": m.digest.hexdigest()}
                for name, m in sorted(self._tables.items())
            },
            "files": {
                key: {"size": m.path.stat().st_size, "sha256": m.digest.hexdigest()}
                for key, m in sorted(self._files.items())
            },
        }
        partial = self.out.with_name(f".{self.out.name}.partial")
        with tarfile.open(partial, "w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
            data = orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(data))
            for name in order:
                if name in self._tables:
                    tar.add(self._tables[name].path, f"tables/{name}.jsonl", recursive=False)
            for key, member in sorted(self._files.items()):
                tar.add(member.path, f"files/{key}", recursive=False)
        os.replace(partial, self.out)
        return manifest

    def discard(self) -> None:
        shutil.rmtree(self._stage, ignore_errors=True)


class _Budget:
    """The bytes the members of an archive may hold in all, uncompressed (None: any)."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.spent = 0

    def spend(self, size: int) -> None:
        self.spent += size
        if self.limit is not None and self.spent > self.limit:
            raise ArchiveError(
                f"the archive holds more than {self.limit} bytes once uncompressed, "
                "more than this installation takes"
            )


class _Checked(io.RawIOBase):
    """A member's stream that hashes what is read and checks the sum at its end."""

    def __init__(self, source: IO[bytes], expected: str, name: str, budget: _Budget) -> None:
        self._source = source
        self._digest = hashlib.sha256()
        self._expected = expected
        self._name = name
        self._budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._source.read(len(buffer))
        except _BROKEN as exc:
            raise ArchiveError(f"the archive is cut short or damaged ({exc})") from exc
        if not data:
            if self._digest.hexdigest() != self._expected:
                raise ArchiveError(f"{self._name} is damaged: its checksum does not match")
            return 0
        self._budget.spend(len(data))
        self._digest.update(data)
        buffer[: len(data)] = data
        return len(data)


def _check_entries(called: str, manifest: dict[str, Any]) -> None:
    """Each member the manifest lists has the fields readers use, of their types."""
    wanted = {"tables": "rows", "files": "size"}
    for part, count in wanted.items():
        entries = manifest.get(part, {})
        if not isinstance(entries, dict):
            raise ArchiveError(f"{called}: the manifest's {part!r} is not an object")
        for name, entry in entries.items():
            if not (
                isinstance(entry, dict)
                and isinstance(entry.get(count), int)
                and entry[count] >= 0
                and isinstance(entry.get("sha256"), str)
            ):
                raise ArchiveError(f"{called}: the manifest's entry for {name!r} is damaged")


class ArchiveReader:
    """Members in the order they were written; each checked against the manifest.

    `name` is what messages call the file (its path by default: an upload's temporary path
    means nothing to the person who sent it); `max_bytes` bounds what the members may hold
    once uncompressed, all together."""

    def __init__(
        self, path: Path, *, name: str | None = None, max_bytes: int | None = None
    ) -> None:
        called = str(path) if name is None else name
        self._budget = _Budget(max_bytes)
        try:
            self._tar = tarfile.open(path, "r|gz")  # noqa: SIM115 - closed by close()
            first = self._tar.next()
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise ArchiveError(f"{called} is not a Tasklane archive ({exc})") from exc
        try:
            if first is None or first.name != MANIFEST or not first.isfile():
                raise ArchiveError(f"{called} is not a Tasklane archive: no manifest first")
            handle = self._tar.extractfile(first)
            if handle is None or first.size > MAX_LINE:
                raise ArchiveError(f"{called} is not a Tasklane archive: bad manifest")
            try:
                manifest = orjson.loads(handle.read())
            except orjson.JSONDecodeError as exc:
                raise ArchiveError(f"{called}: the manifest is not JSON") from exc
            except _BROKEN as exc:
                raise ArchiveError(f"{called} is cut short or damaged ({exc})") from exc
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise ArchiveError(f"{called} is not a Tasklane archive")
            self.manifest: dict[str, Any] = manifest
            version = self.manifest.get("version")
            if not isinstance(version, int) or isinstance(version, bool) or version < 1:
                raise ArchiveError(f"{called}: the manifest has no format version")
            if version > VERSION:
                raise ArchiveTooNew(
                    f"{called} is archive format version {version}; this Tasklane reads up "
                    f"to {VERSION}: upgrade Tasklane first"
                )
            _check_entries(called, self.manifest)
        except BaseException:
            self._tar.close()
            raise
        self._seen: set[str] = set()

    def members(self) -> Iterator[tuple[str, str, IO[bytes]]]:
        """(kind, name, stream): kind "table" (name = table) or "file" (name = object key)."""
        tables = self.manifest.get("tables", {})
        files = self.manifest.get("files", {})
        for info in self._entries():
            if info.name == MANIFEST:
                continue  # read first (iterating starts over from the members already read)
            kind, _, rest = info.name.partition("/")
            if not info.isfile():
                raise ArchiveError(f"unexpected entry {info.name!r} in the archive")
            if kind == "tables" and rest.endswith(".jsonl") and rest[:-6] in tables:
                name, expected = rest[:-6], tables[rest[:-6]]["sha256"]
            elif kind == "files" and rest in files:
                name, expected = rest, files[rest]["sha256"]
            else:
                raise ArchiveError(f"unexpected entry {info.name!r} in the archive")
            source = self._tar.extractfile(info)
            assert source is not None  # a regular file
            self._seen.add(info.name)
            checked = io.BufferedReader(
                _Checked(source, expected, info.name, self._budget), 1 << 20
            )
            yield ("table" if kind == "tables" else "file"), name, checked
            while checked.read(1 << 20):  # the rest, so the checksum is always verified
                pass

    def _entries(self) -> Iterator[tarfile.TarInfo]:
        entries = iter(self._tar)
        while True:
            try:
                info = next(entries)
            except StopIteration:
                return
            except _BROKEN as exc:
                raise ArchiveError(f"the archive is cut short or damaged ({exc})") from exc
            yield info

    def rows(self, stream: IO[bytes], columns: dict[str, str]) -> Iterator[dict[str, Any]]:
        """The member's rows, decoded for a table of `columns` (codec.kinds)."""
        for number, raw in enumerate(iter(lambda: stream.readline(MAX_LINE + 1), b""), 1):
            if len(raw) > MAX_LINE:
                raise ArchiveError("a row is longer than any Tasklane writes")
            try:
                yield decode_row(columns, orjson.loads(raw))
            except orjson.JSONDecodeError as exc:
                raise ArchiveError(f"row {number} is not JSON: {exc}") from exc
            except ValueError as exc:
                raise ArchiveError(f"row {number}: {exc}") from exc

    def check_complete(self) -> None:
        expected = {f"tables/{n}.jsonl" for n in self.manifest.get("tables", {})}
        expected |= {f"files/{k}" for k in self.manifest.get("files", {})}
        missing = expected - self._seen
        if missing:
            raise ArchiveError(f"the archive is cut short: {len(missing)} members missing")

    def close(self) -> None:
        self._tar.close()
