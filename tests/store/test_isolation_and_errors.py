"""Organizations never see each other's records; driver failures become domain errors."""

from __future__ import annotations

import asyncio
import gc
import warnings
from dataclasses import replace

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import (
    BulkWriteError,
    DuplicateKeyError,
    OperationFailure,
    ServerSelectionTimeoutError,
)

from service.domain.errors import Conflict, ErrorCode, StoreUnavailable
from service.store import documents as d
from service.store.embedded import free_port
from service.store.errors import map_errors
from service.store.interface import Store
from service.store.mongo import MongoStore
from service.store.reads import CHECK_INS, KEY_RESULTS, OBJECTIVES
from service.store.records import Delete, DeleteWhere, Put
from tests.store import factory
from tests.store.conftest import World, write


async def test_another_organizations_change_cannot_touch_these_documents(
    store: Store, world: World
) -> None:
    stranger = factory.new_id()
    hijacked = replace(world.kr, org_id=stranger, title="hijacked")
    await write(
        store,
        stranger,
        Put(KEY_RESULTS, d.key_result_doc(hijacked), d.key_result_doc(world.kr)),
        Delete(OBJECTIVES, world.q1.id, d.objective_doc(world.q1)),
        DeleteWhere(CHECK_INS, "keyResultId", (world.kr.id,)),
    )
    loaded = await store.load_organization(world.org.id)
    assert loaded is not None
    assert loaded.key_results == [world.kr]
    assert world.q1 in loaded.objectives


async def test_round_trips_count_every_request(store: Store, world: World) -> None:
    before = store.round_trips
    await store.ping()
    await store.changes_after(world.org.id, 0, limit=5)
    await store.get_check_ins(world.org.id, [])  # nothing to ask
    assert store.round_trips - before == 2


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
            await store.last_change("acme")
        assert store.round_trips == 3
    finally:
        await client.close()
        await asyncio.sleep(0.05)  # let the cancelled monitor tasks unwind
