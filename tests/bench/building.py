"""Building benchmark datasets in tests: each spec twice, into fresh SQLite files, with cheap
password hashes (the datasets' own accounts hash nothing; the settings still check them)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from bench.datasets import DatasetSpec, build, fingerprint
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tasklane.config import Settings

CHEAP_HASH = {
    "password_hash_time_cost": 1,
    "password_hash_memory_kib": 1024,
    "password_hash_parallelism": 1,
}


def built_twice(spec: DatasetSpec, factory: pytest.TempPathFactory) -> list[str]:
    """Two SQLite databases `spec` was built into; their URLs."""
    settings = Settings(_env_file=None, **CHEAP_HASH)  # type: ignore[call-arg]
    urls = []
    for n in range(2):
        url = f"sqlite+aiosqlite:///{factory.mktemp(f'{spec.name}{n}') / 'bench.db'}"
        build(spec, url, settings)
        urls.append(url)
    return urls


async def scalar(url: str, sql: str) -> Any:
    """The one value `sql` reads from the database at `url`."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(text(sql))
    finally:
        await engine.dispose()


def same_rows(urls: list[str]) -> bool:
    first, second = (asyncio.run(fingerprint(url)) for url in urls)
    return bool(first == second)
