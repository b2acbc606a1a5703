"""An override's expiry and an arriving check-in with a fault at every store call of the
scheduler's pass (the link cut before the call, or the call run and its reply lost): the next
pass, on the same instance or another, ends with each change written exactly once, applied, and
heard once by a subscriber, with the check-in as the arrival's cause. Two instances racing
through passes write each once too."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest

from schema.ids import parse_global_id
from service.domain.errors import StoreUnavailable
from service.okrs.check_ins import record_check_in
from service.okrs.commit import Writer
from service.okrs.due_changes import ARRIVAL, EXPIRY
from service.okrs.overrides import set_progress_override
from service.outbound.lease import Leases
from service.readmodel import ReadModel
from service.scheduler import ReminderScheduler
from service.store.interface import Store
from service.store.mongo import MongoStore
from tests.faults.conftest import Database, Failpoint
from tests.faults.test_due_notices import fresh, scheduler
from tests.faults.test_every_store_call import HOW, NOW, Instance, heard, template

# Before any key result is due a check-in (Feb 22): the pass writes the expiry and the arrival.
EXPIRES = NOW + timedelta(hours=1)
AHEAD = NOW + timedelta(hours=1, minutes=3)
WRITTEN_AT = NOW + timedelta(hours=1, minutes=1)
LATER = NOW + timedelta(hours=2)


def local(global_id: str) -> str:
    found = parse_global_id(global_id)
    assert found is not None
    return found.local_id


async def seeded(database: Database) -> tuple[str, str]:
    """The template with an override on the funnel that expires at EXPIRES, and a check-in
    dated AHEAD, written a little before it: the organization, and the check-in's id."""
    org = await fresh(database)
    s, _ = await template()
    store = database.plain()
    writer = Writer(store, ReadModel(store))
    await set_progress_override(
        writer=writer,
        org_id=org,
        objective_id=local(s.world.funnel),
        value=0.9,
        reason="Pilot signed",
        now=NOW,
        expires_at=EXPIRES,
    )
    recorded = await record_check_in(
        writer=writer,
        org_id=org,
        key_result_id=local(s.world.mql),
        value=700,
        now=WRITTEN_AT,
        recorded_at=AHEAD,
    )
    return org, recorded.check_in.id


async def calls(database: Database) -> int:
    await seeded(database)
    store = database.failpoint()
    store.arm(10**6, "raise")
    assert await scheduler(store, "count", LATER).run_once() == 2
    armed = store.disarm()
    assert armed is not None
    return armed.seen


async def check(store: Store, org: str, start: int, check_in_id: str) -> list[int]:
    """Each change is in the log once, applied; the sequences of the two."""
    log = await store.changes_after(org, start, limit=20)
    assert sorted(c.kind for c in log) == [ARRIVAL, EXPIRY], [c.kind for c in log]
    if not all(c.applied for c in log):
        await ReadModel(store).snapshot(org)  # the next reader applies what its writer left
        log = await store.changes_after(org, start, limit=20)
    assert all(c.applied for c in log)
    snapshot = await ReadModel(store).snapshot(org)
    assert snapshot is not None
    (kr,) = [k for k in snapshot.key_results.values() if k.last_check_in_id == check_in_id]
    assert kr.upcoming == ()
    assert any(o.expired for obj in snapshot.objectives.values() for o in obj.overrides)
    return [c.sequence for c in log]


@pytest.mark.parametrize("how", HOW)
async def test_each_is_written_once_whatever_store_call_fails(database: Database, how: str) -> None:
    count = await calls(database)
    for call in range(1, count + 1):
        org, check_in_id = await seeded(database)
        start = await database.plain().last_change(org)
        assert start is not None
        listener = Instance(database.plain())
        async with listener.events.subscribe(org) as live:
            failing: Failpoint = database.failpoint()
            first = scheduler(failing, "first", LATER)
            failing.arm(call, how)
            with contextlib.suppress(StoreUnavailable):
                await first.run_once()
            assert failing.disarm() is not None
            await first.run_once()
            await first.close()
            plain: MongoStore = database.plain()
            await scheduler(plain, "second", LATER + timedelta(seconds=20)).run_once()
            sequences = await check(plain, org, start.sequence, check_in_id)
            await listener.reads.snapshot(org)
            events = await heard(live, sequences[-1])
        assert [e.sequence for e in events] == sequences, f"call {call}, {how}"
        causes = [e.cause_check_in_id for e in events]
        assert sorted(causes, key=str) == sorted([None, check_in_id], key=str)


class Believing(Leases):
    """Leases that every instance believes it holds."""

    async def hold(self, name: str) -> bool:
        return True


async def test_two_instances_racing_write_each_once(database: Database) -> None:
    org, check_in_id = await seeded(database)
    start = await database.plain().last_change(org)
    assert start is not None
    # Both believe they hold the lease (the moment a lease changes hands): the dedup keys
    # keep the changes single.
    a, b = scheduler(database.plain(), "a", LATER), scheduler(database.plain(), "b", LATER)
    a.leases = b.leases = Believing(database.plain())
    done = await asyncio.gather(a.run_once(), b.run_once(), a.run_once())
    assert sum(done) == 2
    await check(database.plain(), org, start.sequence, check_in_id)


async def test_nothing_is_written_before_its_time(database: Database) -> None:
    org, _ = await seeded(database)
    start = await database.plain().last_change(org)
    assert start is not None
    store = database.plain()
    now = [EXPIRES - timedelta(milliseconds=1)]
    reads = ReadModel(store)
    one = ReminderScheduler(
        store,
        reads,
        Writer(store, reads),
        leases=Leases(store, holder="one", clock=lambda: now[0]),
        clock=lambda: now[0],
    )
    assert await one.run_once() == 0
    assert await store.changes_after(org, start.sequence, limit=5) == []
    assert one.next_due == EXPIRES  # the next pass comes then, not a minute later
    assert one.wait() == pytest.approx(1.0)  # never sooner than SOONEST
    # The expiry written, the check-in still ahead: one change, then the other.
    now[0] = EXPIRES
    assert await one.run_once() == 1
    assert await one.run_once() == 0
    assert one.next_due == AHEAD
    assert 0 < one.wait() <= 180
    now[0] = AHEAD
    assert await one.run_once() == 1
    assert one.next_due is not None
    assert one.next_due > AHEAD + timedelta(days=1)
    assert one.wait() == one.interval
