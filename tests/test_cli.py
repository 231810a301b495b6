"""The README's run path, as a user takes it: `tasklane serve` in a real process on SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.faults.live import BIN, LiveServer, running, wait_until


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


def _listening_sockets(port: int) -> set[str]:
    """The inodes of the TCP sockets listening on `port` (from /proc/net/tcp)."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                    found.add(inode)
    return found


def _server_processes(parent: int) -> list[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [
        int(pid)
        for pid in children
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()  # not the resource tracker
    ]


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc (Linux)")
def test_serve_runs_processes_with_a_socket_each_and_stops_them_all(tmp_path: Path) -> None:
    """`--workers 2`: two server processes, each listening on the port with its own socket
    (SO_REUSEPORT), both answering; a second `serve` on that port is refused; SIGTERM ends
    every one of them."""
    env = {**os.environ, "TASKLANE_DATA_DIR": str(tmp_path / "data"), "TASKLANE_DATABASE_URL": ""}
    env.pop("TASKLANE_SECRET_KEY", None)
    server = LiveServer(env, tmp_path, workers=2)
    with running(server):
        wait_until(lambda: len(_listening_sockets(server.port)) == 2, timeout=60)
        processes = _server_processes(server.pid)
        assert len(processes) == 2
        with httpx.Client(base_url=server.url) as client:
            # New connections each time, spread over both by the kernel.
            answers = [client.get("/healthz", headers={"Connection": "close"}) for _ in range(20)]
        assert {r.status_code for r in answers} == {200}
        second = subprocess.run(
            [str(BIN), "serve", "--port", str(server.port), "--no-migrate", "--workers", "2"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode != 0
        assert "cannot listen" in second.stderr
    assert not any(Path(f"/proc/{pid}").exists() for pid in processes)
    assert _listening_sockets(server.port) == set()


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc (Linux)")
def test_serve_takes_its_number_of_processes_from_the_settings(tmp_path: Path) -> None:
    env = {**os.environ, "TASKLANE_DATA_DIR": str(tmp_path / "data"), "TASKLANE_DATABASE_URL": ""}
    env["TASKLANE_WORKERS"] = "2"
    server = LiveServer(env, tmp_path, workers=None)
    with running(server):
        wait_until(lambda: len(_listening_sockets(server.port)) == 2, timeout=60)


def test_by_default_one_process_per_cpu_it_may_use() -> None:
    from tasklane.cli import available_cpus

    assert 1 <= available_cpus() <= len(os.sched_getaffinity(0))


def test_reset_mfa_turns_two_factor_off_for_a_locked_out_account(tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from tasklane.auth import mfa
    from tasklane.kit.clock import utcnow
    from tasklane.models import TotpFactor, User
    from tasklane.runtime import Runtime
    from tests.conftest import make_settings

    env = {**os.environ, "TASKLANE_DATA_DIR": str(tmp_path / "data"), "TASKLANE_DATABASE_URL": ""}
    env.pop("TASKLANE_SECRET_KEY", None)
    subprocess.run([str(BIN), "migrate"], env=env, cwd=tmp_path, check=True, capture_output=True)
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'data' / 'tasklane.db'}", tmp_path / "data"
    )

    async def turn_on() -> None:
        runtime = Runtime.build(settings)
        try:
            async with runtime.db.transaction() as s:
                user = User(email="locked@example.com", name="Locked", password_hash="x")
                s.add(user)
                await s.flush()
                s.add(TotpFactor(user_id=user.id, secret=mfa.new_secret(), confirmed_at=utcnow()))
        finally:
            await runtime.close()

    async def is_on() -> bool:
        runtime = Runtime.build(settings)
        try:
            async with runtime.db.transaction(write=False) as s:
                return await s.scalar(select(func.count()).select_from(TotpFactor)) == 1
        finally:
            await runtime.close()

    asyncio.run(turn_on())
    unknown = subprocess.run(
        [str(BIN), "reset-mfa", "nobody@example.com"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert unknown.returncode == 1
    assert "no account has the address nobody@example.com" in unknown.stderr
    assert asyncio.run(is_on())
    done = subprocess.run(
        [str(BIN), "reset-mfa", "Locked@example.com"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "two-factor sign-in is off for Locked@example.com" in done.stdout
    assert not asyncio.run(is_on())


def test_insights_rebuild_writes_the_transitions_again_from_the_log(tmp_path: Path) -> None:
    """The derived table the insights count, lost (or from a release with a bug), is written
    again by `tasklane insights rebuild`: the same rows as the incremental writes made."""
    from sqlalchemy import select, text

    from tasklane.models import TaskTransition
    from tasklane.runtime import Runtime
    from tests.conftest import make_settings

    env = {**os.environ, "TASKLANE_DATA_DIR": str(tmp_path / "data"), "TASKLANE_DATABASE_URL": ""}
    subprocess.run([str(BIN), "migrate"], env=env, cwd=tmp_path, check=True, capture_output=True)
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'tasklane.db'}", tmp_path)
    columns = (
        TaskTransition.task_id,
        TaskTransition.status_id,
        TaskTransition.category,
        TaskTransition.at,
    )

    async def rows(*, seed: bool = False, lose: bool = False) -> list[tuple[object, ...]]:
        from tasklane.demo import fill_demo

        runtime = Runtime.build(settings)
        try:
            if seed:
                await fill_demo(runtime, tasks_per_project=4)
            async with runtime.db.transaction() as s:
                found = [tuple(r) for r in (await s.execute(select(*columns))).all()]
                if lose:
                    await s.execute(text("DELETE FROM task_transitions"))
            return sorted(found, key=str)
        finally:
            await runtime.close()

    before = asyncio.run(rows(seed=True, lose=True))
    assert before
    assert asyncio.run(rows()) == []

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(BIN), "insights", "rebuild", *args]
        return subprocess.run(
            command, env=env, cwd=tmp_path, capture_output=True, text=True, check=False
        )

    result = cli()
    assert result.returncode == 0, result.stderr
    assert f"task transitions rebuilt: {len(before)} rows" in result.stdout
    assert asyncio.run(rows()) == before
    refused = cli("--project", "nope")
    assert refused.returncode == 2
    assert "not a project id" in refused.stderr


def test_worker_refuses_a_metrics_port_in_use(tmp_path: Path) -> None:
    import socket

    env = {**os.environ, "TASKLANE_DATA_DIR": str(tmp_path / "data"), "TASKLANE_DATABASE_URL": ""}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(BIN), "worker", "--metrics-port", str(port), "--metrics-host", "127.0.0.1"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 3, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
