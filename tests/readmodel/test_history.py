"""`HeldCheckIns`: the check-ins kept with a snapshot follow every shape of change that touches
check-ins as the store applies it (puts fenced by the change's sequence, whole deletes, the
check-ins of deleted key results), and only for key results already read."""

from __future__ import annotations

from datetime import UTC, date, datetime

from mongomock_motor import AsyncMongoMockClient

from service.domain.model import CheckIn
from service.okrs.commit import Writer
from service.okrs.datasets import Generated, Shape, generate
from service.readmodel import ReadModel
from service.readmodel.history import HeldCheckIns, newest_first
from service.store import documents as d
from service.store.mongo import MongoStore
from service.store.reads import CHECK_INS, KEY_RESULTS
from service.store.records import Delete, DeleteWhere, Put

AT = datetime(2027, 1, 10, 9, tzinfo=UTC)


def made(check_in_id: str, kr: str = "k1", value: float = 1.0, *, at: datetime = AT) -> CheckIn:
    return CheckIn(
        id=check_in_id, org_id="o", key_result_id=kr, value=value, recorded_at=at, sequence=0
    )


def put(check_in: CheckIn, before: CheckIn | None = None) -> Put:
    return Put(CHECK_INS, d.check_in_doc(check_in), d.check_in_doc(before) if before else None)


def ids(held: HeldCheckIns, kr: str) -> list[str] | None:
    found = held.get(kr)
    return None if found is None else [c.id for c in found]


def test_a_put_adds_to_a_key_result_held_and_carries_the_change_as_its_sequence() -> None:
    held = HeldCheckIns()
    held.hold({"k1": [made("a", at=AT)], "k2": []})
    after = held.carried(7, [put(made("b")), put(made("c", "k3"))])
    assert ids(after, "k1") == ["b", "a"]  # one millisecond: the later change first
    assert after.get("k1")[0].sequence == 7  # type: ignore[index]
    assert after.get("k3") is None  # never read: read from the store when asked
    assert after.get("k2") == ()
    assert after.count == 2
    assert ids(held, "k1") == ["a"]  # the earlier position is unchanged


def test_a_put_older_than_what_is_held_changes_nothing_as_the_store_fences_it() -> None:
    held = HeldCheckIns()
    held.hold({"k1": [CheckIn("a", "o", "k1", 5.0, AT, sequence=9)]})
    assert held.carried(4, [put(made("a", value=1.0))]).get("k1")[0].value == 5.0  # type: ignore[index]
    assert held.carried(10, [put(made("a", value=1.0))]).get("k1")[0].value == 1.0  # type: ignore[index]


def test_deletes_with_and_without_the_document_they_found() -> None:
    held = HeldCheckIns()
    held.hold({"k1": [made("a"), made("b")], "k2": [made("c", "k2")]})
    assert ids(held.carried(3, [Delete(CHECK_INS, "a", d.check_in_doc(made("a")))]), "k1") == ["b"]
    after = held.carried(3, [Delete(CHECK_INS, "c")])
    assert ids(after, "k2") == []
    assert ids(after, "k1") == ["b", "a"]


def test_a_key_results_deletion_takes_its_check_ins_along() -> None:
    held = HeldCheckIns()
    held.hold({"k1": [made("a")], "k2": [made("c", "k2")]})
    after = held.carried(
        5, [Delete(KEY_RESULTS, "k1"), DeleteWhere(CHECK_INS, "keyResultId", ("k1", "k9"))]
    )
    assert after.get("k1") == ()
    assert ids(after, "k2") == ["c"]
    assert after.get("k9") is None
    assert HeldCheckIns().carried(5, [DeleteWhere(CHECK_INS, "other", ("x",))]).count == 0
    assert held.carried(5, [DeleteWhere(CHECK_INS, "other", ("x",))]).get("k2") is None


def test_a_check_in_moved_to_another_key_result_leaves_the_first() -> None:
    held = HeldCheckIns()
    held.hold({"k1": [made("a")], "k2": []})
    after = held.carried(6, [put(made("a", "k2"), before=made("a"))])
    assert ids(after, "k1") == []
    assert ids(after, "k2") == ["a"]


def test_an_import_of_many_check_ins_sorts_each_key_result_once() -> None:
    held = HeldCheckIns()
    held.hold({"k1": []})
    days = [made(f"c{i:02d}", at=AT.replace(day=1 + i)) for i in range(20)]
    after = held.carried(8, [put(c) for c in reversed(days)])
    assert ids(after, "k1") == [c.id for c in reversed(days)]
    assert list(newest_first(days)) == list(reversed(days))


def test_clear_forgets_and_counts() -> None:
    held = HeldCheckIns()
    assert held.hold({"k1": [made("a"), made("b")]}) == 2
    assert held.hold({"k1": [made("z")]}) == 0  # held already
    assert held.clear() == 2
    assert held.get("k1") is None
    assert held.count == 0


# The read model keeps what it read, within its bound ---------------------------------------

SHAPE = Shape(departments=1, objectives=1, key_results=2, check_ins=3, quarters=(1,))


async def organizations(count: int) -> tuple[MongoStore, list[Generated]]:
    store = MongoStore(AsyncMongoMockClient(tz_aware=True)["history"])
    await store.ensure_indexes()
    writer = Writer(store, ReadModel(store))
    made = [
        await generate(writer=writer, shape=SHAPE, today=date(2027, 5, 10), slug=f"org-{i}")
        for i in range(count)
    ]
    return store, made


async def test_the_read_model_keeps_check_ins_read_and_forgets_the_oldest_past_its_bound() -> None:
    store, made = await organizations(2)
    first, second = made
    reads = ReadModel(store, check_in_capacity=6)
    held = await reads.snapshot(first.organization.id)
    assert held is not None
    found = await reads.check_ins(held, first.key_result_ids)
    assert sum(map(len, found.values())) == 6 == reads.held_check_ins()
    calls = store.round_trips
    assert await reads.check_ins(held, first.key_result_ids) == found
    assert store.round_trips == calls  # kept: no store call
    other = await reads.snapshot(second.organization.id)
    assert other is not None
    await reads.check_ins(other, second.key_result_ids)
    # The second organization's six take the place of the first's.
    assert reads.held_check_ins() == 6
    assert held.history.count == 0
    assert other.history.count == 6
    # More than the bound alone: answered, not kept.
    small = ReadModel(store, check_in_capacity=2)
    alone = await small.snapshot(first.organization.id)
    assert alone is not None
    assert await small.check_ins(alone, first.key_result_ids) == found
    assert small.held_check_ins() == 0


async def test_check_ins_are_not_kept_while_a_change_of_this_process_is_not_in_the_store() -> None:
    store, (made,) = await organizations(1)
    reads = ReadModel(store)
    held = await reads.snapshot(made.organization.id)
    assert held is not None
    reads.writing(made.organization.id, held.position)  # as if still being applied
    await reads.check_ins(held, made.key_result_ids)
    assert held.history.count == 0
