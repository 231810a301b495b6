"""The mixed scenario: three personas with think time, and an optional login storm.

Run by bench/mixed.py (`locust -f bench/locustfile.py --headless ...`) with BENCH_PLAN naming a
JSON plan: signed-in identities (access tokens from real sign-ins), the projects each can see,
think times, and the storm. At the end the raw statistics (per request name, with Locust's
response-time histogram) go to BENCH_LOCUST_OUT as JSON.

- Worker: opens the board, opens tasks, moves and edits them, comments.
- Glancer: lists and filters, searches, opens tasks and reads their comments.
- Integration bot: an API client with a bearer token creating and updating tasks and polling
  the recently updated ones.
- Login storm (when planned): from the end of ramp-up, logins at a fixed rate whatever the
  answers' speed (open loop), each counted under its own name; logins still unanswered when
  the run ends are counted as failures with the time they had waited.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, between, events, task
from locust.contrib.fasthttp import FastHttpSession
from locust.env import Environment

PLAN: dict[str, Any] = json.loads(Path(os.environ["BENCH_PLAN"]).read_text())
_identities = itertools.count()
_unique = itertools.count(1)
STORM_NAME = "POST /auth/login (storm)"


class Persona(FastHttpUser):
    abstract = True
    wait_time = between(*PLAN["think"])
    connection_timeout = 30.0
    network_timeout = 30.0

    def on_start(self) -> None:
        n = next(_identities)
        self.rng = random.Random(PLAN["seed"] * 100_003 + n)  # noqa: S311 - load, not secrets
        identity = PLAN["identities"][n % len(PLAN["identities"])]
        self.auth = {"Authorization": f"Bearer {identity['token']}"}
        choices = identity["projects"]
        weights = [PLAN["projects"][p]["weight"] for p in choices]
        self.project: dict[str, Any] = PLAN["projects"][self.rng.choices(choices, weights)[0]]

    # helpers -----------------------------------------------------------------------------

    def get(self, path: str, name: str) -> None:
        self.client.get(path, headers=self.auth, name=name)

    def send(self, method: str, path: str, body: dict[str, Any], name: str) -> None:
        self.client.request(method, path, headers=self.auth, json=body, name=name)

    def tasks_url(self, query: str = "") -> str:
        return f"/api/v1/projects/{self.project['id']}/tasks?limit=50{query}"

    def a_task(self) -> str:
        return str(self.rng.choice(self.project["tasks"]))

    def a_status(self) -> str:
        return str(self.rng.choice(self.project["statuses"]))

    def open_task(self) -> None:
        key = self.a_task()
        self.get(f"/api/v1/tasks/{key}", "GET /tasks/{ref}")
        self.get(f"/api/v1/tasks/{key}/comments", "GET /tasks/{ref}/comments")


class Worker(Persona):
    weight = 4

    @task(3)
    def board(self) -> None:
        self.get(f"/api/v1/projects/{self.project['id']}/statuses", "GET /projects/{id}/statuses")
        for status in self.project["statuses"]:
            self.get(self.tasks_url(f"&status_id={status}"), "GET tasks (board column)")

    @task(3)
    def read_task(self) -> None:
        self.open_task()

    @task(2)
    def move(self) -> None:
        body = {"status_id": self.a_status()}
        self.send("POST", f"/api/v1/tasks/{self.a_task()}/move", body, "POST /tasks/{ref}/move")

    @task(2)
    def edit(self) -> None:
        body = {"title": f"Edited by a worker {next(_unique)}"}
        self.send("PATCH", f"/api/v1/tasks/{self.a_task()}", body, "PATCH /tasks/{ref}")

    @task(1)
    def comment(self) -> None:
        body = {"body": f"Looked into this ({next(_unique)})."}
        path = f"/api/v1/tasks/{self.a_task()}/comments"
        self.send("POST", path, body, "POST /tasks/{ref}/comments")


class Glancer(Persona):
    weight = 5
    FILTERS = (
        "&assignee_id=me",
        "&status_category=started",
        "&priority=high&priority=urgent&sort=-priority",
        "&sort=-updated",
        "&status_category=unstarted&sort=due",
    )

    @task(3)
    def list_page(self) -> None:
        self.get(self.tasks_url(), "GET tasks (list)")

    @task(3)
    def filter(self) -> None:
        self.get(self.tasks_url(self.rng.choice(self.FILTERS)), "GET tasks (filtered)")

    @task(4)
    def read_task(self) -> None:
        self.open_task()

    @task(1)
    def search(self) -> None:
        word = self.rng.choice(PLAN["words"])
        self.get(self.tasks_url(f"&q={word}"), "GET tasks (search)")


class IntegrationBot(Persona):
    weight = 1

    @task(2)
    def create(self) -> None:
        body = {"title": f"Imported ticket {next(_unique)}", "priority": "low"}
        path = f"/api/v1/projects/{self.project['id']}/tasks"
        self.send("POST", path, body, "POST /projects/{id}/tasks")

    @task(2)
    def update(self) -> None:
        body = {"priority": self.rng.choice(("low", "medium", "high"))}
        self.send("PATCH", f"/api/v1/tasks/{self.a_task()}", body, "PATCH /tasks/{ref}")

    @task(1)
    def poll(self) -> None:
        self.get(self.tasks_url("&sort=-updated"), "GET tasks (recently updated)")


# --- the login storm -------------------------------------------------------------------------

_storm: dict[str, Any] = {"sent": 0, "answered": 0, "pending": {}, "started": None}


def _storm_run(environment: Environment) -> None:
    storm = PLAN["storm"]
    session = FastHttpSession(
        environment.host,
        environment.events.request,
        user=None,
        concurrency=2000,
        network_timeout=storm["timeout"],
        connection_timeout=storm["timeout"],
    )
    interval = 1.0 / storm["rate"]
    total = int(storm["rate"] * storm["seconds"])
    started = time.perf_counter()
    _storm["started"] = time.time()
    emails = storm["emails"]

    def login(n: int) -> None:
        _storm["pending"][n] = time.perf_counter()
        body = {"email": emails[n % len(emails)], "password": storm["password"]}
        session.post("/api/v1/auth/login", json=body, name=STORM_NAME)
        _storm["pending"].pop(n, None)
        _storm["answered"] += 1

    for n in range(total):
        # Open loop: the n-th login leaves at its scheduled time, answered or not.
        delay = started + n * interval - time.perf_counter()
        if delay > 0:
            gevent.sleep(delay)
        _storm["sent"] += 1
        gevent.spawn(login, n)


@events.init.add_listener
def _on_init(environment: Environment, **_: Any) -> None:
    def start_storm(user_count: int, **__: Any) -> None:
        if PLAN.get("storm"):
            gevent.spawn(_storm_run, environment)

    environment.events.spawning_complete.add_listener(start_storm)


@events.test_stop.add_listener
def _unfinished_logins(environment: Environment, **_: Any) -> None:
    now = time.perf_counter()
    for started in list(_storm["pending"].values()):
        environment.events.request.fire(
            request_type="POST",
            name=STORM_NAME,
            response_time=(now - started) * 1000,
            response_length=0,
            exception=RuntimeError("no answer before the run ended"),
            context={},
        )
    _storm["unanswered_at_end"] = len(_storm["pending"])
    _storm["pending"].clear()


@events.quitting.add_listener
def _write_out(environment: Environment, **_: Any) -> None:
    out = os.environ.get("BENCH_LOCUST_OUT")
    if not out or environment.runner is None:
        return
    stats = environment.runner.stats
    entries = [entry.serialize() for entry in stats.entries.values()]
    doc = {
        "entries": entries,
        "total": stats.total.serialize(),
        "errors": {k: v.serialize() for k, v in list(stats.errors.items())[:50]},
        "window": [stats.total.start_time, stats.total.last_request_timestamp],
        "users": environment.runner.user_count,
        "storm": {k: v for k, v in _storm.items() if k != "pending"},
    }
    Path(out).write_text(json.dumps(doc))
