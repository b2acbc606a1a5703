"""The change log on every backend: one sequence per change, unique request keys, reads in
order, the audit trail's pages and filters, and what retention forgets."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from service.domain.errors import Conflict
from service.store import documents as d
from service.store.interface import ChangeFilter, Store
from service.store.reads import CHECK_INS, KEY_RESULTS
from service.store.records import Change, Delete, DeleteWhere, Put, digest
from tests.store import factory
from tests.store.conftest import World, write


def change(world: World, sequence: int, **fields: object) -> Change:
    values: dict[str, object] = {
        "org_id": world.org.id,
        "sequence": sequence,
        "at": factory.T0,
        "kind": "test",
        "ops": (),
    }
    return Change(**(values | fields))  # type: ignore[arg-type]


async def test_a_change_round_trips_with_its_operations(store: Store, world: World) -> None:
    made = factory.check_in(world.kr, 5.0, 1)
    renamed = replace(world.kr, title="Renamed", current_value=5.0)
    written = await write(
        store,
        world.org.id,
        Put(CHECK_INS, d.check_in_doc(made)),
        Put(KEY_RESULTS, d.key_result_doc(renamed), d.key_result_doc(world.kr)),
        Delete(KEY_RESULTS, "gone", {"_id": "gone", "title": "Old"}),
        DeleteWhere(CHECK_INS, "keyResultId", ("gone",)),
        kind="checkInCreate",
        actor="ana",
        node_type="KeyResult",
        node_id=world.kr.id,
    )
    (found,) = await store.changes_after(world.org.id, 1, limit=10)
    assert found == replace(written, applied=True)
    assert found.touched == (made.id, world.kr.id, "gone")
    put = found.ops[0]
    assert isinstance(put, Put)
    assert put.doc["recordedAt"] == d.to_millis(made.recorded_at)  # a date stays a date


async def test_a_taken_sequence_is_a_conflict_and_stores_nothing(
    store: Store, world: World
) -> None:
    with pytest.raises(Conflict):
        await store.append_change(change(world, 1, kind="late"))
    (first,) = await store.changes_after(world.org.id, 0, limit=10)
    assert first.kind == "test"


async def test_a_taken_request_key_is_a_conflict_across_organizations(
    store: Store, world: World
) -> None:
    key = "checkIn:" + digest("k")
    await store.append_change(change(world, 2, dedup=key))
    other = factory.organization()
    with pytest.raises(Conflict):
        await store.append_change(
            Change(org_id=other.id, sequence=1, at=factory.T0, kind="x", ops=(), dedup=key)
        )
    found = await store.change_by_dedup(key)
    assert found is not None
    assert (found.org_id, found.sequence) == (world.org.id, 2)
    assert await store.change_by_dedup("nothing") is None


async def test_racing_writers_get_one_sequence_each_and_no_gap(store: Store, world: World) -> None:
    async def writer(name: str) -> int:
        while True:
            last = await store.last_change(world.org.id)
            assert last is not None
            try:
                await store.append_change(change(world, last.sequence + 1, kind=name))
                return last.sequence + 1
            except Conflict:
                await asyncio.sleep(0)

    won = await asyncio.gather(*(writer(f"w{n}") for n in range(8)))
    assert sorted(won) == list(range(2, 10))
    found = await store.changes_after(world.org.id, 0, limit=100)
    assert [c.sequence for c in found] == list(range(1, 10))


async def test_the_log_reads_after_a_position_in_order_and_its_ends(
    store: Store, world: World
) -> None:
    for n in range(2, 7):
        await store.append_change(change(world, n))
    assert [c.sequence for c in await store.changes_after(world.org.id, 3, limit=2)] == [4, 5]
    last = await store.last_change(world.org.id)
    assert last is not None
    assert last.sequence == 6
    assert await store.first_sequence(world.org.id) == 1
    assert await store.last_change("nobody") is None
    assert await store.first_sequence("nobody") is None
    assert await store.changes_after("nobody", 0, limit=5) == []


async def test_a_long_log_is_read_whole_and_in_order_across_windows(
    store: Store, world: World
) -> None:
    for n in range(2, 101):
        await store.append_change(change(world, n))
    everything = await store.changes_after(world.org.id, 0, limit=1000)
    assert [c.sequence for c in everything] == list(range(1, 101))
    assert [c.sequence for c in await store.changes_after(world.org.id, 10, limit=50)] == list(
        range(11, 61)
    )
    assert await store.changes_after(world.org.id, 100, limit=10) == []


async def test_the_audit_trail_pages_newest_first_and_filters(store: Store, world: World) -> None:
    later = factory.T0 + timedelta(days=1)
    await store.append_change(change(world, 2, actor="ana", kind="a", at=later))
    await store.append_change(change(world, 3, actor="bo", kind="b", at=later))
    await store.append_change(
        change(world, 4, actor="ana", kind="b", ops=(Delete(KEY_RESULTS, "k1", None),))
    )
    page = await store.page_changes(world.org.id, before=None, limit=2)
    assert [c.sequence for c in page.items] == [4, 3]
    assert (page.total, page.has_next) == (4, True)
    rest = await store.page_changes(world.org.id, before=3, limit=5)
    assert [c.sequence for c in rest.items] == [2, 1]
    assert not rest.has_next

    async def seqs(where: ChangeFilter) -> list[int]:
        found = await store.page_changes(world.org.id, before=None, limit=9, where=where)
        return [c.sequence for c in found.items]

    assert await seqs(ChangeFilter(actor="ana")) == [4, 2]
    assert await seqs(ChangeFilter(kind="b")) == [4, 3]
    assert await seqs(ChangeFilter(node_id="k1")) == [4]
    assert await seqs(ChangeFilter(since=later)) == [3, 2]
    assert await seqs(ChangeFilter(until=factory.T0)) == [4, 1]
    assert await seqs(ChangeFilter(actor="ana", kind="b")) == [4]


async def test_retention_forgets_only_old_applied_changes_beyond_the_newest_ones(
    store: Store, world: World
) -> None:
    old = factory.T0
    new = factory.T0 + timedelta(days=30)
    for n in range(2, 8):
        made = change(world, n, at=old if n < 6 else new)
        await store.append_change(made)
        if n != 7:
            await store.apply(made)
    cutoff = factory.T0 + timedelta(days=7)
    # Keep the 3 newest whatever their age: 5, 6, 7 stay; 1-4 are old and applied.
    assert await store.prune_changes(world.org.id, keep_last=3, older_than=cutoff) == 4
    assert await store.first_sequence(world.org.id) == 5
    # Young changes are kept however many there are.
    assert await store.prune_changes(world.org.id, keep_last=0, older_than=cutoff) == 1
    assert [c.sequence for c in await store.changes_after(world.org.id, 5, limit=9)] == [6, 7]
    # A position the log no longer follows reads as nothing after it; first_sequence says why.
    assert await store.changes_after(world.org.id, 0, limit=9) == []
    assert await store.first_sequence(world.org.id) == 6
