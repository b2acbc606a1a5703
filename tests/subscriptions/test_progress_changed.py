"""progressChanged at schema level: who hears what, with which numbers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest

from schema.api import schema
from schema.context import Context, build_context
from schema.ids import to_global_id
from service.events import EventStream
from tests.okrs.conftest import NOW, Backend, World
from tests.okrs.conftest import backend as backend  # the fixture, shared
from tests.tracking.conftest import world as world  # the fixture, shared

WATCH = """subscription($scope: ID!) { progressChanged(scopeId: $scope) {
  sequence node { id } previous { value status } current { value status }
  cause { value keyResult { title } } } }"""
CHECK_IN = """mutation($kr: ID!, $value: Float!, $at: DateTime) { checkInCreate(input:
  {keyResultId: $kr, value: $value, recordedAt: $at}) { checkIn { id } userErrors { code } } }"""


@pytest.fixture
async def bus(backend: Backend) -> AsyncIterator[EventStream]:
    """The events of this instance: there is no other."""
    made = EventStream(backend.reads, backend.store)
    await made.start()
    yield made
    await made.close()


def context(backend: Backend, bus: EventStream) -> Context:
    return build_context(
        backend.store, reads=backend.reads, writer=backend.writer, clock=lambda: NOW, events=bus
    )


@asynccontextmanager
async def watching(
    backend: Backend, bus: EventStream, scope: str, document: str = WATCH
) -> AsyncIterator[_Primed]:
    """A started subscription (the bus subscription is open once this yields)."""
    stream = await schema.subscribe(
        document, variable_values={"scope": scope}, context_value=context(backend, bus)
    )
    assert isinstance(stream, AsyncGenerator), stream
    first = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0.05)  # let the generator reach the bus before anything is published
    try:
        yield _Primed(first, stream)
    finally:
        first.cancel()
        # A first item still awaited is cancelled before the stream closes under it.
        await asyncio.gather(first, return_exceptions=True)
        await stream.aclose()


@asynccontextmanager
async def watching_each(
    backend: Backend, bus: EventStream, scopes: dict[str, str]
) -> AsyncIterator[dict[str, _Primed]]:
    """`watching` each scope, opened in order, by the same names."""
    async with AsyncExitStack() as stack:
        yield {
            name: await stack.enter_async_context(watching(backend, bus, scope))
            for name, scope in scopes.items()
        }


def above_the_quarter_objective(world: World) -> dict[str, str]:
    """The scopes above the world's first-quarter objective, the objective included."""
    org = world.org.id
    return {
        "objective": gid("Objective", org, world.q1.id),
        "global": gid("Objective", org, world.global_objective.id),
        "quarter": gid("Cycle", org, world.quarters[0].id),
        "year": gid("Cycle", org, world.year.id),
        "org": gid("Organization", org, org),
    }


class _Primed:
    """The stream, whose first item is already being awaited."""

    def __init__(self, first: asyncio.Future[Any], rest: AsyncGenerator[Any, None]) -> None:
        self.first: asyncio.Future[Any] | None = first
        self.rest = rest

    def __aiter__(self) -> _Primed:
        return self

    async def __anext__(self) -> Any:
        if self.first is not None:
            pending, self.first = self.first, None
            return await asyncio.wait_for(pending, timeout=5)
        return await asyncio.wait_for(self.rest.__anext__(), timeout=5)

    async def aclose(self) -> None:
        await self.rest.aclose()


async def mutate(backend: Backend, bus: EventStream, query: str, **variables: Any) -> Any:
    result = await schema.execute(
        query, variable_values=variables, context_value=context(backend, bus)
    )
    assert result.errors is None, result.errors
    return result.data


def gid(kind: str, org: str, local: str) -> str:
    return to_global_id(kind, org, local)


async def test_a_check_in_reaches_every_scope_that_holds_the_key_result(
    backend: Backend, world: World, bus: EventStream
) -> None:
    org = world.org.id
    scopes = {
        "kr": gid("KeyResult", org, world.mql.id),
        "objective": gid("Objective", org, world.q1.id),
        "global": gid("Objective", org, world.global_objective.id),
        "quarter": gid("Cycle", org, world.quarters[0].id),
        "year": gid("Cycle", org, world.year.id),
        "team": gid("Department", org, world.marketing.id),
        "org": gid("Organization", org, org),
    }
    async with (
        watching(backend, bus, scopes["kr"]) as kr,
        watching(backend, bus, scopes["objective"]) as objective,
        watching(backend, bus, scopes["global"]) as top,
        watching(backend, bus, scopes["quarter"]) as quarter,
        watching(backend, bus, scopes["year"]) as year,
        watching(backend, bus, scopes["team"]) as team,
        watching(backend, bus, scopes["org"]) as whole,
    ):
        done = await mutate(backend, bus, CHECK_IN, kr=scopes["kr"], value=300.0)
        assert done["checkInCreate"]["userErrors"] == []
        events = {
            name: await anext(s)
            for name, s in (
                ("kr", kr),
                ("objective", objective),
                ("global", top),
                ("quarter", quarter),
                ("year", year),
                ("team", team),
                ("org", whole),
            )
        }
    written = await backend.store.last_change(org)
    assert written is not None
    for name, result in events.items():
        assert result.errors is None, result.errors
        event = result.data["progressChanged"]
        assert event["sequence"] == written.sequence  # the change's place in the log
        assert event["node"]["id"] == scopes[name]
        assert event["cause"] == {"value": 300.0, "keyResult": {"title": world.mql.title}}
    kr_event = events["kr"].data["progressChanged"]
    # 300 of 1,000 MQLs on Feb 15 (expected 0.5): 0.3 >= 0.5 x 0.5, < 0.75 x 0.5.
    assert kr_event["previous"] == {"value": 0.0, "status": "PENDING"}
    assert kr_event["current"] == {"value": 0.3, "status": "AT_RISK"}
    # Marketing owns only the MQLs: its progress is the key result's.
    assert events["team"].data["progressChanged"]["current"] == {"value": 0.3, "status": "AT_RISK"}


async def test_an_unrelated_scope_hears_nothing_and_a_refused_write_sends_nothing(
    backend: Backend, world: World, bus: EventStream
) -> None:
    org = world.org.id
    mql, deals = gid("KeyResult", org, world.mql.id), gid("KeyResult", org, world.deals.id)
    async with watching(backend, bus, deals) as watcher:
        refused = await mutate(
            backend, bus, CHECK_IN, kr=deals, value=45.0, at="2030-01-01T00:00:00Z"
        )
        assert refused["checkInCreate"]["userErrors"] == [{"code": "INVALID_VALUE"}]
        await mutate(backend, bus, CHECK_IN, kr=mql, value=100.0)  # not for deals
        await mutate(backend, bus, CHECK_IN, kr=deals, value=45.0)
        first = await anext(watcher)
    written = await backend.store.last_change(org)
    assert written is not None
    assert first.data["progressChanged"]["sequence"] == written.sequence
    assert first.data["progressChanged"]["cause"]["value"] == 45.0


@pytest.mark.parametrize(
    ("scope", "code"),
    [("nonsense", "INVALID_ID"), ("CheckIn", "INVALID_ID"), ("KeyResult", "NOT_FOUND")],
)
async def test_subscribing_to_a_bad_scope_is_an_error_not_silence(
    backend: Backend, world: World, bus: EventStream, scope: str, code: str
) -> None:
    value = "nonsense" if scope == "nonsense" else gid(scope, world.org.id, "0" * 32)
    stream = await schema.subscribe(
        WATCH, variable_values={"scope": value}, context_value=context(backend, bus)
    )
    assert isinstance(stream, AsyncGenerator)
    result: Any = await anext(stream)
    assert [e.extensions["code"] for e in result.errors] == [code]
    await stream.aclose()


async def test_one_connection_holds_at_most_fifty_subscriptions(
    backend: Backend, world: World, bus: EventStream
) -> None:
    shared = context(backend, bus)
    shared.subscriptions = 50
    stream = await schema.subscribe(
        WATCH,
        variable_values={"scope": gid("KeyResult", world.org.id, world.mql.id)},
        context_value=shared,
    )
    assert isinstance(stream, AsyncGenerator)
    result: Any = await anext(stream)
    assert [e.extensions["code"] for e in result.errors] == ["TOO_MANY_SUBSCRIPTIONS"]
    await stream.aclose()


async def test_another_organizations_scope_is_refused_exactly_like_an_unknown_one(
    backend: Backend, world: World, bus: EventStream
) -> None:
    from schema.context import signed_in_context
    from service.auth import Principal, Role
    from tests.okrs.conftest import build_world

    other = await build_world(backend.writer, slug="beta")
    viewer = Principal(subject="ana", organization="acme", role=Role.VIEWER)

    async def refusal(scope: str) -> list[tuple[str, Any]]:
        context = await signed_in_context(
            backend.store,
            viewer,
            reads=backend.reads,
            writer=backend.writer,
            clock=lambda: NOW,
            events=bus,
        )
        stream = await schema.subscribe(
            WATCH, variable_values={"scope": scope}, context_value=context
        )
        assert isinstance(stream, AsyncGenerator)
        result: Any = await anext(stream)
        await stream.aclose()
        return [(e.message, e.extensions["code"]) for e in result.errors]

    theirs = await refusal(gid("KeyResult", other.org.id, other.mql.id))
    never = await refusal(gid("KeyResult", world.org.id, "0" * 32))
    assert theirs == never == [("no such scope", "NOT_FOUND")]


RESUME = """subscription($scope: ID!, $after: Int) { progressChanged(scopeId: $scope,
  afterSequence: $after) { sequence current { value } } }"""


async def resumed(backend: Backend, bus: EventStream, scope: str, after: int) -> Any:
    stream = await schema.subscribe(
        RESUME,
        variable_values={"scope": scope, "after": after},
        context_value=context(backend, bus),
    )
    assert isinstance(stream, AsyncGenerator), stream
    return stream


async def test_resuming_replays_what_was_missed_in_order_then_goes_live(
    backend: Backend, world: World, bus: EventStream
) -> None:
    kr = gid("KeyResult", world.org.id, world.mql.id)
    await mutate(backend, bus, CHECK_IN, kr=kr, value=100.0)
    seen = await backend.store.last_change(world.org.id)
    assert seen is not None
    for value in (200.0, 300.0):
        await mutate(backend, bus, CHECK_IN, kr=kr, value=value)
    stream = await resumed(backend, bus, kr, seen.sequence)
    try:
        missed = [(await anext(stream)).data["progressChanged"] for _ in range(2)]
        assert [m["sequence"] for m in missed] == [seen.sequence + 1, seen.sequence + 2]
        assert [m["current"]["value"] for m in missed] == [0.2, 0.3]
        later = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.05)
        await mutate(backend, bus, CHECK_IN, kr=kr, value=400.0)
        live = (await asyncio.wait_for(later, 5)).data["progressChanged"]
        assert live["sequence"] == seen.sequence + 3
    finally:
        await stream.aclose()


async def test_resuming_at_the_newest_sequence_replays_nothing_and_goes_live(
    backend: Backend, world: World, bus: EventStream
) -> None:
    kr = gid("KeyResult", world.org.id, world.mql.id)
    await mutate(backend, bus, CHECK_IN, kr=kr, value=100.0)
    newest = await backend.store.last_change(world.org.id)
    assert newest is not None
    stream = await resumed(backend, bus, kr, newest.sequence)
    try:
        later = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.05)
        await mutate(backend, bus, CHECK_IN, kr=kr, value=500.0)
        live = (await asyncio.wait_for(later, 5)).data["progressChanged"]
        assert live["sequence"] == newest.sequence + 1
    finally:
        await stream.aclose()


@pytest.mark.parametrize(("after", "code"), [(-1, "INVALID_VALUE"), (10**9, "RESUME_TOO_OLD")])
async def test_a_position_that_cannot_be_resumed_is_a_coded_error(
    backend: Backend, world: World, bus: EventStream, after: int, code: str
) -> None:
    stream = await resumed(backend, bus, gid("KeyResult", world.org.id, world.mql.id), after)
    try:
        result: Any = await anext(stream)
        assert [e.extensions["code"] for e in result.errors] == [code]
    finally:
        await stream.aclose()
