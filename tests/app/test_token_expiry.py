"""A subscription lives as long as its token: a WebSocket that signs in with an expired token
is closed with 4401 (get a new token and reconnect), one whose token expires while it is open
is closed with 4401 then, and an event stream over HTTP ends with UNAUTHENTICATED."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from service.app import create_app
from service.auth import LEEWAY, Principal, Role, mint
from service.config import Settings
from tests.app.test_app import listening, memory_store
from tests.realtime.test_protocols import SSE, EventStream
from tests.realtime.wire import WAIT, closed_with, init, receive, send, subscribe
from tests.realtime.world import GraphQL, World, build

SECRET = "expiry-signing-key-3c8f1a6e9d2b7e40"
SLUG = "acme-expiry"
WATCH = """subscription Watch($scope: ID!) { progressChanged(scopeId: $scope) { sequence } }"""
SOON = 2.0  # seconds a token has left


def token(left: float) -> str:
    """A token good for `left` more seconds, the clock skew allowed included."""
    ttl = timedelta(seconds=left - LEEWAY)
    return mint(secret=SECRET, organization=SLUG, role=Role.ADMIN, subject="expiry", ttl=ttl)


def bearer(left: float) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(left)}"}


@asynccontextmanager
async def server() -> AsyncIterator[tuple[str, World]]:
    app = create_app(Settings(jwt_secret=SECRET), store=memory_store())
    async with listening(app) as address:
        async with httpx.AsyncClient(
            base_url=f"http://{address}", headers=bearer(3600), timeout=WAIT
        ) as http:
            world = await build(GraphQL(http), slug=SLUG)
        yield address, world


async def closed_after_keep_alives(ws: ClientConnection) -> tuple[int, str]:
    """The close code and reason, once the server closes; only keep-alives (graphql-ws's `ka`)
    may come before."""
    while True:
        try:
            raw = await asyncio.wait_for(ws.recv(), WAIT)
        except ConnectionClosed as closed:
            received = closed.rcvd
            break
        assert json.loads(raw)["type"] in ("ka", "ping"), raw
    assert received is not None, "closed without a close frame"
    return received.code, received.reason


def test_a_principal_knows_the_seconds_its_token_has_left() -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    principal = Principal("s", "o", Role.VIEWER, expires_at=now + timedelta(seconds=5))
    assert principal.seconds_left(now) == 5
    assert Principal("s", "o", Role.VIEWER).seconds_left(now) is None


async def test_signing_in_with_an_expired_token_closes_4401_on_both_protocols() -> None:
    async with server() as (address, _):
        url = f"ws://{address}/graphql"
        async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
            await send(ws, {"type": "connection_init", "payload": bearer(-60)})
            assert await closed_with(ws) == (4401, "Unauthorized: the token has expired")
        async with connect(url, subprotocols=[Subprotocol("graphql-ws")]) as ws:
            await send(ws, {"type": "connection_init", "payload": bearer(-60)})
            refused = await receive(ws)
            assert refused["type"] == "connection_error"
            assert refused["payload"]["code"] == "UNAUTHENTICATED"
            assert (await closed_with(ws))[0] == 4401


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_an_open_websocket_closes_4401_when_its_token_expires(protocol: str) -> None:
    async with server() as (address, world):
        url = f"ws://{address}/graphql"
        async with connect(url, subprotocols=[Subprotocol(protocol)]) as ws:
            if protocol == "graphql-transport-ws":
                assert await init(ws, bearer(SOON)) == {"type": "connection_ack"}
                await subscribe(ws, "watch", WATCH, scope=world.mql)
            else:
                await send(ws, {"type": "connection_init", "payload": bearer(SOON)})
                assert (await receive(ws))["type"] == "connection_ack"
                payload = {"query": WATCH, "variables": {"scope": world.mql}}
                await send(ws, {"id": "watch", "type": "start", "payload": payload})
            started = datetime.now(UTC)
            code, reason = await closed_after_keep_alives(ws)
    assert (code, reason) == (4401, "Unauthorized: the token has expired")
    assert datetime.now(UTC) - started < timedelta(seconds=SOON + 3)


async def test_an_event_stream_ends_with_unauthenticated_when_its_token_expires() -> None:
    async with server() as (address, world):
        headers = {**bearer(SOON), **SSE}
        body = {"query": WATCH, "variables": {"scope": world.mql}}
        async with (
            httpx.AsyncClient(base_url=f"http://{address}", timeout=WAIT) as http,
            http.stream("POST", "/graphql", json=body, headers=headers) as response,
        ):
            assert response.status_code == 200
            stream = EventStream(response)
            found = await stream.next()
            assert found is not None
            kind, data = found
            assert kind == "next"
            (error,) = json.loads(data)["errors"]
            assert error["extensions"]["code"] == "UNAUTHENTICATED"
            assert await stream.next() == ("complete", "")
