"""The client matrix: popular GraphQL clients, unmodified and with their defaults (versions
pinned in package.json and package-lock.json here, installed by `npm ci` into this folder's
node_modules), run against a real `okrgraph serve` holding the demo, signed in with a token.
Each script runs the kit's operations (schema/operations) and prints what it saw as one JSON
line; graphql-codegen runs README's recipe and `tsc --strict` compiles what it generates."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from service.auth import Role, mint
from tests.e2e.servers import metrics_of, serving
from tests.npm import installed_here

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
SECRET = "client-matrix-signing-key-of-32-chars-or-more"
DEMO = "acme-inbound"  # the demo organization's slug
PINNED = {
    "@apollo/client-3": "3.14.1",
    "@apollo/client-4": "4.3.8",
    "@urql/core": "6.0.3",
    "graphql-request": "7.4.0",
    "graphql-sse": "2.6.1",
    "graphql-ws": "6.0.8",
    "@graphql-codegen/cli": "7.4.3",
    "@graphql-codegen/typescript-operations": "6.1.9",
    "@graphql-codegen/typed-document-node": "7.1.1",
    "@graphql-typed-document-node/core": "3.2.0",
    "graphql": "16.15.0",
    "typescript": "7.0.2",
}
SCRIPT_TIMEOUT = 60  # seconds; each script takes one or two


@pytest.fixture(scope="module")
def clients() -> Path:
    return installed_here(HERE, PINNED, needs="the client matrix")


@dataclass
class Server:
    base: str
    token: str
    metrics: str


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """The demo on a real server with authentication on, and an editor's token for it."""
    with serving("--demo", "--memory", env={"OKRGRAPH_JWT_SECRET": SECRET}) as base:
        token = mint(secret=SECRET, organization=DEMO, role=Role.EDITOR, subject="client-matrix")
        yield Server(base=base, token=token, metrics=metrics_of(base))


def run(clients: Path, server: Server, script: str, *args: str, node: tuple[str, ...] = ()) -> Any:
    """What `script` saw, from its last line; its failure fails the test with its stderr."""
    executable = shutil.which("node")
    assert executable is not None
    done = subprocess.run(
        [executable, *node, script, server.base, server.token, server.metrics, *args],
        cwd=clients,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"{script} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_caused(seen: dict[str, Any]) -> None:
    """The subscription's event is the check-in the script made, on its key result."""
    event = seen["event"]
    assert event["node"]["id"] == seen["keyResult"]
    assert event["cause"]["keyResult"]["id"] == seen["keyResult"]
    assert event["cause"]["value"] == pytest.approx(seen["value"])
    assert event["current"]["value"] > event["previous"]["value"]


@pytest.mark.parametrize("major", ["3", "4"])
@pytest.mark.parametrize(
    ("setup", "watched"),
    [
        ((), {"Dashboard"}),  # a default InMemoryCache
        (("policies",), {"Dashboard", "KeyResultDetail"}),  # README's typePolicies
    ],
    ids=["default-cache", "readme-type-policies"],
)
def test_apollo_client_updates_watched_queries_from_a_check_in_without_warning_or_refetch(
    clients: Path, server: Server, major: str, setup: tuple[str, ...], watched: set[str]
) -> None:
    # Apollo 4 prints warnings only in its development build, as a bundler's dev server loads it.
    seen = run(clients, server, "apollo.mjs", major, *setup, node=("--conditions=development",))

    assert seen["console"] == []
    assert seen["userErrors"] == []
    assert_caused(seen)
    assert seen["dashboardShows"]["currentValue"] == pytest.approx(seen["value"])
    # One request each: the check-in's answer updated the cached queries in place.
    assert seen["requests"] == dict.fromkeys({"Organizations", "CheckInCreate", *watched}, 1)


@pytest.mark.parametrize("major", ["3", "4"])
def test_apollo_clients_http_link_alone_subscribes_over_multipart(
    clients: Path, server: Server, major: str
) -> None:
    seen = run(clients, server, "apollo-multipart.mjs", major, node=("--conditions=development",))

    assert seen["console"] == []
    assert seen["userErrors"] == []
    assert_caused(seen)
    # Queries, the mutation and the subscription each one HTTP request.
    assert seen["requests"] == dict.fromkeys(
        {"Organizations", "Dashboard", "ProgressChanged", "CheckInCreate"}, 1
    )


def test_urql_queries_as_json_and_subscribes_over_graphql_ws(clients: Path, server: Server) -> None:
    seen = run(clients, server, "urql.mjs")

    assert seen["console"] == []
    assert seen["departments"] == 2  # the Dashboard answered (as JSON, despite urql's Accept)
    assert seen["userErrors"] == []
    assert seen["created"] == pytest.approx(seen["value"])
    assert_caused(seen)


def test_graphql_request_queries_and_checks_in(clients: Path, server: Server) -> None:
    seen = run(clients, server, "graphql-request.mjs")

    assert seen["console"] == []
    assert seen["userErrors"] == []
    assert seen["created"] == pytest.approx(seen["value"])


def test_graphql_sse_subscribes_in_distinct_connections_mode_and_is_refused_single(
    clients: Path, server: Server
) -> None:
    seen = run(clients, server, "graphql-sse.mjs")

    assert seen["console"] == []
    assert_caused(seen)
    # Single connection mode's reservation (a PUT) is refused; the body names the mode served
    # (tests/app/test_negotiation.py reads it), the client says the status.
    assert seen["refused"] == {
        "message": "Server responded with 405: Method Not Allowed",
        "status": 405,
    }


def test_graphql_ws_is_closed_4401_at_token_expiry_and_resumes_after_its_last_sequence(
    clients: Path, server: Server
) -> None:
    """What README tells a client to do on 4401: get a new token, reconnect, and subscribe with
    `afterSequence`; the check-in made meanwhile comes first, nothing is lost."""
    # Good for about 5 s more: its `exp` is 25 s past, within the 30 s of clock skew allowed.
    expiring = mint(
        secret=SECRET,
        organization=DEMO,
        role=Role.EDITOR,
        subject="client-matrix",
        now=datetime.now(UTC) - timedelta(seconds=40),
        ttl=timedelta(seconds=15),
    )
    seen = run(clients, server, "graphql-ws-resume.mjs", expiring)

    assert seen["console"] == []
    assert seen["beforeExpiry"] == [seen["live"]]
    assert seen["closedWith"] == 4401
    assert seen["closes"] == [4401]
    replayed = seen["replayed"]
    assert replayed["cause"]["id"] == seen["missed"]
    assert replayed["sequence"] > seen["last"]


def readme_block(language: str, starts: str) -> str:
    """The README's ```language block that starts with `starts`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in re.findall(rf"```{language}\n(.*?)```", readme, re.DOTALL):
        if block.startswith(starts):
            found: str = block
            return found
    pytest.fail(f"README.md has no ```{language} block starting {starts!r}")


def test_readmes_codegen_recipe_pins_these_versions_and_compiles_with_tsc_strict(
    clients: Path, tmp_path: Path
) -> None:
    install = readme_block("sh", "npm install --save-dev @graphql-codegen/cli")
    named = dict(re.findall(r"(@?[\w./-]+)@(\d[\w.-]*)", install))
    assert named == {
        name: PINNED[name]
        for name in (
            "@graphql-codegen/cli",
            "@graphql-codegen/typescript-operations",
            "@graphql-codegen/typed-document-node",
            "typescript",
            "@graphql-typed-document-node/core",
            "graphql",
        )
    }
    # An app beside a checkout of okrgraph, as the recipe's paths assume.
    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    (app / "schema").symlink_to(ROOT / "schema")
    (app / "node_modules").symlink_to(clients / "node_modules")
    (app / "package.json").write_text('{"type": "module"}')
    (app / "codegen.ts").write_text(readme_block("ts", "import type { CodegenConfig }"))
    shutil.copy(HERE / "usage.ts", app / "src" / "usage.ts")
    bin_ = clients / "node_modules" / ".bin"

    generated = subprocess.run(
        [bin_ / "graphql-codegen", "--config", "codegen.ts"],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout[-3000:] + generated.stderr[-3000:]
    compiled = subprocess.run(
        [
            bin_ / "tsc",
            "--strict",
            "--noEmit",
            "--target",
            "es2022",
            "--module",
            "nodenext",
            "--moduleResolution",
            "nodenext",
            "src/usage.ts",
            "src/graphql/generated.ts",
        ],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stdout[-3000:]
