"""The Dockerfile: a slim final stage with only the built venv, a fixed non-root user, a
healthcheck that really asks /healthz, `okrgraph serve` on all interfaces, and a build context
that leaves local state out. Docker cannot run here: the file is read, not built."""

from __future__ import annotations

import fnmatch
import http.server
import re
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.deploy.files import (
    ROOT,
    Stage,
    settings_from,
)


def test_the_image_runs_as_a_fixed_non_root_uid(uid: int) -> None:
    assert uid != 0


def test_the_final_stage_holds_the_built_venv_and_no_build_tools(stages: list[Stage]) -> None:
    builder, final = stages[0], stages[-1]
    assert len(stages) >= 2
    assert final.base == builder.base == "python:3.11-slim"
    copies = [args for args in final.all("COPY") if args.startswith("--from=")]
    assert copies == [f"--from={builder.name} /opt/okrgraph /opt/okrgraph"]
    assert not [c for c in final.all("COPY") if not c.startswith("--from=")], "source copied"
    for command in final.all("RUN"):
        assert not re.search(r"apt-get|apk|pip |gcc|build-essential|make\b", command), command


def test_the_entry_point_serves_on_all_interfaces_at_the_exposed_port(
    final: Stage, port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert final.exec_form("ENTRYPOINT") == ["okrgraph", "serve"]
    assert not final.all("CMD"), "serve's options come from the environment"
    settings = settings_from(final.env(), monkeypatch)
    assert (settings.host, settings.port) == ("0.0.0.0", port)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"]["okrgraph"] == "service.cli:main"


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def health_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.mark.parametrize(
    ("status", "ports", "healthy"),
    [
        (200, {"PORT": "{port}"}, True),
        (503, {"PORT": "{port}"}, False),
        # OKRGRAPH_PORT wins over PORT, for the healthcheck as for the service.
        (200, {"PORT": "1", "OKRGRAPH_PORT": "{port}"}, True),
    ],
)
def test_the_healthcheck_asks_healthz_on_the_port_the_service_listens_on(
    final: Stage,
    health_server: http.server.HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    ports: dict[str, str],
    healthy: bool,
) -> None:
    monkeypatch.setattr(_Health, "status", status)
    listening = health_server.server_address[1]
    ports = {name: value.format(port=listening) for name, value in ports.items()}
    assert settings_from(ports, monkeypatch).port == listening
    command = final.healthcheck()
    assert command[:2] == ["python", "-c"], "the slim image has no curl: python checks"
    # The child inherits the environment that Settings just read.
    done = subprocess.run([sys.executable, *command[1:]], check=False, timeout=10)
    assert (done.returncode == 0) is healthy


def _ignored(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(path, p) or path.startswith(p.rstrip("/") + "/") for p in patterns)


def test_the_build_context_leaves_out_local_state_but_not_what_the_build_copies(
    stages: list[Stage],
) -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for local in (".venv", ".git", ".okrgraph-data", ".mypy_cache", ".pytest_cache", "tests"):
        assert _ignored(local, patterns), local
    for copy in stages[0].all("COPY"):
        *sources, _ = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert not _ignored(source, patterns), f"{source} is copied but ignored"
