"""One contract suite, every backend: mongomock-motor in process, nx-27017 through the real
driver (one server for the session, a fresh database per test), and a real MongoDB when
OKRGRAPH_TEST_MONGODB_URI is set (otherwise that backend is not generated at all)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from mongomock_motor import AsyncMongoMockClient
from pymongo import AsyncMongoClient

from service.domain.model import Cycle, KeyResult, Objective, Organization
from service.readmodel.snapshot import doc_of
from service.store.embedded import NxServer
from service.store.interface import Store
from service.store.mongo import MongoStore
from service.store.reads import CYCLES, KEY_RESULTS, OBJECTIVES, ORGS
from service.store.records import Change, Op, Put
from tests.store import factory

REAL_MONGODB = os.environ.get("OKRGRAPH_TEST_MONGODB_URI")
BACKENDS = ["mongomock", "nx", *(["mongodb"] if REAL_MONGODB else [])]


@pytest.fixture(scope="session")
def nx_uri() -> Iterator[str]:
    """One in-memory nx-27017 for the whole session, started and stopped like the service's."""
    with tempfile.TemporaryDirectory(prefix="okrgraph-test-nx-") as workdir:
        server = NxServer.launch(None, Path(workdir))
        try:
            asyncio.run(server.ready())
            yield server.uri
        finally:
            asyncio.run(server.stop())


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    """The backend's name and URI (None in process); sync, so the session server starts
    outside any test's event loop."""
    kind: str = request.param
    if kind == "nx":
        return kind, request.getfixturevalue("nx_uri")
    return kind, REAL_MONGODB if kind == "mongodb" else None


@pytest.fixture
async def store(backend: tuple[str, str | None]) -> AsyncIterator[Store]:
    """A MongoStore with its indexes over a fresh database of the backend."""
    _, uri = backend
    name = f"okrgraph_test_{uuid4().hex[:16]}"
    if uri is None:
        made = MongoStore(AsyncMongoMockClient(tz_aware=True)[name])
        await made.ensure_indexes()
        yield made
        return
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(uri, tz_aware=True)
    try:
        made = MongoStore(client[name])
        await made.ensure_indexes()
        yield made
        await client.drop_database(name)
    finally:
        await client.close()


@dataclass(frozen=True)
class World:
    """An organization with its 2027 year and quarters, the global objective, a Q1 objective
    under it and one key result of that objective (0 -> 1000): the first change of its log,
    applied."""

    org: Organization
    cycles: list[Cycle]
    global_objective: Objective
    q1: Objective
    kr: KeyResult

    @property
    def year(self) -> Cycle:
        return self.cycles[0]

    @property
    def quarters(self) -> list[Cycle]:
        return self.cycles[1:]


async def write(store: Store, org_id: str, *ops: Op, kind: str = "test", **fields: Any) -> Change:
    """Append the next change of the organization's log with `ops`, and apply it."""
    last = await store.last_change(org_id)
    change = Change(
        org_id=org_id,
        sequence=(last.sequence if last else 0) + 1,
        at=factory.T0,
        kind=kind,
        ops=ops,
        **fields,
    )
    await store.append_change(change)
    await store.apply(change)
    return change


def created(collection: str, entity: Any) -> Put:
    """Create an entity."""
    return Put(collection, doc_of(collection, entity))


@pytest.fixture
async def world(store: Store) -> World:
    org = factory.organization()
    cycles = factory.year_cycles(org.id)
    top = factory.objective(cycles[0])
    q1 = factory.objective(cycles[1], title="Fill the funnel", parent_id=top.id)
    kr = factory.key_result(q1)
    await write(
        store,
        org.id,
        created(ORGS, org),
        *(created(CYCLES, c) for c in cycles),
        created(OBJECTIVES, top),
        created(OBJECTIVES, q1),
        created(KEY_RESULTS, kr),
    )
    return World(org=org, cycles=cycles, global_objective=top, q1=q1, kr=kr)
