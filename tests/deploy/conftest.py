"""The deployment files, read once per module: the Dockerfile's stages, the compose file,
nginx's configuration and the Kubernetes objects."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.files import (
    DEPLOY,
    ROOT,
    Directive,
    Stage,
    k8s_manifests,
    load_yaml,
    parse_dockerfile,
    parse_nginx,
)


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse_dockerfile((ROOT / "Dockerfile").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def final(stages: list[Stage]) -> Stage:
    return stages[-1]


@pytest.fixture(scope="module")
def port(final: Stage) -> int:
    """The one port the image exposes, which everything else must agree with."""
    (exposed,) = final.all("EXPOSE")
    return int(exposed.removesuffix("/tcp"))


@pytest.fixture(scope="module")
def uid(final: Stage) -> int:
    user = final.last("USER").split(":")[0]
    assert user.isdigit(), "USER must be numeric for Kubernetes' runAsNonRoot to verify it"
    return int(user)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_yaml(DEPLOY / "compose.yaml")


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


@pytest.fixture(scope="module")
def replicas(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The compose services built from the repository's Dockerfile."""
    return {
        name: service
        for name, service in services.items()
        if "build" in service and (DEPLOY / service["build"]["context"]).resolve() == ROOT
    }


@pytest.fixture(scope="module")
def nginx() -> Directive:
    return parse_nginx((DEPLOY / "nginx.conf").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict[str, Any]]:
    return k8s_manifests()


@pytest.fixture(scope="module")
def pod(manifests: dict[str, dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = manifests["Deployment"]["spec"]["template"]
    return spec


@pytest.fixture(scope="module")
def container(pod: dict[str, Any]) -> dict[str, Any]:
    (only,) = pod["spec"]["containers"]
    found: dict[str, Any] = only
    return found
