"""deploy/compose.yaml: it parses, each service runs what it should in the right order, and
the env file example it takes its secrets from holds placeholders only."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tasklane.config import Settings
from tests.deploy.manifests import DEPLOY, ENV_REFERENCE

COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "tasklane.env.example"
TASKLANE_SERVICES = ("migrate", "app", "worker")
SECRET_NAMES = ("TASKLANE_SECRET_KEY", "POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def example_env() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def test_services_and_images(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == {*TASKLANE_SERVICES, "postgres", "redis", "minio", "minio-bucket"}
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    assert services["minio"]["image"].startswith("minio/minio:RELEASE.")
    assert services["minio-bucket"]["image"].startswith("minio/mc:RELEASE.")
    for name in TASKLANE_SERVICES:
        service = services[name]
        assert service["image"] == "${TASKLANE_IMAGE:-tasklane:0.1.0}"
        assert service["build"] == {"context": "..", "dockerfile": "Dockerfile"}
        assert "entrypoint" not in service  # the image's `tasklane`


def test_commands(services: dict[str, dict[str, Any]]) -> None:
    assert services["migrate"]["command"] == ["migrate"]
    assert services["app"]["command"] == ["serve", "--no-worker", "--no-migrate"]
    assert services["worker"]["command"] == ["worker", "--metrics-port", "9100"]
    assert services["app"]["deploy"]["replicas"] == 2


def test_start_order(services: dict[str, dict[str, Any]]) -> None:
    def conditions(name: str) -> dict[str, str]:
        return {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}

    assert conditions("migrate") == {"postgres": "service_healthy"}
    for name in ("app", "worker"):
        assert conditions(name) == {
            "migrate": "service_completed_successfully",
            "postgres": "service_healthy",
            "redis": "service_healthy",
            "minio-bucket": "service_completed_successfully",
        }
    assert conditions("minio-bucket") == {"minio": "service_healthy"}
    for one_shot in ("migrate", "minio-bucket"):
        assert services[one_shot]["restart"] == "no"
    for name in ("app", "worker", "postgres", "redis", "minio"):
        assert services[name]["restart"] == "unless-stopped"


def test_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    app = services["app"]["healthcheck"]["test"]
    assert app[:3] == ["CMD", "python", "-c"]
    assert "http://127.0.0.1:8000/readyz" in app[3]
    assert "curl" not in " ".join(app)
    assert services["postgres"]["healthcheck"]["test"][0] == "CMD-SHELL"
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"][1]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert services["minio"]["healthcheck"]["test"] == ["CMD", "mc", "ready", "local"]
    # No HTTP server in the migration: the image's /readyz check is turned off, not left
    # failing. The worker's check asks its own /healthz, on the port it serves metrics on.
    assert services["migrate"]["healthcheck"] == {"disable": True}
    assert "127.0.0.1:9100/healthz" in services["worker"]["healthcheck"]["test"][-1]
    assert services["worker"]["expose"] == ["9100"]


def test_stop_grace_outlasts_the_shutdown_grace(services: dict[str, dict[str, Any]]) -> None:
    env = services["app"]["environment"]
    grace = float(env["TASKLANE_SHUTDOWN_GRACE_SECONDS"])
    for name in ("app", "worker"):
        period = services[name]["stop_grace_period"]
        assert re.fullmatch(r"\d+s", period)
        assert int(period[:-1]) > grace + 5  # the app drains for the grace + 5 s


def test_named_volumes(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    used = set()
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.partition(":")[0]
            assert not source.startswith(("/", ".")), f"{volume}: use a named volume"
            used.add(source)
    assert used == set(compose["volumes"])
    assert "tasklane-data:/data" in services["app"]["volumes"]


def test_settings_are_real_and_production(services: dict[str, dict[str, Any]]) -> None:
    fields = {f"TASKLANE_{name.upper()}" for name in Settings.model_fields}
    for name in TASKLANE_SERVICES:
        env = services[name]["environment"]
        assert set(env) <= fields, set(env) - fields
        assert env["TASKLANE_ENVIRONMENT"] == "production"
        assert env["TASKLANE_DATABASE_URL"].startswith("postgresql+asyncpg://tasklane:")
        assert env["TASKLANE_DATABASE_URL"].endswith("@postgres:5432/tasklane")
        assert env["TASKLANE_REDIS_URL"] == "redis://redis:6379/0"
        assert env["TASKLANE_STORAGE_URL"] == "s3://tasklane-attachments"
    bucket = services["minio-bucket"]["command"][0]
    assert "mb --ignore-existing local/tasklane-attachments" in bucket


def test_every_variable_comes_from_the_env_file(services: dict[str, dict[str, Any]]) -> None:
    """What compose interpolates (`${NAME...}`) is in the example, and each secret goes only to
    the services that need it."""
    text = yaml.safe_dump(yaml.safe_load(COMPOSE.read_text()), width=1000)  # no comments
    referenced = set(ENV_REFERENCE.findall(text))
    assert referenced <= set(example_env()), referenced - set(example_env())
    required = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*):\?", text))
    assert required >= set(SECRET_NAMES)
    needs = {
        "TASKLANE_SECRET_KEY": set(TASKLANE_SERVICES),
        "POSTGRES_PASSWORD": {*TASKLANE_SERVICES, "postgres"},
        "MINIO_ROOT_PASSWORD": {*TASKLANE_SERVICES, "minio", "minio-bucket"},
    }
    for secret, wanted in needs.items():
        holders = {
            name
            for name, service in services.items()
            if "${" + secret in yaml.safe_dump(service.get("environment", {}))
        }
        assert holders == wanted, secret
    assert not any("env_file" in service for service in services.values())


def test_env_example_has_placeholders_only(monkeypatch: pytest.MonkeyPatch) -> None:
    env = example_env()
    for name in SECRET_NAMES:
        assert env[name].startswith("CHANGE-ME"), f"{name} must be a placeholder"
    for name, value in env.items():
        if any(word in name for word in ("SECRET", "PASSWORD", "KEY", "TOKEN", "USER")):
            assert not value or value.startswith("CHANGE-ME"), f"{name} looks like a real value"
        assert "://" not in value or "@" not in value, f"{name} has credentials in a URL"
    # The placeholder key is too short for production: a copied example refuses to start.
    monkeypatch.setenv("TASKLANE_ENVIRONMENT", "production")
    monkeypatch.setenv("TASKLANE_SECRET_KEY", env["TASKLANE_SECRET_KEY"])
    with pytest.raises(ValueError, match="at least 32 characters"):
        Settings(_env_file=None)


def test_the_real_env_file_is_ignored_by_git() -> None:
    ignored = (DEPLOY / ".gitignore").read_text().splitlines()
    assert "tasklane.env" in ignored
    assert "!tasklane.env.example" in ignored
