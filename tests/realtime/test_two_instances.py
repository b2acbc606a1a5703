"""End to end across instances: two `okrgraph serve` processes, A and B, sharing one nx-27017
store and one private redis-server, authentication on. Subscribers hold WebSockets to A; every
write goes to B, so each event a subscriber receives travelled through Redis.

The server reads the real clock, so check-in values are multiples of the share `e` of the
quarter elapsed, chosen far from every status threshold (as tests/e2e/test_seed_example.py
does): the statuses do not depend on the day the test runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from service.auth import Role, mint
from service.store.embedded import NxServer
from tests.e2e.servers import metrics_of, serving
from tests.events.servers import RedisServer, free_port
from tests.realtime.wire import WAIT, init, quiet, receive, send, subscribe, until, until_active
from tests.realtime.world import WATCH, GraphQL, build, elapsed_share

SECRET = "realtime-e2e-signing-key-of-at-least-thirty-two-chars"
SLUG = "acme-realtime"
CLOSE = 1e-4  # the server reads the clock a moment after the test: see test_seed_example.py


@dataclass
class Cluster:
    a: str
    b: str
    redis: RedisServer


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """nx-27017 and redis-server of their own, and the two instances pointed at both."""
    with contextlib.ExitStack() as stack:
        nx = NxServer.launch(None, tmp_path, port=free_port())
        stack.callback(lambda: asyncio.run(nx.stop()))
        asyncio.run(nx.ready())
        redis = RedisServer(free_port())
        redis.start()
        stack.callback(redis.stop)
        env = {"OKRGRAPH_JWT_SECRET": SECRET, "OKRGRAPH_REDIS_URL": redis.url}
        a = stack.enter_context(serving("--mongodb-uri", nx.uri, env=env))
        b = stack.enter_context(serving("--mongodb-uri", nx.uri, env=env))
        yield Cluster(a=a, b=b, redis=redis)


def websocket(base: str) -> connect:
    url = base.replace("http://", "ws://", 1) + "/graphql"
    return connect(url, subprotocols=[Subprotocol("graphql-transport-ws")])


async def watch(ws: ClientConnection, token: str, **scopes: str) -> None:
    """Authenticate, then subscribe to each scope under its name as the operation id."""
    assert await init(ws, {"Authorization": f"Bearer {token}"}) == {"type": "connection_ack"}
    for op, scope in scopes.items():
        await subscribe(ws, op, WATCH, scope=scope)


async def events(ws: ClientConnection, count: int) -> dict[str, dict[str, Any]]:
    """The next `count` progress events on the socket, by operation id (one per id)."""
    found: dict[str, dict[str, Any]] = {}
    for _ in range(count):
        message = await receive(ws)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        assert message["id"] not in found, f"two events for {message['id']}"
        found[message["id"]] = message["payload"]["data"]["progressChanged"]
    return found


def progress(value: float, status: str) -> dict[str, Any]:
    return {"value": pytest.approx(value, abs=CLOSE), "status": status}


async def until_status(http: httpx.AsyncClient, wanted: str) -> None:
    """Wait until the instance's /readyz reports `wanted` ("ready", "degraded")."""

    async def reached() -> bool:
        answer = await http.get("/readyz")
        assert answer.status_code == 200, answer.text  # the store is there all along
        return bool(answer.json()["status"] == wanted)

    await until(reached, f"/readyz of {http.base_url} says {wanted}")


@pytest.mark.slow
async def test_events_cross_instances_reach_only_their_scopes_and_survive_a_redis_restart(
    cluster: Cluster,
) -> None:
    e = elapsed_share(datetime.now(UTC))
    token = mint(secret=SECRET, organization=SLUG, role=Role.ADMIN, subject="realtime")
    auth = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=cluster.a, headers=auth, timeout=WAIT) as on_a,
        httpx.AsyncClient(base_url=cluster.b, headers=auth, timeout=WAIT) as on_b,
    ):
        b = GraphQL(on_b)
        world = await build(b, slug=SLUG)
        async with (
            websocket(cluster.a) as ws,
            websocket(cluster.a) as sales,
            websocket(cluster.a) as victim,
        ):
            await watch(ws, token, kr=world.mql, funnel=world.funnel, quitter=world.mql)
            await watch(sales, token, sales=world.sales)  # holds nothing of the MQL key result
            await watch(victim, token, org=world.org)
            await until_active(metrics_of(cluster.a), 5)

            # Completing a subscription stops its events: "quitter" hears none of what follows.
            await send(ws, {"id": "quitter", "type": "complete"})
            await until_active(metrics_of(cluster.a), 4)

            # A check-in on B: 300·e MQLs, progress 0.3·e < 0.5·e, OFF_TRACK. The objective:
            # (1 · 0.3e + 2 · 0) / 3 = 0.1e, the weakest status of its KRs (OFF_TRACK, PENDING).
            first = await b.check_in(world.mql, 1000 * 0.3 * e)
            heard = await events(ws, 2)
            assert set(heard) == {"kr", "funnel"}
            sequence = heard["kr"]["sequence"]
            assert heard["kr"]["node"] == {"id": world.mql}
            assert heard["kr"]["cause"]["id"] == first
            assert heard["kr"]["cause"]["value"] == pytest.approx(300 * e)
            assert heard["kr"]["previous"] == {"value": 0, "status": "PENDING"}
            assert heard["kr"]["current"] == progress(0.3 * e, "OFF_TRACK")
            assert heard["funnel"]["sequence"] == sequence
            assert heard["funnel"]["node"] == {"id": world.funnel}
            assert heard["funnel"]["previous"] == {"value": 0, "status": "PENDING"}
            assert heard["funnel"]["current"] == progress(0.1 * e, "OFF_TRACK")
            # The organization's progress is its global objective's: the funnel's, one level up.
            org = (await events(victim, 1))["org"]
            assert org["previous"] == {"value": 0, "status": "PENDING"}
            assert org["current"] == progress(0.1 * e, "OFF_TRACK")

            # The victim dies mid-stream (no close frame, the TCP connection just ends) as the
            # next check-in is published: the others hear it, and A lets the victim go.
            second = await b.check_in(world.mql, 1000 * 0.2 * e)
            victim.transport.abort()
            heard = await events(ws, 2)
            assert heard["kr"]["sequence"] == heard["funnel"]["sequence"] == sequence + 1
            assert heard["kr"]["cause"]["id"] == second
            assert heard["kr"]["previous"] == progress(0.3 * e, "OFF_TRACK")
            assert heard["kr"]["current"] == progress(0.2 * e, "OFF_TRACK")
            assert heard["funnel"]["current"] == progress(0.2 * e / 3, "OFF_TRACK")
            await until_active(metrics_of(cluster.a), 3)

            # Deals at 40 + 10·e: progress e, ON_TRACK. The Sales subscriber's first event is
            # this one: it heard nothing of the two MQL check-ins before.
            deals = await b.check_in(world.deals, 40 + 10 * e)
            [(op, event)] = (await events(sales, 1)).items()
            assert op == "sales"
            assert event["sequence"] == sequence + 2
            assert event["cause"]["id"] == deals
            assert event["previous"] == {"value": 0, "status": "PENDING"}
            assert event["current"] == progress(e, "ON_TRACK")
            # The objective: (0.2e + 2e) / 3, still held down by the MQLs.
            heard = await events(ws, 1)
            assert heard["funnel"]["current"] == progress(2.2 * e / 3, "OFF_TRACK")

            # Redis goes away: both instances say so, and writes still work. Nothing is lost:
            # A reads B's change from the log (it polls while the bus is away).
            await asyncio.to_thread(cluster.redis.stop)
            for http in (on_a, on_b):
                await until_status(http, "degraded")
            during = await b.check_in(world.mql, 1000 * 0.4 * e)
            heard = await events(ws, 2)
            assert heard["kr"]["sequence"] == sequence + 3
            assert heard["kr"]["cause"]["id"] == during
            # Redis is back on the same port: both instances reconnect by themselves, and the
            # same subscribers hear the next check-in, the next in sequence.
            await asyncio.to_thread(cluster.redis.start)
            for http in (on_a, on_b):
                await until_status(http, "ready")
            after = await b.check_in(world.mql, 1000 * 0.45 * e)
            heard = await events(ws, 2)
            assert heard["kr"]["sequence"] == sequence + 4
            assert heard["kr"]["cause"]["id"] == after
            assert heard["kr"]["previous"] == progress(0.4 * e, "OFF_TRACK")
            assert heard["kr"]["current"] == progress(0.45 * e, "OFF_TRACK")
            assert heard["funnel"]["current"] == progress(2.45 * e / 3, "OFF_TRACK")
            await quiet(ws)
            await quiet(sales, 0.1)
