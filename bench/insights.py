"""Insights: each metric of `GET /projects/{id}/insights/{metric}` on a project of 100,000
tasks and about a million events, over the last 12 weeks of its history.

The `insights` dataset (made here, loaded by `bench/datasets.py`) is one project whose tasks
flow through a workflow that changes under them, two years of it, as a team's would: tasks
start in Backlog or Todo and move on through In Progress, a Review step (from day 60) and a
QA step (days 150 to 400, when QA is deleted and its tasks moved to Done without a move of
their own), some wait in Blocked (from day 240; moved from the unstarted to the started
category on day 520), some are cancelled, some reopened, a few go stale; 1% are in the trash.
Every status change is an event and a `task_transitions` row with the category of its time,
as the app writes them (a rebuild from the log gives the same rows:
tests/bench/test_insights_dataset.py), and field changes and comments bring the log to about
ten events a task.

The asyncio client times each metric at concurrency 1 (a request's own cost: the goal is
< 300 ms p95) for the growth stage's seconds, with `to` the last day of the history and `from`
83 days before (the default period's length; the default period itself would slide past the
data as time goes on): every metric with its default interval (a week), throughput and
cumulative flow also by day. Recorded in the `insights` section (p50 and p95 in
`latency_ms`, as every closed-loop record), next to the bare framework's own latency at
concurrency 1 in the same run (`ceiling.py`, the `insights_ceiling` record).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import httpx
from fractional_indexing import generate_n_keys_between
from sqlalchemy import delete, insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench import datasets
from bench.ceiling import BODY_ENV
from bench.datasets import (
    EPOCH,
    PASSWORD,
    PRIORITIES,
    SPAN,
    DatasetSpec,
    Manifest,
    ProjectInfo,
    Rows,
    _created,
    _text,
    _title,
    password_hash,
    uuid7_at,
)
from bench.find import closed_loop
from bench.probe import probe
from bench.report import BACKEND_NAMES, _backend_rank, _lat, _table
from bench.results import Record, summary_section
from bench.servers import start_group
from bench.workloads import Op, Req, Workload
from tasklane.insights import flows
from tasklane.insights.schemas import InsightMetric
from tasklane.models import Base

if TYPE_CHECKING:
    from bench.run import Context
    from tasklane.config import Settings

FLOW_VERSION = 1
"""Bump when the generated rows change, so cached databases are rebuilt."""
END = EPOCH + SPAN
"""The dataset's present: nothing happens after it."""
PERIOD_DAYS = 84
"""The default period's length (12 weeks)."""


@dataclass(frozen=True)
class FlowSpec(DatasetSpec):
    """One project of `tasks` tasks with two years of flow (see the module's docstring)."""

    flow_version: int = FLOW_VERSION

    def generate(self, settings: Settings) -> tuple[Rows, Manifest]:
        return generate(self, settings)

    async def load(self, url: str, rows: Rows) -> dict[str, int]:
        return await load(url, rows)


FLOW = FlowSpec(
    name="insights",
    workspaces=1,
    users=12,
    projects=1,
    tasks=100_000,
    labels=12,
    comments_per_task=1.2,
    fixed_projects=(100_000,),
)
FLOW_SMOKE = FlowSpec(
    name="tiny-flow",  # no prefix of another name (cache files), PostgreSQL names < 64 bytes
    workspaces=1,
    users=6,
    projects=1,
    tasks=600,
    labels=6,
    comments_per_task=0.5,
    fixed_projects=(600,),
)


# --- the workflow and its changes ------------------------------------------------------------

PROJECT_AT = EPOCH + timedelta(days=1)


def _day(n: float) -> datetime:
    return PROJECT_AT + timedelta(days=n)


REVIEW_MADE, QA_MADE, BLOCKED_MADE = _day(60), _day(150), _day(240)
QA_DELETED, BLOCKED_STARTED, REVIEW_RENAMED = _day(400), _day(520), _day(600)
DEFAULT = (
    ("Backlog", "backlog", "#94a3b8"),
    ("Todo", "unstarted", "#64748b"),
    ("In Progress", "started", "#f59e0b"),
    ("Done", "done", "#22c55e"),
    ("Cancelled", "cancelled", "#ef4444"),
)


def _exists(name: str, at: datetime) -> bool:
    if name == "Review":
        return at >= REVIEW_MADE
    if name == "QA":
        return QA_MADE <= at < QA_DELETED
    if name == "Blocked":
        return at >= BLOCKED_MADE
    return True


def _category(name: str, at: datetime) -> str:
    if name == "Blocked":
        return "started" if at >= BLOCKED_STARTED else "unstarted"
    if name in ("Review", "QA"):
        return "started"
    return next(c for n, c, _ in DEFAULT if n == name)


MEAN_DAYS = {"Backlog": 30.0, "Todo": 7.0, "Blocked": 4.0, "In Progress": 3.0}
MEAN_DAYS |= {"Review": 1.5, "QA": 2.0, "Done": 4.0}


def _next(name: str, at: datetime, rng: random.Random, reopens: int) -> str | None:
    """Where a task in `name` goes at `at` (None: it stays)."""
    r = rng.random()
    if name == "Backlog":
        return "Cancelled" if r < 0.1 else "Todo"
    if name == "Todo":
        if r < 0.05:
            return "Cancelled"
        if r < 0.12 and _exists("Blocked", at):
            return "Blocked"
        return "In Progress"
    if name == "Blocked":
        return "In Progress"
    if name == "In Progress":
        if r < 0.6 and _exists("Review", at):
            return "Review"
        if r < 0.85 and _exists("QA", at):
            return "QA"
        return "Done"
    if name == "Review":
        if r < 0.15:
            return "In Progress"
        return "QA" if r < 0.4 and _exists("QA", at) else "Done"
    if name == "QA":
        return "Done"
    if name == "Done":
        return "In Progress" if r < 0.07 and reopens < 2 else None
    return None


def _journey(
    created: datetime, rng: random.Random
) -> tuple[list[tuple[datetime, str]], str, datetime | None]:
    """The statuses a task entered (each a transition row), the status it is in at the end,
    and when it entered done for the last time if it is done (`completed_at`)."""
    slow = 30.0 if rng.random() < 0.04 else 1.0  # stale: it waits much longer everywhere
    name = "Backlog" if rng.random() < 0.3 else "Todo"
    steps = [(created, name)]
    if name == "Backlog" and rng.random() < 0.15:
        return steps, name, None  # the icebox: never taken up
    at, reopens = created, 0
    done_at: datetime | None = None
    while True:
        mean = MEAN_DAYS.get(name)
        if mean is None:
            break
        then = at + timedelta(days=rng.expovariate(1 / (mean * slow)))
        if name == "QA" and then >= QA_DELETED:
            # Still in QA when it was deleted: moved to Done then, without a row of its own.
            at, name, done_at = QA_DELETED, "Done", QA_DELETED
            continue
        if then >= END:
            break
        following = _next(name, then, rng, reopens)
        if following is None:
            break
        if name == "Done":
            reopens += 1
        at, name = then, following
        steps.append((at, name))
        if name == "Done":
            done_at = at
    return steps, name, done_at if name == "Done" else None


# --- generation ------------------------------------------------------------------------------


def generate(spec: DatasetSpec, settings: Settings) -> tuple[Rows, Manifest]:
    rng = random.Random(spec.seed)  # noqa: S311 - reproducible data, not secrets
    rows = Rows()
    hashed = password_hash(settings)
    users: list[dict[str, Any]] = []
    for i in range(spec.users):
        at = EPOCH + timedelta(minutes=37 * i)
        user = {
            "id": uuid7_at(rng, at),
            "email": f"flow{i:02d}@bench.example.com",
            "name": f"Flow Person {i + 1}",
            "password_hash": hashed,
            "is_active": True,
            "password_changed_at": None,
            "created_at": at,
            "updated_at": at,
        }
        rows.add("users", user)
        users.append(user)
    owner = users[0]["id"]
    ws_at = EPOCH + timedelta(hours=12)
    workspace = {
        "id": uuid7_at(rng, ws_at),
        "name": "Flow",
        "slug": "flow",
        "created_at": ws_at,
        "updated_at": ws_at,
    }
    rows.add("workspaces", workspace)
    ws = {"workspace_id": workspace["id"], "actor_id": owner}
    rows.event(
        ws_at, "workspace.created", _created({"name": "Flow", "slug": "flow"}), **ws,
        entity_id=workspace["id"],
    )  # fmt: skip
    roles = []
    for i, user in enumerate(users):
        role = "owner" if i == 0 else "admin" if i <= 2 else "member"
        joined = ws_at + timedelta(minutes=i)
        rows.add(
            "workspace_members",
            {
                "workspace_id": workspace["id"],
                "user_id": user["id"],
                "role": role,
                "created_at": joined,
            },
        )
        rows.event(
            joined, "workspace.member_added", _created({"user_id": user["id"], "role": role}),
            entity_id=user["id"], **ws,
        )  # fmt: skip
        roles.append([i, role])

    project = {
        "id": uuid7_at(rng, PROJECT_AT),
        "workspace_id": workspace["id"],
        "key": "FLOW",
        "name": "Flow project",
        "description": "Two years of a team's flow.",
        "archived_at": None,
        "task_counter": spec.tasks,
        "version": 1,
        "created_at": PROJECT_AT,
        "updated_at": PROJECT_AT,
    }
    rows.add("projects", project)
    ids = {"workspace_id": workspace["id"], "project_id": project["id"], "actor_id": owner}
    rows.event(
        PROJECT_AT,
        "project.created",
        _created({"key": "FLOW", "name": project["name"], "description": project["description"]}),
        entity_id=project["id"],
        **ids,
    )
    statuses = _workflow(rows, rng, project, ids)
    labels: list[UUID] = []
    for n in range(spec.labels):
        at = PROJECT_AT + timedelta(minutes=2 + n)
        label_id = uuid7_at(rng, at)
        label = {
            "id": label_id,
            "project_id": project["id"],
            "name": f"label-{n + 1}",
            "color": f"#{rng.randrange(0x1000000):06x}",
            "created_at": at,
            "updated_at": at,
        }
        rows.add("labels", label)
        rows.event(
            at, "label.created", _created({"name": label["name"], "color": label["color"]}),
            entity_id=label["id"], **ids,
        )  # fmt: skip
        labels.append(label_id)
    samples = _tasks(rows, rng, spec, project, statuses, labels, [u["id"] for u in users])
    info = ProjectInfo(
        id=str(project["id"]),
        key="FLOW",
        workspace=0,
        size=spec.tasks,
        statuses=[
            {"id": str(s["id"]), "name": s["name"], "category": s["category"]}
            for s in sorted(rows.tables["statuses"], key=lambda s: s["position"])
        ],
        labels=[str(label) for label in labels],
        users=list(range(spec.users)),
        sample_tasks=[key for key, _ in samples],
        sample_task_ids=[str(task_id) for _, task_id in samples],
    )
    manifest = Manifest(
        dataset=spec.name,
        digest=spec.digest(),
        password=PASSWORD,
        users=[{"id": str(u["id"]), "email": u["email"], "name": u["name"]} for u in users],
        workspaces=[{"id": str(workspace["id"]), "members": roles}],
        projects=[info],
        fixed=[0],
    )
    return rows, manifest


def _workflow(
    rows: Rows, rng: random.Random, project: dict[str, Any], ids: dict[str, Any]
) -> dict[str, UUID]:
    """The statuses (those left at the end as rows) and the events of the workflow's
    changes; the ids by name, the deleted QA's too."""
    by_name: dict[str, UUID] = {}
    made: dict[str, datetime] = {}
    for name, _, _ in DEFAULT:  # the default statuses are made without events
        by_name[name], made[name] = uuid7_at(rng, PROJECT_AT), PROJECT_AT
    colors = {"Review": "#8b5cf6", "QA": "#0ea5e9", "Blocked": "#f97316"}
    for name, at, category in (
        ("Review", REVIEW_MADE, "started"),
        ("QA", QA_MADE, "started"),
        ("Blocked", BLOCKED_MADE, "unstarted"),
    ):
        by_name[name], made[name] = uuid7_at(rng, at), at
        fields = {"name": name, "category": category, "color": colors[name], "position": 3}
        rows.event(at, "status.created", _created(fields), entity_id=by_name[name], **ids)
    rows.event(
        QA_DELETED, "status.deleted", {"name": {"from": "QA", "to": None}},
        entity_id=by_name["QA"], extra={"moved_to": str(by_name["Done"]), "moved_tasks": 0},
        **ids,
    )  # fmt: skip
    rows.event(
        BLOCKED_STARTED, "status.updated", {"category": {"from": "unstarted", "to": "started"}},
        entity_id=by_name["Blocked"], **ids,
    )  # fmt: skip
    rows.event(
        REVIEW_RENAMED, "status.updated", {"name": {"from": "Review", "to": "Code review"}},
        entity_id=by_name["Review"], **ids,
    )  # fmt: skip
    order = ("Backlog", "Todo", "Blocked", "In Progress", "Review", "Done", "Cancelled")
    colors |= {n: c for n, _, c in DEFAULT}
    for position, name in enumerate(order):
        at = made[name]
        rows.add(
            "statuses",
            {
                "id": by_name[name],
                "project_id": project["id"],
                "name": "Code review" if name == "Review" else name,
                "category": _category(name, END),
                "position": position,
                "color": colors[name],
                "created_at": at,
                "updated_at": {"Blocked": BLOCKED_STARTED, "Review": REVIEW_RENAMED}.get(name, at),
            },
        )
    return by_name


def _tasks(
    rows: Rows,
    rng: random.Random,
    spec: DatasetSpec,
    project: dict[str, Any],
    statuses: dict[str, UUID],
    labels: list[UUID],
    people: list[UUID],
) -> list[tuple[str, UUID]]:
    first, last = PROJECT_AT + timedelta(days=1), END - timedelta(days=2)
    step = (last - first) / spec.tasks
    planned = []
    for number in range(1, spec.tasks + 1):
        created = first + step * (number - 1) + timedelta(seconds=rng.randrange(600))
        planned.append((number, created, *_journey(created, rng)))
    columns: dict[str, list[str]] = {}
    for name in statuses:
        n = sum(1 for p in planned if p[3] == name)
        columns[name] = list(generate_n_keys_between(None, None, n)) if n else []
    samples: list[tuple[str, UUID]] = []
    every = max(1, spec.tasks // datasets.SAMPLE_TASKS)
    qa_moved = 0
    base = {"workspace_id": project["workspace_id"], "project_id": project["id"]}
    for number, created, steps, final, done_at in planned:
        task_id = uuid7_at(rng, created)
        key = f"FLOW-{number}"
        creator = rng.choice(people)
        assignees = sorted({rng.choice(people) for _ in range(rng.choice((0, 1, 1, 2)))})
        task_labels = sorted({rng.choice(labels) for _ in range(rng.choice((0, 1, 2)))})
        estimate = float(rng.choice((1, 2, 3, 5, 8))) if rng.random() < 0.4 else None
        due = (
            (created + timedelta(days=rng.randrange(5, 60))).date() if rng.random() < 0.4 else None
        )
        priority = rng.choice((0, 0, 1, 2, 2, 3, 4))
        tid = {**base, "task_id": task_id, "entity_id": task_id, "actor_id": creator}
        snapshot = {
            "title": _title(rng),
            "description": _text(rng, rng.randrange(8, 40)),
            "status_id": statuses[steps[0][1]],
            "priority": PRIORITIES[priority],
            "assignee_ids": assignees,
            "label_ids": task_labels,
            "start_date": None,
            "due_date": due,
            "estimate": estimate,
            "parent_id": None,
        }
        rows.event(created, "task.created", _created(snapshot), extra={"key": key}, **tid)
        changes = 0
        for (_, before), (at, name) in itertools.pairwise(steps):
            move = {"status_id": {"from": str(statuses[before]), "to": str(statuses[name])}}
            kind = "task.moved" if rng.random() < 0.6 else "task.updated"
            actor = {**tid, "actor_id": rng.choice(people)}
            changes += 1
            rows.event(at, kind, move, extra={"key": key, "version": 1 + changes}, **actor)
        if final == "Done" and steps[-1][1] == "QA":
            qa_moved += 1
        for at, name in steps:
            rows.add(
                "task_transitions",
                {
                    "task_id": task_id,
                    "project_id": project["id"],
                    "status_id": statuses[name],
                    "category": _category(name, at),
                    "at": at,
                },
            )
        busy_until = min(END - timedelta(minutes=1), steps[-1][0] + timedelta(days=10))
        span = (busy_until - created).total_seconds()
        latest = steps[-1][0] if final != "Done" or done_at is None else max(steps[-1][0], done_at)
        for _ in range(rng.randrange(2, 10)):
            at = created + timedelta(seconds=rng.random() * span)
            priority_to = rng.choice(PRIORITIES)
            changes += 1
            rows.event(
                at, "task.updated", {"priority": {"from": "none", "to": priority_to}},
                extra={"key": key, "version": 1 + changes},
                **{**tid, "actor_id": rng.choice(people)},
            )  # fmt: skip
            latest = max(latest, at)
        watchers = dict.fromkeys([creator, *assignees])
        for c in range(min(20, int(rng.expovariate(1 / spec.comments_per_task)))):
            at = created + timedelta(hours=1 + 5 * c, minutes=rng.randrange(60))
            if at >= END:
                break
            author = rng.choice(people)
            comment_id = uuid7_at(rng, at)
            body = _text(rng, rng.randrange(5, 30))
            rows.add(
                "comments",
                {
                    "id": comment_id,
                    "task_id": task_id,
                    "author_id": author,
                    "body": body,
                    "edited_at": None,
                    "created_at": at,
                    "updated_at": at,
                },
            )
            rows.event(
                at, "comment.created", _created({"body": body}),
                **{**tid, "entity_id": comment_id, "actor_id": author},
            )  # fmt: skip
            watchers.setdefault(author)
        deleted_at = None
        trash = rng.random()
        if trash < 0.013:
            gone = latest + timedelta(days=rng.expovariate(1 / 10))
            back = gone + timedelta(days=rng.expovariate(1 / 3))
            if back < END:
                rows.event(
                    gone, "task.deleted", {"deleted_at": {"from": None, "to": gone.isoformat()}},
                    extra={"key": key}, **tid,
                )  # fmt: skip
                changes += 1
                latest = gone
                if trash < 0.003:  # restored
                    rows.event(
                        back, "task.restored",
                        {"deleted_at": {"from": gone.isoformat(), "to": None}},
                        extra={"key": key}, **tid,
                    )  # fmt: skip
                    changes += 1
                    latest = back
                else:
                    deleted_at = gone
        rows.add(
            "tasks",
            {
                "id": task_id,
                "project_id": project["id"],
                "number": number,
                "title": snapshot["title"],
                "description": snapshot["description"],
                "status_id": statuses[final],
                "priority": priority,
                "start_date": None,
                "due_date": due,
                "estimate": estimate,
                "parent_id": None,
                "position": columns[final].pop(),
                "version": 1 + changes,
                "created_by": creator,
                "completed_at": done_at,
                "deleted_at": deleted_at,
                "created_at": created,
                "updated_at": latest,
            },
        )
        for person in assignees:
            rows.add("task_assignees", {"task_id": task_id, "user_id": person})
        for label in task_labels:
            rows.add("task_labels", {"task_id": task_id, "label_id": label})
        for person in watchers:
            rows.add("task_watchers", {"task_id": task_id, "user_id": person})
        if number % every == 0 and len(samples) < datasets.SAMPLE_TASKS:
            samples.append((key, task_id))
    for _, _, row in rows.events:
        if row["type"] == "status.deleted":
            row["data"]["moved_tasks"] = qa_moved
    return samples


TRANSITIONS = Base.metadata.tables["task_transitions"]


async def load(url: str, rows: Rows) -> dict[str, int]:
    """The rows as `datasets.load` loads them; then each task's transitions are the generated
    ones (the trigger on `tasks` wrote one row per task, in the status it is in now), and
    `task_flows` is folded from them at once, as the migration that made it does (its triggers
    would fold each task again at each of its rows)."""
    counts = await datasets.load(url, rows)
    generated = rows.tables["task_transitions"]
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            dialect = "postgresql" if conn.dialect.name == "postgresql" else "sqlite"
            for statement in flows.DROP_TRIGGERS[dialect]:
                await conn.execute(text(statement))
            await conn.execute(delete(TRANSITIONS))
            for start in range(0, len(generated), datasets.BATCH):
                await conn.execute(insert(TRANSITIONS), generated[start : start + datasets.BATCH])
            for statement in flows.rebuild_statements(dialect, projects=False):
                await conn.execute(text(statement))
            for statement in flows.triggers(dialect):
                await conn.execute(text(statement))
        if not url.startswith("sqlite"):
            # What autovacuum does soon after a bulk load (PostgreSQL 13+ vacuums after
            # inserts too): statistics, and the visibility map index-only scans need.
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()
    counts["task_transitions"] = len(generated)
    return counts


# --- the stage -------------------------------------------------------------------------------


def period() -> tuple[date, date]:
    """The last `PERIOD_DAYS` days of the dataset's history."""
    end = (END - timedelta(days=1)).date()
    return end - timedelta(days=PERIOD_DAYS - 1), end


def _paths(project: ProjectInfo) -> list[tuple[str, str, str]]:
    start, end = period()
    asked = [(metric.value, "week") for metric in InsightMetric]
    asked += [(InsightMetric.THROUGHPUT.value, "day"), (InsightMetric.CUMULATIVE_FLOW.value, "day")]
    return [
        (
            metric,
            interval,
            f"/api/v1/projects/{project.id}/insights/{metric}"
            f"?from={start}&to={end}&interval={interval}",
        )
        for metric, interval in asked
    ]


def run(ctx: Context) -> None:
    project = ctx.manifest.projects[ctx.manifest.fixed[-1]]
    users = [u for u in project.users if u in ctx.tokens][:8]
    if not users:
        raise RuntimeError("no signed-in user sees the insights project")
    paths = _paths(project)
    # The bare framework returning a real answer (the weekly cumulative flow), at the same
    # concurrency right before each metric: a share of the same run's ceiling.
    body = httpx.get(
        f"{ctx.app.base}{paths[4][2]}",
        headers={"Authorization": f"Bearer {ctx.tokens[users[0]]}"},
        timeout=120,
    )
    body.raise_for_status()
    page = ctx.raw / "insight.json"
    page.write_bytes(body.content)
    from bench.run import free_port  # noqa: PLC0415 - bench.run imports this module

    ceiling = start_group(
        "ceiling",
        processes=ctx.backend.processes,
        port=free_port(),
        env={BODY_ENV: str(page)},
        log_dir=ctx.raw,
    )
    try:
        for metric, interval, path in paths:
            workload = Workload(
                f"insights_{metric}_{interval}",
                f"insights: {metric} ({interval})",
                [Op.one(Req("GET", path, ctx.tokens[u])) for u in users],
            )
            if ctx.profile.warmup_seconds:
                probe(ctx.app.base, workload.ops, concurrency=1, seconds=0.5, run=ctx.next_run())
            paired = probe(
                ceiling.base,
                [Op.one(Req("GET", "/ceiling"))],
                concurrency=1,
                seconds=ctx.profile.paired_ceiling_seconds,
                run=ctx.next_run(),
            ).summary()
            ctx.record(
                "insights",
                tasks=project.size,
                metric=metric,
                interval=interval,
                concurrency=1,
                tool="asyncio client",
                paired_ceiling_latency_ms=paired["latency_ms"],
                paired_ceiling_rps=paired["requests_per_s"],
                **closed_loop(ctx, workload.ops, 1),
            )
    finally:
        ceiling.stop()


GOAL_P95_MS = 300.0
"""Issue 17: every metric answers in under 300 ms at the 95th percentile, at concurrency 1."""


@summary_section("insights", "Insights (asyncio client, concurrency 1)", order=42)
def _summary(records: list[Record], _: dict[str, Any]) -> list[str]:
    if not records:
        return []
    rows = []
    for r in sorted(records, key=lambda r: _backend_rank(r["backend"])):
        p95 = _lat(r, "p95")
        rows.append(
            [
                BACKEND_NAMES.get(r["backend"], r["backend"]),
                r.get("tasks"),
                r["metric"],
                r.get("interval", "week"),
                _lat(r, "p50"),
                p95,
                (r.get("paired_ceiling_latency_ms") or {}).get("p95"),
                r.get("statements_per_request"),
                "-" if p95 is None else ("yes" if p95 < GOAL_P95_MS else "no"),
            ]
        )
    header = ["backend", "tasks", "metric", "interval", "p50 ms", "p95 ms", "ceiling p95 ms"]
    return [
        *_table([*header, "statements", f"p95 < {GOAL_P95_MS:.0f} ms"], rows),
        "",
        "The last 12 weeks of the insights dataset (bench/insights.py); the ceiling is the bare "
        "framework returning a real answer, measured right before each metric.",
    ]
