"""Apollo Federation 2: entities keyed by id, `_service { sdl }` and `_entities`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def answers() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-W", "error", "-m", "tests.federation.subgraph"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_the_subgraph_sdl_declares_the_entities_and_federation_2(answers: dict[str, Any]) -> None:
    sdl = answers["sdl"]
    assert answers["sdl_errors"] == []
    assert "@link" in sdl
    assert "federation/v2" in sdl
    for entity in ("Organization", "Department", "Objective", "KeyResult"):
        assert f'type {entity} implements Node @key(fields: "id"' in sdl
    assert "type Cycle implements Node @key" not in sdl


def test_only_the_router_reads_the_sdl(answers: dict[str, Any]) -> None:
    # Another subject, no token, and the router's subject while no router is configured.
    assert answers["refusals"] == [["FORBIDDEN"]] * 3
    assert answers["refused_data"] == [None] * 3


def test_entities_resolve_by_id_and_unknown_ids_are_null(answers: dict[str, Any]) -> None:
    assert answers["entity_errors"] == []
    assert answers["entities"] == [{"name": "Acme Inbound"}, {"name": "Marketing"}, None]


def test_the_plain_schema_stays_free_of_federation() -> None:
    sdl = (ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8")
    assert "@key" not in sdl
    assert "_service" not in sdl
