"""Events from the change log: a write reaches this instance's subscribers at once, another
instance's when this one reads the log (a notice, or the next poll); every subscriber gets each
change that moved anything once, in sequence order; a subscriber resumes after the last
sequence it saw, from memory or from the log."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from mongomock_motor import AsyncMongoMockClient

from service.domain.model import Policy
from service.domain.plan import Plan
from service.domain.rollup import Evaluation, evaluate_plan
from service.events import Event, EventStream, ResumeTooOld
from service.events.bus import BusHealth, Notice
from service.okrs import check_ins, cycles, key_results, objectives, organizations
from service.okrs.commit import Writer
from service.readmodel import ReadModel, scopes, years
from service.store.mongo import MongoStore
from tests.events.factory import receive
from tests.okrs.conftest import NOW, World, build_world


class Wire:
    """Notices between the instances of one test, as Redis carries them (or drops them)."""

    def __init__(self) -> None:
        self.buses: list[WireBus] = []
        self.cut = False

    def bus(self) -> WireBus:
        made = WireBus(self)
        self.buses.append(made)
        return made


class WireBus:
    """`NoticeBus` over a `Wire`."""

    def __init__(self, wire: Wire) -> None:
        self.wire = wire
        self.listeners: list[Notice] = []

    async def start(self) -> None:
        """Nothing to connect."""

    async def close(self) -> None:
        """Nothing to let go of."""

    def announce(self, org_id: str, sequence: int) -> None:
        if self.wire.cut:
            return
        for bus in self.wire.buses:
            if bus is not self:
                for listener in bus.listeners:
                    listener(org_id, sequence)

    def listen(self, noticed: Notice) -> None:
        self.listeners.append(noticed)

    def health(self) -> BusHealth:
        return BusHealth(ok=not self.wire.cut, reason="cut" if self.wire.cut else None)


@dataclass
class Instance:
    """One instance of the service: its read model, writer and event stream."""

    reads: ReadModel
    writer: Writer
    stream: EventStream


@pytest.fixture
async def store() -> MongoStore:
    made = MongoStore(AsyncMongoMockClient(tz_aware=True)["stream"])
    await made.ensure_indexes()
    return made


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
async def instances(store: MongoStore, wire: Wire) -> AsyncIterator[tuple[Instance, Instance]]:
    made: list[Instance] = []
    for _ in range(2):
        bus = wire.bus()
        reads = ReadModel(store)
        stream = EventStream(reads, store, bus, poll=0.2)
        await stream.start()
        made.append(Instance(reads, Writer(store, reads, notify=bus.announce), stream))
    try:
        yield made[0], made[1]
    finally:
        for instance in made:
            await instance.stream.close()


@pytest.fixture
async def world(instances: tuple[Instance, Instance]) -> World:
    return await build_world(instances[0].writer)


async def check_in(instance: Instance, world: World, value: float) -> int:
    await check_ins.record_check_in(
        writer=instance.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        value=value,
        now=NOW,
    )
    held = instance.reads.held(world.org.id)
    assert held is not None
    return held.position


def values(event: Event, scope_id: str) -> float | None:
    (change,) = event.changes_of(scope_id)
    current = change.current_progress()
    assert current is not None
    return current.current


async def test_a_write_reaches_this_instances_subscribers_at_once(
    instances: tuple[Instance, Instance], world: World
) -> None:
    a, _ = instances
    async with a.stream.subscribe(world.org.id) as events:
        sequence = await check_in(a, world, 100)
        got = events._next()  # already queued: no waiting for any bus or poll
        assert got is not None
        assert got.sequence == sequence
        assert values(got, world.mql.id) == 100
        assert got.cause_check_in_id is not None
        assert {c.kind for c in got.changes} >= {
            "KeyResult",
            "Objective",
            "Cycle",
            "Department",
            "Organization",
        }


async def test_another_instances_write_arrives_on_its_notice(
    instances: tuple[Instance, Instance], world: World
) -> None:
    a, b = instances
    async with a.stream.subscribe(world.org.id) as events:
        sequence = await check_in(b, world, 200)
        got = await receive(events)
        assert (got.sequence, values(got, world.mql.id)) == (sequence, 200)


async def test_without_notices_the_poll_reads_the_log(
    instances: tuple[Instance, Instance], world: World, wire: Wire
) -> None:
    a, b = instances
    wire.cut = True
    async with a.stream.subscribe(world.org.id) as events:
        first = await check_in(b, world, 300)
        second = await check_in(b, world, 310)
        got = [await receive(events), await receive(events)]
        assert [e.sequence for e in got] == [first, second]


async def test_writes_on_two_instances_reach_every_subscriber_once_in_sequence_order(
    instances: tuple[Instance, Instance], world: World
) -> None:
    a, b = instances
    async with (
        a.stream.subscribe(world.org.id) as on_a,
        b.stream.subscribe(world.org.id) as on_b,
    ):
        written = await asyncio.gather(
            *(check_in(a if n % 2 else b, world, n) for n in range(1, 21))
        )
        last = max(written)
        for events in (on_a, on_b):
            got: list[int] = []
            while not got or got[-1] < last:
                got.append((await receive(events)).sequence)
            assert got == sorted(set(got))
            assert len(got) == 20


async def test_a_change_that_moves_no_scope_sends_no_event(
    instances: tuple[Instance, Instance], world: World
) -> None:
    a, _ = instances
    async with a.stream.subscribe(world.org.id) as events:
        await organizations.create_department(
            writer=a.writer, org_id=world.org.id, name="Ops", now=NOW
        )
        sequence = await check_in(a, world, 5)
        assert (await receive(events)).sequence == sequence


async def test_a_subscriber_resumes_after_the_last_sequence_it_saw(
    instances: tuple[Instance, Instance], world: World, store: MongoStore
) -> None:
    a, _ = instances
    async with a.stream.subscribe(world.org.id) as events:
        seen = await check_in(a, world, 10)
        await receive(events)
    missed = [await check_in(a, world, v) for v in (20, 30)]
    # From the events kept in memory ...
    async with a.stream.subscribe(world.org.id, after=seen) as resumed:
        got = [await receive(resumed), await receive(resumed)]
        assert [e.sequence for e in got] == missed
        assert [values(e, world.mql.id) for e in got] == [20, 30]
        live = await check_in(a, world, 40)
        assert (await receive(resumed)).sequence == live
    # ... and, on an instance that kept nothing, from the log: the same events.
    fresh_reads = ReadModel(store)
    fresh = EventStream(fresh_reads, store)
    await fresh.start()
    try:
        async with fresh.subscribe(world.org.id, after=seen) as replayed:
            again = [await receive(replayed) for _ in range(3)]
        assert [e.sequence for e in again] == [*missed, live]
        assert [values(e, world.mql.id) for e in again] == [20, 30, 40]
        assert again[:2] == got
    finally:
        await fresh.close()


async def test_resuming_at_the_newest_position_misses_nothing_and_goes_live(
    instances: tuple[Instance, Instance], world: World, store: MongoStore
) -> None:
    a, _ = instances
    newest = await check_in(a, world, 10)
    # A client that saw everything reconnects, here and on an instance that kept nothing.
    fresh = EventStream(ReadModel(store), store)
    await fresh.start()
    try:
        for stream in (a.stream, fresh):
            async with stream.subscribe(world.org.id, after=newest) as resumed:
                live = await check_in(a, world, 20 + newest)
                if stream is fresh:
                    fresh.noticed(world.org.id, live)
                assert (await receive(resumed)).sequence == live
            newest = live
    finally:
        await fresh.close()


async def test_a_position_the_log_no_longer_keeps_is_refused(
    instances: tuple[Instance, Instance], world: World, store: MongoStore
) -> None:
    a, _ = instances
    for v in (1, 2, 3):
        await check_in(a, world, v)
    last = await store.last_change(world.org.id)
    assert last is not None
    await store.prune_changes(world.org.id, keep_last=2, older_than=NOW + timedelta(days=30))
    fresh = EventStream(ReadModel(store), store)
    await fresh.start()
    try:
        with pytest.raises(ResumeTooOld, match="query the current state"):
            async with fresh.subscribe(world.org.id, after=1):
                pass
        with pytest.raises(ResumeTooOld):
            async with fresh.subscribe(world.org.id, after=last.sequence + 5):
                pass
        async with fresh.subscribe(world.org.id, after=last.sequence - 1):
            pass  # what the log still keeps is fine
    finally:
        await fresh.close()


async def test_the_organization_scope_hears_of_a_check_in_without_a_global_objective(
    instances: tuple[Instance, Instance], world: World
) -> None:
    a, _ = instances
    # A year with no global objective: 2028's quarter objectives hang under nothing.
    year, q1, *_ = await cycles.create_year(
        writer=a.writer, org_id=world.org.id, year=2028, now=NOW
    )
    made = await objectives.create_objective(
        writer=a.writer, org_id=world.org.id, cycle_id=q1.id, title="Alone", now=NOW
    )
    assert made.objective is not None
    kr = await key_results.create_key_result(
        writer=a.writer,
        org_id=world.org.id,
        objective_id=made.objective.id,
        title="Count",
        start_value=0,
        target_value=10,
        now=NOW,
    )
    assert kr.key_result is not None
    async with a.stream.subscribe(world.org.id) as events:
        await check_ins.record_check_in(
            writer=a.writer,
            org_id=world.org.id,
            key_result_id=kr.key_result.id,
            value=1,
            now=NOW.replace(year=2028),
        )
        got = await receive(events)
        (org_change,) = got.changes_of(world.org.id)
        assert org_change.cycle_id == year.id
        current = org_change.current_progress()
        assert current is not None
        assert current.value is None  # nothing to measure yet: still an event


@pytest.fixture
def large_years(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every year counts as large (evaluated off the event loop); for each evaluation of a
    year's plan, whether it ran on the event loop's thread."""
    on_loop: list[bool] = []
    real = evaluate_plan

    def watched(plan: Plan, *, policy: Policy, now: datetime) -> Evaluation:
        on_loop.append(threading.current_thread() is threading.main_thread())
        return real(plan, policy=policy, now=now)

    monkeypatch.setattr(years, "OFF_LOOP_FROM", 1)
    monkeypatch.setattr(scopes, "OFF_LOOP_FROM", 1)
    monkeypatch.setattr(years, "evaluate_plan", watched)
    return on_loop


async def test_a_large_years_events_are_worked_out_off_the_loop_in_order(
    instances: tuple[Instance, Instance], world: World, large_years: list[bool]
) -> None:
    a, b = instances
    async with a.stream.subscribe(world.org.id) as events:
        written = [await check_in(a if n % 2 else b, world, n) for n in range(1, 6)]
        await objectives.create_objective(
            writer=a.writer,
            org_id=world.org.id,
            cycle_id=world.quarters[1].id,
            title="A second quarter's objective",
            parent_id=world.global_objective.id,
            now=NOW,
        )
        last = await check_in(a, world, 6)
        got: list[Event] = []
        while not got or got[-1].sequence < last:
            got.append(await receive(events))
    checked = [e for e in got if e.cause_check_in_id is not None]
    assert [e.sequence for e in checked] == [*written, last]
    assert [values(e, world.mql.id) for e in checked] == [1, 2, 3, 4, 5, 6]
    assert [e.sequence for e in got] == sorted(e.sequence for e in got)
    assert large_years, "no year was evaluated"
    assert not any(large_years), "a large year was evaluated on the event loop"


async def test_closing_a_large_cycle_evaluates_it_off_the_loop(
    instances: tuple[Instance, Instance], world: World, large_years: list[bool]
) -> None:
    a, _ = instances
    await check_in(a, world, 400)
    closed = await cycles.close_cycle(
        writer=a.writer, org_id=world.org.id, cycle_id=world.quarters[0].id, now=NOW
    )
    assert closed.key_result_scores[world.mql.id] == 0.4
    assert large_years
    assert not any(large_years)


async def test_a_subscriber_of_one_scope_is_handed_only_the_events_that_moved_it(
    instances: tuple[Instance, Instance], world: World
) -> None:
    a, _ = instances
    async with (
        a.stream.subscribe(world.org.id, scope=world.mql.id) as mine,
        a.stream.subscribe(world.org.id, scope="a-scope-no-change-moves") as other,
        a.stream.subscribe(world.org.id) as every,
    ):
        sequence = await check_in(a, world, 150)
        got = mine._next()
        assert got is not None
        assert got.sequence == sequence
        assert every._next() is not None
        assert other._next() is None  # never queued: its reader was not even woken
