"""Settings that cannot work end `okrgraph` with one line naming the setting as the user wrote
it, exit status 2, no traceback and nothing of a URI or secret repeated; settings that would
open the data are refused."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from service import cli
from service.app import create_app
from service.auth import ConfigurationError, weak_secret
from service.config import Settings
from service.preflight import StartError, check_exposure, is_loopback, load_settings

SERVE = [sys.executable, "-m", "service.cli", "serve"]
GOOD_SECRET = "4f9c2a7e1b8d3f6a0c5e9b2d7f1a4c8e"
SETTING_NAMES = (
    "HOST",
    "PORT",
    "OKRGRAPH_HOST",
    "OKRGRAPH_PORT",
    "OKRGRAPH_AUTH",
    "OKRGRAPH_MONGODB_URI",
    "OKRGRAPH_MEMORY",
    "OKRGRAPH_DATA_DIR",
    "OKRGRAPH_JWT_SECRET",
    "OKRGRAPH_DEMO",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err.strip()


@pytest.mark.parametrize(
    ("environment", "flags", "named"),
    [
        ({"PORT": "abc"}, [], "PORT:"),
        ({"OKRGRAPH_PORT": "99999"}, [], "OKRGRAPH_PORT:"),
        ({"OKRGRAPH_AUTH": "bogus"}, [], "OKRGRAPH_AUTH:"),
        ({"OKRGRAPH_MONGODB_URI": "mysql://root:hunter2@db/okr"}, [], "OKRGRAPH_MONGODB_URI "),
        ({}, ["--mongodb-uri", "mysql://root:hunter2@db/okr"], "--mongodb-uri "),
        ({}, ["--mongodb-uri", "mongodb://root:hunter2@db:port/okr"], "--mongodb-uri "),
        ({"OKRGRAPH_MONGODB_URI": "hunter2"}, [], "OKRGRAPH_MONGODB_URI "),
    ],
)
def test_a_setting_that_does_not_parse_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environment: dict[str, str],
    flags: list[str],
    named: str,
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["serve", *flags]) == 2
    line = one_line(capsys)
    assert line.startswith(f"okrgraph: {named}"), line
    assert "hunter2" not in line


def test_a_data_dir_that_is_a_file_or_cannot_be_made_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    assert cli.main(["serve", "--data-dir", str(afile)]) == 2
    assert one_line(capsys) == f"okrgraph: --data-dir {afile} is not a directory"
    assert cli.main(["seed", "--demo", "--data-dir", str(afile / "below")]) == 2
    assert one_line(capsys).startswith("okrgraph: --data-dir: cannot create ")


def test_usage_mistakes_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["serve", "--port", "eighty"])
    assert stopped.value.code == 2
    assert "--port" in one_line(capsys)
    with pytest.raises(SystemExit):
        cli.main(["nonsense"])
    one_line(capsys)


def test_the_demo_never_turns_authentication_off() -> None:
    assert Settings(demo=True).auth_enabled
    with pytest.raises(ConfigurationError, match="no key is configured"):
        create_app(Settings(demo=True))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_authentication_off_is_refused_beyond_loopback_unless_allowed_twice(host: str) -> None:
    with pytest.raises(StartError, match="OKRGRAPH_AUTH_DISABLED_ANYWHERE"):
        check_exposure(Settings(auth="disabled", host=host))
    check_exposure(Settings(auth="disabled", host=host, auth_disabled_anywhere=True))
    check_exposure(Settings(host=host))  # authentication on: any host


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_hosts_may_serve_without_authentication(host: str) -> None:
    assert is_loopback(host)
    check_exposure(Settings(auth="disabled", host=host))


def test_authentication_off_on_every_interface_is_refused_by_serve(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OKRGRAPH_AUTH", "disabled")
    monkeypatch.setenv("HOST", "0.0.0.0")
    assert cli.main(["serve", "--memory", "--demo"]) == 2
    assert "HOST=0.0.0.0" in one_line(capsys)


@pytest.mark.parametrize(
    "secret",
    [
        "short",
        "ab" * 20,  # two distinct characters
        "0123456" * 6,  # seven
        "change-me-local-compose-secret-0123456789",
        "CHANGEME" + GOOD_SECRET,
        GOOD_SECRET + "-example",
        "my-jwt-s3cret-is-" + GOOD_SECRET + "-placeholder",
    ],
)
def test_weak_secrets_are_refused_by_the_server_and_by_token(
    secret: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    problem = weak_secret(secret)
    assert problem is not None
    assert secret not in problem
    with pytest.raises(ConfigurationError):
        create_app(Settings(jwt_secret=secret))
    monkeypatch.setenv("OKRGRAPH_JWT_SECRET", secret)
    assert cli.main(["token", "--org", "acme", "--role", "admin"]) == 2
    line = one_line(capsys)
    assert "OKRGRAPH_JWT_SECRET" in line
    assert secret not in line


def test_a_random_secret_is_accepted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert weak_secret(GOOD_SECRET) is None
    monkeypatch.setenv("OKRGRAPH_JWT_SECRET", GOOD_SECRET)
    assert cli.main(["token", "--org", "acme", "--role", "admin"]) == 0
    assert capsys.readouterr().out.count(".") == 2  # a JWT


def test_load_settings_names_the_variable_that_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OKRGRAPH_PORT", "x")
    with pytest.raises(StartError, match=r"^OKRGRAPH_PORT: "):
        load_settings()


@pytest.mark.slow
def test_a_port_in_use_is_one_line_before_the_store_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        data = tmp_path / "data"
        done = subprocess.run(
            [*SERVE, "--demo", "--data-dir", str(data), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            env={"OKRGRAPH_JWT_SECRET": GOOD_SECRET, "PATH": "/usr/bin:/bin"},
            cwd=tmp_path,
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        f"okrgraph: cannot listen on 127.0.0.1:{port} (HOST, --port): Address already in use"
    )
    assert list(data.iterdir()) == []  # the embedded store never started: nothing written


def test_a_metrics_port_in_use_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OKRGRAPH_AUTH", "disabled")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("OKRGRAPH_METRICS_PORT", str(taken.getsockname()[1]))
        assert cli.main(["serve", "--memory", "--port", "0"]) == 2
    line = one_line(capsys)
    assert "(OKRGRAPH_METRICS_HOST, OKRGRAPH_METRICS_PORT): Address already in use" in line


def test_serve_refuses_a_weak_secret_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OKRGRAPH_JWT_SECRET", "change-me-local-compose-secret-0123456789")
    monkeypatch.setenv("OKRGRAPH_METRICS", "false")
    assert cli.main(["serve", "--memory", "--port", "0"]) == 2
    line = one_line(capsys)
    assert line.startswith("okrgraph: OKRGRAPH_JWT_SECRET holds a placeholder word")
    assert "change-me-local" not in line
