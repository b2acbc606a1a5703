"""No N+1, and no reload: the shipped dashboard costs the same store round trips on any size of
organization, cold, warm and after another instance's write; the read model changes the cost,
never the numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from mongomock_motor import AsyncMongoMockClient

from schema.api import schema
from schema.context import build_context
from schema.ids import to_global_id
from service.okrs import check_ins
from service.okrs.commit import Writer
from service.okrs.datasets import Generated, Shape, generate
from service.readmodel import ReadModel
from service.store.mongo import MongoStore

TODAY = date(2027, 5, 10)
NOW = datetime(2027, 5, 10, 12, tzinfo=UTC)
OPERATIONS = Path(__file__).parents[1] / "schema" / "operations"
DASHBOARD = (OPERATIONS / "Dashboard.graphql").read_text()
KEY_RESULT_DETAIL = (OPERATIONS / "KeyResultDetail.graphql").read_text()


class Instance:
    """One instance of the service over a shared store: its read model and writer."""

    def __init__(self, store: MongoStore) -> None:
        self.store = store
        self.reads = ReadModel(store)
        self.writer = Writer(store, self.reads)

    async def dashboard(self, made: Generated, *, shared: bool = True) -> tuple[int, Any]:
        """Store round trips of the dashboard as a server answers it, and its data."""
        org_id = made.organization.id
        variables = {
            "organizationId": to_global_id("Organization", org_id, org_id),
            "cycleId": to_global_id("Cycle", org_id, made.quarters[1].id),
        }
        return await self.execute(DASHBOARD, variables, shared=shared)

    async def key_result_detail(
        self, made: Generated, *, shared: bool = True, after: str | None = None
    ) -> tuple[int, Any]:
        """Store round trips of a key result's page (history, forecast, chart, check-ins)."""
        org_id = made.organization.id
        variables = {
            "id": to_global_id("KeyResult", org_id, made.key_result_ids[0]),
            "from": "2027-01-01T00:00:00Z",
            "to": NOW.isoformat(),
            "checkInsFirst": 2,
            "checkInsAfter": after,
        }
        return await self.execute(KEY_RESULT_DETAIL, variables, shared=shared)

    async def execute(
        self, query: str, variables: dict[str, Any], *, shared: bool
    ) -> tuple[int, Any]:
        context = (
            build_context(self.store, reads=self.reads, writer=self.writer, clock=lambda: NOW)
            if shared
            else build_context(self.store, clock=lambda: NOW)
        )
        before = self.store.round_trips
        result = await schema.execute(query, variable_values=variables, context_value=context)
        assert result.errors is None, result.errors
        return self.store.round_trips - before, result.data


async def organization(shape: Shape, name: str) -> tuple[MongoStore, Generated]:
    store = MongoStore(AsyncMongoMockClient(tz_aware=True)[name])
    await store.ensure_indexes()
    made = await generate(writer=Writer(store, ReadModel(store)), shape=shape, today=TODAY)
    return store, made


async def costs(shape: Shape, name: str) -> dict[str, int]:
    """The round trips of the dashboard on instance A: cold, warm, after a check-in made on
    instance B, and with nothing kept between requests."""
    store, made = await organization(shape, name)
    a, b = Instance(store), Instance(store)
    found = {"cold": (await a.dashboard(made))[0], "warm": (await a.dashboard(made))[0]}
    await b.dashboard(made)
    await check_ins.record_check_in(
        writer=b.writer,
        org_id=made.organization.id,
        key_result_id=made.key_result_ids[0],
        value=42,
        now=NOW,
    )
    found["after another instance's write"] = (await a.dashboard(made))[0]
    found["nothing kept"] = (await a.dashboard(made, shared=False))[0]
    return found


# The demo's shape and a 960-key-result organization (12 teams, 5 objectives of 4 key results
# each, every quarter), each with few check-ins: history is not what a dashboard reads.
SMALL = Shape(departments=2, objectives=3, key_results=2, check_ins=1)
LARGE = Shape(departments=12, objectives=5, key_results=4, check_ins=1)


async def test_the_dashboard_costs_the_same_round_trips_on_the_demo_and_a_large_organization() -> (
    None
):
    demo = await costs(SMALL, "demo_costs")
    large = await costs(LARGE, "large_costs")
    assert demo == large
    # Warm: one read of the log after the position held. After another instance's check-in:
    # the same read, which brings the change itself (no reload). Cold: the log's end, the
    # documents (one read each, side by side) and the log since.
    assert demo["warm"] == 1
    assert demo["after another instance's write"] == 1
    assert demo["cold"] <= 10
    assert demo["nothing kept"] == demo["cold"]


async def test_the_read_model_changes_the_cost_never_the_numbers() -> None:
    store, made = await organization(
        Shape(departments=3, objectives=2, key_results=2, check_ins=2, quarters=(2,)), "numbers"
    )
    a = Instance(store)
    kept = (await a.dashboard(made))[1]
    fresh = (await a.dashboard(made, shared=False))[1]
    assert kept == fresh
    await check_ins.record_check_in(
        writer=Instance(store).writer,
        org_id=made.organization.id,
        key_result_id=made.key_result_ids[-1],
        value=1e6,
        now=NOW,
    )
    moved = (await a.dashboard(made))[1]
    assert moved == (await a.dashboard(made, shared=False))[1]
    assert moved != kept


async def key_result_costs(shape: Shape, name: str) -> dict[str, int]:
    """The round trips of a key result's page on instance A: cold, warm, after a check-in of
    that key result made on instance B, and with nothing kept between requests."""
    store, made = await organization(shape, name)
    a, b = Instance(store), Instance(store)
    found = {
        "cold": (await a.key_result_detail(made))[0],
        "warm": (await a.key_result_detail(made))[0],
    }
    await check_ins.record_check_in(
        writer=b.writer,
        org_id=made.organization.id,
        key_result_id=made.key_result_ids[0],
        value=42,
        now=NOW,
    )
    found["after another instance's write"] = (await a.key_result_detail(made))[0]
    found["nothing kept"] = (await a.key_result_detail(made, shared=False))[0]
    return found


async def test_a_key_results_page_costs_one_round_trip_warm_on_the_demo_and_a_large_one() -> None:
    # Several check-ins per key result: the page reads history, forecast and a check-in page.
    demo = await key_result_costs(
        Shape(departments=2, objectives=3, key_results=2, check_ins=6), "demo_kr_costs"
    )
    large = await key_result_costs(
        Shape(departments=12, objectives=5, key_results=4, check_ins=6), "large_kr_costs"
    )
    assert demo == large
    # Warm, and after another instance's check-in: only the log's read (the check-in comes
    # with the change, not from the check-ins collection).
    assert demo["warm"] == 1
    assert demo["after another instance's write"] == 1
    assert demo["nothing kept"] == demo["cold"]


async def test_a_key_results_page_reads_the_same_kept_or_fresh_after_writes() -> None:
    store, made = await organization(
        Shape(departments=2, objectives=2, key_results=2, check_ins=5, quarters=(2,)), "kr_numbers"
    )
    a = Instance(store)
    kept = (await a.key_result_detail(made))[1]
    assert kept == (await a.key_result_detail(made, shared=False))[1]
    assert len(kept["node"]["checkIns"]["edges"]) == 2
    await check_ins.record_check_in(
        writer=Instance(store).writer,
        org_id=made.organization.id,
        key_result_id=made.key_result_ids[0],
        value=1e6,
        now=NOW,
    )
    moved = (await a.key_result_detail(made))[1]
    assert moved == (await a.key_result_detail(made, shared=False))[1]
    assert moved != kept
    cursor = moved["node"]["checkIns"]["pageInfo"]["endCursor"]
    second = (await a.key_result_detail(made, after=cursor))[1]
    assert second == (await a.key_result_detail(made, shared=False, after=cursor))[1]
