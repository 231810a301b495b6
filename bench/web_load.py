"""The web app's load benchmark: time from navigation to a usable board with 2,000 tasks in the
project, in headless Chromium, and the JavaScript shipped on the first load (raw and gzip).

    .venv/bin/python bench/web_load.py [--tasks 2000] [--runs 5]

It starts a real `tasklane serve` on a free 127.0.0.1 port with a fresh SQLite data folder and
the production build (web/dist), fills one project through the API, then opens the board in a
fresh browser context per run (an empty cache: a first visit). "Usable" is the web app's own
`tasklane:board-ready` performance mark: every column has its first page of cards rendered and
can be dragged. It prints one JSON object; medians over the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
WEB_DIST = ROOT / "web" / "dist"
CHROMIUM = os.environ.get("TASKLANE_BENCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "benchmark passphrase"  # noqa: S105 - a synthetic account on a throwaway server
# How the tasks spread over the default workflow, as in a project that has run for a while.
SPREAD = {"Backlog": 0.3, "Todo": 0.2, "In Progress": 0.15, "Done": 0.3, "Cancelled": 0.05}
PRIORITIES = ["none", "low", "medium", "high", "urgent"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "TASKLANE_DATA_DIR": str(data_dir),
        "TASKLANE_DATABASE_URL": "",
        "TASKLANE_REDIS_URL": "",
        "TASKLANE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TASKLANE_WEB_DIR": str(WEB_DIST),
        "TASKLANE_RATE_LIMIT_ENABLED": "false",
        "TASKLANE_LOG_LEVEL": "WARNING",
        "TASKLANE_PASSWORD_HASH_TIME_COST": "1",
        "TASKLANE_PASSWORD_HASH_MEMORY_KIB": "1024",
    }
    bin_path = Path(sys.executable).parent / "tasklane"
    proc = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [str(bin_path), "serve", "--port", str(port)],
        env=env,
        cwd=data_dir.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the server did not start")
        time.sleep(0.2)


async def seed(base: str, tasks: int) -> dict[str, Any]:
    """One user, one project, `tasks` tasks spread over the statuses; returns ids."""
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=30) as c:
        email = "bench@example.com"
        r = await c.post(
            "/auth/register", json={"email": email, "password": PASSWORD, "name": "Bench"}
        )
        r.raise_for_status()
        token = (await c.post("/auth/login", json={"email": email, "password": PASSWORD})).json()[
            "access_token"
        ]
        c.headers["Authorization"] = f"Bearer {token}"
        ws = (await c.post("/workspaces", json={"name": "Bench"})).json()
        project = (
            await c.post(f"/workspaces/{ws['id']}/projects", json={"key": "BEN", "name": "Bench"})
        ).json()
        statuses = (await c.get(f"/projects/{project['id']}/statuses")).json()["items"]
        by_name = {s["name"]: s["id"] for s in statuses}
        labels = [
            (
                await c.post(
                    f"/projects/{project['id']}/labels", json={"name": name, "color": color}
                )
            ).json()["id"]
            for name, color in (("bug", "#ef4444"), ("feature", "#22c55e"), ("ops", "#3b82f6"))
        ]
        plan: list[str] = []
        for name, share in SPREAD.items():
            plan += [by_name[name]] * round(tasks * share)
        plan = (plan + [by_name["Todo"]] * tasks)[:tasks]
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(tasks):
            queue.put_nowait(i)

        async def writer() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                body = {
                    "title": f"Task {i}: {['Fix', 'Add', 'Refactor', 'Document'][i % 4]} "
                    f"the {['login', 'board', 'export', 'webhooks', 'search'][i % 5]} flow",
                    "status_id": plan[i],
                    "priority": PRIORITIES[i % 5],
                    "label_ids": [labels[i % 3]] if i % 2 else [],
                    "due_date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}" if i % 3 == 0 else None,
                }
                r = await c.post(f"/projects/{project['id']}/tasks", json=body)
                r.raise_for_status()

        await asyncio.gather(*(writer() for _ in range(8)))
        return {"email": email, "project_id": project["id"]}


def measure(base: str, seeded: dict[str, Any], runs: int) -> dict[str, Any]:
    ready_ms: list[float] = []
    cards_shown: list[int] = []
    scripts: dict[str, bytes] = {}
    transfer: dict[str, int] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for run in range(runs):
            context = browser.new_context(base_url=base, viewport={"width": 1440, "height": 900})
            r = context.request.post(
                "/api/v1/auth/session", data={"email": seeded["email"], "password": PASSWORD}
            )
            assert r.status == 200, r.text()
            page = context.new_page()
            if run == 0:

                def keep(response: Any) -> None:
                    if response.request.resource_type == "script":
                        scripts[response.url] = response.body()
                        size = response.headers.get("content-length")
                        transfer[response.url] = int(size) if size else len(scripts[response.url])

                page.on("response", keep)
            page.goto(f"/p/{seeded['project_id']}/board")
            page.wait_for_selector(".board[data-ready=true]", timeout=60_000)
            mark = page.evaluate(
                "performance.getEntriesByName('tasklane:board-ready')[0].startTime"
            )
            ready_ms.append(float(mark))
            cards_shown.append(page.locator(".card").count())
            context.close()
        browser.close()
    raw = sum(len(b) for b in scripts.values())
    zipped = sum(len(gzip.compress(b, compresslevel=9)) for b in scripts.values())
    return {
        "board_ready_ms_median": round(statistics.median(ready_ms), 1),
        "board_ready_ms_runs": [round(v, 1) for v in ready_ms],
        "cards_rendered": cards_shown[0],
        "first_load_js_files": len(scripts),
        "first_load_js_bytes": raw,
        "first_load_js_gzip_bytes": zipped,
        "first_load_js_transferred_bytes": sum(transfer.values()),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    if not (WEB_DIST / "index.html").is_file():
        raise SystemExit("web/dist is missing: run `make web` first")
    with tempfile.TemporaryDirectory(prefix="tasklane-web-bench-") as tmp:
        proc, base = start_server(Path(tmp) / "data")
        try:
            started = time.monotonic()
            seeded = asyncio.run(seed(base, args.tasks))
            seed_seconds = time.monotonic() - started
            load_before = os.getloadavg()[0]
            figures = measure(base, seeded, args.runs)
            load_after = os.getloadavg()[0]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    result = {
        "benchmark": "web_load",
        "tasks": args.tasks,
        "runs": args.runs,
        "seed_seconds": round(seed_seconds, 1),
        **figures,
        # Other work on the same cores slows a browser and a server alike: say how busy it was.
        "cpus": os.cpu_count(),
        "load_average_1m": [round(load_before, 2), round(load_after, 2)],
        "goals": {"board_ready_ms": 1500, "first_load_js_gzip_bytes": 300 * 1024},
    }
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
