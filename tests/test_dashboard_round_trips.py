"""No N+1: the dashboard costs the same number of store round trips at any size."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from mongomock_motor import AsyncMongoMockClient

from schema.api import schema
from schema.context import build_context
from schema.ids import to_global_id
from service.okrs.datasets import Shape, generate
from service.store.cache import YearCache
from service.store.mongo import MongoStore

TODAY = date(2027, 5, 10)
NOW = datetime(2027, 5, 10, 12, tzinfo=UTC)

DASHBOARD = """
query Dashboard($org: ID!, $quarter: ID!) {
  organization(id: $org) {
    name
    progress(year: 2027) { value status }
    departments { name progress(cycleId: $quarter) { value status expected } }
  }
  quarter: node(id: $quarter) {
    ... on Cycle {
      label
      progress { value status }
      objectives(first: 100) {
        totalCount
        nodes {
          title
          department { name }
          progress { value status explanation { formula } }
          keyResults {
            title currentValue
            progress { value attainment status blockedBy { id } }
          }
        }
      }
    }
  }
}
"""


async def dashboard_round_trips(departments: int) -> tuple[int, dict[str, Any]]:
    """Store round trips of one dashboard request over an organization of that many teams."""
    store = MongoStore(AsyncMongoMockClient()[f"dashboard{departments}"])
    await store.ensure_indexes()
    shape = Shape(departments=departments, objectives=5, key_results=4, check_ins=2, quarters=(2,))
    made = await generate(store=store, shape=shape, today=TODAY)
    org_id = made.organization.id
    variables = {
        "org": to_global_id("Organization", org_id, org_id),
        "quarter": to_global_id("Cycle", org_id, made.quarters[1].id),
    }
    before = store.round_trips
    result = await schema.execute(
        DASHBOARD, variable_values=variables, context_value=build_context(store, clock=lambda: NOW)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    return store.round_trips - before, result.data


async def test_the_dashboard_costs_the_same_round_trips_for_2_and_12_departments() -> None:
    small, small_data = await dashboard_round_trips(2)
    large, large_data = await dashboard_round_trips(12)
    assert len(small_data["organization"]["departments"]) == 2
    assert len(large_data["organization"]["departments"]) == 12
    assert small_data["quarter"]["objectives"]["totalCount"] == 2 * 5
    assert large_data["quarter"]["objectives"]["totalCount"] == 12 * 5
    every = large_data["quarter"]["objectives"]["nodes"]
    assert sum(len(o["keyResults"]) for o in every) == 12 * 5 * 4
    assert small == large
    # organization, departments, the page of objectives (find + count), their key results,
    # the year (at most 5), the cycle of the node: a handful, whatever the size.
    assert small <= 12


DEPENDENCY_ADD = """mutation($input: KeyResultDependencyAddInput!) {
  keyResultDependencyAdd(input: $input) { userErrors { code message } } }"""

TREE = """
query Tree($org: ID!) {
  organization(id: $org) {
    globalObjective(year: 2027) {
      title keyResults { title }
      children { title keyResults { title progress { status blockedBy { id } } }
        children { title keyResults { title } children { title } } }
    }
  }
}
"""


async def test_the_year_cache_changes_the_cost_never_the_numbers() -> None:
    store = MongoStore(AsyncMongoMockClient()["cached"])
    await store.ensure_indexes()
    shape = Shape(departments=3, objectives=2, key_results=2, check_ins=2, quarters=(2,))
    made = await generate(store=store, shape=shape, today=TODAY)
    org_id = made.organization.id
    variables = {
        "org": to_global_id("Organization", org_id, org_id),
        "quarter": to_global_id("Cycle", org_id, made.quarters[1].id),
    }
    cache = YearCache()
    krs = [to_global_id("KeyResult", org_id, k) for k in made.key_result_ids]
    for downstream, upstream in zip(krs[1:], krs, strict=False):  # a chain: some are held back
        result = await schema.execute(
            DEPENDENCY_ADD,
            variable_values={"input": {"keyResultId": downstream, "dependsOnId": upstream}},
            context_value=build_context(store, clock=lambda: NOW),
        )
        assert result.errors is None, result.errors

    async def dashboard(cached: bool) -> Any:
        context = build_context(store, clock=lambda: NOW, cache=cache if cached else None)
        result = await schema.execute(DASHBOARD, variable_values=variables, context_value=context)
        assert result.errors is None, result.errors
        tree = build_context(store, clock=lambda: NOW, cache=cache if cached else None)
        whole = await schema.execute(TREE, variable_values=variables, context_value=tree)
        assert whole.errors is None, whole.errors
        return result.data, whole.data

    board, tree = await dashboard(cached=True)
    assert (board, tree) == await dashboard(cached=False)
    assert await dashboard(cached=True) == await dashboard(cached=False)  # now from the cache
    assert cache.hits >= 1
    before = store.round_trips
    warm = build_context(store, clock=lambda: NOW, cache=cache)
    again = await schema.execute(DASHBOARD, variable_values=variables, context_value=warm)
    assert again.data == board
    assert store.round_trips - before == 1  # the organization's version: the rest is cached
    objectives = board["quarter"]["objectives"]["nodes"]
    assert any(k["progress"]["blockedBy"] for o in objectives for k in o["keyResults"])
    assert tree["organization"]["globalObjective"]["children"]
    check_in = """mutation($kr: ID!) { checkInCreate(input: {keyResultId: $kr, value: 999}) {
      userErrors { code } } }"""
    kr = to_global_id("KeyResult", org_id, made.key_result_ids[0])
    context = build_context(store, clock=lambda: NOW, cache=cache)
    await schema.execute(check_in, variable_values={"kr": kr}, context_value=context)
    assert await dashboard(cached=True) == await dashboard(cached=False)
