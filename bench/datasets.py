"""Deterministic benchmark datasets, bulk-loaded into a migrated database.

The same spec and seed give the same rows, byte for byte: ids are UUIDv7 built from the
synthetic creation time and a seeded generator, times come from a fixed epoch, and the password
hash uses a fixed salt. Rows go in through SQLAlchemy Core `executemany` in dependency order,
and they keep the invariants the services keep:

- task numbers run 1..n per project and `projects.task_counter` is n;
- every change has an event; `seq` is gap-free in creation-time order and the `counters` row
  named "events" holds the last one;
- positions are fractional ordering keys, spread evenly per status column;
- `completed_at` is set exactly for tasks in a done-category status; `version` counts changes;
  `updated_at` is never before `created_at`;
- the creator and the assignees watch each task, commenters too; assignees, commenters and
  authors can all see the project (members, or guests added to it).

Datasets:
- `standard`: 10 workspaces, 100 users, 1,300 projects, 51,000 tasks, 600 labels, comments
  and activity. One "flagship" project holds 10,000 tasks (the endpoint runs list it); the
  other 41,000 are spread over the remaining projects with a heavy tail.
- `big-project`: one workspace with three projects of 1,000, 10,000 and 100,000 tasks (the
  growth runs); a fifth of each project is in its Backlog column (20,000 in the largest).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from argon2.low_level import Type, hash_secret
from fractional_indexing import generate_n_keys_between
from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.ext.asyncio import create_async_engine

from tasklane.config import Settings
from tasklane.migrate import upgrade
from tasklane.models import Base
from tasklane.projects.workflow import DEFAULT_WORKFLOW

GENERATOR_VERSION = 1
"""Bump when the generated rows change, so cached databases are rebuilt."""
PASSWORD = "bench passphrase for synthetic users"  # noqa: S105 - synthetic data, not a secret
EPOCH = datetime(2024, 11, 4, 9, 0, tzinfo=UTC)
SPAN = timedelta(days=730)
"""Everything was created between EPOCH and EPOCH + SPAN (all in the past)."""
PRIORITIES = ("none", "low", "medium", "high", "urgent")
CATEGORY_SHARE = {"backlog": 0.20, "unstarted": 0.25, "started": 0.12, "done": 0.38}
"""Share of a project's tasks per status category; the rest are cancelled."""
SAMPLE_TASKS = 60
"""Task keys per project kept in the manifest for the load generators."""

VERBS = (
    "Fix", "Add", "Remove", "Refactor", "Document", "Investigate", "Speed up", "Migrate",
    "Test", "Design", "Review", "Update", "Clean up", "Support", "Replace", "Localise",
)  # fmt: skip
THINGS = (
    "login redirect", "billing export", "search index", "onboarding email", "invoice PDF",
    "webhook retries", "dark mode", "CSV import", "rate limiter", "audit log", "avatar upload",
    "session timeout", "calendar feed", "mobile layout", "API pagination", "due date picker",
    "notification digest", "password reset", "board drag and drop", "label colours",
    "project settings", "usage metrics", "backup job", "cache warmup", "error page",
)  # fmt: skip
AREAS = (
    "for admins", "on Safari", "in the API", "for guests", "on mobile", "in reports",
    "for large teams", "after sign-in", "in the worker", "behind the proxy", "", "", "",
)  # fmt: skip
WORDS = (
    "customer", "reported", "steps", "expected", "actual", "browser", "server", "timeout",
    "database", "release", "regression", "design", "copy", "screenshot", "logs", "deploy",
    "metrics", "query", "index", "latency", "memory", "retry", "queue", "permission",
)  # fmt: skip
LABEL_NAMES = (
    "bug", "feature", "chore", "security", "performance", "ux", "docs", "infra", "backend",
    "frontend", "mobile", "api", "billing", "search", "design", "research", "tech-debt",
    "customer", "regression", "good-first-issue", "blocked", "needs-review", "qa", "ops",
)  # fmt: skip
FIRST = (
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Dennis", "Margaret", "Linus", "Guido",
    "Radia", "Donald", "Frances", "John", "Sophie", "Tim", "Hedy", "Katherine", "Leslie", "Niklaus",
)  # fmt: skip
LAST = (
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Ritchie", "Hamilton",
    "Torvalds", "Rossum", "Perlman", "Knuth", "Allen", "McCarthy", "Wilson", "Berners-Lee",
    "Lamarr", "Johnson", "Lamport", "Wirth",
)  # fmt: skip


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    workspaces: int
    users: int
    projects: int
    tasks: int
    labels: int
    comments_per_task: float
    fixed_projects: tuple[int, ...]
    """Sizes of the first projects (the flagship, or the growth projects); the rest of `tasks`
    is spread over the other projects."""
    seed: int = 20261123

    def digest(self) -> str:
        raw = json.dumps({**asdict(self), "generator": GENERATOR_VERSION}, sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:12]

    def generate(self, settings: Settings) -> tuple[Rows, Manifest]:
        """The rows and the manifest (a spec of another kind of dataset overrides both)."""
        return generate(self, settings)

    async def load(self, url: str, rows: Rows) -> dict[str, int]:
        return await load(url, rows)


STANDARD = DatasetSpec(
    name="standard",
    workspaces=10,
    users=100,
    projects=1300,
    tasks=51_000,
    labels=600,
    comments_per_task=1.5,
    fixed_projects=(10_000,),
)
BIG_PROJECT = DatasetSpec(
    name="big-project",
    workspaces=1,
    users=20,
    projects=3,
    tasks=111_000,
    labels=30,
    comments_per_task=0.2,
    fixed_projects=(1_000, 10_000, 100_000),
)
SMOKE = DatasetSpec(
    name="smoke",
    workspaces=2,
    users=6,
    projects=10,
    tasks=900,
    labels=16,
    comments_per_task=0.5,
    fixed_projects=(400, 40, 150),
)
"""The smoke run's one dataset: the endpoint runs use the first fixed project, the growth
runs all three."""


# --- the manifest: what the load generators need to know ------------------------------------


@dataclass
class ProjectInfo:
    id: str
    key: str
    workspace: int
    size: int
    statuses: list[dict[str, str]]
    labels: list[str]
    users: list[int]
    """Indexes of users who can see it (and, except guests' viewer role, write in it)."""
    sample_tasks: list[str]
    sample_task_ids: list[str]


@dataclass
class Manifest:
    dataset: str
    digest: str
    password: str
    users: list[dict[str, str]]
    workspaces: list[dict[str, Any]]
    projects: list[ProjectInfo]
    fixed: list[int]
    """Indexes into `projects` of the fixed-size projects, in spec order."""
    counts: dict[str, int] = field(default_factory=dict)
    build_seconds: float = 0.0
    """How long generation and loading took (not part of the data)."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> Manifest:
        data = json.loads(raw)
        data["projects"] = [ProjectInfo(**p) for p in data["projects"]]
        return cls(**data)


# --- deterministic ids, times and hashes -----------------------------------------------------


def uuid7_at(rng: random.Random, at: datetime) -> UUID:
    """A version 7 UUID for `at`, its random bits from `rng`."""
    ms = int(at.timestamp() * 1000)
    rand_a = rng.getrandbits(12)
    rand_b = rng.getrandbits(62)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return UUID(int=value)


def password_hash(settings: Settings) -> str:
    """argon2id with the server's own parameters (so sign-in never rehashes) and a fixed salt
    (so the dataset is the same on every run)."""
    raw = hash_secret(
        PASSWORD.encode(),
        b"tasklane-bench-salt",
        time_cost=settings.password_hash_time_cost,
        memory_cost=settings.password_hash_memory_kib,
        parallelism=settings.password_hash_parallelism,
        hash_len=32,
        type=Type.ID,
    )
    return raw.decode()


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` spread over `parts` with a heavy tail (a few big, many small), each at least 1
    when total allows, summing exactly to `total`."""
    if parts == 0:
        return []
    weights = [rng.paretovariate(1.3) for _ in range(parts)]
    scale = total / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    diff = total - sum(sizes)
    order = sorted(range(parts), key=lambda i: -weights[i])
    i = 0
    while diff != 0:
        j = order[i % parts]
        if diff > 0:
            sizes[j] += 1
            diff -= 1
        elif sizes[j] > 1:
            sizes[j] -= 1
            diff += 1
        i += 1
    return sizes


def _title(rng: random.Random) -> str:
    area = rng.choice(AREAS)
    return " ".join(p for p in (rng.choice(VERBS), rng.choice(THINGS), area) if p)


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _iso(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


# --- generation ------------------------------------------------------------------------------


@dataclass
class Rows:
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: list[tuple[datetime, int, dict[str, Any]]] = field(default_factory=list)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.tables.setdefault(table, []).append(row)

    def event(self, at: datetime, type: str, changes: dict[str, Any], **ids: Any) -> None:
        data = {"changes": {k: _iso(v) for k, v in changes.items()}}
        extra = ids.pop("extra", None)
        if extra:
            data.update(extra)
        row = {
            "type": type,
            "created_at": at,
            "actor_id": ids.get("actor_id"),
            "workspace_id": ids.get("workspace_id"),
            "project_id": ids.get("project_id"),
            "task_id": ids.get("task_id"),
            "entity_id": ids.get("entity_id"),
            "data": data,
        }
        self.events.append((at, len(self.events), row))


def _created(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: {"from": None, "to": _iso(v)} for k, v in fields.items()}


def generate(spec: DatasetSpec, settings: Settings) -> tuple[Rows, Manifest]:
    rng = random.Random(spec.seed)  # noqa: S311 - reproducible data, not secrets
    rows = Rows()
    hashed = password_hash(settings)

    # Users, created in the first month.
    users: list[dict[str, Any]] = []
    for i in range(spec.users):
        at = EPOCH + timedelta(minutes=37 * i)
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST) + i) % len(LAST)]}"
        user = {
            "id": uuid7_at(rng, at),
            "email": f"user{i:03d}@bench.example.com",
            "name": name,
            "password_hash": hashed,
            "is_active": True,
            "password_changed_at": None,
            "created_at": at,
            "updated_at": at,
        }
        rows.add("users", user)
        users.append(user)

    # Workspaces and members: every user in one to three workspaces; the first member owns it.
    ws_members: list[list[tuple[int, str]]] = [[] for _ in range(spec.workspaces)]
    for u in range(spec.users):
        homes = {u % spec.workspaces}
        extra = rng.random()
        if extra < 0.35:
            homes.add(rng.randrange(spec.workspaces))
        if extra < 0.1:
            homes.add(rng.randrange(spec.workspaces))
        if spec.workspaces > 1 and rng.random() < 0.3:
            homes.add(0)  # the flagship workspace is the busiest
        for w in sorted(homes):
            ws_members[w].append((u, ""))
    workspaces: list[dict[str, Any]] = []
    for w in range(spec.workspaces):
        members = ws_members[w]
        at = EPOCH + timedelta(days=2 + w, hours=1)
        owner = members[0][0]
        ws = {
            "id": uuid7_at(rng, at),
            "name": f"Team {w + 1:02d}" if spec.workspaces > 1 else "Scale",
            "slug": f"team-{w + 1:02d}" if spec.workspaces > 1 else "scale",
            "created_at": at,
            "updated_at": at,
        }
        rows.add("workspaces", ws)
        roles: list[tuple[int, str]] = []
        for position, (u, _) in enumerate(members):
            if position == 0:
                role = "owner"
            elif position <= 2:
                role = "admin"
            elif len(members) > 6 and rng.random() < 0.08:
                role = "guest"
            else:
                role = "member"
            roles.append((u, role))
            joined = at + timedelta(minutes=5 * position)
            rows.add(
                "workspace_members",
                {
                    "workspace_id": ws["id"],
                    "user_id": users[u]["id"],
                    "role": role,
                    "created_at": joined,
                },
            )
            ids = {"workspace_id": ws["id"], "actor_id": users[owner]["id"]}
            if position == 0:
                rows.event(
                    at,
                    "workspace.created",
                    _created({"name": ws["name"], "slug": ws["slug"]}),
                    entity_id=ws["id"],
                    **ids,
                )
            rows.event(
                joined,
                "workspace.member_added",
                _created({"user_id": users[u]["id"], "role": role}),
                entity_id=users[u]["id"],
                **ids,
            )
        ws_members[w] = roles
        workspaces.append(ws)

    # Projects: the fixed ones first (in workspace 0), the rest spread over workspaces.
    free = spec.projects - len(spec.fixed_projects)
    sizes = list(spec.fixed_projects) + _split(spec.tasks - sum(spec.fixed_projects), free, rng)
    project_ws = [0] * len(spec.fixed_projects) + [
        (i * 7 + rng.randrange(3)) % spec.workspaces for i in range(free)
    ]
    label_budget = spec.labels
    label_plan: list[int] = []
    for size in sizes:
        want = 10 if size >= 1000 else 5 if size >= 50 else 0
        take = min(want, label_budget)
        label_plan.append(take)
        label_budget -= take
    for i in range(len(sizes)):  # leftovers go to the largest projects, round robin
        if label_budget <= 0:
            break
        extra = min(label_budget, len(LABEL_NAMES) - label_plan[i])
        label_plan[i] += extra
        label_budget -= extra

    infos: list[ProjectInfo] = []
    for p, size in enumerate(sizes):
        w = project_ws[p]
        ws = workspaces[w]
        roles = ws_members[w]
        admins = [u for u, r in roles if r in ("owner", "admin")]
        creator = admins[p % len(admins)]
        at = EPOCH + timedelta(days=10, minutes=11 * p)
        key = _project_key(p, len(spec.fixed_projects))
        project = {
            "id": uuid7_at(rng, at),
            "workspace_id": ws["id"],
            "key": key,
            "name": f"{key.title()} project",
            "description": _text(rng, 12),
            "archived_at": None,
            "task_counter": size,
            "version": 1,
            "created_at": at,
            "updated_at": at,
        }
        rows.add("projects", project)
        ids = {"workspace_id": ws["id"], "project_id": project["id"]}
        rows.event(
            at,
            "project.created",
            _created({"key": key, "name": project["name"], "description": project["description"]}),
            entity_id=project["id"],
            actor_id=users[creator]["id"],
            **ids,
        )
        # Guests see only projects they are added to: each guest joins a few.
        visible = [u for u, r in roles if r != "guest"]
        for u, r in roles:
            if r == "guest" and rng.random() < 0.15:
                rows.add(
                    "project_members",
                    {
                        "project_id": project["id"],
                        "user_id": users[u]["id"],
                        "role": "member",
                        "created_at": at + timedelta(minutes=1),
                    },
                )
                rows.event(
                    at + timedelta(minutes=1),
                    "project.member_added",
                    _created({"user_id": users[u]["id"], "role": "member"}),
                    entity_id=users[u]["id"],
                    actor_id=users[creator]["id"],
                    **ids,
                )
                visible.append(u)
        statuses = []
        for position, (name, category, color) in enumerate(DEFAULT_WORKFLOW):
            status = {
                "id": uuid7_at(rng, at),
                "project_id": project["id"],
                "name": name,
                "category": str(category),
                "position": position,
                "color": color,
                "created_at": at,
                "updated_at": at,
            }
            rows.add("statuses", status)
            statuses.append(status)
        labels = []
        for li in range(label_plan[p]):
            lat = at + timedelta(minutes=2 + li)
            label = {
                "id": uuid7_at(rng, lat),
                "project_id": project["id"],
                "name": LABEL_NAMES[li % len(LABEL_NAMES)],
                "color": f"#{rng.randrange(0x1000000):06x}",
                "created_at": lat,
                "updated_at": lat,
            }
            rows.add("labels", label)
            rows.event(
                lat,
                "label.created",
                _created({"name": label["name"], "color": label["color"]}),
                entity_id=label["id"],
                actor_id=users[creator]["id"],
                **ids,
            )
            labels.append(label)
        sample_keys, sample_ids = _tasks(
            rows, rng, spec, project, statuses, labels, visible, users, size, at
        )
        infos.append(
            ProjectInfo(
                id=str(project["id"]),
                key=key,
                workspace=w,
                size=size,
                statuses=[
                    {"id": str(s["id"]), "name": str(s["name"]), "category": str(s["category"])}
                    for s in statuses
                ],
                labels=[str(lb["id"]) for lb in labels],
                users=sorted(set(visible)),
                sample_tasks=sample_keys,
                sample_task_ids=sample_ids,
            )
        )

    manifest = Manifest(
        dataset=spec.name,
        digest=spec.digest(),
        password=PASSWORD,
        users=[{"id": str(u["id"]), "email": u["email"], "name": u["name"]} for u in users],
        workspaces=[
            {"id": str(ws["id"]), "members": [[u, r] for u, r in ws_members[w]]}
            for w, ws in enumerate(workspaces)
        ],
        projects=infos,
        fixed=list(range(len(spec.fixed_projects))),
    )
    return rows, manifest


def _project_key(n: int, fixed: int) -> str:
    """Unique over the whole dataset, so a key like `PB-12` names one task for everyone."""
    if n < fixed:
        return ("GROW", "SCALE", "HUGE", "FLAG")[n] if fixed > 1 else "FLAG"
    n -= fixed
    letters = ""
    while True:
        letters = chr(ord("A") + n % 26) + letters
        n = n // 26 - 1
        if n < 0:
            break
    return f"P{letters}"


def _tasks(
    rows: Rows,
    rng: random.Random,
    spec: DatasetSpec,
    project: dict[str, Any],
    statuses: list[dict[str, Any]],
    labels: list[dict[str, Any]],
    visible: list[int],
    users: list[dict[str, Any]],
    size: int,
    project_at: datetime,
) -> tuple[list[str], list[str]]:
    """Tasks of one project with their links, comments and events; returns sample keys/ids."""
    by_category = {s["category"]: s for s in statuses}
    order = ["backlog", "unstarted", "started", "done"]
    counts = {c: int(size * CATEGORY_SHARE[c]) for c in order}
    counts["cancelled"] = size - sum(counts.values())
    plan: list[str] = [c for c in [*order, "cancelled"] for _ in range(counts[c])]
    rng.shuffle(plan)
    keys_by_status: dict[str, list[str]] = {}
    for category in [*order, "cancelled"]:
        n = counts[category]
        keys_by_status[category] = list(generate_n_keys_between(None, None, n)) if n else []
    next_key = dict.fromkeys(keys_by_status, 0)

    start = project_at + timedelta(days=1)
    step = (EPOCH + SPAN - start - timedelta(days=30)) / max(1, size)
    sample_every = max(1, size // SAMPLE_TASKS)
    sample_keys: list[str] = []
    sample_ids: list[str] = []
    task_ids: list[UUID] = []
    base = project["id"]
    ids = {"workspace_id": project["workspace_id"], "project_id": base}
    for number in range(1, size + 1):
        created = start + step * (number - 1) + timedelta(seconds=rng.randrange(600))
        category = plan[number - 1]
        status = by_category[category]
        position = keys_by_status[category][next_key[category]]
        next_key[category] += 1
        creator = rng.choice(visible)
        assignees = sorted(
            {users[rng.choice(visible)]["id"] for _ in range(rng.choice((0, 1, 1, 2)))}
        )
        task_labels = (
            sorted(
                {lb["id"] for lb in rng.sample(labels, k=min(len(labels), rng.choice((0, 1, 2))))}
            )
            if labels
            else []
        )
        changes_after = rng.choice((0, 0, 0, 1, 1, 2, 3))
        updated = created + timedelta(hours=rng.randrange(1, 24 * 20)) if changes_after else created
        due = (
            (created + timedelta(days=rng.randrange(3, 60))).date() if rng.random() < 0.4 else None
        )
        task_id = uuid7_at(rng, created)
        parent = task_ids[rng.randrange(len(task_ids))] if task_ids and rng.random() < 0.1 else None
        priority = rng.choice((0, 0, 1, 2, 2, 3, 4))
        task = {
            "id": task_id,
            "project_id": base,
            "number": number,
            "title": _title(rng),
            "description": _text(rng, rng.randrange(8, 60)) if rng.random() < 0.7 else "",
            "status_id": status["id"],
            "priority": priority,
            "start_date": None,
            "due_date": due,
            "estimate": float(rng.choice((1, 2, 3, 5, 8))) if rng.random() < 0.3 else None,
            "parent_id": parent,
            "position": position,
            "version": 1 + changes_after,
            "created_by": users[creator]["id"],
            "completed_at": updated if category == "done" else None,
            "deleted_at": None,
            "created_at": created,
            "updated_at": updated,
        }
        rows.add("tasks", task)
        task_ids.append(task_id)
        key = f"{project['key']}-{number}"
        if number % sample_every == 0 and len(sample_keys) < SAMPLE_TASKS:
            sample_keys.append(key)
            sample_ids.append(str(task_id))
        for a in assignees:
            rows.add("task_assignees", {"task_id": task_id, "user_id": a})
        for lb in task_labels:
            rows.add("task_labels", {"task_id": task_id, "label_id": lb})
        watchers = dict.fromkeys([users[creator]["id"], *assignees])
        snapshot = {
            "title": task["title"],
            "description": task["description"],
            "status_id": status["id"] if not changes_after else by_category["unstarted"]["id"],
            "priority": PRIORITIES[priority],
            "assignee_ids": assignees,
            "label_ids": task_labels,
            "start_date": None,
            "due_date": due,
            "estimate": task["estimate"],
            "parent_id": parent,
        }
        tid = {**ids, "task_id": task_id, "entity_id": task_id, "actor_id": users[creator]["id"]}
        rows.event(created, "task.created", _created(snapshot), extra={"key": key}, **tid)
        for change in range(changes_after):
            at = updated if change == changes_after - 1 else created + (updated - created) / 2
            actor = users[rng.choice(visible)]["id"]
            event_ids = {**tid, "actor_id": actor}
            extra = {"key": key, "version": 2 + change}
            if change == changes_after - 1 and status["id"] != snapshot["status_id"]:
                changes = {
                    "status_id": {"from": str(snapshot["status_id"]), "to": str(status["id"])}
                }
                rows.event(at, "task.moved", changes, extra=extra, **event_ids)
            else:
                changes = {"priority": {"from": "none", "to": PRIORITIES[priority]}}
                rows.event(at, "task.updated", changes, extra=extra, **event_ids)
        comments = _comment_count(rng, spec.comments_per_task)
        for c in range(comments):
            at = created + timedelta(hours=2 + 7 * c, minutes=rng.randrange(60))
            author = users[rng.choice(visible)]["id"]
            comment_id = uuid7_at(rng, at)
            body = _text(rng, rng.randrange(5, 40))
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
            watchers.setdefault(author)
            rows.event(
                at,
                "comment.created",
                _created({"body": body}),
                **{**tid, "entity_id": comment_id, "actor_id": author},
            )
        for u in watchers:
            rows.add("task_watchers", {"task_id": task_id, "user_id": u})
        if number > 1 and rng.random() < 0.02:
            other = task_ids[rng.randrange(len(task_ids) - 1)]
            rel_at = created + timedelta(minutes=30)
            rel_id = uuid7_at(rng, rel_at)
            rows.add(
                "task_relations",
                {
                    "id": rel_id,
                    "source_id": task_id,
                    "target_id": other,
                    "type": "blocks",
                    "created_at": rel_at,
                    "created_by": users[creator]["id"],
                },
            )
            rows.event(
                rel_at,
                "task.relation_added",
                {"relation": {"from": None, "to": {"type": "blocks", "task_id": str(other)}}},
                **{**tid, "entity_id": rel_id},
            )
    return sample_keys, sample_ids


def _comment_count(rng: random.Random, mean: float) -> int:
    # Most tasks have none or a few; some have long threads. Mean stays at `mean`.
    if rng.random() < 0.45:
        return 0
    return min(40, int(rng.expovariate(0.55 / mean)))


# --- loading ---------------------------------------------------------------------------------

TABLE_ORDER = (
    "users",
    "workspaces",
    "workspace_members",
    "projects",
    "project_members",
    "statuses",
    "labels",
    "tasks",
    "task_assignees",
    "task_labels",
    "task_watchers",
    "task_relations",
    "comments",
)
"""Insert order: every row after the rows it refers to."""
TABLES: Sequence[tuple[str, Table]] = [(name, Base.metadata.tables[name]) for name in TABLE_ORDER]
EVENTS = Base.metadata.tables["events"]
COUNTERS = Base.metadata.tables["counters"]
BATCH = 5000


def _batches(items: Sequence[dict[str, Any]], size: int) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def load(url: str, rows: Rows) -> dict[str, int]:
    """Insert the rows into an empty, migrated database; returns row counts per table."""
    engine = create_async_engine(url)
    counts: dict[str, int] = {}
    try:
        async with engine.begin() as conn:
            if url.startswith("sqlite"):
                await conn.execute(text("PRAGMA foreign_keys=ON"))
            for name, table in TABLES:
                items = rows.tables.get(name, [])
                for batch in _batches(items, BATCH):
                    await conn.execute(insert(table), list(batch))
                counts[name] = len(items)
            ordered = sorted(rows.events, key=lambda e: (e[0], e[1]))
            events = [{**row, "seq": seq} for seq, (_, _, row) in enumerate(ordered, start=1)]
            for batch in _batches(events, BATCH):
                await conn.execute(insert(EVENTS), list(batch))
            await conn.execute(
                update(COUNTERS).where(COUNTERS.c.name == "events").values(value=len(events))
            )
            counts["events"] = len(events)
        if not url.startswith("sqlite"):
            # What autovacuum would do within a minute of a bulk load. SQLite gets no ANALYZE:
            # the app never runs it, so its planner works without statistics.
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return counts


async def fingerprint(url: str) -> str:
    """A digest of every generated table's rows in primary-key order: equal digests mean
    equal data (used to check that generation is deterministic)."""
    engine = create_async_engine(url)
    digest = hashlib.sha256()
    try:
        async with engine.connect() as conn:
            for name, table in [*TABLES, ("events", EVENTS)]:
                key = list(table.primary_key.columns)
                result = await conn.execute(select(table).order_by(*key))
                digest.update(name.encode())
                for row in result:
                    digest.update(repr(tuple(row)).encode())
            head = await conn.scalar(select(COUNTERS.c.value).where(COUNTERS.c.name == "events"))
            digest.update(str(head).encode())
    finally:
        await engine.dispose()
    return digest.hexdigest()


def build(spec: DatasetSpec, url: str, settings: Settings) -> Manifest:
    """Migrate `url` (an empty database), generate the dataset and load it."""
    started = time.perf_counter()
    upgrade(url)
    rows, manifest = spec.generate(settings)
    manifest.counts = asyncio.run(spec.load(url, rows))
    manifest.build_seconds = round(time.perf_counter() - started, 1)
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate a benchmark dataset into a database.")
    parser.add_argument("dataset", choices=["standard", "big-project"])
    parser.add_argument("--url", required=True, help="an empty database (it is migrated first)")
    parser.add_argument("--smoke", action="store_true", help="the smoke run's tiny dataset")
    parser.add_argument("--manifest", type=Path, help="write the manifest here")
    args = parser.parse_args(argv)
    spec = SMOKE if args.smoke else {"standard": STANDARD, "big-project": BIG_PROJECT}[args.dataset]
    manifest = build(spec, args.url, Settings())
    if args.manifest:
        args.manifest.write_text(manifest.to_json())
    sys.stdout.write(json.dumps(manifest.counts) + "\n")


if __name__ == "__main__":
    main()
