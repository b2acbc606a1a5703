"""Every environment name that the Dockerfile, compose and the Kubernetes objects set or
mention is one that `service.config.Settings` really reads: the names come from Settings
itself, so a setting added later is allowed the moment the code reads it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.deploy.files import (
    DEPLOY,
    ROOT,
    SETTINGS,
    Stage,
    compose_environment,
)


def _deploy_texts() -> Iterator[tuple[Path, str]]:
    yield ROOT / "Dockerfile", (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for path in sorted(DEPLOY.rglob("*")):
        if path.is_file():
            yield path, path.read_text(encoding="utf-8")


def test_the_settings_read_the_names_that_deployment_relies_on() -> None:
    assert {"HOST", "PORT", "OKRGRAPH_MONGODB_URI", "OKRGRAPH_REDIS_URL"} <= SETTINGS


def test_every_okrgraph_name_in_the_deployment_files_is_one_the_settings_read() -> None:
    for path, text in _deploy_texts():
        unknown = set(re.findall(r"\bOKRGRAPH_[A-Z0-9_]+", text)) - SETTINGS
        assert not unknown, f"{path.relative_to(ROOT)} names {unknown}, which nothing reads"


def test_the_image_sets_only_settings_and_python_s_own_variables(final: Stage) -> None:
    own = {"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
    assert set(final.env()) - own <= SETTINGS


def test_the_compose_replicas_set_only_settings(replicas: dict[str, dict[str, Any]]) -> None:
    for name, service in replicas.items():
        assert set(compose_environment(service)) <= SETTINGS, name


def test_the_pods_set_only_settings(
    container: dict[str, Any], manifests: dict[str, dict[str, Any]]
) -> None:
    assert {entry["name"] for entry in container["env"]} <= SETTINGS
    assert set(manifests["ConfigMap"]["data"]) <= SETTINGS
