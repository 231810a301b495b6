"""kill -9 of a real `tasklane serve` while 16 clients write: after a restart every write that
got a 2xx is there, exactly as answered; no task is half-written; the event log has no gap; the
full-text index equals the text (what a rebuild would make) and finds what was written."""

from __future__ import annotations

import asyncio
import time
from collections import Counter as Tally
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from tasklane.models import Comment, Counter, Event, Task, TaskAssignee, TaskLabel
from tasklane.runtime import Runtime
from tasklane.search.index import drift
from tests.conftest import make_settings
from tests.faults.live import LiveServer, Team, make_team, server_env

CLIENTS = 16
KILL_AFTER_WRITES = 40
"""Kill once this many writes were acknowledged: well under a second on an idle machine."""
WRITE_TIMEOUT = 60.0
"""A machine too busy to acknowledge that many in this time fails the test."""


def description_for(title: str) -> str:
    return f"{title}|" * 60


@dataclass
class Outcome:
    tasks: dict[str, str] = field(default_factory=dict)  # title -> id, for 201s
    comments: dict[str, tuple[str, str]] = field(default_factory=dict)  # body -> (id, task id)
    in_flight: int = 0
    """Requests that got no answer (the kill): their outcome is unknown."""


async def client_loop(
    base_url: str, team: Team, n: int, outcome: Outcome, stop: asyncio.Event
) -> None:
    async with httpx.AsyncClient(base_url=base_url, headers=team.headers, timeout=10) as c:
        count = 0
        last_task: str | None = None
        while not stop.is_set():
            count += 1
            try:
                if last_task is not None and count % 3 == 0:
                    body = f"comment c{n:02d}-{count:05d}"
                    r = await c.post(f"/api/v1/tasks/{last_task}/comments", json={"body": body})
                    if r.status_code == 201:
                        outcome.comments[body] = (r.json()["id"], last_task)
                    else:
                        raise AssertionError(f"unexpected answer {r.status_code}: {r.text}")
                    continue
                title = f"c{n:02d}-{count:05d}"
                r = await c.post(
                    f"/api/v1/projects/{team.project_id}/tasks",
                    json={
                        "title": title,
                        "description": description_for(title),
                        "label_ids": [team.label_id],
                        "assignee_ids": [team.user_id],
                    },
                )
                if r.status_code != 201:
                    raise AssertionError(f"unexpected answer {r.status_code}: {r.text}")
                outcome.tasks[title] = r.json()["id"]
                last_task = r.json()["id"]
            except httpx.TransportError:
                outcome.in_flight += 1
                return


async def write_until_killed(server: LiveServer, team: Team) -> Outcome:
    outcome = Outcome()
    stop = asyncio.Event()
    clients = [
        asyncio.create_task(client_loop(server.url, team, n, outcome, stop)) for n in range(CLIENTS)
    ]
    deadline = time.monotonic() + WRITE_TIMEOUT
    while len(outcome.tasks) + len(outcome.comments) < KILL_AFTER_WRITES:
        assert not any(t.done() and t.exception() for t in clients), [
            t.exception() for t in clients if t.done()
        ]
        assert time.monotonic() < deadline, f"only {len(outcome.tasks)} writes in {WRITE_TIMEOUT}s"
        await asyncio.sleep(0.01)
    server.kill()  # SIGKILL: no shutdown code runs
    stop.set()
    await asyncio.wait_for(asyncio.gather(*clients), timeout=30)
    return outcome


async def read_database(database_url: str, data_dir: Path) -> dict[str, Any]:
    runtime = Runtime.build(make_settings(database_url, data_dir, run_worker=False))
    try:
        async with runtime.db.transaction(write=False) as s:
            tasks = (
                await s.execute(select(Task.id, Task.title, Task.description, Task.number))
            ).all()
            labels = Tally((await s.scalars(select(TaskLabel.task_id))).all())
            assignees = Tally((await s.scalars(select(TaskAssignee.task_id))).all())
            comments = (await s.execute(select(Comment.id, Comment.body, Comment.task_id))).all()
            seqs = list((await s.scalars(select(Event.seq).order_by(Event.seq))).all())
            counter = await s.scalar(select(Counter.value).where(Counter.name == "events"))
            created = Tally(
                (
                    await s.scalars(
                        select(Event.entity_id).where(
                            Event.type.in_(["task.created", "comment.created"])
                        )
                    )
                ).all()
            )
            head = await s.scalar(select(func.max(Event.seq)))
            index_drift = await drift(s)
    finally:
        await runtime.close()
    return {
        "tasks": tasks,
        "labels": labels,
        "assignees": assignees,
        "comments": comments,
        "seqs": seqs,
        "counter": counter,
        "created": created,
        "head": head,
        "drift": index_drift,
    }


async def test_kill_9_loses_nothing_acknowledged(database_url: str, tmp_path: Path) -> None:
    env = server_env(tmp_path / "data", database_url, rate_limit_enabled="false")
    server = LiveServer(env=env, cwd=tmp_path)
    try:
        server.start()
        team = make_team(server.url)
        first_pid = server.pid
        outcome = await write_until_killed(server, team)
        assert server.proc is not None
        assert server.proc.returncode == -9
        assert outcome.in_flight > 0, "the kill interrupted nothing: the test proved nothing"

        server.start()
        assert server.pid != first_pid
        db = await read_database(database_url, tmp_path / "data")
        # Every acknowledged write is there, exactly as it was answered.
        by_id = {str(row.id): row for row in db["tasks"]}
        missing = {t for t, task_id in outcome.tasks.items() if task_id not in by_id}
        assert not missing, f"acknowledged tasks lost: {sorted(missing)[:5]}"
        for title, task_id in outcome.tasks.items():
            assert by_id[task_id].title == title
        comments = {str(row.id): row for row in db["comments"]}
        lost = {b for b, (cid, _) in outcome.comments.items() if cid not in comments}
        assert not lost, f"acknowledged comments lost: {sorted(lost)[:5]}"
        for body, (comment_id, task_id) in outcome.comments.items():
            assert comments[comment_id].body == body
            assert str(comments[comment_id].task_id) == task_id

        # No task is half-written, including any whose answer the kill swallowed.
        for row in db["tasks"]:
            assert row.description == description_for(row.title), row.title
            assert db["labels"][row.id] == 1, f"{row.title} lost its label"
            assert db["assignees"][row.id] == 1, f"{row.title} lost its assignee"
            assert db["created"][row.id] == 1, f"{row.title} has no creation event"
        for row in db["comments"]:
            assert db["created"][row.id] == 1, f"comment {row.body} has no creation event"
        numbers = sorted(row.number for row in db["tasks"])
        assert numbers == list(range(1, len(numbers) + 1)), "task numbers have a gap"

        # The event log has no gap, and on PostgreSQL the counter agrees with it (SQLite
        # numbers events from the log itself: docs/architecture.md, "Events").
        assert db["seqs"] == list(range(1, len(db["seqs"]) + 1))
        if database_url.startswith("postgresql"):
            assert db["counter"] == db["head"]

        # The search index holds exactly the committed text: what a rebuild would make.
        assert db["drift"] == []

        # And the restarted server carries on where the log ended, and finds what was written.
        async with httpx.AsyncClient(base_url=server.url, headers=team.headers) as c:
            title = sorted(outcome.tasks)[-1]
            found = await c.get(
                "/api/v1/search", params={"q": f'"{title}"', "workspace_id": team.workspace_id}
            )
            assert found.status_code == 200, found.text
            assert outcome.tasks[title] in [h["task_id"] for h in found.json()["items"]]
            r = await c.post(f"/api/v1/projects/{team.project_id}/tasks", json={"title": "after"})
            assert r.status_code == 201, r.text
            assert r.json()["number"] == len(numbers) + 1
            history = (await c.get(f"/api/v1/tasks/{r.json()['id']}/activity")).json()["items"]
            assert history[0]["seq"] > db["head"]
    finally:
        server.stop()
