"""Organizations never see each other's records; driver failures become domain errors."""

from __future__ import annotations

import asyncio
import gc
import warnings
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import (
    BulkWriteError,
    DuplicateKeyError,
    OperationFailure,
    ServerSelectionTimeoutError,
)

from service.domain.errors import Conflict, ErrorCode, StoreUnavailable
from service.store.embedded import free_port
from service.store.errors import map_errors
from service.store.interface import Store
from service.store.mongo import MongoStore
from tests.store import factory
from tests.store.conftest import World


async def test_another_organization_finds_nothing(store: Store, world: World) -> None:
    dept = factory.department(world.org.id)
    await store.insert_department(dept)
    made = factory.check_in(world.kr, 5.0, 1)
    await store.append_check_in(made)
    step = factory.action_step(world.q1, 1)
    await store.insert_action_step(step)
    serving = factory.initiative(world.org.id, world.kr.id)
    await store.insert_initiative(serving)
    cycle_ids = [c.id for c in world.cycles]
    objective_ids = [world.q1.id, world.global_objective.id]

    stranger = factory.new_id()
    assert await store.get_departments(stranger, [dept.id]) == []
    assert await store.list_departments(stranger) == []
    assert await store.get_cycles(stranger, cycle_ids) == []
    assert await store.list_cycles(stranger) == []
    assert await store.get_objectives(stranger, objective_ids) == []
    assert (await store.find_objectives(stranger, cycle_ids=cycle_ids)).total == 0
    assert await store.find_global_objective(stranger, 2027) is None
    assert await store.get_key_results(stranger, [world.kr.id]) == []
    assert (await store.find_key_results(stranger, objective_ids=objective_ids)).total == 0
    assert await store.get_check_ins(stranger, [made.id]) == []
    assert await store.list_check_ins(stranger, [world.kr.id]) == []
    assert (await store.page_check_ins(stranger, world.kr.id, after=None, limit=5)).total == 0
    assert await store.get_action_steps(stranger, [step.id]) == []
    assert await store.list_action_steps(stranger, objective_ids) == []
    assert await store.get_initiatives(stranger, [serving.id]) == []
    assert (await store.find_initiatives(stranger, key_result_ids=[world.kr.id])).total == 0
    assert (await store.load_year(stranger, 2027)).cycles == {}


async def test_another_organization_changes_nothing(store: Store, world: World) -> None:
    stranger = factory.new_id()
    made = factory.check_in(world.kr, 5.0, 1)
    await store.append_check_in(made)
    await store.update_objective(replace(world.q1, org_id=stranger, title="hijacked"))
    await store.update_key_result(replace(world.kr, org_id=stranger, title="hijacked"))
    await store.append_check_in(factory.check_in(replace(world.kr, org_id=stranger), 9.0, 2))
    await store.delete_objective(stranger, world.q1.id)
    await store.delete_key_result(stranger, world.kr.id)
    assert await store.delete_check_in(stranger, made.id) is None
    assert await store.close_cycle(stranger, world.year.id, datetime.now(UTC)) is False
    assert await store.get_objectives(world.org.id, [world.q1.id]) == [world.q1]
    (kr,) = await store.get_key_results(world.org.id, [world.kr.id])
    assert (kr.title, kr.current_value) == (world.kr.title, 5.0)
    assert await store.list_check_ins(world.org.id, [world.kr.id]) == [made]


async def test_round_trips_count_every_request(store: Store, world: World) -> None:
    before = store.round_trips
    await store.ping()
    await store.get_key_results(world.org.id, [world.kr.id])
    # insert, update the key result, move the organization's version on
    await store.append_check_in(factory.check_in(world.kr, 1.0, 1))
    await store.get_key_results(world.org.id, [])  # nothing to ask
    assert store.round_trips - before == 5


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (DuplicateKeyError("E11000 dup"), ErrorCode.DUPLICATE),
        (BulkWriteError({"writeErrors": [{"code": 11000}]}), ErrorCode.DUPLICATE),
        (
            BulkWriteError({"writeErrors": [{"code": 11000}, {"code": 2}]}),
            ErrorCode.STORE_UNAVAILABLE,
        ),
        (OperationFailure("no"), ErrorCode.STORE_UNAVAILABLE),
        (ServerSelectionTimeoutError("down"), ErrorCode.STORE_UNAVAILABLE),
    ],
)
def test_driver_errors_map_to_domain_errors(raised: Exception, expected: ErrorCode) -> None:
    with pytest.raises((Conflict, StoreUnavailable)) as caught, map_errors(duplicate="taken"):
        raise raised
    assert caught.value.code is expected
    assert caught.value.__cause__ is raised


def test_other_exceptions_pass_through() -> None:
    with pytest.raises(KeyError), map_errors():
        raise KeyError("not a driver error")


async def test_an_unreachable_server_is_store_unavailable() -> None:
    # PyMongo 4.20 leaks the socket of a monitor connect that close() cancels (it closes that
    # socket on OSError, not on CancelledError). Collect it here, once the client is garbage,
    # rather than have its ResourceWarning fail whichever test runs next.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        await use_an_unreachable_store()
        gc.collect()


async def use_an_unreachable_store() -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        f"mongodb://127.0.0.1:{free_port()}/?directConnection=true",
        serverSelectionTimeoutMS=200,
        connectTimeoutMS=200,
    )
    try:
        store = MongoStore(client["okrgraph_test"])
        with pytest.raises(StoreUnavailable):
            await store.ping()
        with pytest.raises(StoreUnavailable):
            await store.get_organization_by_slug("acme")
        with pytest.raises(StoreUnavailable):
            await store.insert_organization(factory.organization())
        assert store.round_trips == 3
    finally:
        await client.close()
        await asyncio.sleep(0.05)  # let the cancelled monitor tasks unwind
