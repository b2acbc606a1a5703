"""The check-in reminder scheduler: one instance at a time writes each due notice, once, and a
restart or a second instance never writes one twice."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from service.okrs.check_ins import record_check_in
from service.okrs.commit import Writer
from service.okrs.reminders import KIND, notify_due
from service.outbound.lease import Leases
from service.readmodel import ReadModel
from service.scheduler import ReminderScheduler
from service.store.reads import REMINDERS
from tests.okrs.conftest import NOW, Backend, World

# Both key results of the world were created at NOW, never checked in: due a week later.
DUE = NOW + timedelta(days=7)


@dataclass
class Clock:
    at: datetime

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Instance:
    """One instance of the service as far as reminders go: its own read model, writer and
    leases (its own holder name), sharing the store and a clock with the others."""

    backend: Backend
    clock: Clock
    name: str
    scheduler: ReminderScheduler = field(init=False)

    def __post_init__(self) -> None:
        store = self.backend.store
        reads = ReadModel(store)
        self.scheduler = ReminderScheduler(
            store,
            reads,
            Writer(store, reads),
            leases=Leases(store, holder=self.name, clock=self.clock),
            clock=self.clock,
        )


async def notices(backend: Backend, org_id: str) -> list[tuple[str, datetime]]:
    """(key result, due instant) of every notice in the log, in order."""
    found = []
    for change in await backend.store.changes_after(org_id, 0, limit=1000):
        if change.kind == KIND:
            (put,) = change.puts(REMINDERS)
            found.append((put.doc["keyResultId"], put.doc["dueAt"]))
    return found


async def test_one_instance_writes_each_notice_once_and_the_other_waits(
    backend: Backend, world: World
) -> None:
    clock = Clock(DUE - timedelta(seconds=1))
    a, b = Instance(backend, clock, "a"), Instance(backend, clock, "b")
    assert await a.scheduler.run_once() == 0  # nothing due yet
    clock.at = DUE + timedelta(seconds=1)
    assert await b.scheduler.run_once() == 0  # a holds the lease
    assert await a.scheduler.run_once() == 2
    assert await a.scheduler.run_once() == 0  # written already
    found = await notices(backend, world.org.id)
    assert sorted(found) == sorted([(world.mql.id, DUE), (world.deals.id, DUE)])


async def test_two_writers_racing_for_one_notice_write_it_once(
    backend: Backend, world: World
) -> None:
    now = DUE + timedelta(minutes=1)
    writers = [Writer(backend.store, ReadModel(backend.store)) for _ in range(3)]
    done = await asyncio.gather(
        *(
            notify_due(writer=w, org_id=world.org.id, key_result_id=world.mql.id, due=DUE, now=now)
            for w in writers
        )
    )
    assert sorted(done) == [False, False, True]
    assert await notices(backend, world.org.id) == [(world.mql.id, DUE)]
    # Not due at that instant (the cadence says otherwise), or not yet: nothing is written.
    for due, at in ((DUE - timedelta(days=1), now), (DUE, DUE - timedelta(seconds=1))):
        wrote = await notify_due(
            writer=writers[0], org_id=world.org.id, key_result_id=world.deals.id, due=due, now=at
        )
        assert not wrote
    gone = await notify_due(
        writer=writers[0], org_id=world.org.id, key_result_id="nothing", due=DUE, now=now
    )
    assert not gone


async def test_another_instance_takes_over_once_the_holder_died(
    backend: Backend, world: World
) -> None:
    # The MQLs are checked in on Feb 20: due on Feb 27; the deals stay due from Feb 22.
    await record_check_in(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        value=100,
        now=NOW + timedelta(days=5),
    )
    clock = Clock(DUE + timedelta(days=1))
    a, b = Instance(backend, clock, "a"), Instance(backend, clock, "b")
    assert await a.scheduler.run_once() == 1
    # A dies without giving its lease up: B waits until the lease runs out.
    clock.at += timedelta(seconds=5)
    assert await b.scheduler.run_once() == 0
    clock.at = NOW + timedelta(days=13)
    assert await b.scheduler.run_once() == 1
    assert await notices(backend, world.org.id) == [
        (world.deals.id, DUE),
        (world.mql.id, NOW + timedelta(days=12)),
    ]


async def test_a_restarted_instance_writes_nothing_twice(backend: Backend, world: World) -> None:
    clock = Clock(DUE + timedelta(hours=1))
    first = Instance(backend, clock, "first")
    assert await first.scheduler.run_once() == 2
    await first.scheduler.close()  # gives the lease up
    again = Instance(backend, clock, "again")  # nothing remembered: it asks the log
    assert await again.scheduler.run_once() == 0
    assert len(await notices(backend, world.org.id)) == 2


async def test_a_notice_older_than_the_window_is_not_announced_late(
    backend: Backend, world: World
) -> None:
    clock = Clock(DUE + timedelta(days=8))
    late = Instance(backend, clock, "late")
    assert await late.scheduler.run_once() == 0
    assert await notices(backend, world.org.id) == []


async def test_the_scheduler_runs_in_the_background_until_closed(
    backend: Backend, world: World
) -> None:
    clock = Clock(DUE + timedelta(hours=1))
    store = backend.store
    reads = ReadModel(store)
    scheduler = ReminderScheduler(store, reads, Writer(store, reads), interval=0.01, clock=clock)
    await scheduler.start()
    for _ in range(200):
        if scheduler.written == 2:
            break
        await asyncio.sleep(0.01)
    await scheduler.close()
    assert scheduler.written == 2
    assert len(await notices(backend, world.org.id)) == 2
