"""The dashboard and GraphiQL in a real browser: Debian's Chromium driven by playwright-core
(installed by `npm ci` from this folder's lockfile) against `okrgraph serve`, with every request
to a host other than loopback aborted. `drive.mjs` does the clicking and reports what it saw."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from service.auth import Role, mint
from tests.e2e.servers import metrics_of, serving

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
SCREENSHOTS = HERE / "screenshots"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCENARIO_TIMEOUT = 60  # seconds; each scenario takes a few
SECRET = "a-browser-test-signing-key-long-enough-32"


@pytest.fixture(scope="session")
def driver() -> list[str]:
    """The command that runs drive.mjs, once playwright-core is installed from the lockfile.
    Anything missing fails the tests, saying what to install: they are never skipped."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("the browser tests need Node.js and npm: apt-get install -y nodejs npm")
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: apt-get install -y chromium")
    installed = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if installed.returncode != 0:
        pytest.fail(
            "`npm ci` in tests/browser could not install playwright-core from the lockfile:\n"
            + installed.stderr[-3000:]
        )
    SCREENSHOTS.mkdir(exist_ok=True)
    return [node, str(HERE / "drive.mjs")]


@pytest.fixture(scope="module")
def demo() -> Iterator[str]:
    # Authentication off (on loopback): the dashboard and GraphiQL as `make run` serves them.
    with serving("--demo", "--memory", env={"OKRGRAPH_AUTH": "disabled"}) as base:
        yield base


def drive(
    driver: list[str], scenario: str, base: str, *args: str, token: str = ""
) -> dict[str, Any]:
    """What the browser saw in one scenario; the scenario's own error fails the test."""
    done = subprocess.run(
        [*driver, scenario, base, str(SCREENSHOTS), *args],
        capture_output=True,
        text=True,
        timeout=SCENARIO_TIMEOUT,
        check=False,
        env={
            **os.environ,
            "CHROMIUM": str(CHROMIUM),
            "OKRGRAPH_TOKEN": token,
            "OKRGRAPH_METRICS_URL": metrics_of(base),
        },
    )
    if done.returncode != 0:
        pytest.fail(f"the browser scenario {scenario!r} failed:\n{done.stderr[-4000:]}")
    seen: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return seen


def assert_self_contained(seen: dict[str, Any]) -> None:
    """Nothing was asked of another host, and the page's policy blocked nothing it needed."""
    assert seen["blocked"] == []
    assert seen["cspViolations"] == []
    assert not [e for e in seen["consoleErrors"] if "Content Security Policy" in e]


def readme_query() -> str:
    """The example query of README's "Try it", for this year (the demo is seeded for today)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"## Try it.*?```graphql\n(.*?)```", readme, re.DOTALL)
    assert found, "README.md has no ```graphql example under ## Try it"
    return re.sub(r"year: \d{4}", f"year: {datetime.now(UTC).year}", found.group(1))


def test_the_dashboard_shows_the_demo_and_moves_its_bars_live_on_a_check_in(
    driver: list[str], demo: str
) -> None:
    (SCREENSHOTS / "dashboard.png").unlink(missing_ok=True)

    seen = drive(driver, "dashboard", demo)

    before, after = seen["before"], seen["after"]
    assert before["title"] == "Increase the sales close rate by 20%"  # the global objective
    assert 0 < before["value"] < 100
    assert before["statusText"].strip()  # the status in words, not only in colour
    assert seen["departments"] == 2  # Marketing and Sales rollups
    assert seen["chartPoints"] > 0  # the first key result's check-ins, charted
    assert seen["checkInErrors"] == []
    # The pricing page was never checked in: PENDING in its quarter's first two weeks, late
    # after them, and either way it says so in visible words; achieved, it needs no words.
    silent = seen["keyResultBefore"]
    assert silent["title"] == "Launch the new pricing page"
    assert silent["status"] in ("PENDING", "OFF_TRACK")
    assert silent["why"].startswith("no check-in")
    assert (seen["keyResultAfter"]["status"], seen["keyResultAfter"]["why"]) == ("ACHIEVED", "")
    # Every late key result says why on screen, the Sales one held back by Marketing's.
    late = {row["title"]: row["why"] for row in seen["lateBefore"]}
    assert late
    assert all(late.values()), late
    assert late["Increase closed sales by 25%"].endswith(
        "held back by upstream: Obtain 1,000 MQLs (marketing qualified leads)"
    )
    # The organization's health findings sit beside the departments, in words.
    codes = {f["code"] for f in seen["findingsBefore"]}
    assert {"TOO_FEW_OBJECTIVES", "KEY_RESULT_WITHOUT_OWNER"} <= codes
    assert all(f["text"].strip() for f in seen["findingsBefore"])
    stale = [f for f in seen["findingsBefore"] if f["code"] == "STALE_KEY_RESULT"]
    assert (silent["status"] == "OFF_TRACK") == any(silent["title"] in f["text"] for f in stale)
    assert not any(
        silent["title"] in f["text"]
        for f in seen["findingsAfter"]
        if f["code"] == "STALE_KEY_RESULT"
    )
    assert after["value"] > before["value"]
    assert seen["subscribed"] > 1  # the organization, and each objective and key result shown
    assert seen["events"] > 0  # progressChanged arrived over the WebSocket
    assert seen["sameDocument"]  # no reload
    assert seen["consoleErrors"] == []
    assert_self_contained(seen)
    assert (SCREENSHOTS / "dashboard.png").stat().st_size > 0


def test_the_dashboard_shows_owners_and_filters_to_one_members_okrs(
    driver: list[str], demo: str
) -> None:
    seen = drive(driver, "owners", demo)

    assert seen["choices"] == ["Everyone", "Olivia (CEO)", "Marta (Marketing)", "Sergio (Sales)"]
    metas = {row["title"]: row["meta"] for row in seen["everyone"]}
    assert "Marta (Marketing)" in metas["Obtain 1,000 MQLs (marketing qualified leads)"]
    assert "Sergio (Sales)" in metas["Increase closed sales by 25%"]
    assert "no owner" in metas["Keep the unsubscribe rate at most 0.5%"]
    # Marta's key results alone, under the objectives that lead to them.
    assert seen["marta"]
    assert all("Marta (Marketing)" in row["meta"] for row in seen["marta"])
    assert len(seen["marta"]) < len(seen["everyone"])
    assert seen["objectives"][0] == "Increase the sales close rate by 20%"
    assert seen["mine"]["title"] == "Marta (Marketing)'s OKRs"
    assert 0 <= seen["mine"]["value"] <= 100
    assert "member=" in seen["address"]  # a reload shows the same
    assert seen["consoleErrors"] == []
    assert_self_contained(seen)


def test_graphiql_runs_the_readme_query_with_nothing_but_loopback(
    driver: list[str], demo: str
) -> None:
    (SCREENSHOTS / "graphiql.png").unlink(missing_ok=True)

    seen = drive(driver, "graphiql", demo, readme_query())

    result = seen["resultText"].replace("\xa0", " ")
    assert '"name": "Acme Inbound"' in result
    assert '"errors"' not in result
    assert seen["consoleErrors"] == []
    assert_self_contained(seen)
    assert (SCREENSHOTS / "graphiql.png").stat().st_size > 0


def test_with_authentication_on_the_dashboard_asks_for_a_token_and_uses_it(
    driver: list[str], tmp_path: Path
) -> None:
    data = str(tmp_path / "data")
    token = mint(secret=SECRET, organization="acme-inbound", role=Role.VIEWER)
    # The demo is seeded and authentication stays on, as the key is configured.
    env = {"OKRGRAPH_JWT_SECRET": SECRET}
    with serving("--demo", "--data-dir", data, env=env) as base:
        seen = drive(driver, "token", base, token=token)

    assert "token" in seen["asked"]
    assert seen["formHidden"]
    assert seen["root"] == "Increase the sales close rate by 20%"
    assert seen["kept"] == token  # in sessionStorage: this tab only
    # Chromium reports the first, refused request (401) as a failed load; nothing else.
    assert [e for e in seen["consoleErrors"] if "401" not in e] == []
    assert_self_contained(seen)
