"""The write path: every write a change at the next sequence, checked against exactly the state
it follows; writers on several instances never lose or share a sequence; a change its writer
left unapplied is applied by whoever reads next; the log is pruned as retention says."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from service.domain.errors import ErrorCode, NotFound
from service.okrs import check_ins, objectives, organizations
from service.okrs.commit import Draft, Retention, Writer
from service.readmodel import ReadModel, Snapshot, model
from service.store.records import Change
from tests.okrs.conftest import NOW, Backend, World


async def test_writers_on_two_instances_each_get_their_own_sequence(
    backend: Backend, world: World
) -> None:
    other_reads = ReadModel(backend.store)
    other = Writer(backend.store, other_reads)

    async def check_in(writer: Writer, value: float) -> None:
        await check_ins.record_check_in(
            writer=writer, org_id=world.org.id, key_result_id=world.mql.id, value=value, now=NOW
        )

    before = await backend.store.last_change(world.org.id)
    assert before is not None
    await asyncio.gather(*(check_in(backend.writer if n % 2 else other, n) for n in range(1, 31)))
    log = await backend.store.changes_after(world.org.id, before.sequence, limit=100)
    assert [c.sequence for c in log] == list(range(before.sequence + 1, before.sequence + 31))
    assert all(c.applied for c in log)
    # Both instances, and one that never saw any of it, agree with the documents.
    fresh = await ReadModel(backend.store).snapshot(world.org.id)
    for reads in (backend.reads, other_reads):
        held = await reads.snapshot(world.org.id)
        assert held is not None
        assert fresh is not None
        assert held.key_results == fresh.key_results
        assert held.position == fresh.position


async def test_the_team_limit_holds_against_a_write_from_another_instance(
    backend: Backend, world: World
) -> None:
    """Checked against exactly the state it follows: two instances racing for a team's last
    objective cannot both get it."""
    other = Writer(backend.store, ReadModel(backend.store))

    async def create(writer: Writer, n: int) -> str:
        try:
            await objectives.create_objective(
                writer=writer,
                org_id=world.org.id,
                cycle_id=world.quarters[1].id,
                title=f"Goal {n}",
                department_id=world.marketing.id,
                now=NOW,
            )
        except Exception as error:
            return getattr(error, "code", type(error).__name__)
        return "created"

    outcomes = await asyncio.gather(
        *(create(backend.writer if n % 2 else other, n) for n in range(8))
    )
    assert outcomes.count("created") == 5
    assert outcomes.count(ErrorCode.TOO_MANY_OBJECTIVES) == 3


async def test_a_change_its_writer_left_unapplied_is_applied_by_the_next_reader(
    backend: Backend, world: World
) -> None:
    held = await backend.snapshot_of(world.org.id)
    renamed = held.organization.__class__(
        id=world.org.id, name="Renamed", slug=held.organization.slug
    )
    from service.okrs.common import put

    change = Change(
        org_id=world.org.id,
        sequence=held.position + 1,
        at=NOW,
        kind="organizationUpdate",
        ops=(put(held, renamed),),
    )
    await backend.store.append_change(change)  # and the writer died before applying it
    elsewhere = ReadModel(backend.store)
    seen = await elsewhere.snapshot(world.org.id)
    assert seen is not None
    assert seen.organization.name == "Renamed"
    stored = await backend.store.load_organization(world.org.id)
    assert stored is not None
    assert stored.organization.name == "Renamed"  # the documents caught up too
    (found,) = await backend.store.changes_after(world.org.id, held.position, limit=5)
    assert found.applied


async def test_a_writer_writes_only_the_organizations_it_may(
    backend: Backend, world: World
) -> None:
    scoped = backend.writer.scoped(backend.store, allowed=lambda org_id: org_id == "mine")

    async def build(snapshot: Snapshot) -> Draft[None]:
        raise AssertionError("nothing of another organization is read")

    with pytest.raises(NotFound):
        await scoped.commit(world.org.id, build, actor=None, at=NOW)


async def test_the_log_is_pruned_in_the_background_as_retention_says(
    backend: Backend, world: World
) -> None:
    pruning = Writer(backend.store, backend.reads, retention=Retention(days=1, changes=3, every=2))
    later = NOW + timedelta(days=3)
    for n in range(4):
        await organizations.create_department(
            writer=pruning, org_id=world.org.id, name=f"Team {n}", now=later
        )
    await asyncio.gather(*pruning._pruning)
    first = await backend.store.first_sequence(world.org.id)
    last = await backend.store.last_change(world.org.id)
    assert first is not None
    assert last is not None
    # The world's changes, made three days before, went; of the young ones none did.
    assert first == last.sequence - 3


async def rename(writer: Writer, world: World, times: int) -> None:
    for n in range(times):
        await organizations.update_organization(
            writer=writer, org_id=world.org.id, name=f"Acme {n}", now=NOW
        )


async def test_a_reader_far_behind_loads_the_organization_again_instead_of_every_change(
    backend: Backend, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model, "PAGE", 4)
    monkeypatch.setattr(model, "RELOAD_AFTER", 8)
    reads = ReadModel(backend.store)
    assert await reads.snapshot(world.org.id) is not None
    await rename(Writer(backend.store, ReadModel(backend.store)), world, 13)
    loads, applied = reads.loads, reads.applied
    seen = await reads.snapshot(world.org.id)
    assert seen is not None
    assert seen.organization.name == "Acme 12"
    assert reads.loads == loads + 1
    assert reads.applied - applied == 4  # one page, then the load


async def test_a_reader_not_asked_for_an_hour_loads_again_as_the_log_may_be_pruned_after_it(
    backend: Backend, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = ReadModel(backend.store)
    assert await reads.snapshot(world.org.id) is not None
    writer = Writer(backend.store, ReadModel(backend.store))
    await rename(writer, world, 3)
    held = await backend.store.last_change(world.org.id)
    assert held is not None
    # Everything up to the newest change is pruned: reading on from the position held would
    # find nothing and serve the old name for good.
    await backend.store.prune_changes(world.org.id, keep_last=1, older_than=NOW + timedelta(1))
    monkeypatch.setattr(model, "STALE_AFTER", 0.0)
    seen = await reads.snapshot(world.org.id)
    assert seen is not None
    assert seen.organization.name == "Acme 2"
    assert seen.position == held.sequence
