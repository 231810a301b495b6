"""Fuzzing from the contract: Schemathesis generates requests for every operation of the live
server's `/api/openapi.json`, valid and invalid, signed in as a workspace member, often with
the ids of real objects (a project with tasks, labels, comments, a relation). No answer may be
a 500, and every answer must match the documented status codes, content types and schemas.

Bounded for `make test` (TASKLANE_FUZZ_EXAMPLES per operation, fixed seed); `make fuzz` runs
many more, randomly.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.hooks import HookDispatcher, HookScope
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tasklane.openapi import document
from tests.faults.live import LiveServer, running, server_env

EXAMPLES = int(os.environ.get("TASKLANE_FUZZ_EXAMPLES", "5"))
RANDOM = os.environ.get("TASKLANE_FUZZ_RANDOM", "") == "1"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
PASSWORD = "fuzzing member password"


@dataclass
class World:
    """Real objects the member can see, by the name of the parameter that carries them."""

    base_url: str
    email: str
    token: str = ""
    ids: dict[str, list[str]] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def sign_in(self) -> None:
        r = httpx.post(
            f"{self.base_url}/api/v1/auth/login",
            json={"email": self.email, "password": PASSWORD},
            timeout=10,
        )
        r.raise_for_status()
        self.token = r.json()["access_token"]


def build_world(base_url: str) -> World:
    with httpx.Client(base_url=base_url, timeout=30) as c:

        def ok(r: httpx.Response) -> Any:
            assert r.status_code < 300, f"{r.request.method} {r.request.url}: {r.text}"
            return r.json() if r.content else None

        def user(name: str) -> tuple[str, dict[str, str]]:
            email = f"{name}@fuzz.example.com"
            body = {"email": email, "password": PASSWORD, "name": name.title()}
            user_id = ok(c.post("/api/v1/auth/register", json=body))["id"]
            login = {"email": email, "password": PASSWORD}
            token = ok(c.post("/api/v1/auth/login", json=login))["access_token"]
            return user_id, {"Authorization": f"Bearer {token}"}

        owner_id, owner = user("owner")
        _, member = user("member")
        colleague_id, colleague = user("colleague")
        ws = ok(c.post("/api/v1/workspaces", json={"name": "Fuzz"}, headers=owner))["id"]
        for email, joiner in (
            ("member@fuzz.example.com", member),
            ("colleague@fuzz.example.com", colleague),
        ):
            invited = ok(
                c.post(f"/api/v1/workspaces/{ws}/members", json={"email": email}, headers=owner)
            )
            ok(c.post(f"/api/v1/invitations/{invited['id']}/accept", headers=joiner))
        project = ok(
            c.post(
                f"/api/v1/workspaces/{ws}/projects",
                json={"key": "FUZ", "name": "Fuzzing"},
                headers=owner,
            )
        )["id"]
        statuses = [
            s["id"]
            for s in ok(c.get(f"/api/v1/projects/{project}/statuses", headers=owner))["items"]
        ]
        labels = [
            ok(
                c.post(
                    f"/api/v1/projects/{project}/labels",
                    json={"name": f"label {i}", "color": "#336699"},
                    headers=owner,
                )
            )["id"]
            for i in range(3)
        ]
        tasks = [
            ok(
                c.post(
                    f"/api/v1/projects/{project}/tasks",
                    json={"title": f"Task {i}", "label_ids": labels[:1], "status_id": statuses[1]},
                    headers=owner,
                )
            )
            for i in range(6)
        ]
        task_ids = [t["id"] for t in tasks]
        relation = ok(
            c.post(
                f"/api/v1/tasks/{task_ids[0]}/relations",
                json={"type": "blocks", "task_id": task_ids[1]},
                headers=owner,
            )
        )["id"]
        comments = [
            ok(
                c.post(
                    f"/api/v1/tasks/{task_ids[0]}/comments", json={"body": f"c{i}"}, headers=owner
                )
            )["id"]
            for i in range(2)
        ]
    # Not the member's own id: leaving the workspace would end the fuzzing's world early.
    users = [owner_id, colleague_id]
    world = World(
        base_url=base_url,
        email="member@fuzz.example.com",
        ids={
            "workspace_id": [ws],
            "project_id": [project],
            "task_ref": task_ids + [t["key"] for t in tasks],
            "task_id": task_ids + [t["key"] for t in tasks],
            "parent_id": task_ids,
            "before_id": task_ids,
            "after_id": task_ids,
            "status_id": statuses,
            "move_to": statuses,
            "label_id": labels,
            "label_ids": labels,
            "user_id": users,
            "assignee_id": [*users, "me", "none"],
            "assignee_ids": users,
            "comment_id": comments,
            "relation_id": [relation],
        },
    )
    world.sign_in()
    return world


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    env = server_env(
        folder / "data",
        "",
        rate_limit_enabled="false",
        login_failures_per_account=100_000,
        login_failures_per_address=100_000,
        log_level="WARNING",
    )
    with running(LiveServer(env=env, cwd=folder)) as server:
        yield build_world(server.url)


def _real(world: World, name: str, generated: Any) -> st.SearchStrategy[Any]:
    """The generated value, or (as often) a real id for that parameter."""
    real = world.ids.get(name)
    if not real:
        return st.just(generated)
    if isinstance(generated, list):
        return st.one_of(st.just(generated), st.lists(st.sampled_from(real), max_size=3))
    return st.one_of(st.just(generated), st.sampled_from(real))


def _swap(world: World, values: Any) -> st.SearchStrategy[Any]:
    if not isinstance(values, dict) or not values:
        return st.just(values)
    return st.fixed_dictionaries({k: _real(world, k, v) for k, v in values.items()})


@pytest.fixture(scope="module")
def api_schema(fuzz_world: World) -> Any:
    config = schemathesis.Config.from_dict(
        {
            "generation": {"max-examples": EXAMPLES},
            "request-timeout": 30,
            # Invalid requests must be refused: with a 4xx that says why, 413 and 414 included.
            "checks": {
                "negative_data_rejection": {
                    "expected-statuses": [
                        400,
                        401,
                        403,
                        404,
                        405,
                        409,
                        413,
                        414,
                        415,
                        422,
                        428,
                        429,
                    ]
                }
            },
        }
    )
    return schemathesis.openapi.from_url(f"{fuzz_world.base_url}/api/openapi.json", config=config)


def real_ids(world: World) -> HookDispatcher:
    """Hooks that often put real ids where a valid request carries ids. Only for valid
    (positive) cases: an invalid case must stay invalid."""
    hooks = HookDispatcher(scope=HookScope.SCHEMA)

    @hooks.hook
    def flatmap_path_parameters(_: Any, path_parameters: dict[str, Any]) -> Any:
        return _swap(world, path_parameters)

    @hooks.hook
    def flatmap_query(_: Any, query: dict[str, Any]) -> Any:
        return _swap(world, query)

    @hooks.hook
    def flatmap_body(_: Any, body: Any) -> Any:
        return _swap(world, body)

    return hooks


def _operations() -> list[tuple[str, str]]:
    """Every operation of the app's contract, read from the code (no database needed)."""
    paths = document()["paths"]
    return sorted((method.upper(), path) for path, item in paths.items() for method in item)


OPERATIONS = _operations()


def fuzz_operation(api_schema: Any, world: World, method: str, path: str) -> None:
    """Run EXAMPLES generated cases for one operation; raise on the first contract breach."""
    operation = api_schema[path][method]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, hooks=real_ids(world)),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    session = requests.Session()

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        print_blob=False,
    )
    def call_and_check(case: schemathesis.Case) -> None:
        response = case.call(headers=world.headers, session=session)
        checks = CHECKS
        if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
            # The invalid part may be the missing Authorization header, which is sent anyway.
            checks = [c for c in CHECKS if c is not negative_data_rejection]
        case.validate_response(response, checks=checks, headers=world.headers)
        if response.status_code == 204 and path == "/api/v1/auth/logout":
            world.sign_in()  # it signed the member out; carry on signed in

    try:
        call_and_check()
    finally:
        session.close()


def test_every_operation_keeps_its_contract(api_schema: Any, fuzz_world: World) -> None:
    """One test for all operations, so one server and one world serve them all (under xdist
    a parametrized test would start one per worker). Every operation runs even when an
    earlier one fails; the failure lists each broken operation with Schemathesis' report."""
    assert len(OPERATIONS) >= 50, "the contract lost operations: is the app complete?"
    failures: dict[str, str] = {}
    for method, path in OPERATIONS:
        try:
            fuzz_operation(api_schema, fuzz_world, method, path)
        except Exception as exc:  # every operation's failure is reported below
            failures[f"{method} {path}"] = str(exc)[:3000]
    assert not failures, "\n\n".join(f"== {op}\n{report}" for op, report in failures.items())


# --- stateful: chains of calls that follow the contract's links ----------------------------

STATEFUL_EXAMPLES = int(os.environ.get("TASKLANE_FUZZ_STATEFUL_EXAMPLES", "30"))
STATEFUL_STEPS = 10
STATEFUL_RUNS = 3
# The main resources, created and then used: workspace -> project -> task -> comment.
STATEFUL_PATHS = (
    r"^/api/v1/workspaces(/\{workspace_id\}(/projects)?)?$"
    r"|^/api/v1/projects/\{project_id\}(/tasks)?$"
    r"|^/api/v1/tasks/\{task_ref\}(/comments|/activity)?$"
    r"|^/api/v1/comments/\{comment_id\}$"
)
STATEFUL_CHECKS = [c for c in CHECKS if c is not negative_data_rejection]


def test_linked_calls_keep_the_contract(fuzz_world: World) -> None:
    """Stateful runs: Schemathesis infers which response fields feed which parameters (the
    `id` of a created workspace into `workspace_id`, and so on) and plays sequences of calls,
    so deeper states are reached than one request at a time can: a comment on a task in a
    project the member created a moment before. No answer may be a 500 or break the
    contract."""
    config = schemathesis.Config.from_dict(
        {
            "phases": {"stateful": {"enabled": True, "max-steps": STATEFUL_STEPS}},
            "request-timeout": 30,
        }
    )
    schema = schemathesis.openapi.from_url(
        f"{fuzz_world.base_url}/api/openapi.json", config=config
    ).include(path_regex=STATEFUL_PATHS)
    machine = schema.as_state_machine()
    session = requests.Session()
    seen: dict[str, int] = {}
    failures: list[str] = []

    class Linked(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": fuzz_world.headers, "session": session}

        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            name = f"{case.method} {case.path} {response.status_code}"
            seen[name] = seen.get(name, 0) + 1

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            # Collected, not raised: Hypothesis would replay the failing sequence against a
            # server whose state has moved on, and report that instead of the breach.
            try:
                case.validate_response(response, checks=STATEFUL_CHECKS, headers=fuzz_world.headers)
            except Exception as exc:  # every breach is reported below
                failures.append(f"{case.method} {case.formatted_path}: {str(exc)[:3000]}")

    # The links were followed: workspaces were created, projects created in them, and those
    # projects used (read, changed, given tasks) through the ids the creations returned.
    def reached() -> list[bool]:
        return [
            "POST /api/v1/workspaces 201" in seen,
            "POST /api/v1/workspaces/{workspace_id}/projects 201" in seen,
            any(
                re.fullmatch(r"\w+ /api/v1/projects/\{project_id\}\S* 20\d", call) for call in seen
            ),
        ]

    try:
        # A run can end early (below): the first is the same choices each time (in
        # `make test`), the others random ones, until the links were followed, so how far one
        # run got does not decide the test.
        for run in range(STATEFUL_RUNS):
            if all(reached()):
                break
            _run_linked(Linked, derandomize=run == 0 and not RANDOM)
    finally:
        session.close()
    assert not failures, "\n\n".join(failures[:10])
    assert all(reached()), " | ".join(seen)


def _run_linked(machine: Any, *, derandomize: bool) -> None:
    # Hypothesis may replay a sequence it generated before and find that the ids fed into it
    # (answers of a server whose state has moved on) differ: an artifact of generating from
    # live answers, not a contract breach. Breaches are collected by the machine, and the run
    # up to that point still counts.
    with contextlib.suppress(FlakyStrategyDefinition):
        machine.run(
            settings=settings(
                max_examples=STATEFUL_EXAMPLES,
                stateful_step_count=STATEFUL_STEPS,
                deadline=None,
                derandomize=derandomize,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],
                print_blob=False,
            )
        )
