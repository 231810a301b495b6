"""deploy/kubernetes: every manifest, alone and rendered through the example overlay, is valid
against the Kubernetes schemas (kubernetes-validate's bundled ones, offline), and says what the
deployment needs: probes, limits, a non-root read-only container, shutdown above the grace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tasklane.config import Settings
from tests.deploy.manifests import (
    BASE,
    KUBERNETES,
    OVERLAY,
    Resource,
    by_kind_and_name,
    canonical,
    kustomize_build,
    load_yaml_documents,
    only_container,
    pod_spec,
    render,
)

# The oldest Kubernetes still commonly run, and the newest schemas bundled.
KUBERNETES_VERSIONS = ("1.29.0", "1.37.0")
MANIFESTS = sorted(path for path in KUBERNETES.rglob("*.yaml") if path.name != "kustomization.yaml")


def _validate(resource: Resource) -> None:
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(resource, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            name = f"{resource.get('kind')}/{resource.get('metadata', {}).get('name')}"
            pytest.fail(f"{name} is not valid on Kubernetes {version}: {exc.message}")


@pytest.fixture(scope="module")
def overlay() -> dict[tuple[str, str], Resource]:
    return by_kind_and_name(render(OVERLAY))


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(KUBERNETES)))
def test_every_manifest_file_is_valid(path: Path) -> None:
    documents = load_yaml_documents(path)
    assert documents
    for document in documents:
        _validate(document)


def test_the_rendered_overlay_is_valid(overlay: dict[tuple[str, str], Resource]) -> None:
    for resource in overlay.values():
        _validate(resource)
    assert set(overlay) >= {
        ("Namespace", "tasklane"),
        ("ConfigMap", "tasklane-config"),
        ("Secret", "tasklane-secrets"),
        ("Deployment", "tasklane-app"),
        ("Deployment", "tasklane-worker"),
        ("Job", "tasklane-migrate"),
        ("Service", "tasklane"),
        ("Ingress", "tasklane"),
        ("HorizontalPodAutoscaler", "tasklane-app"),
        ("PodDisruptionBudget", "tasklane-app"),
    }


def test_render_agrees_with_kustomize() -> None:
    """The renderer the other tests use gives what kustomize gives (kubectl's built-in one
    counts); without a kustomize binary, this is the one thing that cannot be checked."""
    for folder in (BASE, OVERLAY):
        built = kustomize_build(folder)
        if built is None:
            pytest.skip("no kustomize binary and no kubectl: render() is not cross-checked")
        assert canonical(render(folder)) == canonical(built)


def test_overlay_sets_image_replicas_and_namespace(
    overlay: dict[tuple[str, str], Resource],
) -> None:
    for kind, name in [
        ("Deployment", "tasklane-app"),
        ("Deployment", "tasklane-worker"),
        ("Job", "tasklane-migrate"),
    ]:
        assert only_container(overlay[kind, name])["image"] == "registry.example.com/tasklane:0.1.0"
    assert overlay["Deployment", "tasklane-app"]["spec"]["replicas"] == 3
    assert overlay["Deployment", "tasklane-worker"]["spec"]["replicas"] == 2
    for (kind, _), resource in overlay.items():
        if kind != "Namespace":
            assert resource["metadata"]["namespace"] == "tasklane"


def test_commands_are_the_cli_commands(overlay: dict[tuple[str, str], Resource]) -> None:
    app = only_container(overlay["Deployment", "tasklane-app"])
    assert app["args"] == ["serve", "--no-worker", "--no-migrate"]
    worker = only_container(overlay["Deployment", "tasklane-worker"])
    assert worker["args"] == ["worker", "--metrics-port", "9100"]
    assert worker["ports"] == [{"name": "metrics", "containerPort": 9100}]
    assert worker["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    job = overlay["Job", "tasklane-migrate"]
    assert only_container(job)["args"] == ["migrate"]
    assert pod_spec(job)["restartPolicy"] == "Never"
    for resource in (
        overlay["Deployment", "tasklane-app"],
        overlay["Deployment", "tasklane-worker"],
        job,
    ):
        # The image's ENTRYPOINT is `tasklane`: args only, never a command that replaces it.
        assert "command" not in only_container(resource)


def test_app_probes_and_service_agree(overlay: dict[tuple[str, str], Resource]) -> None:
    config = overlay["ConfigMap", "tasklane-config"]["data"]
    app = only_container(overlay["Deployment", "tasklane-app"])
    (port,) = app["ports"]
    assert port["containerPort"] == int(config["TASKLANE_PORT"])
    assert config["TASKLANE_HOST"] == "0.0.0.0"  # noqa: S104 - in the pod, for the probes
    assert app["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port["name"]}
    assert app["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port["name"]}
    service = overlay["Service", "tasklane"]
    assert service["spec"]["ports"][0]["targetPort"] == port["name"]
    app_labels = overlay["Deployment", "tasklane-app"]["spec"]["template"]["metadata"]["labels"]
    worker_labels = overlay["Deployment", "tasklane-worker"]["spec"]["template"]["metadata"][
        "labels"
    ]
    selector = service["spec"]["selector"]
    assert selector.items() <= app_labels.items()
    assert not selector.items() <= worker_labels.items(), "the Service must not pick workers"
    pdb = overlay["PodDisruptionBudget", "tasklane-app"]["spec"]["selector"]["matchLabels"]
    assert pdb.items() <= app_labels.items()
    assert not pdb.items() <= worker_labels.items()
    backend = overlay["Ingress", "tasklane"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend["service"] == {"name": "tasklane", "port": {"name": "http"}}
    hpa = overlay["HorizontalPodAutoscaler", "tasklane-app"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "tasklane-app",
    }
    assert 1 <= hpa["minReplicas"] <= hpa["maxReplicas"]


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("Deployment", "tasklane-app"),
        ("Deployment", "tasklane-worker"),
        ("Job", "tasklane-migrate"),
    ],
)
def test_pods_are_non_root_read_only_and_limited(
    overlay: dict[tuple[str, str], Resource], kind: str, name: str
) -> None:
    pod = pod_spec(overlay[kind, name])
    container = only_container(overlay[kind, name])
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the Dockerfile's USER
    assert pod["automountServiceAccountToken"] is False
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    config = overlay["ConfigMap", "tasklane-config"]["data"]
    for path in ("/tmp", config["TASKLANE_DATA_DIR"]):  # noqa: S108 - a mount point
        assert "emptyDir" in volumes[mounts[path]], f"{path} is not writable"
    for kind_of in ("requests", "limits"):
        assert set(container["resources"][kind_of]) == {"cpu", "memory"}
    references = {next(iter(source.values()))["name"] for source in container["envFrom"]}
    assert references == {"tasklane-config", "tasklane-secrets"}


def test_shutdown_outlasts_the_grace(overlay: dict[tuple[str, str], Resource]) -> None:
    """Kubernetes waits terminationGracePeriodSeconds after SIGTERM, then kills. The worker
    lets running jobs finish for TASKLANE_SHUTDOWN_GRACE_SECONDS; the app drains for that plus
    5 s (uvicorn's timeout_graceful_shutdown), after its preStop sleep."""
    grace = float(
        overlay["ConfigMap", "tasklane-config"]["data"]["TASKLANE_SHUTDOWN_GRACE_SECONDS"]
    )
    app = overlay["Deployment", "tasklane-app"]
    pre_stop = only_container(app)["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert pod_spec(app)["terminationGracePeriodSeconds"] > int(pre_stop[1]) + grace + 5
    worker = overlay["Deployment", "tasklane-worker"]
    assert pod_spec(worker)["terminationGracePeriodSeconds"] > grace
    for name in ("tasklane-app", "tasklane-worker"):
        rolling = overlay["Deployment", name]["spec"]["strategy"]["rollingUpdate"]
        assert rolling["maxUnavailable"] == 0


def test_configmap_settings_are_accepted_by_tasklane(
    overlay: dict[tuple[str, str], Resource], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every key is a real setting, and with a real secret key and metrics token the settings
    load (the placeholders are too short: a copied example cannot start)."""
    config: dict[str, Any] = overlay["ConfigMap", "tasklane-config"]["data"]
    secret: dict[str, Any] = overlay["Secret", "tasklane-secrets"]["stringData"]
    fields = {f"TASKLANE_{name.upper()}" for name in Settings.model_fields}
    assert set(config) <= fields
    assert set(secret) <= fields
    for name, value in {**config, **secret}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match="at least 16 random characters"):
        Settings(_env_file=None)
    monkeypatch.setenv("TASKLANE_SECRET_KEY", "k" * 48)
    monkeypatch.setenv("TASKLANE_METRICS_TOKEN", "m" * 24)
    settings = Settings(_env_file=None)
    assert settings.environment == "production"
    assert settings.run_worker is True  # `serve --no-worker` turns it off for the app


def test_secret_holds_placeholders_only(
    overlay: dict[tuple[str, str], Resource], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = overlay["Secret", "tasklane-secrets"]
    assert "data" not in secret, "example values go in stringData, readable as placeholders"
    for name, value in secret["stringData"].items():
        assert "CHANGE-ME" in value or ".example." in value, f"{name} looks like a real value"
    # The example secret key is refused in production: a copied example cannot start.
    monkeypatch.setenv("TASKLANE_ENVIRONMENT", "production")
    monkeypatch.setenv("TASKLANE_SECRET_KEY", secret["stringData"]["TASKLANE_SECRET_KEY"])
    with pytest.raises(ValueError, match="at least 32 characters"):
        Settings(_env_file=None)
