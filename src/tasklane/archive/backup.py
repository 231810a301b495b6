"""Backups of a whole installation, and restoring one (docs/operations.md, "Backups").

A backup is a folder:

    manifest.json        format, version, when, schema revision, how the database was
                         saved, and the sha256 and size of every other file
    tasklane.db          SQLite: a copy made with SQLite's online backup API (consistent
                         while Tasklane serves)
    database.dump        PostgreSQL: `pg_dump --format=custom`, when pg_dump is installed
    database.tar.gz      PostgreSQL without pg_dump: an installation archive
    files/a/<id>, ...    the attachments' objects, from whichever store holds them

It is written under a temporary name beside the asked folder and renamed into place when
complete, so a folder with a manifest is a whole backup.

A restore checks every checksum first, refuses a database that holds data unless forced,
puts the database back (a SQLite copy, pg_restore, or an archive loaded into an empty
database), migrates it to this version's head, and puts the files back.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import structlog
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tasklane import __version__
from tasklane import migrate as migrations
from tasklane.archive.installation import (
    copy_installation,
    dump_installation,
    ensure_empty,
    load_installation,
)
from tasklane.archive.rows import Progress, no_progress
from tasklane.archive.workspace import ImportRefused, schema_revision
from tasklane.attachments.storage import Storage, attachment_of, storage_for
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.kit.clock import utcnow

log = structlog.get_logger(__name__)

FORMAT = "tasklane-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "tasklane.db"
PG_DUMP_FILE = "database.dump"
ARCHIVE_FILE = "database.tar.gz"
FOLDER_NAME = re.compile(r"tasklane-\d{8}T\d{6}Z")
"""A scheduled backup's folder, the only ones retention removes."""


class BackupError(Exception):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The database URL as pg_dump takes it, and the environment carrying its password (not
    on a command line, which other users can read)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


# --- backup -------------------------------------------------------------------------------


async def backup(settings: Settings, out: Path, progress: Progress = no_progress) -> dict[str, Any]:
    """Write a backup of the installation to the new folder `out`; its manifest."""
    stage = await asyncio.to_thread(_stage_for, out)
    try:
        url = settings.resolved_database_url
        db = Database(settings)
        try:
            async with db.transaction(write=False) as session:
                revision = await (await session.connection()).run_sync(schema_revision)
            pg_dump = shutil.which("pg_dump")
            if db.dialect == "sqlite":
                method = await asyncio.to_thread(_sqlite_backup, _sqlite_path(url), stage, progress)
            elif pg_dump:
                method = await asyncio.to_thread(_pg_dump, pg_dump, url, stage, progress)
            else:
                method = "archive"
            if method == "archive":
                await dump_installation(db, stage / ARCHIVE_FILE, progress)
        finally:
            await db.dispose()
        missing = await _copy_files(storage_for(settings), stage, progress)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "tasklane": __version__,
            "created_at": utcnow().isoformat(),
            "schema": revision,
            "database": {"dialect": db.dialect, "method": method},
            "missing_files": missing,
        }
        return await asyncio.to_thread(_seal, stage, out, manifest)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _stage_for(out: Path) -> Path:
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} exists and is not empty: give a new folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))


def _seal(stage: Path, out: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest with every file's checksum, written last; the folder renamed into place."""
    manifest["files"] = {
        str(path.relative_to(stage)): {"size": path.stat().st_size, "sha256": _sha256(path)}
        for path in sorted(stage.rglob("*"))
        if path.is_file()
    }
    (stage / MANIFEST).write_bytes(
        orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    )
    if out.exists():
        out.rmdir()
    os.replace(stage, out)
    return manifest


def _sqlite_backup(source: Path, stage: Path, progress: Progress) -> str:
    """SQLite's online backup: a page-by-page copy that restarts when a writer changes a page
    it has copied, so the result is one consistent moment while Tasklane keeps serving."""
    target = stage / SQLITE_FILE
    with (
        contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(
            dst,
            pages=4096,
            progress=lambda _status, remaining, total: progress(
                "database", total - remaining, total
            ),
        )
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        checked = dst.execute("PRAGMA integrity_check").fetchall()
    if checked != [("ok",)]:
        raise BackupError(f"the copy failed SQLite's integrity check: {checked[:3]}")
    return "sqlite-backup"


def _pg_dump(program: str, url: str, stage: Path, progress: Progress) -> str:
    dsn, env = _libpq(url)
    progress("database", 0, None)
    done = subprocess.run(  # noqa: S603 - fixed program, arguments are not a shell line
        [program, "--format=custom", "--no-owner", "--file", str(stage / PG_DUMP_FILE), dsn],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        if "server version" in done.stderr and "version mismatch" in done.stderr:
            log.warning("pg_dump_version_mismatch", error=done.stderr.strip())
            (stage / PG_DUMP_FILE).unlink(missing_ok=True)
            return "archive"
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    progress("database", 1, 1)
    return "pg_dump"


async def _copy_files(storage: Storage, stage: Path, progress: Progress) -> list[str]:
    keys = [o.key async for o in storage.listing() if attachment_of(o.key) is not None]
    missing: list[str] = []
    progress("files", 0, len(keys))
    for done, key in enumerate(keys, 1):
        path = stage / "files" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("wb") as out:
                async for chunk in storage.get(key):
                    out.write(chunk)
        except FileNotFoundError:  # deleted since it was listed (a trashed task purged)
            path.unlink(missing_ok=True)
            missing.append(key)
        progress("files", done, len(keys))
    return missing


# --- restore ------------------------------------------------------------------------------


@dataclass(slots=True)
class Restored:
    method: str
    schema: str | None
    files: int


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = orjson.loads((folder / MANIFEST).read_bytes())
    except FileNotFoundError as exc:
        raise BackupError(f"{folder} is not a backup: it has no {MANIFEST}") from exc
    except orjson.JSONDecodeError as exc:
        raise BackupError(f"{folder}/{MANIFEST} is not JSON") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder} is not a Tasklane backup")
    if not isinstance(manifest.get("version"), int) or manifest["version"] > VERSION:
        raise BackupError(f"{folder} was made by a newer Tasklane: upgrade this one first")
    return manifest


def verify(folder: Path, manifest: dict[str, Any], progress: Progress = no_progress) -> None:
    """Every file the manifest lists is there with its size and checksum, and nothing else
    in the folder pretends to be part of the backup."""
    files: dict[str, dict[str, Any]] = manifest.get("files", {})
    progress("checking", 0, len(files))
    for done, (name, expected) in enumerate(sorted(files.items()), 1):
        path = folder / name
        if not path.resolve().is_relative_to(folder.resolve()):
            raise BackupError(f"the manifest names a file outside the backup: {name}")
        if not path.is_file():
            raise BackupError(f"the backup is missing {name}")
        if path.stat().st_size != expected["size"] or _sha256(path) != expected["sha256"]:
            raise BackupError(f"{name} is damaged: its checksum does not match the manifest")
        progress("checking", done, len(files))


async def holds_data(settings: Settings) -> bool:
    db = Database(settings)
    try:
        async with db.transaction(write=False) as session:
            migrated = await (await session.connection()).run_sync(_has_version_table)
            if not migrated:
                return False
            try:
                await ensure_empty(session)
            except ImportRefused:
                return True
            return False
    finally:
        await db.dispose()


def _has_version_table(connection: Any) -> bool:
    from sqlalchemy import inspect  # noqa: PLC0415

    return bool(inspect(connection).has_table("alembic_version"))


async def restore(
    settings: Settings, folder: Path, *, force: bool = False, progress: Progress = no_progress
) -> Restored:
    manifest = read_manifest(folder)
    archived = manifest.get("schema")
    if archived and not migrations.known_revision(str(archived)):
        raise BackupError(
            f"the backup's schema ({archived}) is newer than this Tasklane: upgrade it first"
        )
    await asyncio.to_thread(verify, folder, manifest, progress)
    url = settings.resolved_database_url
    target_sqlite = url.startswith("sqlite")
    if await holds_data(settings):
        if not force:
            raise BackupError(
                "the database holds data: restore into an empty one, or pass --force to "
                "replace everything in it (stop Tasklane first)"
            )
        await _wipe(settings)
    method = manifest["database"]["method"]
    if method == "sqlite-backup":
        if target_sqlite:
            await asyncio.to_thread(_put_sqlite_file, folder / SQLITE_FILE, _sqlite_path(url))
        else:
            await _copy_from_sqlite_file(settings, folder / SQLITE_FILE, archived, progress)
    elif method == "pg_dump":
        if target_sqlite:
            raise BackupError(
                "a pg_dump backup restores into PostgreSQL only: set TASKLANE_DATABASE_URL to "
                "an empty PostgreSQL database (then `tasklane migrate-to` can move it back)"
            )
        await asyncio.to_thread(_pg_restore, url, folder / PG_DUMP_FILE, progress)
    elif method == "archive":
        migrations.upgrade(url, str(archived) if archived else "head")
        db = Database(settings)
        try:
            await load_installation(db, folder / ARCHIVE_FILE, progress)
        finally:
            await db.dispose()
    else:
        raise BackupError(f"unknown database method {method!r} in the manifest")
    await asyncio.to_thread(migrations.upgrade, url)
    if target_sqlite:
        await asyncio.to_thread(_check_sqlite, _sqlite_path(url))
    files = await _put_files(storage_for(settings), folder, manifest, progress)
    return Restored(method=method, schema=archived, files=files)


async def _wipe(settings: Settings) -> None:
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        await asyncio.to_thread(_remove_sqlite, _sqlite_path(url))
        return
    db = Database(settings)
    try:
        async with db.transaction() as session:
            await session.execute(text("DROP SCHEMA public CASCADE"))
            await session.execute(text("CREATE SCHEMA public"))
    finally:
        await db.dispose()


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _put_sqlite_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    partial = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


async def _copy_from_sqlite_file(
    settings: Settings, file: Path, revision: str | None, progress: Progress
) -> None:
    """A SQLite backup into PostgreSQL: through a scratch copy (the backup stays as it was)."""
    with tempfile.TemporaryDirectory(prefix="tasklane-restore-") as scratch:
        copy = Path(scratch) / SQLITE_FILE
        shutil.copyfile(file, copy)
        source_settings = settings.model_copy(
            update={"database_url": f"sqlite+aiosqlite:///{copy}", "data_dir": Path(scratch)}
        )
        url = settings.resolved_database_url
        migrations.upgrade(url, revision or "head")
        source, target = Database(source_settings), Database(settings)
        try:
            await copy_installation(source, target, progress)
        finally:
            await source.dispose()
            await target.dispose()


def _pg_restore(url: str, dump: Path, progress: Progress) -> None:
    program = shutil.which("pg_restore")
    if not program:
        raise BackupError("pg_restore is not installed (Debian: apt install postgresql-client)")
    dsn, env = _libpq(url)
    progress("database", 0, None)
    done = subprocess.run(  # noqa: S603 - fixed program, arguments are not a shell line
        [
            program,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            dsn,
            str(dump),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
    progress("database", 1, 1)


def _check_sqlite(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        checked = connection.execute("PRAGMA integrity_check").fetchall()
        dangling = connection.execute("PRAGMA foreign_key_check").fetchall()
    if checked != [("ok",)] or dangling:
        raise BackupError(f"the restored database fails its checks: {checked[:3]} {dangling[:3]}")


async def _put_files(
    storage: Storage, folder: Path, manifest: dict[str, Any], progress: Progress
) -> int:
    keys = [
        name[len("files/") :] for name in manifest.get("files", {}) if name.startswith("files/")
    ]
    progress("files", 0, len(keys))
    for done, key in enumerate(keys, 1):
        with (folder / "files" / key).open("rb") as source:

            async def read(size: int, source: Any = source) -> bytes:
                return bytes(source.read(size))

            await storage.put(key, read, content_type="application/octet-stream")
        progress("files", done, len(keys))
    return len(keys)


# --- schedule and retention ---------------------------------------------------------------


def folder_for(root: Path, moment: datetime) -> Path:
    return root / f"tasklane-{moment.strftime('%Y%m%dT%H%M%SZ')}"


def prune(root: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` whole scheduled backups under `root`; the removed.
    Folders of other names, and half-written ones (no manifest), are left alone."""
    complete = (
        sorted(
            p
            for p in root.iterdir()
            if p.is_dir() and FOLDER_NAME.fullmatch(p.name) and (p / MANIFEST).is_file()
        )
        if root.is_dir()
        else []
    )
    removed = complete[: max(0, len(complete) - keep)]
    for path in removed:
        shutil.rmtree(path)
    return removed
