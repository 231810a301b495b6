"""The Dockerfile, read instruction by instruction (no container engine here to build it):
three stages, the web build, the pinned install, a non-root runtime with a health check and
`tasklane serve`; and hadolint, when it is on PATH (it is not a Debian package)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys

import pytest

from tests.deploy.manifests import ROOT, Instruction, dockerfile_instructions, exec_form

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return dockerfile_instructions(DOCKERFILE)


def _stage(instructions: list[Instruction], number: int) -> list[Instruction]:
    return [i for i in instructions if i.stage == number]


def _only(instructions: list[Instruction], keyword: str) -> Instruction:
    found = [i for i in instructions if i.keyword == keyword]
    assert len(found) == 1, f"{len(found)} {keyword} instructions"
    return found[0]


def test_three_named_stages(instructions: list[Instruction]) -> None:
    froms = [i.arguments for i in instructions if i.keyword == "FROM"]
    assert froms == [
        "${NODE_IMAGE} AS web",
        "${PYTHON_IMAGE} AS builder",
        "${PYTHON_IMAGE} AS runtime",
    ]
    args = {i.arguments.split("=")[0]: i.arguments.split("=")[1] for i in _stage(instructions, 0)}
    assert args["NODE_IMAGE"].startswith("node:20-")
    assert args["PYTHON_IMAGE"].startswith("python:3.11-slim")


def test_web_stage_builds_with_the_openapi_document(instructions: list[Instruction]) -> None:
    web = _stage(instructions, 1)
    runs = [i.arguments for i in web if i.keyword == "RUN"]
    assert runs == ["npm ci --no-audit --no-fund", "npm run build"]
    copies = [i.arguments for i in web if i.keyword == "COPY"]
    assert "docs/openapi.json /src/docs/openapi.json" in copies
    # The build reads ../docs/openapi.json from web/: the WORKDIR puts it there.
    assert _only(web, "WORKDIR").arguments == "/src/web"
    for source in ("web/package.json", "web/package-lock.json", "docs/openapi.json"):
        assert (ROOT / source).is_file()


def test_builder_installs_the_package_with_the_constraints(
    instructions: list[Instruction],
) -> None:
    builder = _stage(instructions, 2)
    runs = [i.arguments for i in builder if i.keyword == "RUN"]
    assert "python -m venv /opt/venv" in runs
    assert "/opt/venv/bin/pip install -c constraints.txt ." in runs
    copied = " ".join(i.arguments for i in builder if i.keyword == "COPY")
    for needed in ("pyproject.toml", "constraints.txt", "README.md", "src/"):
        assert needed in copied.split()


def test_runtime_is_non_root_with_healthcheck_and_entrypoint(
    instructions: list[Instruction],
) -> None:
    runtime = _stage(instructions, 3)
    user = _only(runtime, "USER").arguments
    assert user == "10001:10001"
    assert not user.startswith(("0", "root"))
    assert runtime[-1].keyword == "CMD"
    assert exec_form(runtime[-1].arguments) == ["serve"]
    assert exec_form(_only(runtime, "ENTRYPOINT").arguments) == ["tasklane"]
    assert _only(runtime, "EXPOSE").arguments == "8000"
    assert exec_form(_only(runtime, "VOLUME").arguments) == ["/data"]
    env = _only(runtime, "ENV").arguments
    for setting in (
        "TASKLANE_DATA_DIR=/data",
        "TASKLANE_WEB_DIR=/app/web",
        "TASKLANE_HOST=0.0.0.0",
        "TASKLANE_PORT=8000",
    ):
        assert setting in shlex.split(env)
    assert "LABEL" in {i.keyword for i in runtime}
    # The user exists with that uid and owns the data folder.
    setup = " ".join(i.arguments for i in runtime if i.keyword == "RUN")
    assert "--uid 10001" in setup
    assert "--gid 10001" in setup
    assert "chown 10001:10001 /data" in setup
    # The web app lands where TASKLANE_WEB_DIR points.
    copies = [i.arguments for i in runtime if i.keyword == "COPY"]
    assert "--from=web /src/web/dist /app/web" in copies


def test_healthcheck_uses_only_python(instructions: list[Instruction]) -> None:
    check = _only(_stage(instructions, 3), "HEALTHCHECK").arguments
    options, _, command = check.partition("CMD ")
    assert "--interval=" in options
    assert "--timeout=" in options
    argv = exec_form(command)
    assert argv[:2] == ["python", "-c"]
    assert "/healthz" in argv[2]
    assert "curl" not in command
    compile(argv[2], "<healthcheck>", "exec")  # valid Python


def test_healthcheck_script_fails_when_nothing_answers() -> None:
    """The check's Python exits non-zero against a port where nothing listens (and the
    process tests run it against a live server)."""
    check = _only(dockerfile_instructions(DOCKERFILE), "HEALTHCHECK").arguments
    script = exec_form(check.partition("CMD ")[2])[2]
    from tests.faults.live import free_port

    env = {"TASKLANE_PORT": str(free_port()), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, timeout=20, check=False
    )
    assert result.returncode != 0


def test_dockerignore_keeps_local_state_out() -> None:
    patterns = {
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for needed in (
        ".git",
        ".venv",
        "node_modules",
        "web/node_modules",
        "web/dist",
        "data",
        "test-artifacts",
        "bench/results",
        "**/.env",
    ):
        assert needed in patterns, needed
    # What the build copies is not ignored.
    for needed in ("src", "web", "docs", "migrations", "alembic.ini", "constraints.txt"):
        assert needed not in patterns


def test_hadolint() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (no Debian package); see README")
    result = subprocess.run(
        [hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
