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
DASHBOARD = (Path(__file__).parents[1] / "schema" / "operations" / "Dashboard.graphql").read_text()


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
        context = (
            build_context(self.store, reads=self.reads, writer=self.writer, clock=lambda: NOW)
            if shared
            else build_context(self.store, clock=lambda: NOW)
        )
        before = self.store.round_trips
        result = await schema.execute(DASHBOARD, variable_values=variables, context_value=context)
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
