"""The benchmark suite works end to end: `python -m bench --profile smoke` (what
`make bench-smoke` runs) generates its dataset, starts real servers, drives them with wrk, the
asyncio client and Locust, and writes results and a summary. It asserts what each part
produced, never how fast: the machine is shared and the sizes are tiny."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bench.datasets import SMOKE
from bench.run import IN_CI, postgres_problem
from bench.run import SMOKE as SMOKE_PROFILE

ROOT = Path(__file__).resolve().parents[2]
ENDPOINTS = {
    "list",
    "list_again",
    "list_filtered",
    "board",
    "search",
    "get",
    "create",
    "update",
    "move",
    "comment",
    "login",
}


PERSONA_REQUESTS = {
    "GET /projects/{id}/statuses",
    "GET tasks (board column)",
    "GET /tasks/{ref}",
    "GET /tasks/{ref}/comments",
    "POST /tasks/{ref}/move",
    "PATCH /tasks/{ref}",
    "POST /tasks/{ref}/comments",
    "GET tasks (list)",
    "GET tasks (filtered)",
    "GET tasks (search)",
    "POST /projects/{id}/tasks",
    "GET tasks (recently updated)",
}


def _require(condition: bool, message: str) -> None:
    if not condition:
        if IN_CI:
            pytest.fail(message + " CI=true requires it.")
        pytest.skip(message)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], Path]:
    _require(shutil.which("wrk") is not None, "wrk is not installed (apt-get install wrk).")
    # Only look for it: importing Locust monkey-patches this whole process with gevent.
    has_locust = importlib.util.find_spec("locust") is not None
    _require(has_locust, "Locust is not installed (pip install -e '.[bench]').")
    out = tmp_path_factory.mktemp("bench-smoke")
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    result = subprocess.run(
        [
            *(sys.executable, "-m", "bench", "--profile", "smoke"),
            *("--out", str(out), "--cache", str(out / "cache")),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    (document,) = list(out.glob("*-smoke.json"))
    return json.loads(document.read_text()), out


def _backends() -> set[str]:
    return {"sqlite"} if postgres_problem() else {"sqlite", "postgres"}


def test_every_endpoint_ran_on_every_backend_without_errors(
    smoke: tuple[dict[str, object], Path],
) -> None:
    doc, _ = smoke
    sections = doc["sections"]
    assert isinstance(sections, dict)
    runs = sections["endpoints"]
    assert {(r["backend"], r["endpoint"]) for r in runs} == {
        (b, e) for b in _backends() for e in ENDPOINTS
    }
    for r in runs:
        # One second per run: on a badly overloaded machine a slow endpoint may finish
        # nothing in it, so completion is checked over all runs (and per endpoint by the
        # cross-check below, which always waits for its operations).
        assert r["error_count"] == 0, r
        assert r["server_errors"] == 0, r
        assert all(mb > 0 for mb in r["rss_mb"]), r
        if r["requests"]:
            assert r["statements_per_request"] > 0, r
            assert r["latency_ms"]["p95"] >= r["latency_ms"]["p50"] > 0, r
    for backend in _backends():
        assert sum(r["requests"] for r in runs if r["backend"] == backend) > 0
    postgres = [r for r in runs if r["backend"] == "postgres"]
    for r in postgres:  # two app processes, and the kernel gave both of them work
        assert len(r["cpu"]["app_cores"]) == 2
    if postgres:
        busy = [sum(r["cpu"]["app_cores"][i] for r in postgres) for i in range(2)]
        assert min(busy) > 0, busy
    ceilings = sections["ceiling"]
    # At the start, at the end, and right before each endpoint run (its % of ceiling).
    phases = [f"paired:{e}" for e in ENDPOINTS] + ["before", "after"]
    assert {(r["backend"], r["phase"]) for r in ceilings} == {
        (b, p) for b in _backends() for p in phases
    }
    for r in ceilings:
        assert r["requests"] > 0, r
        assert r["error_count"] == 0, r
    for r in runs:
        assert r["paired_ceiling_rps"] > 0, r


def test_cross_check_times_every_endpoint_with_the_second_client(
    smoke: tuple[dict[str, object], Path],
) -> None:
    doc, _ = smoke
    checks = doc["sections"]["crosscheck"]  # type: ignore[index]
    assert {(r["backend"], r["endpoint"]) for r in checks} == {
        (b, e) for b in _backends() for e in (*ENDPOINTS, "ceiling")
    }
    for r in checks:
        assert r["ops"] > 0, r
        assert r["errors"] == 0, r
        if r["endpoint"] != "ceiling":
            # Read from each response's Server-Timing header.
            assert r["statements_per_request"] > 0, r


def test_mixed_scenario_and_login_storm(smoke: tuple[dict[str, object], Path]) -> None:
    doc, _ = smoke
    runs = doc["sections"]["mixed"]  # type: ignore[index]
    assert {r["backend"] for r in runs} == _backends()
    for r in runs:
        assert r["requests"] > 0
        assert r["failures"] == 0, r["errors"]
        # Every request name is one the personas use (a few seconds do not reach them all).
        assert set(r["by_name"]) <= PERSONA_REQUESTS, r["by_name"].keys()
        assert r["statements_per_request"] > 0
        # The app sampled its event loop during the run (a ceiling in ms, from the histogram).
        assert r["event_loop_lag_p99_ms"] is not None, r
        assert r["event_loop_lag_p99_ms"] > 0, r
        logins = r["logins"]
        assert logins["sent"] > 0
        assert logins["answered"] + logins.get("unanswered_at_end", 0) == logins["sent"]


def test_growth_covers_each_project_size(smoke: tuple[dict[str, object], Path]) -> None:
    doc, _ = smoke
    runs = doc["sections"]["growth"]  # type: ignore[index]
    expected = {
        (b, size, op)
        for b in _backends()
        for size in SMOKE.fixed_projects
        for op in ("list", "board", "search")
    }
    assert {(r["backend"], r["tasks"], r["endpoint"]) for r in runs} == expected
    assert all(r["ops"] > 0 and r["errors"] == 0 for r in runs)


def test_search_and_attachments_ran_without_errors(
    smoke: tuple[dict[str, object], Path],
) -> None:
    doc, _ = smoke
    sections = doc["sections"]
    assert isinstance(sections, dict)
    searches = sections["search"]
    assert {(r["backend"], r["query"]) for r in searches} == {
        (b, q) for b in _backends() for q in ("rare", "common", "prefix", "two_words")
    }
    for r in searches:
        assert r["ops"] > 0, r
        assert r["errors"] == 0, r
        assert set(r["statuses"]) == {"200"}, r
    # The rare word is in exactly the tasks the stage added; the others fill a page.
    assert {r["first_page_hits"] for r in searches if r["query"] == "rare"} == {5}
    files = sections["attachments"]
    for backend in _backends():
        mine = [r for r in files if r["backend"] == backend]
        transfers = [r for r in mine if r["kind"] == "transfer"]
        assert {r["concurrency"] for r in transfers} == {1, 4}
        for r in transfers:
            assert r["errors"] == 0, r
            assert r["upload"]["files"] > 0, r
            assert r["download"]["files"] > 0, r
        (big,) = [r for r in mine if r["kind"] == "big_upload"]
        assert big["status"] == 201, big
        assert big["file_mb"] == SMOKE_PROFILE.big_upload_mb


def test_live_update_latency_reaches_every_client(
    smoke: tuple[dict[str, object], Path],
) -> None:
    doc, _ = smoke
    runs = doc["sections"]["ws_latency"]  # type: ignore[index]
    assert {r["backend"] for r in runs} == _backends()
    for r in runs:
        assert r["clients"] == SMOKE_PROFILE.ws_clients
        assert r["missing"] == 0, r
        assert r["samples"] == SMOKE_PROFILE.ws_clients * SMOKE_PROFILE.ws_updates
        # From the request's start the figure is positive; from the response it can be
        # slightly negative (an event may overtake the response that announces its commit).
        assert r["from_request_p95_ms"] >= r["from_request_p50_ms"] > 0, r
        assert r["p99_ms"] >= r["p95_ms"] >= r["p50_ms"], r


def test_webhooks_and_notifications_reach_their_receivers(
    smoke: tuple[dict[str, object], Path],
) -> None:
    doc, _ = smoke
    sections = doc["sections"]
    assert isinstance(sections, dict)
    hooks = sections["webhook_latency"]
    assert {r["backend"] for r in hooks} == _backends()
    for r in hooks:
        assert r["webhooks"] == SMOKE_PROFILE.webhook_count
        # Every (webhook, change) pair arrived, once per message id, and nothing else came.
        assert r["missing"] == 0, r
        assert r["samples"] == SMOKE_PROFILE.webhook_count * SMOKE_PROFILE.webhook_updates
        assert r["unexpected"] == 0, r
        assert r["from_request_p95_ms"] >= r["from_request_p50_ms"] > 0, r
        assert r["write_p50_ms_without"] > 0, r
        assert r["write_p50_ms_with"] > 0, r
    notes = sections["notification_fanout"]
    assert {r["backend"] for r in notes} == _backends()
    for r in notes:
        assert r["quiet_task_watchers"] == 0, r
        assert 1 <= r["watchers"] <= SMOKE_PROFILE.notify_watchers, r
        # One message per comment, though the burst folds into one notification.
        assert r["messages"] == SMOKE_PROFILE.notify_comments, r
        assert r["missing"] == 0, r
        assert r["stray_messages"] == 0, r
        assert r["distinct_ids"] == 1, r
        assert r["folded_count"] == SMOKE_PROFILE.notify_comments, r
        assert r["from_request_p95_ms"] >= r["from_request_p50_ms"] > 0, r
        assert r["comment_p50_ms_without"] > 0, r
        assert r["comment_p50_ms_with"] > 0, r


def test_summary_is_written(smoke: tuple[dict[str, object], Path]) -> None:
    _, out = smoke
    summary = (out / "SUMMARY.md").read_text()
    titles = (
        "## Goals",
        "## Endpoints",
        "## Cross-check",
        "## Mixed",
        "## Growth",
        "## Live",
        "## Webhooks",
        "## Notifications",
    )
    for title in titles:
        assert title in summary


def test_the_summary_knows_every_workload() -> None:
    from bench.report import ENDPOINT_ORDER

    assert set(ENDPOINT_ORDER) == ENDPOINTS
