"""deploy/compose.yaml and deploy/nginx.conf: a three-member replica set with its one-shot
init, Redis, two okrgraph replicas on both, and nginx balancing them and passing WebSockets."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.deploy.files import (
    DEPLOY,
    Directive,
    Stage,
    compose_environment,
    nginx_seconds,
    settings_from,
)


def _mongo_members(services: dict[str, dict[str, Any]]) -> list[str]:
    return sorted(
        name
        for name, s in services.items()
        if s.get("image") == "mongo:7" and "--replSet" in s.get("command", [])
    )


def test_mongodb_runs_as_a_three_member_replica_set(services: dict[str, dict[str, Any]]) -> None:
    members = _mongo_members(services)
    assert len(members) == 3
    for name in members:
        command = services[name]["command"]
        assert command[command.index("--replSet") + 1] == "rs0"
        assert "healthcheck" in services[name], name
        assert services[name].get("volumes"), f"{name} keeps no data across restarts"


def test_a_one_shot_service_initiates_the_replica_set_with_every_member(
    services: dict[str, dict[str, Any]],
) -> None:
    members = _mongo_members(services)
    init = services["mongo-init"]
    assert init["restart"] == "no"
    assert init["depends_on"] == {m: {"condition": "service_healthy"} for m in members}
    (mount,) = init["volumes"]
    source, target, _ = mount.split(":")
    assert target in init["command"]
    script = (DEPLOY / source).read_text(encoding="utf-8")
    assert "rs.initiate(" in script
    assert "NotYetInitialized" in script, "a second run must not initiate again"
    assert re.search(r'_id: "rs0"', script)
    assert set(re.findall(r'host: "([^"]+)"', script)) == {f"{m}:27017" for m in members}


def test_two_replicas_use_the_replica_set_and_redis(
    services: dict[str, dict[str, Any]],
    replicas: dict[str, dict[str, Any]],
    final: Stage,
    port: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert len(replicas) == 2
    (redis,) = [n for n, s in services.items() if str(s.get("image")).startswith("redis:")]
    assert "healthcheck" in services[redis]
    for name, service in replicas.items():
        assert service["build"]["dockerfile"] == "Dockerfile"
        settings = settings_from({**final.env(), **compose_environment(service)}, monkeypatch)
        assert settings.port == port
        assert settings.mongodb_uri is not None, name
        assert settings.redis_url is not None, name
        uri = urlsplit(settings.mongodb_uri)
        hosts = {host.partition(":")[0] for host in uri.netloc.split(",")}
        assert hosts == set(_mongo_members(services)), name
        assert "replicaSet=rs0" in uri.query.split("&"), name
        assert urlsplit(settings.redis_url).hostname == redis, name
        assert service["depends_on"] == {
            "mongo-init": {"condition": "service_completed_successfully"},
            redis: {"condition": "service_healthy"},
        }


def test_the_proxy_balances_both_replicas_at_the_exposed_port(
    services: dict[str, dict[str, Any]],
    replicas: dict[str, dict[str, Any]],
    nginx: Directive,
    port: int,
) -> None:
    (proxy,) = [s for s in services.values() if str(s.get("image")).startswith("nginx:")]
    assert "./nginx.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert proxy["depends_on"] == {r: {"condition": "service_healthy"} for r in replicas}
    (upstream,) = nginx.find("upstream")
    assert {s.args[0] for s in upstream.find("server")} == {f"{r}:{port}" for r in replicas}
    (server,) = nginx.find("server")
    for location in server.find("location"):
        if location.args == ["=", "/metrics"]:
            continue
        assert [d.args for d in location.find("proxy_pass")] == [[f"http://{upstream.args[0]}"]]


def test_the_proxy_refuses_metrics(nginx: Directive) -> None:
    (server,) = nginx.find("server")
    (metrics,) = [loc for loc in server.find("location") if loc.args == ["=", "/metrics"]]
    assert [d.args for d in metrics.find("return")] == [["404"]]
    assert metrics.find("proxy_pass") == []


def test_the_replicas_require_a_jwt_secret_and_publish_none(
    replicas: dict[str, dict[str, Any]],
) -> None:
    """Compose stops with the message when the variable is unset or empty (`:?`): no secret
    written in the repository can ever verify a token."""
    for name, service in replicas.items():
        secret = compose_environment(service)["OKRGRAPH_JWT_SECRET"]
        assert re.fullmatch(r"\$\{OKRGRAPH_JWT_SECRET:\?[^}$]+\}", secret), (name, secret)


def test_the_proxy_passes_websockets_on_graphql(nginx: Directive) -> None:
    (server,) = nginx.find("server")
    (graphql,) = [loc for loc in server.find("location") if loc.args == ["/graphql"]]
    version = graphql.find("proxy_http_version") or server.find("proxy_http_version")
    assert [d.args for d in version] == [["1.1"]]
    headers = {d.args[0].lower(): d.args[1] for d in graphql.find("proxy_set_header")}
    assert headers["upgrade"] == "$http_upgrade"
    connection = headers["connection"]
    if connection.startswith("$"):
        (mapping,) = [m for m in nginx.find("map") if m.args == ["$http_upgrade", connection]]
        connection = {d.name: d.args[0] for d in mapping.block or []}["default"]
    assert connection == "upgrade"
    (timeout,) = graphql.find("proxy_read_timeout")
    assert nginx_seconds(timeout.args[0]) >= 300, "quiet subscriptions must stay open"
