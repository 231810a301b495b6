"""Peak memory of one Trello import (a measurement, not a test). A real `tasklane serve`
process (SQLite, its worker inside) in a fresh folder; a generated board export of about
40 MB (written by another process, so the server holds nothing of its making); a dry run,
a real run carried out by the server's worker, or both; the server's peak RSS (VmHWM) after
each step.

    .venv/bin/python -m tests.imports.measure_rss [cards] [dry|run|both]

A step raises the peak only past the steps before it: measure one step per run (`dry`, then
`run`) to see what each costs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.imports.generate import trello_export


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_mb(pid: int) -> tuple[float, float]:
    """The process's current and peak resident memory, in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def main(cards: int, steps: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="tasklane-rss-"))
    board_file = folder / "board.json"
    board_file.write_bytes(
        trello_export(
            cards=cards, items_per_card=2, comments_per_card=4, other_actions_per_card=12
        ).content
    )
    size = board_file.stat().st_size
    port = _free_port()
    env = {
        **os.environ,
        "TASKLANE_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'db.sqlite'}",
        "TASKLANE_DATA_DIR": str(folder / "data"),
        "TASKLANE_SECRET_KEY": "measure-secret-key-that-is-long-enough-0123456789",
        "TASKLANE_RATE_LIMIT_ENABLED": "false",
        "TASKLANE_PASSWORD_HASH_MEMORY_KIB": "1024",
        "TASKLANE_PASSWORD_HASH_TIME_COST": "1",
        "TASKLANE_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tasklane.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=600) as client:
            for _ in range(200):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            headers = _project(client)
            pid = headers.pop("pid")
            say(f"file: {size / 2**20:.1f} MiB, {cards} cards")
            say("server ready:   rss {:.0f} MB, peak {:.0f} MB".format(*peak_mb(server.pid)))
            for dry in (True, False):
                if steps != "both" and dry != (steps == "dry"):
                    continue
                started = time.perf_counter()
                with board_file.open("rb") as f:
                    r = client.post(
                        f"/api/v1/projects/{pid}/imports",
                        params={"dry_run": str(dry).lower(), "format": "trello"},
                        files={"file": ("board.json", f, "application/json")},
                        headers=headers,
                    )
                took = time.perf_counter() - started
                assert r.status_code in (200, 202), r.text[:500]
                body = r.json()
                what = body["counts"] if dry else body["status"]
                rss, peak = peak_mb(server.pid)
                label = "dry run" if dry else "upload"
                say(f"{label:8}: {what} in {took:.1f} s; rss {rss:.0f} MB, peak {peak:.0f} MB")
                if not dry:
                    started = time.perf_counter()
                    while body["status"] in ("queued", "running"):
                        time.sleep(0.5)
                        body = client.get(f"/api/v1/imports/{body['id']}", headers=headers).json()
                    took = time.perf_counter() - started
                    rss, peak = peak_mb(server.pid)
                    say(
                        f"job     : {body['status']} {body['counts']} in {took:.1f} s; "
                        f"rss {rss:.0f} MB, peak {peak:.0f} MB"
                    )
    finally:
        server.terminate()
        server.wait(30)


def _project(client: httpx.Client) -> dict[str, str]:
    """Sign up, make a workspace and a project: the caller's headers and the project's id."""
    body = {
        "email": "owner@example.com",
        "password": "a long and unusual passphrase 42",
        "name": "Owner",
    }
    r = client.post("/api/v1/auth/register", json=body)
    assert r.status_code in (200, 201), r.text
    r = client.post("/api/v1/auth/login", json={k: body[k] for k in ("email", "password")})
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    r = client.post("/api/v1/workspaces", json={"name": "Big"}, headers=headers)
    assert r.status_code == 201, r.text
    r = client.post(
        f"/api/v1/workspaces/{r.json()['id']}/projects",
        json={"name": "Board", "key": "BRD"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return {**headers, "pid": r.json()["id"]}


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1600,
        sys.argv[2] if len(sys.argv) > 2 else "both",
    )
