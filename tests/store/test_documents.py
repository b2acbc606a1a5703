"""Applying changes to the documents on every backend: idempotent, fenced by sequence, read
back whole; check-in history in order; one organization never sees another's."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from service.store import documents as d
from service.store.interface import Store
from service.store.mongo import MongoStore
from service.store.reads import CHECK_INS, INITIATIVES, KEY_RESULTS, OBJECTIVES, STEPS
from service.store.records import Change, Delete, DeleteWhere, Put
from tests.store import factory
from tests.store.conftest import World, created, write


async def test_an_organization_loads_whole_in_a_bounded_number_of_round_trips(
    store: Store, world: World
) -> None:
    step = factory.action_step(world.q1, 0)
    serving = factory.initiative(world.org.id, world.kr.id)
    await write(store, world.org.id, created(STEPS, step), created(INITIATIVES, serving))
    before = store.round_trips
    loaded = await store.load_organization(world.org.id)
    assert store.round_trips - before == 8  # one find per collection, side by side
    assert loaded is not None
    assert loaded.organization == world.org
    assert loaded.cycles == world.cycles
    assert {o.id for o in loaded.objectives} == {world.global_objective.id, world.q1.id}
    assert loaded.key_results == [world.kr]
    assert loaded.action_steps == [step]
    assert loaded.initiatives == [serving]
    assert await store.load_organization(factory.new_id()) is None


async def test_applying_a_change_again_changes_nothing(store: Store, world: World) -> None:
    made = factory.check_in(world.kr, 5.0, 1)
    moved = replace(world.kr, current_value=5.0)
    written = await write(
        store,
        world.org.id,
        Put(CHECK_INS, d.check_in_doc(made)),
        Put(KEY_RESULTS, d.key_result_doc(moved), d.key_result_doc(world.kr)),
    )
    first = await store.load_organization(world.org.id)
    await store.apply(written)
    await store.apply(written)
    assert await store.load_organization(world.org.id) == first
    assert await store.list_check_ins(world.org.id, [world.kr.id]) == [
        replace(made, recorded_at=d.to_millis(made.recorded_at), sequence=written.sequence)
    ]


async def test_a_document_a_later_change_wrote_is_not_written_back(
    store: Store, world: World
) -> None:
    first = replace(world.kr, title="First")
    later = replace(world.kr, title="Later")
    early = await write(store, world.org.id, created(KEY_RESULTS, first))
    await write(store, world.org.id, created(KEY_RESULTS, later))
    # The earlier change applied once more (a writer that came back late) leaves the later one.
    await store.apply(early)
    loaded = await store.load_organization(world.org.id)
    assert loaded is not None
    assert [k.title for k in loaded.key_results] == ["Later"]


async def test_deleting_takes_documents_and_the_check_ins_they_named(
    store: Store, world: World
) -> None:
    made = factory.check_in(world.kr, 5.0, 1)
    await write(store, world.org.id, Put(CHECK_INS, d.check_in_doc(made)))
    await write(
        store,
        world.org.id,
        Delete(OBJECTIVES, world.q1.id, d.objective_doc(world.q1)),
        Delete(KEY_RESULTS, world.kr.id, d.key_result_doc(world.kr)),
        DeleteWhere(CHECK_INS, "keyResultId", (world.kr.id,)),
    )
    loaded = await store.load_organization(world.org.id)
    assert loaded is not None
    assert [o.id for o in loaded.objectives] == [world.global_objective.id]
    assert loaded.key_results == []
    assert await store.get_check_ins(world.org.id, [made.id]) == []


async def test_a_change_is_marked_applied_once_its_documents_are(
    store: Store, world: World
) -> None:
    pending = Change(
        org_id=world.org.id,
        sequence=2,
        at=factory.T0,
        kind="test",
        ops=(created(KEY_RESULTS, replace(world.kr, title="Pending")),),
    )
    await store.append_change(pending)
    (found,) = await store.changes_after(world.org.id, 1, limit=5)
    assert not found.applied
    await store.apply(found)
    (found,) = await store.changes_after(world.org.id, 1, limit=5)
    assert found.applied


async def test_documents_from_before_the_log_get_their_fence(store: Store, world: World) -> None:
    raw: Any = cast(MongoStore, store)._db
    await raw[KEY_RESULTS].update_many({}, {"$unset": {"rev": ""}})
    await store.ensure_indexes()
    docs = await raw[KEY_RESULTS].find({}).to_list(None)
    assert [doc["rev"] for doc in docs] == [0]


async def test_check_ins_read_newest_first_and_a_tie_goes_to_the_later_change(
    store: Store, world: World
) -> None:
    same = factory.T0
    a = factory.check_in(world.kr, 1.0, same, id="f" * 32)
    b = factory.check_in(world.kr, 2.0, same, id="0" * 32)
    c = factory.check_in(world.kr, 3.0, 5)
    for made in (a, b, c):
        await write(store, world.org.id, Put(CHECK_INS, d.check_in_doc(made)))
    found = await store.list_check_ins(world.org.id, [world.kr.id])
    # b was written after a at the same millisecond: it is the newer, whatever the ids say.
    assert [x.value for x in found] == [3.0, 2.0, 1.0]
    until = await store.list_check_ins(world.org.id, [world.kr.id], until=same)
    assert [x.value for x in until] == [2.0, 1.0]
    first = await store.page_check_ins(world.org.id, world.kr.id, after=None, limit=2)
    assert [x.value for x in first.items] == [3.0, 2.0]
    assert (first.total, first.has_next) == (3, True)
    rest = await store.page_check_ins(world.org.id, world.kr.id, after=first.items[-1].id, limit=2)
    assert [x.value for x in rest.items] == [1.0]
    unknown = await store.page_check_ins(world.org.id, world.kr.id, after="nope", limit=2)
    assert (unknown.items, unknown.total) == ([], 3)


async def test_a_check_in_is_found_by_its_idempotency_key(store: Store, world: World) -> None:
    made = factory.check_in(world.kr, 1.0, 1, idempotency_key="a\x00b")
    keyed = replace(made, id=d.keyed_check_in_id(d.dedup_key(made)))
    await write(store, world.org.id, Put(CHECK_INS, d.check_in_doc(keyed)))
    found = await store.find_check_in(world.org.id, d.idempotency_dedup(world.kr.id, "a\x00b"))
    assert found is not None
    assert found.id == keyed.id
    assert await store.find_check_in(world.org.id, d.idempotency_dedup(world.kr.id, "a")) is None
    assert await store.find_check_in("other", d.dedup_key(keyed)) is None


async def test_another_organization_finds_nothing(store: Store, world: World) -> None:
    made = factory.check_in(world.kr, 5.0, 1)
    await write(store, world.org.id, Put(CHECK_INS, d.check_in_doc(made)))
    stranger = factory.new_id()
    assert await store.load_organization(stranger) is None
    assert await store.get_check_ins(stranger, [made.id]) == []
    assert await store.list_check_ins(stranger, [world.kr.id]) == []
    assert (await store.page_check_ins(stranger, world.kr.id, after=None, limit=5)).total == 0
    assert await store.changes_after(stranger, 0, limit=5) == []
    assert (await store.page_changes(stranger, before=None, limit=5)).total == 0
