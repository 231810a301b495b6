"""The deployment files under deploy/, loaded for the tests: the Kustomize base and overlay
rendered (by kustomize when a binary is here, and always by `render`, a small renderer of the
few Kustomize fields the files use), the compose file and the Dockerfile's instructions."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
BASE = KUBERNETES / "base"
OVERLAY = KUBERNETES / "overlays" / "example"

Resource = dict[str, Any]

# The Kustomization fields `render` applies; a file using any other fails the tests, rather
# than being rendered wrongly.
SUPPORTED_FIELDS = {"apiVersion", "kind", "resources", "namespace", "images", "replicas", "labels"}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}


def load_yaml_documents(path: Path) -> list[Resource]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def render(folder: Path) -> list[Resource]:
    """`kustomize build folder` for the fields in SUPPORTED_FIELDS: the resources (files and
    other kustomizations) in order, then this level's labels, images, replicas and namespace."""
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unsupported = set(kustomization) - SUPPORTED_FIELDS
    assert not unsupported, f"{folder}: render() does not apply {sorted(unsupported)}"
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        path = (folder / entry).resolve()
        resources += render(path) if path.is_dir() else load_yaml_documents(path)
    resources = copy.deepcopy(resources)
    for label_set in kustomization.get("labels", []):
        assert not label_set.get("includeSelectors"), "render() adds labels to metadata only"
        assert not label_set.get("includeTemplates"), "render() adds labels to metadata only"
        for resource in resources:
            resource.setdefault("metadata", {}).setdefault("labels", {}).update(label_set["pairs"])
    for image in kustomization.get("images", []):
        for container in _containers(resources):
            name, _, _tag = container["image"].partition(":")
            if name == image["name"]:
                new_name = image.get("newName", name)
                container["image"] = f"{new_name}:{image['newTag']}"
    for replicas in kustomization.get("replicas", []):
        matching = [
            r
            for r in resources
            if r["kind"] in {"Deployment", "StatefulSet"}
            and r["metadata"]["name"] == replicas["name"]
        ]
        assert matching, f"replicas: no workload named {replicas['name']}"
        for resource in matching:
            resource["spec"]["replicas"] = replicas["count"]
    if "namespace" in kustomization:
        for resource in resources:
            if resource["kind"] != "Namespace":
                resource["metadata"]["namespace"] = kustomization["namespace"]
    return resources


def _containers(resources: list[Resource]) -> list[dict[str, Any]]:
    found = []
    for resource in resources:
        if resource["kind"] in WORKLOADS:
            spec = resource["spec"]
            if resource["kind"] == "CronJob":
                spec = spec["jobTemplate"]["spec"]
            pod = spec["template"]["spec"]
            found += pod.get("initContainers", []) + pod["containers"]
    return found


def kustomize_command() -> list[str] | None:
    """A kustomize on this machine: the standalone binary, or kubectl's built-in one."""
    if binary := shutil.which("kustomize"):
        return [binary, "build"]
    if kubectl := shutil.which("kubectl"):
        return [kubectl, "kustomize"]
    return None


def kustomize_build(folder: Path) -> list[Resource] | None:
    command = kustomize_command()
    if command is None:
        return None
    result = subprocess.run(
        [*command, str(folder)], capture_output=True, text=True, timeout=60, check=True
    )
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]


def by_kind_and_name(resources: list[Resource]) -> dict[tuple[str, str], Resource]:
    indexed = {(r["kind"], r["metadata"]["name"]): r for r in resources}
    assert len(indexed) == len(resources), "two resources share a kind and a name"
    return indexed


def canonical(resources: list[Resource]) -> dict[str, str]:
    return {
        f"{k}/{n}": json.dumps(r, sort_keys=True)
        for (k, n), r in by_kind_and_name(resources).items()
    }


def pod_spec(resource: Resource) -> dict[str, Any]:
    spec: dict[str, Any] = resource["spec"]["template"]["spec"]
    return spec


def only_container(resource: Resource) -> dict[str, Any]:
    containers: list[dict[str, Any]] = pod_spec(resource)["containers"]
    assert len(containers) == 1
    return containers[0]


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    stage: int
    """Which FROM this instruction belongs to (0 for the ARGs before the first)."""


def dockerfile_instructions(path: Path) -> list[Instruction]:
    """The Dockerfile's instructions, with line continuations joined and comments dropped."""
    instructions: list[Instruction] = []
    logical = ""
    stage = 0
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not logical and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        keyword, _, arguments = logical.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, arguments.strip(), stage))
        logical = ""
    assert not logical, "the Dockerfile ends inside a continued line"
    return instructions


def exec_form(arguments: str) -> list[str]:
    """The JSON array of an exec-form instruction (CMD ["a", "b"])."""
    assert arguments.startswith("["), f"not in exec form: {arguments}"
    value = json.loads(arguments)
    assert isinstance(value, list)
    return [str(v) for v in value]


ENV_REFERENCE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::?[-?][^}]*)?\}")
