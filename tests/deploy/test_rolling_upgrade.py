"""The rolling upgrade drill (docs/operations.md, "Upgrades"): after the new release's
migrations, the previous release's code still runs against the new schema, side by side with
the new code on one database, and each reads what the other wrote.

There are no release tags, so "the previous release" is the commit before the newest migration
was added (`git log --diff-filter=A -- migrations/versions/`), or HEAD itself while the work
tree holds a migration that is not committed yet. Its `src/` is taken with `git archive` and
run with the current virtualenv's packages (PYTHONPATH first), `serve --no-migrate`, as the
Kubernetes manifests run it. The database is the usual migrated test database: the NEW head.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.faults.live import LiveServer, running, server_env, wait_until

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = "migrations/versions"
PASSWORD = "a long passphrase for the upgrade drill"
GIT_TIMEOUT = 60


def _git(*args: str) -> str:
    git = shutil.which("git")
    assert git is not None
    return subprocess.run(
        [git, "-C", str(ROOT), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=GIT_TIMEOUT,
    ).stdout.strip()


@dataclass(frozen=True)
class Release:
    commit: str
    why: str


def previous_release() -> Release:
    """The commit whose code is the previous release, or a skip saying why there is none."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed: the previous release cannot be taken from history")
    try:
        if _git("rev-parse", "--is-inside-work-tree") != "true":
            raise subprocess.CalledProcessError(1, "git")
    except (subprocess.CalledProcessError, OSError):
        pytest.skip(f"{ROOT} is not a git checkout: no previous release to run")
    if _git("rev-parse", "--is-shallow-repository") == "true":
        pytest.skip(
            "shallow clone: the previous release is not in its history (git fetch --unshallow)"
        )
    committed = set(_git("ls-tree", "--name-only", "HEAD", f"{VERSIONS}/").splitlines())
    on_disk = {f"{VERSIONS}/{p.name}" for p in (ROOT / VERSIONS).glob("*.py")}
    if on_disk - committed:
        return Release(_git("rev-parse", "HEAD"), f"uncommitted {sorted(on_disk - committed)}")
    newest = _git("log", "--diff-filter=A", "--format=%H", "-1", "--", f"{VERSIONS}/")
    if not newest:
        pytest.skip("no commit in this history adds a migration")
    try:
        parent = _git("rev-parse", "--verify", "--quiet", f"{newest}^")
    except subprocess.CalledProcessError:
        pytest.skip(
            f"the newest migration came with the first commit ({newest}): no release before it"
        )
    return Release(parent, f"before {newest[:10]}, which added the newest migration")


def extract_source(commit: str, target: Path) -> Path:
    """`git archive` of the commit's src/ into target; answers the folder for PYTHONPATH."""
    git = shutil.which("git")
    assert git is not None
    archive = subprocess.run(
        [git, "-C", str(ROOT), "archive", "--format=tar", commit, "src"],
        capture_output=True,
        check=True,
        timeout=GIT_TIMEOUT,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / "src"


def old_environment(env: dict[str, str], source: Path) -> dict[str, str]:
    """The environment that makes the venv's `tasklane` import the old code: PYTHONPATH comes
    before site-packages and the editable install's path."""
    old = dict(env)
    old["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    return old


def imported_from(env: dict[str, str], cwd: Path) -> Path:
    out = subprocess.run(
        [sys.executable, "-c", "import tasklane.cli; print(tasklane.cli.__file__)"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    return Path(out).resolve()


class Api:
    """One caller of one server: JSON in and out, every answer checked."""

    def __init__(self, server: LiveServer, token: str | None = None) -> None:
        self.client = httpx.Client(base_url=f"{server.url}/api/v1", timeout=30)
        self.token = token

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *_: object) -> None:
        self.client.close()

    def call(
        self, method: str, path: str, body: Any = None, *, expect: int = 200, **headers: str
    ) -> Any:
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        response = self.client.request(method, path, json=body, headers=headers)
        assert response.status_code == expect, (
            f"{method} {path} on {self.client.base_url}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None

    def sign_in(self, email: str) -> str:
        self.token = None
        self.token = self.call("POST", "/auth/login", {"email": email, "password": PASSWORD})[
            "access_token"
        ]
        return self.token


def same_known_fields(old: dict[str, Any], new: dict[str, Any]) -> None:
    """Every field the old release answers, the new one answers alike (it may add fields)."""
    for field, value in old.items():
        assert field in new, f"the new release dropped {field!r}"
        assert new[field] == value, f"{field}: old {value!r}, new {new[field]!r}"


def _tasks_by_key(api: Api, project: str) -> dict[str, dict[str, Any]]:
    page = api.call("GET", f"/projects/{project}/tasks?limit=200")
    return {t["key"]: t for t in page["items"]}


def test_previous_release_runs_on_the_new_schema_beside_the_new_code(
    database_url: str, tmp_path: Path
) -> None:
    release = previous_release()
    source = extract_source(release.commit, tmp_path / "previous")
    data = tmp_path / "data"
    env = server_env(data, database_url, log_level="WARNING", redis_url="")
    old_env = old_environment(env, source)
    assert imported_from(old_env, tmp_path).is_relative_to(source.resolve()), (
        "PYTHONPATH did not put the previous release's code first"
    )
    assert imported_from(env, tmp_path).is_relative_to(ROOT / "src")

    # Both run --no-migrate, as every pod does; each runs its own worker (dispatch, jobs), as
    # old and new worker pods do while a rollout is half way.
    old_server = LiveServer(env=old_env, cwd=tmp_path, args=("--no-migrate",))
    new_server = LiveServer(env=env, cwd=tmp_path, args=("--no-migrate",))
    context = f"previous release {release.commit[:10]} ({release.why})"
    with running(old_server), running(new_server), Api(old_server) as old, Api(new_server) as new:
        # --- the previous release writes: accounts, a workspace, a project, tasks, comments --
        for email, name in (("ada@example.com", "Ada"), ("bob@example.com", "Bob")):
            old.call(
                "POST",
                "/auth/register",
                {"email": email, "password": PASSWORD, "name": name},
                expect=201,
            )
        old.sign_in("ada@example.com")
        ws = old.call("POST", "/workspaces", {"name": "Upgrade drill"}, expect=201)
        invitation = old.call(
            "POST",
            f"/workspaces/{ws['id']}/invitations",
            {"email": "bob@example.com", "role": "member"},
            expect=201,
        )
        project = old.call(
            "POST",
            f"/workspaces/{ws['id']}/projects",
            {"key": "ENG", "name": "Engineering"},
            expect=201,
        )["id"]
        statuses = old.call("GET", f"/projects/{project}/statuses")["items"]
        started = next(s["id"] for s in statuses if s["category"] == "started")
        label = old.call(
            "POST",
            f"/projects/{project}/labels",
            {"name": "upgrade", "color": "#336699"},
            expect=201,
        )["id"]
        first = old.call(
            "POST",
            f"/projects/{project}/tasks",
            {
                "title": "Written by the old release",
                "priority": "high",
                "due_date": "2027-01-15",
                "label_ids": [label],
            },
            expect=201,
        )
        second = old.call("POST", f"/projects/{project}/tasks", {"title": "Second"}, expect=201)
        edited = old.call(
            "PATCH",
            f"/tasks/{first['id']}",
            {"description": "*Markdown* from the old code"},
            **{"If-Match": f'"{first["version"]}"'},
        )
        assert edited["version"] == first["version"] + 1
        old.call("POST", f"/tasks/{second['id']}/move", {"status_id": started})
        old.call("POST", f"/tasks/{first['id']}/comments", {"body": "Old comment"}, expect=201)

        # Bob accepts on the new release; Ada assigns him on the old one: whichever release's
        # worker dispatches the event, Bob is notified.
        with Api(new_server) as bob:
            bob.sign_in("bob@example.com")
            bob.call(
                "POST", f"/invitations/by-token/{invitation['link'].rsplit('/', 1)[-1]}/accept"
            )
            bob_id = bob.call("GET", "/users/me")["id"]
            old.call("PATCH", f"/tasks/{first['id']}", {"assignee_ids": [bob_id]})
            notified = wait_until(
                lambda: [
                    n
                    for n in bob.call("GET", "/notifications")["items"]
                    if n["type"] == "assigned" and n["task_key"] == first["key"]
                ],
                timeout=30,
            )
            assert len(notified) == 1, notified

        # --- the new release reads what the old one wrote, field for field -----------------
        new.sign_in("ada@example.com")
        old_tasks = _tasks_by_key(old, project)
        new_tasks = _tasks_by_key(new, project)
        assert set(old_tasks) == {first["key"], second["key"]}, context
        assert set(new_tasks) == set(old_tasks), context
        for key, task in old_tasks.items():
            same_known_fields(task, new_tasks[key])
            same_known_fields(
                old.call("GET", f"/tasks/{task['id']}"), new.call("GET", f"/tasks/{task['id']}")
            )
        assert new_tasks[first["key"]]["assignee_ids"] == [bob_id]
        assert new_tasks[second["key"]]["status_id"] == started
        old_comments = old.call("GET", f"/tasks/{first['id']}/comments")["items"]
        assert [c["body"] for c in old_comments] == ["Old comment"]
        for o, n in zip(
            old_comments, new.call("GET", f"/tasks/{first['id']}/comments")["items"], strict=True
        ):
            same_known_fields(o, n)
        old_activity = old.call("GET", f"/tasks/{first['id']}/activity")["items"]
        new_activity = new.call("GET", f"/tasks/{first['id']}/activity")["items"]
        assert len(old_activity) >= 4
        assert len(new_activity) == len(old_activity)
        for o, n in zip(old_activity, new_activity, strict=True):
            same_known_fields(o, n)

        # --- the new release writes; the old one reads it and goes on writing ------------------
        third = new.call(
            "POST",
            f"/projects/{project}/tasks",
            {"title": "Written by the new release"},
            expect=201,
        )
        changed = new.call(
            "PATCH",
            f"/tasks/{first['id']}",
            {"priority": "urgent"},
            **{"If-Match": f'"{edited["version"] + 1}"'},
        )
        new.call("POST", f"/tasks/{first['id']}/comments", {"body": "New comment"}, expect=201)
        seen_by_old = old.call("GET", f"/tasks/{first['id']}")
        same_known_fields(seen_by_old, changed)
        assert seen_by_old["priority"] == "urgent"
        assert [c["body"] for c in old.call("GET", f"/tasks/{first['id']}/comments")["items"]] == [
            "Old comment",
            "New comment",
        ]
        assert set(_tasks_by_key(old, project)) == {first["key"], second["key"], third["key"]}
        # A stale version is refused by the old code too (the version column is shared).
        old.call(
            "PATCH",
            f"/tasks/{first['id']}",
            {"title": "stale"},
            expect=412,
            **{"If-Match": f'"{edited["version"]}"'},
        )
        fourth = old.call("POST", f"/projects/{project}/tasks", {"title": "Old again"}, expect=201)
        assert fourth["key"] == "ENG-4", context  # one key counter, shared by both releases

    for server in (old_server, new_server):
        assert "Traceback" not in server.log_text, server.log_text[-4000:]
