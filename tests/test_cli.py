"""The README's run path, as a user takes it: `tasklane serve` in a real process on SQLite."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent / "tasklane"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_migrates_and_answers(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "TASKLANE_DATA_DIR": str(tmp_path / "data"), "TASKLANE_DATABASE_URL": ""}
    proc = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.2)
        r = httpx.post(
            f"{base}/api/v1/auth/register",
            json={"email": "first@example.com", "password": "a long password", "name": "First"},
        )
        assert r.status_code == 201
        assert (tmp_path / "data" / "tasklane.db").exists()
        secret = tmp_path / "data" / "secret_key"
        assert secret.exists()
        assert oct(secret.stat().st_mode & 0o777) == "0o600"
        docs = httpx.get(f"{base}/api/docs")
        assert docs.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def test_production_refuses_to_start_without_secret(tmp_path: Path) -> None:
    env = {**os.environ, "TASKLANE_ENVIRONMENT": "production", "TASKLANE_DATA_DIR": str(tmp_path)}
    env.pop("TASKLANE_SECRET_KEY", None)
    result = subprocess.run(
        [str(BIN), "migrate"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "TASKLANE_SECRET_KEY" in result.stderr + result.stdout
