"""Feeds (service/live.py) at schema level: subscriptions run as the WebSocket handlers run them,
each with its relay, and what grouping keeps per subscription and what it shares."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from schema.api import schema
from schema.context import Context, build_context, signed_in_context
from schema.subscriptions import RELAY
from service import live
from service.auth import Principal, Role
from service.events import EventStream, Subscription
from service.live import Feeds, Member, payload_of
from service.observability import Metrics
from service.readmodel import ReadModel
from service.store.interface import Store
from tests.okrs.conftest import NOW, Backend, World
from tests.okrs.conftest import backend as backend  # the fixture, shared
from tests.subscriptions.test_progress_changed import CHECK_IN, WATCH, gid, mutate
from tests.tracking.conftest import world as world  # the fixture, shared

WAIT = 5.0


class CountingBus(EventStream):
    """The event stream, keeping every subscription it made: how many renderings listen."""

    def __init__(self, reads: ReadModel, store: Store) -> None:
        super().__init__(reads, store)
        self.made: list[Subscription] = []

    def subscribe(
        self,
        org_id: str,
        *,
        after: int | None = None,
        max_queued: int = 100,
        scope: str | None = None,
    ) -> Subscription:
        made = super().subscribe(org_id, after=after, max_queued=max_queued, scope=scope)
        self.made.append(made)
        return made

    @property
    def listening(self) -> int:
        return sum(not s.closed for s in self.made)


@pytest.fixture
async def bus(backend: Backend) -> AsyncIterator[CountingBus]:
    made = CountingBus(backend.reads, backend.store)
    await made.start()
    yield made
    await made.close()


def encode(data: object) -> str:
    return json.dumps(data, separators=(",", ":"))


@pytest.fixture
def feeds() -> Feeds:
    return Feeds(schema, encode)


class Subscriber:
    """One subscription as graphql-transport-ws runs it: the frames its relay sends, and the
    results its own stream yields (its errors), until the stream ends."""

    def __init__(
        self,
        feeds: Feeds,
        context: Context,
        scope: str,
        op: str = "1",
        send: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.raw: list[str] = []
        self.results: list[Any] = []
        self.member = Member(
            feeds,
            query=WATCH,
            variables={"scope": scope},
            operation_name=None,
            context=context,
            send=send or self._received,
            frame=lambda payload: '{"id":' + json.dumps(op) + ',"payload":' + payload + "}",
        )
        self.scope = scope
        self.context = context
        self.task = asyncio.create_task(self._run())

    async def _received(self, frame: str) -> None:
        self.raw.append(frame)
        await self.frames.put(json.loads(frame))

    async def _run(self) -> None:
        RELAY.set(self.member)
        stream = await schema.subscribe(
            WATCH, variable_values={"scope": self.scope}, context_value=self.context
        )
        async for result in stream:
            self.results.append(result)

    async def frame(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.frames.get(), WAIT)

    async def ended(self) -> list[Any]:
        await asyncio.wait_for(self.task, WAIT)
        return self.results

    async def leave(self) -> None:
        """As `complete` does: the operation's task is cancelled."""
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task


def context_of(backend: Backend, bus: EventStream, metrics: Metrics) -> Context:
    made = build_context(
        backend.store, reads=backend.reads, writer=backend.writer, clock=lambda: NOW, events=bus
    )
    made.metrics = metrics
    return made


async def last_sequence(backend: Backend, world: World) -> int:
    """The sequence of the organization's newest change."""
    found = await backend.store.last_change(world.org.id)
    assert found is not None
    return found.sequence


async def until_listening(metrics: Metrics, count: int) -> None:
    async with asyncio.timeout(WAIT):
        while metrics.registry.get_sample_value("okrgraph_subscriptions_active") != count:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_identical_subscriptions_share_one_rendering_under_their_own_ids(
    backend: Backend, world: World, bus: CountingBus, feeds: Feeds
) -> None:
    metrics = Metrics()
    org = world.org.id
    kr, team = gid("KeyResult", org, world.mql.id), gid("Department", org, world.marketing.id)
    same = [Subscriber(feeds, context_of(backend, bus, metrics), kr, op) for op in "abc"]
    other = Subscriber(feeds, context_of(backend, bus, metrics), team, "d")
    await until_listening(metrics, 4)
    assert (len(feeds), bus.listening) == (2, 2)
    assert feeds.collector.pending == 4  # each subscription counts toward a collection
    # Each rendering on its own, as graphql-sse runs it: the reference for the frames.
    alone = await schema.subscribe(
        WATCH, variable_values={"scope": kr}, context_value=context_of(backend, bus, Metrics())
    )
    reference = asyncio.ensure_future(anext(alone))
    await asyncio.sleep(0.05)

    await mutate(backend, bus, CHECK_IN, kr=kr, value=300.0)
    frames = [await s.frame() for s in same]
    assert [f["id"] for f in frames] == ["a", "b", "c"]
    payloads = {s.raw[0].partition(',"payload":')[2] for s in same}
    assert len(payloads) == 1
    expected = payload_of(await asyncio.wait_for(reference, WAIT), encode) + "}"
    assert payloads == {expected}
    assert frames[0]["payload"]["data"]["progressChanged"]["node"] == {"id": kr}
    assert frames[0]["payload"]["extensions"]["cost"]["requestedQueryCost"] > 0
    theirs = await other.frame()
    assert theirs["payload"]["data"]["progressChanged"]["node"] == {"id": team}
    assert metrics.registry.get_sample_value("okrgraph_events_delivered_total") == 4
    await alone.aclose()
    for s in [*same, other]:
        await s.leave()
    assert (len(feeds), bus.listening) == (0, 0)
    assert feeds.collector.pending == 8  # and each one ended too


async def test_viewers_share_a_feed_per_organization_and_role(
    backend: Backend, world: World, bus: CountingBus, feeds: Feeds
) -> None:
    metrics = Metrics()
    kr = gid("KeyResult", world.org.id, world.mql.id)

    async def signed_in(subject: str, role: Role) -> Context:
        made = await signed_in_context(
            backend.store,
            Principal(subject=subject, organization="acme", role=role),
            reads=backend.reads,
            writer=backend.writer,
            clock=lambda: NOW,
            events=bus,
        )
        made.metrics = metrics
        return made

    watching = [
        Subscriber(feeds, await signed_in("ana", Role.VIEWER), kr),
        Subscriber(feeds, await signed_in("bo", Role.VIEWER), kr),
        Subscriber(feeds, await signed_in("cy", Role.EDITOR), kr),
        Subscriber(feeds, context_of(backend, bus, metrics), kr),  # authentication off
    ]
    await until_listening(metrics, 4)
    assert (len(feeds), bus.listening) == (3, 3)
    await mutate(backend, bus, CHECK_IN, kr=kr, value=300.0)
    for s in watching:
        assert (await s.frame())["payload"]["data"]["progressChanged"]["node"] == {"id": kr}
        await s.leave()
    assert (len(feeds), bus.listening) == (0, 0)


async def test_the_feed_lasts_until_its_last_member_leaves(
    backend: Backend, world: World, bus: CountingBus, feeds: Feeds
) -> None:
    metrics = Metrics()
    kr = gid("KeyResult", world.org.id, world.mql.id)
    first, second = (Subscriber(feeds, context_of(backend, bus, metrics), kr) for _ in "12")
    await until_listening(metrics, 2)
    await first.leave()
    await until_listening(metrics, 1)
    await mutate(backend, bus, CHECK_IN, kr=kr, value=300.0)
    assert (await second.frame())["payload"]["data"]["progressChanged"][
        "sequence"
    ] == await last_sequence(backend, world)
    assert first.frames.empty()
    await second.leave()
    assert (len(feeds), bus.listening) == (0, 0)
    # A new one starts a new feed.
    third = Subscriber(feeds, context_of(backend, bus, metrics), kr)
    await until_listening(metrics, 1)
    await mutate(backend, bus, CHECK_IN, kr=kr, value=350.0)
    assert (await third.frame())["payload"]["data"]["progressChanged"][
        "sequence"
    ] == await last_sequence(backend, world)
    await third.leave()


async def test_a_member_that_falls_behind_is_closed_alone(
    backend: Backend,
    world: World,
    bus: CountingBus,
    feeds: Feeds,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live, "MAX_QUEUED", 2)
    metrics = Metrics()
    kr = gid("KeyResult", world.org.id, world.mql.id)
    stuck = asyncio.Event()
    sent: list[str] = []

    async def slow(frame: str) -> None:
        sent.append(frame)
        await stuck.wait()

    behind = Subscriber(feeds, context_of(backend, bus, metrics), kr, send=slow)
    keeping_up = Subscriber(feeds, context_of(backend, bus, metrics), kr)
    await until_listening(metrics, 2)
    for value in (100.0, 200.0, 300.0, 400.0):  # one being sent, two queued, one too many
        await mutate(backend, bus, CHECK_IN, kr=kr, value=value)
        await keeping_up.frame()
    stuck.set()
    [refused] = await behind.ended()
    [error] = refused.errors
    assert error.extensions["code"] == "SUBSCRIBER_TOO_SLOW"
    assert error.message == (
        f"subscriber too slow: more than 2 events queued for organization {world.org.id}; "
        "it was closed, re-query and subscribe again"
    )
    assert len(sent) == 1
    await mutate(backend, bus, CHECK_IN, kr=kr, value=500.0)
    assert (await keeping_up.frame())["payload"]["data"]["progressChanged"][
        "sequence"
    ] == await last_sequence(backend, world)
    await keeping_up.leave()


async def test_the_bus_closing_ends_every_member_as_it_ends_every_subscription(
    backend: Backend, world: World, bus: CountingBus, feeds: Feeds
) -> None:
    metrics = Metrics()
    kr = gid("KeyResult", world.org.id, world.mql.id)
    watching = [Subscriber(feeds, context_of(backend, bus, metrics), kr) for _ in "12"]
    await until_listening(metrics, 2)
    await bus.close()
    for s in watching:
        assert await s.ended() == []  # no error: the stream completes
    assert len(feeds) == 0
    await until_listening(metrics, 0)


async def test_a_member_whose_connection_is_gone_ends_and_the_others_go_on(
    backend: Backend, world: World, bus: CountingBus, feeds: Feeds
) -> None:
    metrics = Metrics()
    kr = gid("KeyResult", world.org.id, world.mql.id)

    async def gone(frame: str) -> None:
        raise WebSocketDisconnect(1006)

    lost = Subscriber(feeds, context_of(backend, bus, metrics), kr, send=gone)
    kept = Subscriber(feeds, context_of(backend, bus, metrics), kr)
    await until_listening(metrics, 2)
    await mutate(backend, bus, CHECK_IN, kr=kr, value=300.0)
    assert await lost.ended() == []
    await kept.frame()
    await mutate(backend, bus, CHECK_IN, kr=kr, value=350.0)
    await kept.frame()
    await kept.leave()


async def test_a_subscription_refused_by_its_own_checks_joins_no_feed(
    backend: Backend, world: World, bus: CountingBus, feeds: Feeds
) -> None:
    metrics = Metrics()
    refused = Subscriber(feeds, context_of(backend, bus, metrics), "nonsense")
    [result] = await refused.ended()
    assert [e.extensions["code"] for e in result.errors] == ["INVALID_ID"]
    crowded = context_of(backend, bus, metrics)
    crowded.subscriptions = 50
    kr = gid("KeyResult", world.org.id, world.mql.id)
    [result] = await Subscriber(feeds, crowded, kr).ended()
    assert [e.extensions["code"] for e in result.errors] == ["TOO_MANY_SUBSCRIPTIONS"]
    assert (len(feeds), bus.made) == (0, [])


async def test_a_feed_that_fails_ends_its_members_and_says_why(
    backend: Backend,
    world: World,
    bus: CountingBus,
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken:
        async def subscribe(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("broken")

    feeds = Feeds(Broken(), encode)  # type: ignore[arg-type]
    metrics = Metrics()
    kr = gid("KeyResult", world.org.id, world.mql.id)
    with caplog.at_level(logging.ERROR, logger="service.live"):
        assert await Subscriber(feeds, context_of(backend, bus, metrics), kr).ended() == []
    assert "a subscription feed failed" in caplog.text
    assert len(feeds) == 0
