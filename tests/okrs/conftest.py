"""Use-case tests run on the in-process store (mongomock-motor): fast, and the store contract
suite proves the same store on nx-27017 and real MongoDB."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from mongomock_motor import AsyncMongoMockClient

from service.domain.errors import DomainError, ErrorCode
from service.domain.model import (
    Cycle,
    Department,
    KeyResult,
    KeyResultKind,
    Objective,
    Organization,
)
from service.okrs import cycles, key_results, objectives, organizations
from service.okrs.commit import Writer
from service.readmodel import ReadModel, Snapshot
from service.store.mongo import MongoStore

NOW = datetime(2027, 2, 15, tzinfo=UTC)


@dataclass
class Backend:
    """The store, the raw database under it (to prove what a rejection did not write), and a
    writer with its read model, as a server has them."""

    store: MongoStore
    database: Any
    reads: ReadModel = field(init=False)
    writer: Writer = field(init=False)

    def __post_init__(self) -> None:
        self.reads = ReadModel(self.store)
        self.writer = Writer(self.store, self.reads)

    async def snapshot_of(self, org_id: str) -> Snapshot:
        """The organization as its log stands."""
        found = await self.reads.snapshot(org_id)
        assert found is not None
        return found

    async def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every document of every collection, in a stable order."""
        found: dict[str, list[dict[str, Any]]] = {}
        for name in sorted(await self.database.list_collection_names()):
            docs = await self.database[name].find({}).to_list(None)
            found[name] = sorted(docs, key=lambda d: str(d["_id"]))
        return found

    async def rejects(
        self, code: ErrorCode, action: Callable[[], Awaitable[object]]
    ) -> DomainError:
        """Run `action`, expect a domain error with `code`, and prove nothing was written."""
        before = await self.snapshot()
        with pytest.raises(DomainError) as caught:
            await action()
        assert caught.value.code is code, caught.value.message
        assert await self.snapshot() == before
        return caught.value


@pytest.fixture
async def backend() -> Backend:
    client: Any = AsyncMongoMockClient()
    database = client["okrgraph_test"]
    store = MongoStore(database)
    await store.ensure_indexes()
    return Backend(store=store, database=database)


@dataclass
class World:
    """The seed's example in 2027: org, Marketing and Sales, the year, its global objective,
    the Q1 objective with the MQL key result and the Sales key result depending on it."""

    org: Organization
    marketing: Department
    sales: Department
    year: Cycle
    quarters: list[Cycle]
    global_objective: Objective
    q1: Objective
    mql: KeyResult
    deals: KeyResult


async def build_world(writer: Writer, *, slug: str = "acme") -> World:
    org = await organizations.create_organization(writer=writer, name="Acme", slug=slug, now=NOW)
    marketing = await organizations.create_department(
        writer=writer, org_id=org.id, name="Marketing", now=NOW
    )
    sales = await organizations.create_department(
        writer=writer, org_id=org.id, name="Sales", now=NOW
    )
    year, *quarters = await cycles.create_year(writer=writer, org_id=org.id, year=2027, now=NOW)
    made = await objectives.create_objective(
        writer=writer,
        org_id=org.id,
        cycle_id=year.id,
        title="Increase the sales close rate by 20%",
        now=NOW,
    )
    assert made.objective is not None
    q1 = await objectives.create_objective(
        writer=writer,
        org_id=org.id,
        cycle_id=quarters[0].id,
        title="Fill the funnel",
        parent_id=made.objective.id,
        now=NOW,
    )
    assert q1.objective is not None
    mql = await key_results.create_key_result(
        writer=writer,
        org_id=org.id,
        objective_id=q1.objective.id,
        title="Obtain 1,000 MQLs",
        kind=KeyResultKind.INCREASE,
        start_value=0,
        target_value=1000,
        department_id=marketing.id,
        now=NOW,
    )
    deals = await key_results.create_key_result(
        writer=writer,
        org_id=org.id,
        objective_id=q1.objective.id,
        title="Increase closed sales by 25%",
        start_value=40,
        target_value=50,
        department_id=sales.id,
        weight=2,
        now=NOW,
    )
    assert mql.key_result is not None
    assert deals.key_result is not None
    linked = await key_results.add_dependency(
        writer=writer,
        org_id=org.id,
        key_result_id=deals.key_result.id,
        depends_on_id=mql.key_result.id,
        now=NOW,
    )
    assert linked.key_result is not None
    return World(
        org=org,
        marketing=marketing,
        sales=sales,
        year=year,
        quarters=quarters,
        global_objective=made.objective,
        q1=q1.objective,
        mql=mql.key_result,
        deals=linked.key_result,
    )


@pytest.fixture
async def world(backend: Backend) -> World:
    return await build_world(backend.writer)
