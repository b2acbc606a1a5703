"""Instants at the edges of time and operations that run too long: a series that reaches the
last day a date can hold ends there, an `asOf` or `recordedAt` a date cannot hold (or one
without a time zone) is a coded error, and an operation past its deadline is stopped with one
TIMEOUT error while the next request runs as usual."""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

import pytest
from strawberry.types import ExecutionResult

from schema import loaders
from schema.api import build_schema, schema
from schema.context import build_context
from schema.limits import Limits
from service.readmodel import ReadModel, years
from service.store.interface import Store
from tests.okrs.conftest import NOW, Backend, World
from tests.tracking.conftest import gid

ORG_SERIES = """query($id: ID!, $from: DateTime!, $to: DateTime!, $step: SeriesInterval!) {
  node(id: $id) { ... on Organization {
    progressSeries(year: 2027, from: $from, to: $to, interval: $step) { at } } } }"""


async def execute(backend: Backend, query: str, **variables: Any) -> ExecutionResult:
    context = build_context(
        backend.store, reads=backend.reads, writer=backend.writer, clock=lambda: NOW
    )
    return await schema.execute(query, variable_values=variables, context_value=context)


def codes(result: ExecutionResult) -> list[str]:
    return [(e.extensions or {}).get("code", "") for e in result.errors or []]


def org_id(world: World) -> str:
    return gid("Organization", world.org.id, world.org.id)


@pytest.mark.parametrize(
    ("start", "end", "step", "points"),
    [
        ("9999-12-01T00:00:00Z", "9999-12-02T00:00:00Z", "MONTH", 1),
        ("9999-10-31T00:00:00Z", "9999-12-31T23:59:59Z", "MONTH", 3),
        ("9999-12-20T00:00:00Z", "9999-12-31T23:59:59Z", "WEEK", 2),
        ("9999-12-29T00:00:00Z", "9999-12-31T23:59:59Z", "DAY", 3),
        ("9999-12-30T20:00:00-05:00", "9999-12-31T23:59:59Z", "DAY", 1),
    ],
)
async def test_a_series_at_the_end_of_time_ends_there_at_once(
    backend: Backend, world: World, start: str, end: str, step: str, points: int
) -> None:
    began = time.monotonic()
    result = await execute(
        backend, ORG_SERIES, id=org_id(world), to=end, step=step, **{"from": start}
    )
    assert time.monotonic() - began < 2
    assert result.errors is None, result.errors
    assert result.data is not None
    assert len(result.data["node"]["progressSeries"]) == points


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01T05:00:00+14:00", "2027-01-01T00:00:00Z"),
        ("9999-12-01T00:00:00Z", "9999-12-31T20:00:00-05:00"),
        ("2027-01-01T00:00:00", "2027-02-01T00:00:00Z"),
    ],
)
async def test_series_bounds_a_date_cannot_hold_in_utc_are_invalid_values(
    backend: Backend, world: World, start: str, end: str
) -> None:
    result = await execute(
        backend, ORG_SERIES, id=org_id(world), to=end, step="DAY", **{"from": start}
    )
    assert codes(result) == ["INVALID_VALUE"]


PROGRESS = {
    "KeyResult": "... on KeyResult { progress(asOf: $at) { value } }",
    "Objective": "... on Objective { progress(asOf: $at) { value } }",
    "Cycle": "... on Cycle { progress(asOf: $at) { value } }",
    "Department": "... on Department { progress(cycleId: $cycle, asOf: $at) { value } }",
    "Organization": "... on Organization { progress(year: 2027, asOf: $at) { value } }",
}


def node_of(world: World, kind: str) -> str:
    local = {
        "KeyResult": world.mql.id,
        "Objective": world.q1.id,
        "Cycle": world.quarters[0].id,
        "Department": world.marketing.id,
        "Organization": world.org.id,
    }[kind]
    return gid(kind, world.org.id, local)


@pytest.mark.parametrize("kind", sorted(PROGRESS))
@pytest.mark.parametrize("at", ["2027-02-01", "2027-02-01T00:00:00", "0001-01-01T05:00:00+14:00"])
async def test_as_of_without_a_time_zone_or_outside_the_years_is_an_invalid_value(
    backend: Backend, world: World, kind: str, at: str
) -> None:
    cycle = {"cycle": gid("Cycle", world.org.id, world.quarters[0].id)}
    declared = ", $cycle: ID!" if kind == "Department" else ""
    if not declared:
        cycle = {}
    query = f"query($id: ID!, $at: DateTime{declared}) {{ node(id: $id) {{ {PROGRESS[kind]} }} }}"
    result = await execute(backend, query, id=node_of(world, kind), at=at, **cycle)
    assert codes(result) == ["INVALID_VALUE"], result.errors
    fine = await execute(
        backend, query, id=node_of(world, kind), at="2027-02-01T00:00:00+01:00", **cycle
    )
    assert fine.errors is None, fine.errors


CHECK_IN = """mutation($input: CheckInCreateInput!) { checkInCreate(input: $input) {
  checkIn { id } userErrors { code field } } }"""


@pytest.mark.parametrize("at", ["0001-01-01T05:00:00+14:00", "2027-02-01T00:00:00"])
async def test_a_recorded_at_a_date_cannot_hold_in_utc_is_a_user_error(
    backend: Backend, world: World, at: str
) -> None:
    kr = gid("KeyResult", world.org.id, world.mql.id)
    result = await execute(
        backend, CHECK_IN, input={"keyResultId": kr, "value": 5, "recordedAt": at}
    )
    assert result.errors is None, result.errors
    assert result.data == {
        "checkInCreate": {
            "checkIn": None,
            "userErrors": [{"code": "INVALID_VALUE", "field": ["input", "recordedAt"]}],
        }
    }


class Slow:
    """A store whose reads of one organization take `delay` seconds while `slow` is set."""

    def __init__(self, inner: Store, delay: float) -> None:
        self._inner = inner
        self.delay = delay
        self.slow = True

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._inner, name)
        if not callable(found):
            return found

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.slow:
                await asyncio.sleep(self.delay)
            return await found(*args, **kwargs)

        return call


async def test_an_operation_past_its_deadline_is_stopped_with_one_timeout_error(
    backend: Backend, world: World
) -> None:
    bounded = build_schema(Limits(timeout=0.2))
    slow = Slow(backend.store, delay=5)
    query = "query($id: ID!) { node(id: $id) { ... on Organization { name } } }"

    def context() -> Any:
        # A read model of the request's own, so that every read goes to the slow store.
        return build_context(cast(Store, slow), clock=lambda: NOW)

    began = time.monotonic()
    result = await bounded.execute(
        query, variable_values={"id": org_id(world)}, context_value=context()
    )
    assert time.monotonic() - began < 2
    assert result.data is None
    assert codes(result) == ["TIMEOUT"]
    assert result.errors is not None
    assert "idempotencyKey" in result.errors[0].message
    slow.slow = False
    again = await bounded.execute(
        query, variable_values={"id": org_id(world)}, context_value=context()
    )
    assert again.errors is None, again.errors
    assert again.data == {"node": {"name": "Acme"}}


DASHBOARD = """query($id: ID!, $at: DateTime) { node(id: $id) { ... on Organization {
  now: progress(year: 2027) { value expected status }
  then: progress(year: 2027, asOf: $at) { value expected status }
  objectives(first: 100) { nodes { progress { value status } keyResults { progress { value } } } }
} } }"""


async def test_a_year_evaluated_off_the_loop_answers_as_on_it(
    backend: Backend, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    variables = {"id": org_id(world), "at": "2027-02-01T00:00:00Z"}
    on_loop = await execute(backend, DASHBOARD, **variables)
    assert on_loop.errors is None, on_loop.errors
    threads: list[str] = []
    real = asyncio.to_thread

    async def counted(work: Any, *args: Any, **kwargs: Any) -> Any:
        threads.append(getattr(work, "__name__", "?"))
        return await real(work, *args, **kwargs)

    monkeypatch.setattr(loaders, "OFF_LOOP_FROM", 1)
    monkeypatch.setattr(years, "OFF_LOOP_FROM", 1)
    monkeypatch.setattr(asyncio, "to_thread", counted)
    backend.reads = ReadModel(backend.store)  # nothing evaluated yet
    off_loop = await execute(backend, DASHBOARD, **variables)
    assert off_loop.data == on_loop.data
    assert sorted(threads) == ["_computed", "made"]
