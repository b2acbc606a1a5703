"""deploy/k8s/: ports, probes, the security context, resources, the Secret reference, the
autoscaler and the disruption budget agree with the image and with each other."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.files import (
    DEPLOY,
    K8S,
    ROOT,
    SETTINGS,
    Stage,
    load_yaml,
    settings_from,
)


def container_port(container: dict[str, Any], port: int | str) -> int:
    """A port given by number or by the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container["ports"] if p.get("name") == port]
    return int(number)


def test_applying_the_directory_creates_every_object_but_the_secret(
    manifests: dict[str, dict[str, Any]],
) -> None:
    assert set(manifests) == {
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Service",
    }
    example = load_yaml(K8S / "examples" / "secret.example.yaml")
    assert example["kind"] == "Secret"


def test_the_pod_listens_on_the_exposed_port_behind_the_service(
    manifests: dict[str, dict[str, Any]],
    pod: dict[str, Any],
    container: dict[str, Any],
    final: Stage,
    port: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_from(_pod_environment(manifests, container, final), monkeypatch)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": port, "metrics": settings.metrics_port}
    # The Service routes the API only: metrics are scraped from the pods, never exposed.
    service = manifests["Service"]["spec"]
    assert [container_port(container, p["targetPort"]) for p in service["ports"]] == [port]
    assert settings.metrics
    assert settings.metrics_host == "0.0.0.0"
    labels = pod["metadata"]["labels"]
    assert service["selector"].items() <= labels.items()
    assert manifests["Deployment"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert (settings.host, settings.port) == ("0.0.0.0", port)
    assert settings.mongodb_uri is not None
    assert "replicaSet=" in settings.mongodb_uri


def _pod_environment(
    manifests: dict[str, dict[str, Any]], container: dict[str, Any], final: Stage
) -> dict[str, str]:
    """The image's environment, then envFrom, then env (the order Kubernetes applies), with the
    Secret's values taken from the example."""
    secret = load_yaml(K8S / "examples" / "secret.example.yaml")
    environment = final.env()
    for source in container.get("envFrom", []):
        assert source["configMapRef"]["name"] == manifests["ConfigMap"]["metadata"]["name"]
        environment.update(manifests["ConfigMap"]["data"])
    for entry in container["env"]:
        if "value" in entry:
            environment[entry["name"]] = entry["value"]
            continue
        reference = entry["valueFrom"]["secretKeyRef"]
        assert reference["name"] == secret["metadata"]["name"]
        environment[entry["name"]] = secret["stringData"][reference["key"]]
    return environment


def test_the_mongodb_uri_comes_from_the_secret(container: dict[str, Any]) -> None:
    (uri,) = [e for e in container["env"] if e["name"] == "OKRGRAPH_MONGODB_URI"]
    assert uri["valueFrom"]["secretKeyRef"]["name"] == "okrgraph-secrets"


def _secret_keys_the_pod_reads(container: dict[str, Any], name: str) -> set[str]:
    return {
        entry["valueFrom"]["secretKeyRef"]["key"]
        for entry in container["env"]
        if entry.get("valueFrom", {}).get("secretKeyRef", {}).get("name") == name
    }


def kubectl_created_secrets(text: str) -> dict[str, set[str]]:
    """The keys each `kubectl create secret generic NAME --from-literal=KEY=...` command in a
    text gives its Secret, by the Secret's name."""
    secrets: dict[str, set[str]] = {}
    joined = text.replace("\\\n", " ")
    for line in joined.splitlines():
        if not re.match(r"\s*kubectl create secret generic ", line):
            continue
        words = shlex.split(line)
        keys = secrets.setdefault(words[4], set())
        for word in words[5:]:
            if word.startswith(("--from-literal=", "--from-file=")):
                keys.add(word.split("=", 2)[1])
    return secrets


def test_kubectl_create_secret_reads_continued_lines_and_every_key() -> None:
    command = (
        "kubectl create secret generic s \\\n  --from-literal=a='x=y' \\\n"
        "  --from-file=b=./b.pem --dry-run=client\nkubectl apply -f deploy/k8s/\n"
    )
    assert kubectl_created_secrets(command) == {"s": {"a", "b"}}


@pytest.mark.parametrize("readme", [DEPLOY / "README.md", ROOT / "README.md"])
def test_the_documented_secret_has_every_key_the_pod_reads(
    container: dict[str, Any], readme: Path
) -> None:
    """The pods do not start while a secretKeyRef names a key the Secret lacks."""
    example = load_yaml(K8S / "examples" / "secret.example.yaml")
    name = example["metadata"]["name"]
    needed = _secret_keys_the_pod_reads(container, name)
    assert {"mongodb-uri", "jwt-secret"} <= needed
    assert needed <= example["stringData"].keys()
    created = kubectl_created_secrets(readme.read_text(encoding="utf-8"))
    assert created.keys() == {name}, readme
    missing = needed - created[name]
    assert not missing, f"{readme}: kubectl create secret lacks {missing}"


def test_liveness_and_startup_ask_healthz_and_readiness_asks_readyz(
    container: dict[str, Any], port: int
) -> None:
    expected = {
        "startupProbe": "/healthz",
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
    }
    for probe, path in expected.items():
        request = container[probe]["httpGet"]
        assert (request["path"], container_port(container, request["port"])) == (path, port)


def test_the_pod_runs_unprivileged_as_the_image_s_user(
    pod: dict[str, Any], container: dict[str, Any], uid: int
) -> None:
    security = {**pod["spec"].get("securityContext", {}), **container["securityContext"]}
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == uid
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    # tempfile needs a writable directory under a read-only root.
    assert "/tmp" in {m["mountPath"] for m in container["volumeMounts"]}


def test_the_pod_requests_and_limits_cpu_and_memory(container: dict[str, Any]) -> None:
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= container["resources"][bound].keys(), bound


def test_service_links_inject_no_setting(
    pod: dict[str, Any], manifests: dict[str, dict[str, Any]]
) -> None:
    """Kubernetes sets NAME_PORT=tcp://... for each Service unless told not to; a Service named
    okrgraph would set OKRGRAPH_PORT, which the settings read as the port to listen on."""
    if pod["spec"].get("enableServiceLinks", True) is False:
        return
    name = manifests["Service"]["metadata"]["name"].upper().replace("-", "_")
    assert not {f"{name}_PORT", f"{name}_SERVICE_HOST", f"{name}_SERVICE_PORT"} & SETTINGS


def test_the_autoscaler_and_the_disruption_budget_cover_the_deployment(
    manifests: dict[str, dict[str, Any]],
) -> None:
    deployment = manifests["Deployment"]
    hpa = manifests["HorizontalPodAutoscaler"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    replicas = deployment["spec"]["replicas"]
    assert 2 <= replicas == hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    budget = manifests["PodDisruptionBudget"]["spec"]
    assert budget["selector"] == deployment["spec"]["selector"]
    assert 0 < budget["minAvailable"] < replicas
