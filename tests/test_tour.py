"""The README's API tour is a script (docs/tour.sh); it runs as written against a real server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.faults.live import LiveServer, running, server_env

ROOT = Path(__file__).resolve().parents[1]
TOUR = ROOT / "docs" / "tour.sh"


def run_tour(base: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLANE_")}
    env["TASKLANE_URL"] = base
    return subprocess.run(
        [bash, str(TOUR)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_tour_runs_as_written_against_a_live_server(tmp_path: Path) -> None:
    env = server_env(tmp_path / "data", "", log_level="WARNING", redis_url="")
    with running(LiveServer(env=env, cwd=tmp_path)) as server:
        tour = run_tour(server.url, tmp_path)
        assert tour.returncode == 0, tour.stdout + tour.stderr
        out = tour.stdout
        # Each step prints what it did; the interesting values are checked against the server.
        assert "created ENG-1" in out, out
        assert re.search(r"^my tasks: ENG-1$", out, re.MULTILINE), out
        assert 'version "1" -> "2"' in out, out
        assert "moved ENG-1 to In Progress" in out, out
        assert "commented on ENG-1" in out, out
        assert re.search(r"^activity: ENG-1 has \d+ entries$", out, re.MULTILINE), out

        token = httpx.post(
            f"{server.url}/api/v1/auth/login",
            json={"email": "ada@example.com", "password": "a long passphrase"},
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        task = httpx.get(f"{server.url}/api/v1/tasks/ENG-1", headers=headers).json()
        assert task["title"] == "Fix login redirect loop"
        me = httpx.get(f"{server.url}/api/v1/users/me", headers=headers).json()
        assert task["assignee_ids"] == [me["id"]]
        statuses = httpx.get(
            f"{server.url}/api/v1/projects/{task['project_id']}/statuses", headers=headers
        ).json()["items"]
        assert {s["id"]: s["name"] for s in statuses}[task["status_id"]] == "In Progress"

        # A second run (say, after a typo) does not trip over the first one's accounts.
        again = run_tour(server.url, tmp_path)
        assert again.returncode == 0, again.stdout + again.stderr


def test_tour_fails_loudly_when_the_server_is_not_there(tmp_path: Path) -> None:
    tour = run_tour("http://127.0.0.1:9", tmp_path)
    assert tour.returncode != 0


@pytest.mark.parametrize("name", ["README.md"])
def test_readme_shows_the_tour_script(name: str) -> None:
    readme = (ROOT / name).read_text(encoding="utf-8")
    assert "docs/tour.sh" in readme
    assert "<In Progress id>" not in readme
