"""The command line, run as a real process against the embedded store."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import httpx
import pytest

from schema.api import sdl
from service import cli
from service.config import Settings
from service.okrs.demo import DEMO_SLUG
from service.readmodel import ReadModel
from service.store.embedded import open_store
from tests.processes import children
from tests.store.test_embedded import running, wait_gone


def okrgraph(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
async def test_the_seeded_demo_is_still_there_after_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = okrgraph("seed", "--demo", "--data-dir", str(data), "--today", "2027-05-10")
    assert first.returncode == 0, first.stderr
    assert "seeded the demo organization" in first.stdout
    second = okrgraph("seed", "--demo", "--data-dir", str(data), "--today", "2027-05-10")
    assert second.returncode == 0, second.stderr
    assert "exists already" in second.stdout
    async with open_store(mongodb_uri=None, data_dir=data) as store:
        org = await store.get_organization_by_slug(DEMO_SLUG)
        assert org is not None
        held = await ReadModel(store).snapshot(org.id)
    assert held is not None
    assert len(held.cycle_list(2027)) == 5
    assert len(held.key_results) >= 8


def test_seed_without_demo_is_a_usage_error() -> None:
    result = okrgraph("seed")
    assert result.returncode == 2
    assert "--demo" in result.stderr


def test_version_is_the_installed_release_as_pyproject_names_it() -> None:
    """The console script that `pip install` made, as a user runs it."""
    script = Path(sys.executable).with_name("okrgraph")
    result = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    pyproject_toml = Path(__file__).resolve().parents[1] / "pyproject.toml"
    pyproject = tomllib.loads(pyproject_toml.read_text(encoding="utf-8"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"okrgraph {pyproject['project']['version']}\n"


# serve -----------------------------------------------------------------------------------------
def read_addresses(server: subprocess.Popen[str], within: float = 60.0) -> dict[str, str]:
    """The URLs of the server's `metrics at` and `GraphiQL at` lines, read as they are
    printed (the metrics line comes first)."""
    assert server.stdout is not None
    found: dict[str, str] = {}

    def read() -> None:
        assert server.stdout is not None
        for line in server.stdout:
            if line.startswith("okrgraph: ") and " at " in line:
                what, _, where = line.removeprefix("okrgraph: ").partition(" at ")
                found[what] = where.strip()
                if what == "GraphiQL":
                    return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(within)
    assert "GraphiQL" in found, f"no address printed within {within:g} s"
    return found


@pytest.mark.slow
def test_serve_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    with (tmp_path / "stderr").open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--memory", "--port", "0", "--demo"],
            env={**os.environ, "OKRGRAPH_AUTH": "disabled", "OKRGRAPH_METRICS_PORT": "0"},
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    stores: set[int] = set()
    try:
        addresses = read_addresses(server)
        graphiql, metrics = addresses["GraphiQL"], addresses["metrics"]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/graphql", graphiql), graphiql
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/metrics", metrics), metrics
        base = graphiql.removesuffix("/graphql")
        stores = children(server.pid)
        assert len(stores) == 1
        [nx] = stores
        assert "nx_27017" in Path(f"/proc/{nx}/cmdline").read_text()
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{base}/readyz").json() == {"status": "ready", "store": "ok", "bus": "ok"}
        answer = httpx.post(graphiql, json={"query": "{ __typename organizations { totalCount } }"})
        assert answer.json()["data"] == {"__typename": "Query", "organizations": {"totalCount": 1}}
        assert answer.headers["x-okrgraph-auth"] == "disabled"  # OKRGRAPH_AUTH=disabled
        # Metrics on their own listener, with the operations counted; none on the API's.
        assert "okrgraph_graphql_requests_total" in httpx.get(metrics).text
        assert httpx.get(f"{base}/metrics").status_code == 404
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0, (tmp_path / "stderr").read_text()
        assert wait_gone(nx), f"nx-27017 ({nx}) outlived the server"
        # Once listening, the start-up's objects were moved out of the collector's sight.
        settled = re.search(r"moved (\d+) start-up objects", (tmp_path / "stderr").read_text())
        assert settled is not None
        assert int(settled.group(1)) > 10_000
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        for pid in stores:
            if running(pid):  # a failed test leaves no orphan behind either
                os.kill(pid, signal.SIGKILL)
        if server.stdout is not None:
            server.stdout.close()


URI = "mongodb://db"
ANYWHERE = {"HOST": "0.0.0.0", "PORT": "9000"}


@pytest.mark.parametrize(
    ("environment", "flags", "expected"),
    [
        ({}, [], {"memory": False, "mongodb_uri": None, "data_dir": Path(".okrgraph-data")}),
        ({"OKRGRAPH_MONGODB_URI": URI}, ["--memory"], {"memory": True, "mongodb_uri": None}),
        ({"OKRGRAPH_MEMORY": "1"}, ["--data-dir", "d"], {"memory": False, "data_dir": Path("d")}),
        ({"OKRGRAPH_MEMORY": "1"}, ["--mongodb-uri", URI], {"mongodb_uri": URI}),
        (ANYWHERE, [], {"host": "0.0.0.0", "port": 9000}),
        (ANYWHERE, ["--host", "::1", "--port", "0"], {"host": "::1", "port": 0}),
        ({}, ["--demo"], {"demo": True, "host": "127.0.0.1", "port": 8000}),
    ],
)
def test_serve_flags_override_the_environment(
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    flags: list[str],
    expected: dict[str, object],
) -> None:
    for name in ("HOST", "PORT", "OKRGRAPH_MEMORY", "OKRGRAPH_MONGODB_URI", "OKRGRAPH_DEMO"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    served: list[Settings] = []

    def serve(settings: Settings, flags: frozenset[str]) -> int:
        served.append(settings)
        return 0

    monkeypatch.setattr(cli, "_serve", serve)
    assert cli.main(["serve", *flags]) == 0
    [settings] = served
    assert {name: getattr(settings, name) for name in expected} == expected


# export-schema ---------------------------------------------------------------------------------
def test_export_schema_writes_the_sdl_and_check_compares_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "schema.graphql"
    assert cli.main(["export-schema", "--check", "--output", str(output)]) == 1
    assert cli.main(["export-schema", "--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == sdl()
    assert cli.main(["export-schema", "--check", "--output", str(output)]) == 0
    output.write_text(sdl().replace("type Query", "type Query2"), encoding="utf-8")
    assert cli.main(["export-schema", "--check", "--output", str(output)]) == 1
    assert "run `okrgraph export-schema`" in capsys.readouterr().err
