"""The README's run path, as a user takes it: `tasklane serve` in a real process on SQLite."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx

from tests.faults.live import BIN, LiveServer, running


def test_serve_migrates_and_answers(tmp_path: Path) -> None:
    env = {**os.environ, "TASKLANE_DATA_DIR": str(tmp_path / "data"), "TASKLANE_DATABASE_URL": ""}
    env.pop("TASKLANE_SECRET_KEY", None)
    with running(LiveServer(env, tmp_path)) as server:
        base = server.url
        r = httpx.post(
            f"{base}/api/v1/auth/register",
            json={"email": "first@example.com", "password": "a long password", "name": "First"},
        )
        assert r.status_code == 201
        assert (tmp_path / "data" / "tasklane.db").exists()
        secret = tmp_path / "data" / "secret_key"
        assert secret.exists()
        assert oct(secret.stat().st_mode & 0o777) == "0o600"
        docs = httpx.get(f"{base}/api/docs")
        assert docs.status_code == 200
        # It says once where to go, and how to get sample data.
        assert server.log_text.count(f"open {base} in a browser") == 1
        assert "`tasklane demo`" in server.log_text


def test_production_refuses_to_start_without_secret(tmp_path: Path) -> None:
    env = {**os.environ, "TASKLANE_ENVIRONMENT": "production", "TASKLANE_DATA_DIR": str(tmp_path)}
    env.pop("TASKLANE_SECRET_KEY", None)
    result = subprocess.run(
        [str(BIN), "migrate"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "TASKLANE_SECRET_KEY" in result.stderr + result.stdout


def test_purge_trash_deletes_only_expired_tasks(tmp_path: Path) -> None:
    import asyncio
    from datetime import timedelta

    from tasklane.kit.clock import frozen, utcnow
    from tasklane.models import Task
    from tasklane.runtime import Runtime
    from tests.conftest import make_settings

    env = {**os.environ, "TASKLANE_DATA_DIR": str(tmp_path / "data"), "TASKLANE_DATABASE_URL": ""}
    subprocess.run([str(BIN), "migrate"], env=env, cwd=tmp_path, check=True, capture_output=True)
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'tasklane.db'}"

    async def seed() -> None:
        from sqlalchemy import select

        from tasklane.demo import fill_demo

        runtime = Runtime.build(make_settings(db_url, tmp_path / "data"))
        try:
            await fill_demo(runtime, tasks_per_project=2)
            async with runtime.db.transaction() as s:
                tasks = list((await s.scalars(select(Task).order_by(Task.id))).all())
                tasks[0].deleted_at = utcnow() - timedelta(days=31)
                tasks[1].deleted_at = utcnow() - timedelta(days=2)
        finally:
            await runtime.close()

    async def count() -> int:
        from sqlalchemy import func, select

        runtime = Runtime.build(make_settings(db_url, tmp_path / "data"))
        try:
            async with runtime.db.transaction(write=False) as s:
                return int(await s.scalar(select(func.count()).select_from(Task)) or 0)
        finally:
            await runtime.close()

    with frozen(utcnow()):
        asyncio.run(seed())
    before = asyncio.run(count())
    result = subprocess.run(
        [str(BIN), "purge-trash"], env=env, cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert "purged 1 tasks" in result.stdout
    assert asyncio.run(count()) == before - 1


def test_create_user_refuses_a_common_password_with_a_message(tmp_path: Path) -> None:
    env = {**os.environ, "TASKLANE_DATA_DIR": str(tmp_path / "data"), "TASKLANE_DATABASE_URL": ""}
    env.pop("TASKLANE_SECRET_KEY", None)
    subprocess.run([str(BIN), "migrate"], env=env, cwd=tmp_path, check=True, capture_output=True)
    args = [str(BIN), "create-user", "--email", "cli@example.com", "--name", "Cli"]
    weak = subprocess.run(
        [*args, "--password", "12345678"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert weak.returncode == 1
    assert "This password is too common" in weak.stderr
    assert "Traceback" not in weak.stderr
    strong = subprocess.run(
        [*args, "--password", "walrus ferry lantern"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert strong.returncode == 0, strong.stderr
    assert "created cli@example.com" in strong.stdout
