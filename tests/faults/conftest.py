"""Fault injection at every store call: the store, two instances over it, and a world to write.

`Failpoint` is the store of instance A with one armed fault: before call k of the next request
it raises as a cut link would, or it lets call k run and loses its reply. Instance B and a
fresh instance read the same database through a plain store.
"""

from __future__ import annotations

import asyncio
import copy
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from uuid import uuid4

import pytest
from mongomock_motor import AsyncMongoMockClient
from pymongo import AsyncMongoClient

from service.domain.errors import StoreUnavailable
from service.store.embedded import NxServer
from service.store.errors import DEFAULT_DUPLICATE
from service.store.mongo import MongoStore

T = TypeVar("T")


class Fault(Exception):
    """What the failpoint raised (a StoreUnavailable to the code above)."""


@dataclass
class Armed:
    """Which call of the next request fails, and how: "raise" before it reaches the store,
    "lose" after the store ran it."""

    call: int
    how: str
    seen: int = 0
    fired: bool = False


class Failpoint(MongoStore):
    """A MongoStore whose k-th call (counted from `arm`) fails as `how` says."""

    def __init__(self, database: Any) -> None:
        super().__init__(database)
        self.armed: Armed | None = None
        self.calls: list[str] = []

    def arm(self, call: int, how: str) -> None:
        self.armed = Armed(call, how)

    def disarm(self) -> Armed | None:
        armed, self.armed = self.armed, None
        return armed

    async def _call(
        self, operation: Callable[[], Awaitable[T]], *, duplicate: str = DEFAULT_DUPLICATE
    ) -> T:
        armed = self.armed
        if armed is None or armed.fired:
            return await super()._call(operation, duplicate=duplicate)
        armed.seen += 1
        if armed.seen != armed.call:
            return await super()._call(operation, duplicate=duplicate)
        armed.fired = True
        if armed.how == "raise":
            raise StoreUnavailable("the store is unavailable (injected: link cut)") from Fault()
        await super()._call(operation, duplicate=duplicate)
        raise StoreUnavailable("the store is unavailable (injected: reply lost)") from Fault()


@dataclass
class Database:
    """One test's database, reachable through a failpoint store and plain stores."""

    raw: Any
    make: Callable[[], Any] = field(repr=False)

    def failpoint(self) -> Failpoint:
        return Failpoint(self.make())

    def plain(self) -> MongoStore:
        return MongoStore(self.make())

    async def load(self, documents: dict[str, list[dict[str, Any]]]) -> None:
        for name, docs in documents.items():
            if docs:
                await self.raw[name].insert_many(copy.deepcopy(docs))
        await self.plain().ensure_indexes()

    async def dump(self) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for name in sorted(await self.raw.list_collection_names()):
            docs = await self.raw[name].find({}).to_list(None)
            found[name] = sorted(docs, key=lambda d: str(d["_id"]))
        return found


@pytest.fixture(scope="session")
def nx_uri() -> Iterator[str]:
    """One in-memory nx-27017 for the session."""
    with tempfile.TemporaryDirectory(prefix="okrgraph-faults-nx-") as workdir:
        server = NxServer.launch(None, Path(workdir))
        try:
            asyncio.run(server.ready())
            yield server.uri
        finally:
            asyncio.run(server.stop())


BACKENDS = ["mongomock", "nx"]


@pytest.fixture(params=BACKENDS)
def backend_uri(request: pytest.FixtureRequest) -> str | None:
    """The backend's URI (None in process); sync, so the session server starts outside any
    test's event loop."""
    return request.getfixturevalue("nx_uri") if request.param == "nx" else None


@pytest.fixture
async def database(backend_uri: str | None) -> AsyncIterator[Database]:
    name = f"faults_{uuid4().hex[:12]}"
    if backend_uri is None:
        client: Any = AsyncMongoMockClient(tz_aware=True)
        yield Database(client[name], lambda: client[name])
        return
    uri = backend_uri
    real: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    try:
        yield Database(real[name], lambda: real[name])
        await real.drop_database(name)
    finally:
        await real.close()
