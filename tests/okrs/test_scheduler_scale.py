"""A scheduler pass over more organizations than the shared read model holds: it reads them
through its own read model, so the organizations requests use stay cached (the next request
costs what it cost before), skips the ones where nothing can come due, bounds its work per
pass, and misses nothing due."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from mongomock_motor import AsyncMongoMockClient

from service.okrs.check_ins import record_check_in
from service.okrs.commit import Writer
from service.okrs.due_changes import ARRIVAL, EXPIRY
from service.okrs.overrides import set_progress_override
from service.outbound.lease import Leases
from service.readmodel import ReadModel
from service.scheduler import SOONEST, ReminderScheduler
from service.store.errors import DEFAULT_DUPLICATE
from service.store.mongo import MongoStore
from tests.okrs.conftest import NOW, World, build_world

T = TypeVar("T")
ORGS = 10
HOT = 3  # what the shared read model holds
EXPIRES = NOW + timedelta(hours=1)
AHEAD = NOW + timedelta(minutes=4)
PASS = NOW + timedelta(hours=2)  # after both, before any key result is due a check-in


class Counting(MongoStore):
    """A store that counts its calls."""

    calls = 0

    async def _call(
        self, operation: Callable[[], Awaitable[T]], *, duplicate: str = DEFAULT_DUPLICATE
    ) -> T:
        self.calls += 1
        return await super()._call(operation, duplicate=duplicate)


async def request_cost(store: Counting, reads: ReadModel, org_id: str) -> int:
    """The store calls a request's read of the organization costs."""
    before = store.calls
    assert await reads.snapshot(org_id) is not None
    return store.calls - before


async def setup() -> tuple[Counting, ReadModel, Writer, list[World]]:
    client: Any = AsyncMongoMockClient(tz_aware=True)
    store = Counting(client["scale"])
    await store.ensure_indexes()
    reads = ReadModel(store, capacity=HOT)
    writer = Writer(store, reads)
    worlds = [await build_world(writer, slug=f"org-{i}") for i in range(ORGS)]
    # Far from the hot ones: an override that expires, and a check-in dated ahead.
    await set_progress_override(
        writer=writer,
        org_id=worlds[0].org.id,
        objective_id=worlds[0].q1.id,
        value=0.7,
        reason="Pilot",
        now=NOW,
        expires_at=EXPIRES,
    )
    await record_check_in(
        writer=writer,
        org_id=worlds[1].org.id,
        key_result_id=worlds[1].mql.id,
        value=500,
        now=NOW,
        recorded_at=AHEAD,
    )
    return store, reads, writer, worlds


def scheduler(
    store: Counting, reads: ReadModel, writer: Writer, clock: list[datetime], batch: int = 100
) -> ReminderScheduler:
    return ReminderScheduler(
        store,
        reads,
        writer,
        leases=Leases(store, holder="one", clock=lambda: clock[0]),
        clock=lambda: clock[0],
        capacity=2,
        batch=batch,
    )


async def kinds(store: MongoStore, worlds: list[World]) -> list[str]:
    found = []
    for world in worlds:
        found += [c.kind for c in await store.changes_after(world.org.id, 0, limit=1000)]
    return [k for k in found if k in (EXPIRY, ARRIVAL)]


async def test_a_pass_leaves_the_hot_organizations_cached_and_misses_nothing_due() -> None:
    store, reads, writer, worlds = await setup()
    hot = [w.org.id for w in worlds[-HOT:]]
    cold = [await request_cost(store, reads, org) for org in hot]
    warm = [await request_cost(store, reads, org) for org in hot]
    assert all(w < c for w, c in zip(warm, cold, strict=True))  # a cold load costs more
    loads = reads.loads
    clock = [PASS]
    one = scheduler(store, reads, writer, clock)
    assert await one.run_once() == 2
    assert sorted(await kinds(store, worlds)) == sorted([EXPIRY, ARRIVAL])
    # The pass read every organization, yet the shared read model loaded none of them.
    assert reads.loads == loads
    assert [reads.held(org) is not None for org in hot] == [True] * HOT
    assert [await request_cost(store, reads, org) for org in hot] == warm
    # Nothing came due since: the next pass costs a store call or so per organization.
    clock[0] = PASS + timedelta(minutes=1)
    before = store.calls
    assert await one.run_once() == 0
    assert store.calls - before <= ORGS + 4
    assert reads.loads == loads


async def test_a_pass_writes_at_most_its_batch_and_the_next_comes_at_once() -> None:
    store, reads, writer, worlds = await setup()
    clock = [PASS]
    one = scheduler(store, reads, writer, clock, batch=1)
    assert await one.run_once() == 1
    assert one.wait() == SOONEST
    assert await one.run_once() == 1
    assert await one.run_once() == 0
    assert sorted(await kinds(store, worlds)) == sorted([EXPIRY, ARRIVAL])
    assert one.wait() == one.interval
