"""A check-in due notice with a fault at every store call it makes (the link cut before the
call, or the call run and its reply lost): the scheduler's next pass, on the same instance or
another, ends with the notice written exactly once, applied, and heard once by a subscriber."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

import pytest

from service.domain.errors import StoreUnavailable
from service.okrs.commit import Writer
from service.okrs.reminders import KIND
from service.outbound.lease import Leases
from service.readmodel import ReadModel
from service.scheduler import ReminderScheduler
from service.store.interface import Store
from service.store.mongo import MongoStore
from tests.faults.conftest import Database, Failpoint
from tests.faults.test_every_store_call import HOW, NOW, Instance, heard, template
from tests.schema.conftest import org_of

# The template's Sales key result (created on Feb 15, never checked in) is due from Feb 22.
LATER = NOW + timedelta(days=7, hours=1)


def scheduler(store: Store, name: str, at: datetime = LATER) -> ReminderScheduler:
    reads = ReadModel(store)
    return ReminderScheduler(
        store,
        reads,
        Writer(store, reads),
        leases=Leases(store, holder=name, clock=lambda: at),
        clock=lambda: at,
    )


async def fresh(database: Database) -> str:
    _, documents = await template()
    for name in await database.raw.list_collection_names():
        await database.raw[name].delete_many({})
    await database.load(documents)
    seeded, _ = await template()
    return org_of(seeded.world.org)


async def calls(database: Database) -> tuple[int, int]:
    """How many store calls a pass makes when nothing fails, and how many notices it writes."""
    await fresh(database)
    store = database.failpoint()
    store.arm(10**6, "raise")
    written = await scheduler(store, "count").run_once()
    assert written > 0
    armed = store.disarm()
    assert armed is not None
    return armed.seen, written


@pytest.mark.parametrize("how", HOW)
async def test_a_notice_is_written_once_whatever_store_call_fails(
    database: Database, how: str
) -> None:
    count, written = await calls(database)
    for call in range(1, count + 1):
        org = await fresh(database)
        start = await database.plain().last_change(org)
        assert start is not None
        listener = Instance(database.plain())
        async with listener.events.subscribe(org) as live:
            failing: Failpoint = database.failpoint()
            first = scheduler(failing, "first")
            failing.arm(call, how)
            with contextlib.suppress(StoreUnavailable):
                await first.run_once()
            assert failing.disarm() is not None
            # The same instance's next pass, then another instance's once the lease ran out (a
            # lease taken by a call whose reply was lost is held until then).
            await first.run_once()
            await first.close()
            plain: MongoStore = database.plain()
            await scheduler(plain, "second", LATER + timedelta(seconds=20)).run_once()
            log = await plain.changes_after(org, start.sequence, limit=20)
            notices = [c for c in log if c.kind == KIND]
            assert len(notices) == len(log) == written, [c.kind for c in log]
            keys = [(c.node_id, c.dedup) for c in notices]
            assert len(keys) == len(set(keys)), f"a notice written twice (call {call}, {how})"
            assert all(c.applied for c in notices) or await _applied_on_read(plain, org)
            await listener.reads.snapshot(org)  # B reads the organization: it hears the log
            events = await heard(live, log[-1].sequence)
        assert [e.sequence for e in events] == [c.sequence for c in notices]
        assert all(e.due for e in events)


async def _applied_on_read(store: MongoStore, org: str) -> bool:
    """A change its writer left unapplied is applied by the next reader."""
    await ReadModel(store).snapshot(org)
    log = await store.changes_after(org, 0, limit=10_000)
    return all(c.applied for c in log)
