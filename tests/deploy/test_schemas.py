"""Each deployment file against the schema of the program that reads it, offline: every object in
deploy/k8s/ (the examples too) with kubernetes-validate, strict (an unknown field is an error, as
`kubectl apply --validate=strict` makes it), against the oldest and the newest Kubernetes release
it ships schemas for; deploy/compose.yaml against the Compose Specification's JSON schema, a copy
kept in tests/deploy/schemas/ (its README says where it comes from)."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from kubernetes_validate import utils as kubernetes

from tests.deploy.files import K8S, ROOT

SCHEMAS = Path(__file__).parent / "schemas"
COMPOSE_SCHEMA = SCHEMAS / "compose-spec.json"
KUBERNETES_RELEASES = (min(kubernetes.all_versions()), kubernetes.latest_version())


def kubernetes_objects() -> list[tuple[str, dict[str, Any]]]:
    """Every object of every manifest under deploy/k8s/, named by its file and position."""
    found: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(K8S.rglob("*.y*ml")):
        documents = yaml.safe_load_all(path.read_text(encoding="utf-8"))
        for index, document in enumerate(d for d in documents if d is not None):
            found.append((f"{path.relative_to(ROOT)}#{index}", document))
    return found


OBJECTS = kubernetes_objects()


def kubernetes_errors(document: dict[str, Any], release: str) -> str | None:
    """Why Kubernetes `release` would refuse the object, or None when it is valid."""
    try:
        kubernetes.validate(document, release, strict=True)
    except kubernetes.ValidationError as error:
        return str(error.message)
    except kubernetes.SchemaNotFoundError:
        return f"Kubernetes {release} has no {document['kind']} in {document['apiVersion']}"
    return None


def test_every_manifest_is_found() -> None:
    kinds = sorted(document["kind"] for _, document in OBJECTS)
    assert kinds == [
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Secret",
        "Service",
    ]


@pytest.mark.parametrize("release", KUBERNETES_RELEASES)
@pytest.mark.parametrize(("where", "document"), OBJECTS, ids=[where for where, _ in OBJECTS])
def test_each_kubernetes_object_is_valid(
    where: str, document: dict[str, Any], release: str
) -> None:
    assert kubernetes_errors(document, release) is None, where


def _deployment() -> dict[str, Any]:
    (document,) = [d for _, d in OBJECTS if d["kind"] == "Deployment"]
    return copy.deepcopy(document)


def test_a_misspelled_field_a_wrong_type_and_a_removed_api_are_refused() -> None:
    newest = KUBERNETES_RELEASES[-1]
    misspelled = _deployment()
    container = misspelled["spec"]["template"]["spec"]["containers"][0]
    container["readinessprobe"] = container.pop("readinessProbe")
    assert "'readinessprobe' was unexpected" in (kubernetes_errors(misspelled, newest) or "")
    mistyped = _deployment()
    mistyped["spec"]["replicas"] = "two"
    assert "'two' is not of type 'integer'" in (kubernetes_errors(mistyped, newest) or "")
    # autoscaling/v2beta2 went in Kubernetes 1.26: the oldest release takes it, the newest not.
    (autoscaler,) = [copy.deepcopy(d) for _, d in OBJECTS if d["kind"] == "HorizontalPodAutoscaler"]
    autoscaler["apiVersion"] = "autoscaling/v2beta2"
    assert kubernetes_errors(autoscaler, KUBERNETES_RELEASES[0]) is None
    assert "has no HorizontalPodAutoscaler" in (kubernetes_errors(autoscaler, newest) or "")


@pytest.fixture(scope="module")
def compose_validator() -> jsonschema.Draft7Validator:
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def compose_errors(validator: jsonschema.Draft7Validator, document: dict[str, Any]) -> list[str]:
    """Each error with where it is; for a value that matches none of a oneOf's choices, why
    each choice refused it."""
    found: list[str] = []
    pending = list(validator.iter_errors(document))
    while pending:
        error = pending.pop()
        found.append(f"{'.'.join(str(p) for p in error.absolute_path)}: {error.message}")
        pending.extend(error.context or [])
    return sorted(found)


def test_the_compose_file_follows_the_compose_specification(
    compose_validator: jsonschema.Draft7Validator, compose: dict[str, Any]
) -> None:
    assert compose_errors(compose_validator, compose) == []


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [
        (("services", "redis", "healthcheck", "intervall"), "5s", "'intervall' does not match"),
        (("services", "proxy", "ports"), "8080:80", "'8080:80' is not of type 'array'"),
        (
            ("services", "proxy", "depends_on", "okrgraph1", "condition"),
            "service_ready",
            "'service_ready' is not one of",
        ),
        (("volumes", "mongo1"), ["not", "a", "volume"], "is not of type 'object', 'null'"),
    ],
)
def test_the_compose_schema_refuses_what_compose_would(
    compose_validator: jsonschema.Draft7Validator,
    compose: dict[str, Any],
    path: tuple[str, ...],
    value: object,
    error: str,
) -> None:
    broken = copy.deepcopy(compose)
    parent = broken
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    errors = compose_errors(compose_validator, broken)
    assert any(error in e for e in errors), errors


def test_the_vendored_schema_is_the_copy_its_readme_names() -> None:
    digest = hashlib.sha256(COMPOSE_SCHEMA.read_bytes()).hexdigest()
    assert f"sha256 `{digest}`" in (SCHEMAS / "README.md").read_text(encoding="utf-8")
