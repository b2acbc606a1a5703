"""The migration of free-text owners to members, on every backend: one member per text (case
and blanks aside), one change per text, idempotent, and ending alike after a fault at any store
call followed by a run again."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

import pytest

from service.domain.errors import StoreUnavailable
from service.domain.model import ActionStep, KeyResult, Objective
from service.okrs.commit import Writer
from service.okrs.migration import KIND, migrate_every_organization
from service.readmodel import ReadModel
from service.store.interface import Store
from tests.faults.conftest import Database
from tests.schema.conftest import Client, World, build_world, local_id

NOW = datetime(2027, 2, 16, tzinfo=UTC)
TEXTS = {
    "funnel": "Marta (Marketing)",
    "mql": " marta  (MARKETING)",
    "deals": "sergio@acme.example",
}


async def legacy(database: Database) -> tuple[World, str]:
    """The world as data written before members holds it: free-text owners on the funnel, both
    of its key results and an action step, no member owning anything."""
    client = Client(database.plain(), mode="shared")
    world = await build_world(client, "acme")
    raw = database.raw
    for name, key in [("objectives", "funnel"), ("keyResults", "mql"), ("keyResults", "deals")]:
        await raw[name].update_one(
            {"_id": local_id(getattr(world, key))},
            {"$set": {"owner": TEXTS[key], "ownerId": None}},
        )
    step = {
        "_id": "0" * 31 + "1",
        "orgId": local_id(world.org),
        "objectiveId": local_id(world.funnel),
        "title": "Write the guide",
        "position": 0,
        "owner": "Marta (Marketing)",
        "dueOn": None,
        "done": False,
        "rev": 0,
    }
    await raw["actionSteps"].insert_one(step)
    return world, local_id(world.org)


async def run(store: Store) -> dict[str, int]:
    reads = ReadModel(store)
    return await migrate_every_organization(writer=Writer(store, reads), store=store, now=NOW)


async def outcome(store: Store, org_id: str) -> dict[str, Any]:
    """Who owns what, by member email, and the members and migration changes there are."""
    held = await ReadModel(store).snapshot(org_id)
    assert held is not None
    email = {m.id: m.email for m in held.members.values()}
    owned: list[Objective | KeyResult | ActionStep] = [
        *held.objectives.values(),
        *held.key_results.values(),
        *held.action_steps.values(),
    ]
    changes = await store.changes_after(org_id, 0, limit=1000)
    return {
        "owners": sorted((e.id, email.get(e.owner_id or ""), e.legacy_owner) for e in owned),
        "members": sorted((m.name, m.email, m.role.value) for m in held.members.values()),
        "migrations": sum(1 for c in changes if c.kind == KIND),
    }


async def test_each_free_text_owner_becomes_one_member_once(database: Database) -> None:
    world, org_id = await legacy(database)
    store = database.plain()
    assert await store.organizations_with_legacy_owners() == [org_id]
    assert await run(store) == {org_id: 2}
    found = await outcome(store, org_id)
    assert found["migrations"] == 2
    marta_email = next(e for n, e, _ in found["members"] if n == "Marta (Marketing)")
    assert marta_email.startswith("owner-")
    assert marta_email.endswith("@members.invalid")
    assert ("sergio", "sergio@acme.example", "viewer") in found["members"]
    by_id = {i: (owner, text) for i, owner, text in found["owners"]}
    assert by_id[local_id(world.funnel)] == (marta_email, None)
    assert by_id[local_id(world.mql)] == (marta_email, None)
    assert by_id["0" * 31 + "1"] == (marta_email, None)
    assert by_id[local_id(world.deals)] == ("sergio@acme.example", None)
    # Idempotent: nothing is left, nothing is written.
    assert await store.organizations_with_legacy_owners() == []
    assert await run(store) == {}
    assert await outcome(store, org_id) == found


async def test_an_owner_text_that_is_a_members_email_is_that_member(database: Database) -> None:
    world, org_id = await legacy(database)
    await database.raw["keyResults"].update_one(
        {"_id": local_id(world.deals)}, {"$set": {"owner": "MARTA@acme.example"}}
    )
    store = database.plain()
    await run(store)
    found = await outcome(store, org_id)
    assert ("Marta", "marta@acme.example", "editor") in found["members"]
    assert (local_id(world.deals), "marta@acme.example", None) in found["owners"]


@pytest.mark.parametrize("how", ["raise", "lose"])
async def test_a_fault_at_any_store_call_then_a_run_again_ends_as_one_run(
    database: Database, how: str
) -> None:
    _, org_id = await legacy(database)
    documents = await database.dump()
    store = database.plain()
    await run(store)
    clean = await outcome(store, org_id)
    call = 1
    while True:
        for name in await database.raw.list_collection_names():
            await database.raw[name].delete_many({})
        await database.load(documents)
        failing = database.failpoint()
        failing.arm(call, how)
        with contextlib.suppress(StoreUnavailable):
            await run(failing)
        fired = failing.disarm()
        await run(database.plain())
        assert await outcome(database.plain(), org_id) == clean, (call, how)
        if fired is None or not fired.fired:
            break
        call += 1
    assert call > 5
