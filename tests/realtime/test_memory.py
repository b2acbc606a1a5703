"""A subscription held for days costs a bounded amount of memory: one WebSocket and one
graphql-sse subscriber held over 1,500 events grow a real server's resident memory by no more
than the same 1,500 check-ins grow it without them (plus a margin of 5 MB).

Each event is executed for its subscriber anew; what an execution remembers must go with it.
(graphql-core's per-event executor shares the subscription executor's memos, keyed by the
event's freshly collected fields: they grew by every event for as long as the subscription
lived.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from service.auth import Role, mint
from tests.e2e.servers import metrics_of, serving
from tests.processes import children
from tests.realtime.test_protocols import SSE, EventStream
from tests.realtime.wire import WAIT, init, receive, subscribe, until_active
from tests.realtime.world import GraphQL, World, build

SECRET = "memory-e2e-signing-key-of-at-least-thirty-two-chars"
SLUG = "acme-memory"
EVENTS = 1500
WARM_UP = 300  # fills what is bounded (the events kept for resuming, the allocator's pools)
MARGIN = 5 * 1024 * 1024

# A large selection: every number and explanation of the organization's progress.
WATCH = """subscription Watch($scope: ID!) { progressChanged(scopeId: $scope) {
  sequence at node { id }
  previous { value attainment expected status explanation { formula statusReason } }
  current { value attainment expected status explanation { formula statusReason
    inputs { label value weight } } }
  cause { id value recordedAt keyResult { id title currentValue } } } }"""


def resident(pid: int) -> int:
    """The process's resident memory, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def server_pid(before: set[int]) -> int:
    """The server this test started: the one child of this process that is new."""
    (pid,) = children(os.getpid()) - before
    return pid


async def check_ins(gql: GraphQL, world: World, count: int, start: int) -> None:
    """`count` check-ins on the MQL key result, each moving its progress."""
    for n in range(start, start + count):
        await gql.check_in(world.mql, float(n % 997))


async def count_websocket(base: str, token: str, scope: str, heard: list[int]) -> None:
    url = base.replace("http://", "ws://", 1) + "/graphql"
    async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        assert await init(ws, {"Authorization": f"Bearer {token}"}) == {"type": "connection_ack"}
        await subscribe(ws, "watch", WATCH, scope=scope)
        while True:
            message = await receive(ws, within=60)
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message
            heard[0] += 1


async def count_sse(http: httpx.AsyncClient, scope: str, heard: list[int]) -> None:
    body = {"query": WATCH, "variables": {"scope": scope}}
    async with http.stream("POST", "/graphql", json=body, headers=SSE) as response:
        assert response.status_code == 200
        stream = EventStream(response)
        while (found := await stream.next()) is not None:
            kind, data = found
            assert kind == "next", found
            assert "errors" not in json.loads(data), data
            heard[0] += 1


@contextlib.asynccontextmanager
async def subscribers(
    base: str, http: httpx.AsyncClient, token: str, scope: str
) -> AsyncIterator[tuple[list[int], list[int]]]:
    """A WebSocket and an SSE subscriber on `scope`, each counting the events it reads."""
    on_ws, on_sse = [0], [0]
    tasks = [
        asyncio.create_task(count_websocket(base, token, scope, on_ws)),
        asyncio.create_task(count_sse(http, scope, on_sse)),
    ]
    try:
        await until_active(metrics_of(base), 2)
        yield on_ws, on_sse
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def caught_up(heard: list[int], count: int) -> None:
    for _ in range(600):
        if heard[0] >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{heard[0]} of {count} events arrived")


@pytest.mark.slow
async def test_subscribers_held_over_many_events_grow_no_memory() -> None:
    before = children(os.getpid())
    with serving("--memory", env={"OKRGRAPH_JWT_SECRET": SECRET}) as base:
        pid = server_pid(before)
        token = mint(secret=SECRET, organization=SLUG, role=Role.ADMIN, subject="memory")
        auth = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, headers=auth, timeout=WAIT) as http:
            gql = GraphQL(http)
            world = await build(gql, slug=SLUG)
            written = 0

            # Without subscribers: what the check-ins themselves cost.
            await check_ins(gql, world, WARM_UP, written)
            written += WARM_UP
            alone = resident(pid)
            await check_ins(gql, world, EVENTS, written)
            written += EVENTS
            grown_alone = resident(pid) - alone

            async with subscribers(base, http, token, world.org) as (on_ws, on_sse):
                await check_ins(gql, world, WARM_UP, written)
                written += WARM_UP
                await caught_up(on_ws, WARM_UP)
                await caught_up(on_sse, WARM_UP)
                watched = resident(pid)
                await check_ins(gql, world, EVENTS, written)
                written += EVENTS
                await caught_up(on_ws, WARM_UP + EVENTS)
                await caught_up(on_sse, WARM_UP + EVENTS)
                grown_watched = resident(pid) - watched
    assert grown_watched - grown_alone < MARGIN, (
        f"{EVENTS} events to two subscribers grew the server by {grown_watched / 2**20:.1f} MB, "
        f"the same check-ins alone by {grown_alone / 2**20:.1f} MB"
    )
