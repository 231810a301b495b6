"""What the load generators send: operations made of prepared HTTP requests.

An operation is a list of steps; the requests of one step go out in parallel, the steps one
after another. Most operations are one request; the board is the project's statuses, then the
first page of every column at once (what the web app does), because there is no board
endpoint yet. wrk replays the flattened requests; the asyncio client times whole operations.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.datasets import THINGS, Manifest, ProjectInfo

API = "/api/v1"
PAGE = 50


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    token: str | None = None
    body: dict[str, object] | None = None
    unique: bool = False
    """The body contains "{n}", replaced by a number unique to each request sent."""
    fresh: bool = False
    """Ask past the server's page cache (`Cache-Control: no-cache`): the list measures read
    the database, as a page changed since its last read would."""

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.fresh:
            headers["Cache-Control"] = "no-cache"
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.body is not None:
            headers["Content-Type"] = "application/json"
        return headers

    def body_text(self) -> str | None:
        return None if self.body is None else json.dumps(self.body, separators=(",", ":"))


@dataclass(frozen=True)
class Op:
    steps: tuple[tuple[Req, ...], ...]

    @classmethod
    def one(cls, req: Req) -> Op:
        return cls(((req,),))

    def requests(self) -> list[Req]:
        return [r for step in self.steps for r in step]


@dataclass
class Workload:
    name: str
    title: str
    ops: list[Op]
    writes: bool = False
    routes: list[str] = field(default_factory=list)


Tokens = dict[int, str]


def _user(project: ProjectInfo, i: int) -> int:
    return project.users[i % len(project.users)]


def _tasks_url(project: ProjectInfo, **query: object) -> str:
    params: list[tuple[str, object]] = [("limit", PAGE)]
    for key, value in query.items():
        values = value if isinstance(value, list) else [value]
        params.extend((key, v) for v in values)
    return f"{API}/projects/{project.id}/tasks?{urlencode(params)}"


def _list(project: ProjectInfo, token: str, **query: object) -> Req:
    """A page of a project's tasks, read from the database (past the page cache)."""
    return Req("GET", _tasks_url(project, **query), token, fresh=True)


def _status(project: ProjectInfo, category: str) -> str:
    return next(s["id"] for s in project.statuses if s["category"] == category)


def board_op(project: ProjectInfo, token: str) -> Op:
    statuses = Req("GET", f"{API}/projects/{project.id}/statuses", token)
    columns = tuple(_list(project, token, status_id=s["id"]) for s in project.statuses)
    return Op(((statuses,), columns))


def _spread(manifest: Manifest, count: int) -> list[ProjectInfo]:
    """`count` projects spread over the dataset, the flagship included (deterministic)."""
    projects = [p for p in manifest.projects if p.sample_tasks]
    step = max(1, len(projects) // count)
    return projects[::step][:count]


def standard_workloads(manifest: Manifest, tokens: Tokens) -> list[Workload]:
    """The endpoint runs on the standard dataset; lists, board and search use the flagship
    project (10,000 tasks), single-task operations tasks of projects across the dataset."""
    flag = manifest.projects[manifest.fixed[0]]
    users = [u for u in flag.users if u in tokens]
    words = [thing.split()[0] for thing in THINGS[:12]]

    def token(i: int) -> str:
        return tokens[users[i % len(users)]]

    in_progress = _status(flag, "started")
    filters: list[dict[str, object]] = [
        {"status_id": in_progress},
        {"assignee_id": "me"},
        {"status_category": "unstarted", "sort": "-priority"},
        {"priority": ["high", "urgent"], "sort": "-updated"},
        {"due_before": "2026-06-01", "sort": "due"},
    ]
    if flag.labels:
        filters.append({"label_id": flag.labels[0]})

    pairs: list[tuple[ProjectInfo, str, str]] = []  # (project, task key, token)
    for p_index, project in enumerate(_spread(manifest, 80)):
        for t, key in enumerate(project.sample_tasks[:25]):
            user = _user(project, p_index + t)
            if user in tokens:
                pairs.append((project, key, tokens[user]))
    creators = [
        (project, tokens[_user(project, i)])
        for i, project in enumerate(_spread(manifest, 40))
        if _user(project, i) in tokens
    ]

    def single(build: Callable[[ProjectInfo, str, str, int], Req]) -> list[Op]:
        return [Op.one(build(p, key, tok, i)) for i, (p, key, tok) in enumerate(pairs)]

    return [
        Workload(
            "list",
            "list a page of 50 (10k-task project)",
            [Op.one(_list(flag, token(i))) for i in range(len(users))],
        ),
        Workload(
            "list_again",
            "the same page again (the server's page cache)",
            [Op.one(Req("GET", _tasks_url(flag), token(i))) for i in range(len(users))],
        ),
        Workload(
            "list_filtered",
            "list a page of 50 with filters",
            [Op.one(_list(flag, token(i), **f)) for i in range(len(users)) for f in filters],
        ),
        Workload(
            "board",
            "board: statuses + first page of every column",
            [board_op(flag, token(i)) for i in range(len(users))],
        ),
        Workload(
            "search",
            "search (list ?q=, substring match)",
            [Op.one(_list(flag, token(i), q=w)) for i in range(len(users)) for w in words],
        ),
        Workload(
            "get",
            "get one task by key",
            single(lambda p, key, tok, i: Req("GET", f"{API}/tasks/{key}", tok)),
        ),
        Workload(
            "create",
            "create a task",
            [
                Op.one(
                    Req(
                        "POST",
                        f"{API}/projects/{p.id}/tasks",
                        tok,
                        {"title": "Bench task {n}", "priority": "medium"},
                        unique=True,
                    )
                )
                for p, tok in creators
            ],
            writes=True,
        ),
        Workload(
            "update",
            "update a task's title",
            single(
                lambda p, key, tok, i: Req(
                    "PATCH", f"{API}/tasks/{key}", tok, {"title": "Edited {n}"}, unique=True
                )
            ),
            writes=True,
        ),
        Workload(
            "move",
            "move a task to another column",
            single(
                lambda p, key, tok, i: Req(
                    "POST",
                    f"{API}/tasks/{key}/move",
                    tok,
                    {"status_id": p.statuses[i % len(p.statuses)]["id"]},
                )
            ),
            writes=True,
        ),
        Workload(
            "comment",
            "comment on a task",
            single(
                lambda p, key, tok, i: Req(
                    "POST", f"{API}/tasks/{key}/comments", tok, {"body": "Note {n}"}, unique=True
                )
            ),
            writes=True,
        ),
        Workload(
            "login",
            "log in (argon2id, server defaults)",
            [
                Op.one(
                    Req(
                        "POST",
                        f"{API}/auth/login",
                        None,
                        {"email": u["email"], "password": manifest.password},
                    )
                )
                for u in manifest.users
            ],
            writes=True,
        ),
    ]


def growth_workloads(manifest: Manifest, tokens: Tokens) -> list[tuple[int, Workload]]:
    """List, board and search on each fixed-size project of the big-project dataset."""
    out: list[tuple[int, Workload]] = []
    words = [thing.split()[0] for thing in THINGS[:12]]
    for index in manifest.fixed:
        project = manifest.projects[index]
        users = [u for u in project.users if u in tokens]

        def token(i: int, users: Sequence[int] = users) -> str:
            return tokens[users[i % len(users)]]

        out.extend(
            [
                (
                    project.size,
                    Workload(
                        "list",
                        "list a page of 50",
                        [Op.one(_list(project, token(i))) for i in range(8)],
                    ),
                ),
                (
                    project.size,
                    Workload("board", "board", [board_op(project, token(i)) for i in range(8)]),
                ),
                (
                    project.size,
                    Workload(
                        "search",
                        "search (?q=)",
                        [Op.one(_list(project, token(i), q=w)) for i, w in enumerate(words)],
                    ),
                ),
            ]
        )
    return out


def lua_requests(ops: Sequence[Op], path: Path) -> Path:
    """Write the flattened requests as a Lua table for bench/lua/replay.lua."""
    lines = ["return {"]
    for op in ops:
        for req in op.requests():
            headers = ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in req.headers().items())
            body = req.body_text()
            lines.append(
                f"  {{method = {_lua(req.method)}, path = {_lua(req.path)}, "
                f"headers = {{{headers}}}, body = {_lua(body) if body else 'nil'}, "
                f"unique = {'true' if req.unique else 'false'}}},"
            )
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _lua(value: str) -> str:
    """A Lua string literal (the values are ASCII; JSON escaping is valid Lua for them)."""
    if not value.isascii():
        raise ValueError(f"non-ASCII request text: {value!r}")
    return json.dumps(value)
