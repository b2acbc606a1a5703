"""progressChanged for what time makes due: an override that expires, and a check-in dated a
little ahead whose time comes, each heard once (the scheduler writes one change for it) by the
objective or key result and every scope above, with the right cause."""

from __future__ import annotations

from datetime import datetime, timedelta

from service.events import EventStream
from service.okrs.check_ins import record_check_in
from service.okrs.due_changes import ARRIVAL, EXPIRY
from service.okrs.overrides import set_progress_override
from service.outbound.lease import Leases
from service.scheduler import ReminderScheduler
from tests.okrs.conftest import NOW, Backend, World
from tests.okrs.conftest import backend as backend  # the fixture, shared
from tests.subscriptions.test_progress_changed import (
    above_the_quarter_objective,
    gid,
    watching_each,
)
from tests.subscriptions.test_progress_changed import bus as bus  # the fixture, shared
from tests.tracking.conftest import world as world  # the fixture, shared


def scheduler(backend: Backend, at: datetime) -> ReminderScheduler:
    return ReminderScheduler(
        backend.store,
        backend.reads,
        backend.writer,
        leases=Leases(backend.store, holder="one", clock=lambda: at),
        clock=lambda: at,
    )


async def test_an_expiry_reaches_the_objective_and_every_scope_above_once(
    backend: Backend, world: World, bus: EventStream
) -> None:
    org = world.org.id
    expires = NOW + timedelta(hours=1)
    await set_progress_override(
        writer=backend.writer,
        org_id=org,
        objective_id=world.q1.id,
        value=0.8,
        reason="Signed the pilot",
        now=NOW,
        actor="editor",
        expires_at=expires,
    )
    scopes = above_the_quarter_objective(world)
    async with watching_each(backend, bus, scopes) as watchers:
        assert await scheduler(backend, expires - timedelta(seconds=1)).run_once() == 0
        late = scheduler(backend, expires + timedelta(seconds=1))
        assert await late.run_once() == 1
        assert await late.run_once() == 0  # once
        events = {name: await anext(w) for name, w in watchers.items()}
    change = await backend.store.last_change(org)
    assert change is not None
    assert change.kind == EXPIRY
    assert change.actor is None
    for name, result in events.items():
        assert result.errors is None, result.errors
        event = result.data["progressChanged"]
        assert event["sequence"] == change.sequence
        assert event["node"]["id"] == scopes[name]
        assert event["cause"] is None
    back = events["objective"].data["progressChanged"]
    assert back["previous"]["value"] == 0.8
    assert back["current"]["value"] != 0.8  # the computed progress again
    # The history says it expired at its expiresAt, not that anybody cleared it.
    snapshot = await backend.reads.snapshot(org)
    assert snapshot is not None
    (held,) = snapshot.objectives[world.q1.id].overrides
    assert held.expired
    assert held.cleared_at is None
    assert held.cleared_by is None
    assert held.expires_at == expires


async def test_an_arriving_check_in_is_heard_once_with_itself_as_the_cause(
    backend: Backend, world: World, bus: EventStream
) -> None:
    org = world.org.id
    ahead = NOW + timedelta(minutes=3)
    recorded = await record_check_in(
        writer=backend.writer,
        org_id=org,
        key_result_id=world.mql.id,
        value=300,
        now=NOW,
        recorded_at=ahead,
    )
    scopes = {
        "kr": gid("KeyResult", org, world.mql.id),
        "objective": gid("Objective", org, world.q1.id),
        "team": gid("Department", org, world.marketing.id),
        "org": gid("Organization", org, org),
    }
    async with watching_each(backend, bus, scopes) as watchers:
        # A request read the organization after its time: the shared read model settled it.
        found = await backend.reads.snapshot(org)
        assert found is not None
        backend.reads.settled(found, found.at(ahead + timedelta(seconds=1)))
        assert not backend.reads.held(org).ahead()  # type: ignore[union-attr]
        assert await scheduler(backend, ahead - timedelta(milliseconds=1)).run_once() == 0
        later = scheduler(backend, ahead + timedelta(seconds=1))
        assert await later.run_once() == 1
        assert await later.run_once() == 0
        assert await scheduler(backend, ahead + timedelta(seconds=2)).run_once() == 0
        events = {name: await anext(w) for name, w in watchers.items()}
    change = await backend.store.last_change(org)
    assert change is not None
    assert change.kind == ARRIVAL
    for name, result in events.items():
        assert result.errors is None, result.errors
        event = result.data["progressChanged"]
        assert event["sequence"] == change.sequence
        assert event["node"]["id"] == scopes[name]
        assert event["cause"] == {"value": 300.0, "keyResult": {"title": world.mql.title}}
    moved = events["kr"].data["progressChanged"]
    assert moved["previous"]["value"] == 0.0
    assert moved["current"]["value"] == 0.3
    snapshot = await backend.reads.snapshot(org)
    assert snapshot is not None
    assert snapshot.key_results[world.mql.id].last_check_in_id == recorded.check_in.id
