"""Running migrations from code (the CLI, tests, `serve` on first start)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parents[2]

# The full-text index (migration 3b8d0f2a4c61) is kept by the database, outside the models:
# FTS5's tables on SQLite, generated columns and their indexes on PostgreSQL.
_UNMANAGED_TABLES = ("search_documents", "search_fts", "search_vocab")
_UNMANAGED_NAMES = (
    "search_vector",
    "ix_tasks_search_vector",
    "ix_comments_search_vector",
    "ix_tasks_title_vector",
)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's `include_object`: what autogenerate compares with the models."""
    if type_ == "table" and name is not None and name.startswith(_UNMANAGED_TABLES):
        return False
    return name not in _UNMANAGED_NAMES


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations. Safe to call from inside a running event loop (runs in a thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(alembic_config(url), revision)
        return
    import concurrent.futures  # noqa: PLC0415 - only needed on this path

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(command.upgrade, alembic_config(url), revision).result()


def known_revision(revision: str) -> bool:
    """Whether `revision` is one of this version's migrations (an archive or a backup made by
    a newer Tasklane names one this version does not know)."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415
    from alembic.util import CommandError  # noqa: PLC0415

    script = ScriptDirectory.from_config(alembic_config(""))
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def head_revision() -> str:
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    assert head is not None
    return head
