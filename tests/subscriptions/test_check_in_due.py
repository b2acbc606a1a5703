"""checkInDue at schema level: a notice reaches the subscribers of every scope that holds the
key result, once, live or resumed from the log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any

from schema.api import schema
from service.events import EventStream
from service.okrs.reminders import notify_due
from tests.okrs.conftest import NOW, Backend, World
from tests.okrs.conftest import backend as backend  # the fixture, shared
from tests.subscriptions.test_progress_changed import bus as bus  # the fixture, shared
from tests.subscriptions.test_progress_changed import context, gid, watching
from tests.tracking.conftest import world as world  # the fixture, shared

WATCH = """subscription($scope: ID!, $after: Int) { checkInDue(scopeId: $scope,
  afterSequence: $after) { sequence at dueSince silentSince owner { id } node { id }
  keyResult { id title } } }"""
DUE = NOW + timedelta(days=7)


async def watch(
    backend: Backend, bus: EventStream, scope: str, after: int | None = None
) -> AsyncGenerator[Any, None]:
    stream = await schema.subscribe(
        WATCH, variable_values={"scope": scope, "after": after}, context_value=context(backend, bus)
    )
    assert isinstance(stream, AsyncGenerator), stream
    return stream


async def test_a_notice_reaches_the_scopes_that_hold_the_key_result_live_and_resumed(
    backend: Backend, world: World, bus: EventStream
) -> None:
    org = world.org.id
    team = gid("Department", org, world.sales.id)
    other = gid("Department", org, world.marketing.id)
    start = await backend.store.last_change(org)
    assert start is not None
    async with (
        watching(backend, bus, team, WATCH) as stream,
        watching(backend, bus, other, WATCH) as quiet,
    ):
        assert await notify_due(
            writer=backend.writer, org_id=org, key_result_id=world.deals.id, due=DUE, now=DUE
        )
        got = await anext(stream)
        await asyncio.sleep(0.1)
        assert quiet.first is not None
        assert not quiet.first.done()  # Marketing holds no due key result
    assert got.errors is None, got.errors
    event = got.data["checkInDue"]
    written = await backend.store.last_change(org)
    assert written is not None
    assert event["sequence"] == written.sequence
    assert event["node"] == {"id": team}
    assert event["keyResult"]["id"] == gid("KeyResult", org, world.deals.id)
    assert (event["dueSince"], event["silentSince"]) == (DUE.isoformat(), NOW.isoformat())
    # Resumed from before it, the same notice comes again, from the log.
    resumed = await watch(backend, bus, gid("Organization", org, org), after=start.sequence)
    try:
        again = await asyncio.wait_for(resumed.__anext__(), timeout=5)
    finally:
        await resumed.aclose()
    assert again.errors is None, again.errors
    assert again.data["checkInDue"]["sequence"] == written.sequence
    assert again.data["checkInDue"]["keyResult"] == event["keyResult"]
