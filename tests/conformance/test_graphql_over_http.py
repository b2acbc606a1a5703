"""GraphQL over HTTP: the reference audit of the `graphql-http` npm package (version pinned in
package.json and package-lock.json here) run against a live `okrgraph serve` process.

The audit cannot send tokens, so the server runs with OKRGRAPH_AUTH=disabled. Its probes of the
`variables` parameter ask for `__type(name: $name)`, an introspection field, so the audit that
must pass runs with introspection on; a second run shows that, with introspection off (the
default outside demo mode), exactly those probes are refused and nothing else changes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.servers import serving
from tests.npm import installed

HERE = Path(__file__).parent
TOOL_FILES = ("package.json", "package-lock.json", "audit.mjs")
AUDIT_VERSION = "1.23.1"

# SHOULD and MAY rules the service does not meet, by audit id: (rule, why). README lists them.
# None: with this configuration every SHOULD and MAY of graphql-http 1.23.1 passes.
MISSES: dict[str, tuple[str, str]] = {}

# What introspection off (the production default) adds to the misses: each of these probes sends
# `query Type($name: String!) { __type(name: $name) { name } }`, which the service refuses with
# INTROSPECTION_DISABLED, as configured; the `variables` parameter itself is handled correctly.
WITHOUT_INTROSPECTION = {
    "28B9": "MUST allow map {variables} parameter when accepting application/json",
    "2EA1": "SHOULD allow map {variables} parameter when accepting "
    "application/graphql-response+json",
    "6A70": "MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting "
    "application/json",
    "D6D5": "MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting "
    "application/graphql-response+json",
}


@pytest.fixture(scope="module")
def audit_tool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """graphql-http installed with `npm ci` from the lockfile, in a directory of its own."""
    return installed(
        HERE,
        TOOL_FILES,
        tmp_path_factory.mktemp("graphql-http"),
        {"graphql-http": AUDIT_VERSION},
        needs="the GraphQL-over-HTTP audit",
    )


def audit(tool: Path, url: str) -> list[dict[str, Any]]:
    """One result per rule of the audit: id, name (MUST/SHOULD/MAY …), status, reason."""
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [node, "audit.mjs", url], cwd=tool, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def not_ok(results: list[dict[str, Any]], level: str | tuple[str, ...]) -> dict[str, str]:
    """The rules of `level` that did not pass, by id, with the reason the audit gives."""
    return {
        r["id"]: f"{r['name']} ({r['status']}: {r['reason']})"
        for r in results
        if r["name"].startswith(level) and r["status"] != "ok"
    }


@pytest.fixture(scope="module")
def results(audit_tool: Path) -> list[dict[str, Any]]:
    """The audit of a server with authentication off and introspection on."""
    env = {"OKRGRAPH_AUTH": "disabled", "OKRGRAPH_INTROSPECTION": "true"}
    with serving("--memory", env=env) as base:
        return audit(audit_tool, f"{base}/graphql")


@pytest.mark.slow
def test_every_must_of_the_graphql_over_http_audit_passes(results: list[dict[str, Any]]) -> None:
    musts = [r for r in results if r["name"].startswith("MUST")]
    assert len(musts) >= 13  # graphql-http 1.23.1 has 13
    assert not_ok(results, "MUST") == {}


@pytest.mark.slow
def test_the_should_and_may_misses_are_the_listed_ones(results: list[dict[str, Any]]) -> None:
    missed = not_ok(results, ("SHOULD", "MAY"))
    assert set(missed) == set(MISSES), missed
    for rule_id, (name, _why) in MISSES.items():
        assert missed[rule_id].startswith(name)


@pytest.mark.slow
def test_without_introspection_only_the_probes_that_ask_for_type_fail(audit_tool: Path) -> None:
    with serving("--memory", env={"OKRGRAPH_AUTH": "disabled"}) as base:
        results = audit(audit_tool, f"{base}/graphql")
    missed = not_ok(results, ("MUST", "SHOULD", "MAY"))
    assert set(missed) == set(MISSES) | set(WITHOUT_INTROSPECTION), missed
    for rule_id, name in WITHOUT_INTROSPECTION.items():
        assert missed[rule_id].startswith(name), missed[rule_id]
