"""The three subscription protocols on /graphql, spoken by hand to the app under a real uvicorn
in this process (in-process bus, in-memory store): what each message does, and the close codes
graphql-transport-ws prescribes.

Each test publishes only once the server counts the subscription (`until_active`), so no event
can race ahead of its subscriber; "nothing more arrives" is shown by ordering where it can be
(the next message is a later event) and by the server releasing the subscription.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from schema.ids import parse_global_id, to_global_id
from schema.subscriptions import MAX_PER_CONNECTION
from service import app as app_module
from service.app import create_app
from service.auth import Role, mint
from service.config import Settings
from service.events import EventStream as ChangeEvents
from service.observability import Metrics
from tests.app.test_app import listening, memory_store
from tests.realtime.wire import (
    WAIT,
    closed_with,
    init,
    quiet,
    receive,
    send,
    subscribe,
    until_active,
)
from tests.realtime.world import WATCH, GraphQL, World, build

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
SECRET = "realtime-signing-key-of-at-least-thirty-two-characters"


@dataclass
class Served:
    """A running app with the test's organization built in it."""

    address: str
    http: httpx.AsyncClient
    gql: GraphQL
    world: World
    bus: ChangeEvents
    metrics: Metrics


@pytest.fixture
async def served(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    buses: list[ChangeEvents] = []

    class Recorded(ChangeEvents):
        # The app's event stream, kept so that a test can end every subscription as a
        # shutdown would.
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            buses.append(self)

    monkeypatch.setattr(app_module, "EventStream", Recorded)
    app = create_app(Settings(demo=False, auth="disabled", redis_url=None), store=memory_store())
    async with (
        listening(app) as address,
        httpx.AsyncClient(base_url=f"http://{address}", timeout=WAIT) as http,
    ):
        gql = GraphQL(http)
        world = await build(gql, slug="realtime")
        [bus] = buses
        yield Served(
            address=address, http=http, gql=gql, world=world, bus=bus, metrics=app.state.metrics
        )


def websocket(address: str, protocol: str = TRANSPORT_WS) -> connect:
    return connect(f"ws://{address}/graphql", subprotocols=[Subprotocol(protocol)])


def event_of(message: dict[str, Any], op: str) -> dict[str, Any]:
    """The progress event a `next` (or legacy `data`) message carries, after checking it."""
    assert message["id"] == op, message
    assert "errors" not in message["payload"], message
    event: dict[str, Any] = message["payload"]["data"]["progressChanged"]
    return event


# graphql-transport-ws ---------------------------------------------------------------------------
async def test_a_subscriber_receives_the_check_in_and_complete_stops_its_events(
    served: Served,
) -> None:
    world, gql = served.world, served.gql
    async with websocket(served.address) as ws:
        assert ws.subprotocol == TRANSPORT_WS
        assert await init(ws) == {"type": "connection_ack"}
        await subscribe(ws, "1", WATCH, scope=world.mql)
        await until_active(served.metrics, 1)

        check_in = await gql.check_in(world.mql, 300)
        message = await receive(ws)
        assert message["type"] == "next"
        event = event_of(message, "1")
        assert event["node"] == {"id": world.mql}
        assert event["cause"] == {"id": check_in, "value": 300, "keyResult": {"id": world.mql}}
        assert event["previous"] == {"value": 0, "status": "PENDING"}
        assert event["current"]["value"] == pytest.approx(0.3)
        first = event["sequence"]

        await send(ws, {"id": "1", "type": "complete"})
        await until_active(served.metrics, 0)  # the server let go of it
        await gql.check_in(world.mql, 350)  # heard by nobody

        # The id is free again; a new subscription under it hears the next event, and the
        # 350 check-in never arrives: the first message after it is the 400 one.
        await subscribe(ws, "1", WATCH, scope=world.mql)
        await until_active(served.metrics, 1)
        later = await gql.check_in(world.mql, 400)
        event = event_of(await receive(ws), "1")
        assert event["cause"]["id"] == later
        assert event["sequence"] == first + 2  # the 350 check-in had its number
        assert event["previous"]["value"] == pytest.approx(0.35)
        assert event["current"]["value"] == pytest.approx(0.4)
        await quiet(ws)


async def test_identical_subscriptions_on_two_connections_get_one_frame_under_their_own_ids(
    served: Served,
) -> None:
    world, gql = served.world, served.gql
    async with websocket(served.address) as ws, websocket(served.address) as other:
        for socket, op in ((ws, "1"), (other, "x")):
            assert await init(socket) == {"type": "connection_ack"}
            await subscribe(socket, op, WATCH, scope=world.funnel)
        await subscribe(ws, "2", WATCH, scope=world.funnel)
        await until_active(served.metrics, 3)
        cause = await gql.check_in(world.mql, 300)
        frames = [await ws.recv(), await ws.recv(), await other.recv()]
        # Byte for byte as strawberry encodes a `next` message; ws's two in either order.
        heads = [f'{{"id":"{op}","type":"next","payload":{{"data":' for op in ("1", "2", "x")]
        payloads = set()
        for frame in frames:
            assert isinstance(frame, str)
            head = next(h for h in heads if frame.startswith(h))
            heads.remove(head)
            payloads.add(frame.removeprefix(head))
        assert len(payloads) == 1, payloads
        message = json.loads(frames[0])
        assert event_of(message, message["id"])["cause"]["id"] == cause
        assert message["payload"]["extensions"]["cost"]["requestedQueryCost"] > 0


async def test_a_ping_is_answered_with_a_pong(served: Served) -> None:
    async with websocket(served.address) as ws:
        assert await init(ws) == {"type": "connection_ack"}
        await send(ws, {"type": "ping"})
        assert await receive(ws) == {"type": "pong"}
        await send(ws, {"type": "pong"})  # an unsolicited pong is allowed, and answered by nothing
        await quiet(ws, 0.2)


async def test_subscribing_before_the_connection_is_acknowledged_closes_with_4401(
    served: Served,
) -> None:
    async with websocket(served.address) as ws:
        await subscribe(ws, "1", WATCH, scope=served.world.mql)
        assert await closed_with(ws) == (4401, "Unauthorized")
    await until_active(served.metrics, 0)  # nothing was subscribed


async def test_a_second_subscription_under_a_used_id_closes_with_4409_and_ends_the_first(
    served: Served,
) -> None:
    async with websocket(served.address) as ws:
        assert await init(ws) == {"type": "connection_ack"}
        await subscribe(ws, "same", WATCH, scope=served.world.mql)
        await until_active(served.metrics, 1)
        await subscribe(ws, "same", WATCH, scope=served.world.funnel)
        assert await closed_with(ws) == (4409, "Subscriber for same already exists")
    await until_active(served.metrics, 0)


async def test_a_connection_init_payload_that_is_not_an_object_closes_with_4400(
    served: Served,
) -> None:
    async with websocket(served.address) as ws:
        await send(ws, {"type": "connection_init", "payload": "Bearer token"})
        assert await closed_with(ws) == (4400, "Invalid connection init payload")


async def test_a_second_connection_init_closes_with_4429(served: Served) -> None:
    async with websocket(served.address) as ws:
        assert await init(ws) == {"type": "connection_ack"}
        await send(ws, {"type": "connection_init"})
        assert await closed_with(ws) == (4429, "Too many initialisation requests")


async def test_a_message_that_is_not_json_closes_with_4400(served: Served) -> None:
    async with websocket(served.address) as ws:
        assert await init(ws) == {"type": "connection_ack"}
        await ws.send("{not json")
        assert await closed_with(ws) == (4400, "WebSocket message must be valid JSON")


async def test_an_unknown_scope_is_an_error_then_complete_not_silence(served: Served) -> None:
    org = parse_global_id(served.world.org)
    assert org is not None
    missing = to_global_id("KeyResult", org.org_id, "0" * 26)
    async with websocket(served.address) as ws:
        assert await init(ws) == {"type": "connection_ack"}
        await subscribe(ws, "1", WATCH, scope=missing)
        refused = await receive(ws)
        assert refused["type"] == "next"
        assert refused["payload"]["data"] is None
        assert [e["extensions"]["code"] for e in refused["payload"]["errors"]] == ["NOT_FOUND"]
        assert await receive(ws) == {"id": "1", "type": "complete"}
        # As for graphql-ws's reference server: an error of the subscribe resolver is a result
        # (`next`, then `complete`); the `error` message is for documents that do not validate.
        await subscribe(ws, "2", "subscription { nope }")
        invalid = await receive(ws)
        assert invalid["type"] == "error"
        assert invalid["id"] == "2"
        assert "nope" in invalid["payload"][0]["message"]


async def test_the_51st_subscription_on_a_connection_is_refused_and_the_50_keep_working(
    served: Served,
) -> None:
    assert MAX_PER_CONNECTION == 50  # the default
    world = served.world
    ops = [f"s{n}" for n in range(MAX_PER_CONNECTION)]
    async with websocket(served.address) as ws, websocket(served.address) as other:
        assert await init(ws) == {"type": "connection_ack"}
        for op in ops:
            await subscribe(ws, op, WATCH, scope=world.mql)
        await until_active(served.metrics, MAX_PER_CONNECTION)

        await subscribe(ws, "one-too-many", WATCH, scope=world.mql)
        refused = await receive(ws)
        assert refused["id"] == "one-too-many"
        assert refused["payload"]["data"] is None
        [error] = refused["payload"]["errors"]
        assert error["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        assert error["message"] == "at most 50 subscriptions per connection"
        assert await receive(ws) == {"id": "one-too-many", "type": "complete"}

        # The limit is per connection: another one may subscribe.
        assert await init(other) == {"type": "connection_ack"}
        await subscribe(other, "elsewhere", WATCH, scope=world.mql)
        await until_active(served.metrics, MAX_PER_CONNECTION + 1)

        cause = await served.gql.check_in(world.mql, 300)
        heard = [await receive(ws) for _ in ops]
        assert sorted(m["id"] for m in heard) == sorted(ops)
        assert all(event_of(m, m["id"])["cause"]["id"] == cause for m in heard)
        assert event_of(await receive(other), "elsewhere")["cause"]["id"] == cause

        # A completed subscription frees its place.
        await send(ws, {"id": "s0", "type": "complete"})
        await until_active(served.metrics, MAX_PER_CONNECTION)
        await subscribe(ws, "s0-again", WATCH, scope=world.mql)
        await until_active(served.metrics, MAX_PER_CONNECTION + 1)
        await quiet(ws, 0.2)


async def test_a_websocket_authenticates_in_connection_init_or_is_closed_with_4403() -> None:
    settings = Settings(demo=False, auth="enabled", jwt_secret=SECRET, redis_url=None)
    token = mint(secret=SECRET, organization="realtime", role=Role.VIEWER)
    forged = mint(secret="x" * len(SECRET), organization="realtime", role=Role.ADMIN)
    async with listening(create_app(settings, store=memory_store())) as address:
        for payload in (None, {"Authorization": f"Bearer {forged}"}, {"Authorization": token}):
            async with websocket(address) as ws:
                await send(
                    ws, {"type": "connection_init", **({"payload": payload} if payload else {})}
                )
                assert await closed_with(ws) == (4403, "Forbidden"), payload
        async with websocket(address) as ws:
            assert await init(ws, {"Authorization": f"Bearer {token}"}) == {
                "type": "connection_ack"
            }


# graphql-ws (legacy) ----------------------------------------------------------------------------
async def test_the_legacy_protocol_acknowledges_keeps_alive_starts_and_stops(
    served: Served,
) -> None:
    world, gql = served.world, served.gql
    async with websocket(served.address, LEGACY_WS) as ws:
        assert ws.subprotocol == LEGACY_WS
        await send(ws, {"type": "connection_init", "payload": {}})
        assert await receive(ws) == {"type": "connection_ack"}
        assert await receive(ws) == {"type": "ka"}  # at once, then every 15 s

        start = {"query": WATCH, "variables": {"scope": world.funnel}}
        await send(ws, {"id": "1", "type": "start", "payload": start})
        await until_active(served.metrics, 1)
        cause = await gql.check_in(world.mql, 300)
        data = await receive(ws)
        assert data["type"] == "data"
        event = event_of(data, "1")
        assert event["node"] == {"id": world.funnel}
        assert event["cause"]["id"] == cause
        # The objective: (1 · 0.3 + 2 · 0) / (1 + 2), the deals key result not checked in yet.
        assert event["current"]["value"] == pytest.approx(0.1)

        await send(ws, {"id": "1", "type": "stop"})
        assert await receive(ws) == {"id": "1", "type": "complete"}
        await until_active(served.metrics, 0)
        await gql.check_in(world.mql, 400)
        await quiet(ws)

        await send(ws, {"type": "connection_terminate"})
        assert await closed_with(ws) == (1000, "")


# graphql-sse (distinct connections) -----------------------------------------------------------
SSE = {"accept": "text/event-stream"}


class EventStream:
    """Server-sent events of a response, as (event, data) pairs; heartbeat comments skipped."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def next(self) -> tuple[str, str] | None:
        """The next event, or None when the stream ended."""
        fields: dict[str, str] = {}
        async for line in self._lines:
            if line.startswith(":"):
                continue
            if line == "":
                if fields:
                    return fields.get("event", "message"), fields.get("data", "")
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        return None


async def test_sse_streams_next_events_then_complete_when_the_server_ends_them(
    served: Served,
) -> None:
    world, gql = served.world, served.gql
    body = {"query": WATCH, "variables": {"scope": world.sales}}
    async with served.http.stream("POST", "/graphql", json=body, headers=SSE) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        assert response.headers["cache-control"] == "private, no-store, no-transform"
        stream = EventStream(response)
        await until_active(served.metrics, 1)

        causes = [await gql.check_in(world.deals, 42), await gql.check_in(world.deals, 45)]
        for cause, value in zip(causes, (0.2, 0.5), strict=True):
            found = await asyncio.wait_for(stream.next(), WAIT)
            assert found is not None
            kind, data = found
            assert kind == "next"
            event = json.loads(data)["data"]["progressChanged"]
            assert event["node"] == {"id": world.sales}
            assert event["cause"]["id"] == cause
            assert event["current"]["value"] == pytest.approx(value)  # (42 - 40) / (50 - 40) …

        await served.bus.close()  # as on shutdown: every subscription ends
        assert await asyncio.wait_for(stream.next(), WAIT) == ("complete", "")
        assert await asyncio.wait_for(stream.next(), WAIT) is None  # and the response ends
    await until_active(served.metrics, 0)


async def test_sse_refuses_an_unknown_scope_with_an_error_event_then_complete(
    served: Served,
) -> None:
    body = {"query": WATCH, "variables": {"scope": "not-an-id"}}
    async with served.http.stream("POST", "/graphql", json=body, headers=SSE) as response:
        assert response.status_code == 200
        stream = EventStream(response)
        found = await asyncio.wait_for(stream.next(), WAIT)
        assert found is not None
        kind, data = found
        assert kind == "next"
        assert [e["extensions"]["code"] for e in json.loads(data)["errors"]] == ["INVALID_ID"]
        assert await asyncio.wait_for(stream.next(), WAIT) == ("complete", "")
        assert await asyncio.wait_for(stream.next(), WAIT) is None


async def test_a_client_leaving_an_sse_stream_releases_its_subscription(served: Served) -> None:
    body = {"query": WATCH, "variables": {"scope": served.world.org}}
    async with served.http.stream("POST", "/graphql", json=body, headers=SSE) as response:
        assert response.status_code == 200
        await until_active(served.metrics, 1)
    await until_active(served.metrics, 0)
    await served.gql.check_in(served.world.mql, 300)  # publishing to nobody is fine
