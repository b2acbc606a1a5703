"""Forecasts, critical paths, policy, closing, plans, initiatives and health, via the schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema.api import schema
from schema.context import build_context
from service.domain.model import KeyResultKind
from service.okrs import check_ins, key_results
from tests.okrs.conftest import NOW, Backend, World
from tests.tracking.conftest import Run, gid

FORECAST = """query($id: ID!) { node(id: $id) { ... on KeyResult {
  forecast { projectedValue projectedProgress trendingOffTrack basedOn } noForecastReason } } }"""


async def check_in(backend: Backend, world: World, kr: str, value: float, at: datetime) -> None:
    await check_ins.record_check_in(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=kr,
        value=value,
        recorded_at=at,
        now=max(NOW, at),
    )


async def test_without_two_check_ins_there_is_no_forecast_and_it_says_why(
    backend: Backend, world: World, gql: Run
) -> None:
    kr = gid("KeyResult", world.org.id, world.mql.id)
    assert (await gql(FORECAST, id=kr))["node"] == {
        "forecast": None,
        "noForecastReason": "needs at least 2 check-ins, has 0",
    }
    await check_in(backend, world, world.mql.id, 50, datetime(2027, 1, 10, tzinfo=UTC))
    found = (await gql(FORECAST, id=kr))["node"]
    assert found["forecast"] is None
    assert found["noForecastReason"] == "needs at least 2 check-ins, has 1"


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    per_day=st.floats(min_value=0.5, max_value=50),
    days=st.lists(st.integers(min_value=1, max_value=40), min_size=2, max_size=6, unique=True),
)
async def test_check_ins_on_a_perfect_line_project_exactly_onto_the_cycle_end(
    backend: Backend, world: World, gql: Run, per_day: float, days: list[int]
) -> None:
    made = await key_results.create_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        objective_id=world.q1.id,
        title="Line",
        kind=KeyResultKind.INCREASE,
        start_value=0,
        target_value=10_000,
        now=NOW,
    )
    assert made.key_result is not None
    q1_start = datetime(2027, 1, 1, tzinfo=UTC)
    for day in days:
        await check_in(
            backend, world, made.key_result.id, per_day * day, q1_start + timedelta(days=day)
        )
    found = (await gql(FORECAST, id=gid("KeyResult", world.org.id, made.key_result.id)))["node"]
    # Q1 2027 lasts 90 days: the line reaches 90 x per_day at its end.
    assert found["forecast"]["projectedValue"] == pytest.approx(90 * per_day, rel=1e-9)
    assert found["forecast"]["projectedProgress"] == pytest.approx(90 * per_day / 10_000)
    assert found["forecast"]["trendingOffTrack"] is True
    assert found["forecast"]["basedOn"] == len(days)
    assert found["noForecastReason"] is None


async def test_the_critical_path_lists_every_late_key_result_upstream_however_far(
    backend: Backend, world: World, gql: Run
) -> None:
    made = await key_results.create_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        objective_id=world.q1.id,
        title="Revenue",
        start_value=0,
        target_value=100,
        now=NOW,
    )
    assert made.key_result is not None
    revenue = made.key_result.id
    await key_results.add_dependency(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=revenue,
        depends_on_id=world.deals.id,
        now=NOW,
    )
    on_feb_10 = datetime(2027, 2, 10, tzinfo=UTC)
    await check_in(backend, world, world.mql.id, 10, on_feb_10)  # far behind: OFF_TRACK
    await check_in(backend, world, world.deals.id, 50, on_feb_10)  # target reached: ACHIEVED
    await check_in(backend, world, revenue, 90, on_feb_10)
    query = """query($id: ID!) { node(id: $id) { ... on KeyResult {
      dependsOn { title } criticalPath { title progress { status } } } } }"""
    found = (await gql(query, id=gid("KeyResult", world.org.id, revenue)))["node"]
    assert found["dependsOn"] == [{"title": world.deals.title}]
    # Deals are achieved (not late); the MQLs two steps up are.
    assert found["criticalPath"] == [
        {"title": world.mql.title, "progress": {"status": "OFF_TRACK"}}
    ]
    dependents = (
        """query($id: ID!) { node(id: $id) { ... on KeyResult { dependents { title } } } }"""
    )
    up = (await gql(dependents, id=gid("KeyResult", world.org.id, world.mql.id)))["node"]
    assert up["dependents"] == [{"title": world.deals.title}]


async def test_policy_thresholds_change_statuses_and_explanations_name_them(
    backend: Backend, world: World, gql: Run
) -> None:
    await check_in(backend, world, world.mql.id, 300, datetime(2027, 2, 10, tzinfo=UTC))
    org = gid("Organization", world.org.id, world.org.id)
    query = """query($id: ID!) { node(id: $id) { ... on KeyResult { progress { status
      explanation { policy { name value } } } objective { progress { explanation {
      policy { name value } } } } } } }"""
    kr = gid("KeyResult", world.org.id, world.mql.id)
    # Feb 15 is day 45 of 90: expected 0.5; progress 0.3 is >= 0.5 x 0.5 and < 0.75 x 0.5.
    assert (await gql(query, id=kr))["node"]["progress"]["status"] == "AT_RISK"
    update = """mutation($id: ID!) { organizationUpdate(id: $id, input: {policy: {
      onTrackRatio: 0.6, staleAfterDays: 7}}) { organization { policy { onTrackRatio
      atRiskRatio staleAfterDays } } userErrors { code } } }"""
    changed = (await gql(update, id=org))["organizationUpdate"]
    assert changed["userErrors"] == []
    assert changed["organization"]["policy"] == {
        "onTrackRatio": 0.6,
        "atRiskRatio": 0.5,
        "staleAfterDays": 7,
    }
    found = (await gql(query, id=kr))["node"]
    assert found["progress"]["status"] == "ON_TRACK"  # 0.3 >= 0.6 x 0.5
    named = [{"name": "onTrackRatio", "value": 0.6}, {"name": "atRiskRatio", "value": 0.5}]
    assert found["progress"]["explanation"]["policy"] == named
    assert found["objective"]["progress"]["explanation"]["policy"] == named


async def test_closing_freezes_scores_refuses_late_check_ins_and_allows_a_carry_over(
    backend: Backend, world: World, gql: Run
) -> None:
    await check_in(backend, world, world.mql.id, 620, datetime(2027, 3, 20, tzinfo=UTC))
    after_q1 = datetime(2027, 4, 2, tzinfo=UTC)
    org, q1, q2 = world.org.id, world.quarters[0].id, world.quarters[1].id
    close = """mutation($id: ID!) { cycleClose(id: $id) { cycle { closed }
      closedCycles { label } userErrors { code } } }"""
    closed = (await gql(close, now=after_q1, id=gid("Cycle", org, q1)))["cycleClose"]
    assert closed["cycle"] == {"closed": True}
    score = """query($id: ID!) { node(id: $id) { ... on KeyResult { score } } }"""
    mql = gid("KeyResult", org, world.mql.id)
    assert (await gql(score, now=after_q1, id=mql))["node"]["score"] == 0.62
    late = """mutation($kr: ID!) { checkInCreate(input: {keyResultId: $kr, value: 700,
      recordedAt: "2027-03-25T00:00:00Z"}) { checkIn { id } userErrors { code field } } }"""
    refused = (await gql(late, now=after_q1, kr=mql))["checkInCreate"]
    assert refused == {
        "checkIn": None,
        "userErrors": [{"code": "CYCLE_CLOSED", "field": ["input", "keyResultId"]}],
    }
    lessons = """mutation($id: ID!) { objectiveUpdate(id: $id, input: {lessonsLearned:
      "Start the campaigns earlier"}) { objective { lessonsLearned } userErrors { code } } }"""
    learned = await gql(lessons, now=after_q1, id=gid("Objective", org, world.q1.id))
    assert learned["objectiveUpdate"]["objective"] == {
        "lessonsLearned": "Start the campaigns earlier"
    }
    carry = """mutation($id: ID!, $c: ID!) { keyResultCarryOver(id: $id, cycleId: $c) {
      keyResult { startValue targetValue currentValue carriedOverFrom { id } cycle { label } }
      userErrors { code } } }"""
    carried = await gql(carry, now=after_q1, id=mql, c=gid("Cycle", org, q2))
    assert carried["keyResultCarryOver"]["keyResult"] == {
        "startValue": 620.0,
        "targetValue": 1000.0,
        "currentValue": 620.0,
        "carriedOverFrom": {"id": mql},
        "cycle": {"label": "2027-Q2"},
    }


async def test_an_action_plan_is_ordered_and_steps_move_and_complete(
    world: World, gql: Run
) -> None:
    objective = gid("Objective", world.org.id, world.q1.id)
    add = """mutation($o: ID!, $t: String!) { actionStepAdd(input: {objectiveId: $o, title: $t,
      dueOn: "2027-02-01"}) { actionStep { id position } userErrors { code } } }"""
    ids = [
        (await gql(add, o=objective, t=title))["actionStepAdd"]["actionStep"]["id"]
        for title in ("Brief", "Launch", "Review")
    ]
    move = """mutation($id: ID!) { actionStepUpdate(id: $id, input: {position: 0, done: true}) {
      actionStep { position done } userErrors { code } } }"""
    assert (await gql(move, id=ids[2]))["actionStepUpdate"]["actionStep"] == {
        "position": 0,
        "done": True,
    }
    plan = """query($o: ID!) { node(id: $o) { ... on Objective { actionPlan {
      title position done owner { id } dueOn } } } }"""
    steps = (await gql(plan, o=objective))["node"]["actionPlan"]
    assert [(s["title"], s["position"], s["done"]) for s in steps] == [
        ("Review", 0, True),
        ("Brief", 1, False),
        ("Launch", 2, False),
    ]
    assert steps[1]["dueOn"] == "2027-02-01"


async def test_initiatives_list_discard_candidates(world: World, gql: Run) -> None:
    org = gid("Organization", world.org.id, world.org.id)
    mql = gid("KeyResult", world.org.id, world.mql.id)
    create = """mutation($org: ID!, $t: String!, $c: Float!, $v: Float!, $krs: [ID!]!) {
      initiativeCreate(input: {organizationId: $org, title: $t, cost: $c, expectedValue: $v,
        keyResultIds: $krs}) { initiative { roi aligned } userErrors { code } } }"""
    for title, cost, value, krs in [
        ("SEO", 100.0, 400.0, [mql]),
        ("Fair", 100.0, 50.0, [mql]),
        ("Swag", 10.0, 12.0, []),
    ]:
        await gql(create, org=org, t=title, c=cost, v=value, krs=krs)
    query = """query($org: ID!) { organization(id: $org) {
      all: initiatives { totalCount }
      unaligned: initiatives(filter: {unaligned: true}) { nodes { title } }
      low: initiatives(filter: {roiBelow: 0}) { nodes { title roi } }
      page: initiatives(first: 2) { nodes { title } pageInfo { hasNextPage } } } }"""
    found = (await gql(query, org=org))["organization"]
    assert found["all"]["totalCount"] == 3
    assert found["unaligned"]["nodes"] == [{"title": "Swag"}]
    assert found["low"]["nodes"] == [{"title": "Fair", "roi": -0.5}]
    assert found["page"] == {
        "nodes": [{"title": "SEO"}, {"title": "Fair"}],
        "pageInfo": {"hasNextPage": True},
    }


async def test_the_health_report_points_at_each_node_concerned(world: World, gql: Run) -> None:
    org = gid("Organization", world.org.id, world.org.id)
    query = """query($org: ID!, $q: ID!) { organization(id: $org) { health(cycleId: $q) {
      findings { code node { id } } } } }"""
    q1 = gid("Cycle", world.org.id, world.quarters[0].id)
    found = await gql(query, org=org, q=q1, now=datetime(2027, 3, 10, tzinfo=UTC))
    findings = {(f["code"], f["node"]["id"]) for f in found["organization"]["health"]["findings"]}
    marketing = gid("Department", world.org.id, world.marketing.id)
    mql = gid("KeyResult", world.org.id, world.mql.id)
    assert ("TOO_FEW_OBJECTIVES", marketing) in findings  # no team objective at all
    assert ("KEY_RESULT_WITHOUT_OWNER", mql) in findings
    assert ("STALE_KEY_RESULT", mql) in findings  # made on 15 Feb, never checked in
    # On the day it was made its grace period has only begun: not stale yet.
    fresh = await gql(query, org=org, q=q1)
    codes = {(f["code"], f["node"]["id"]) for f in fresh["organization"]["health"]["findings"]}
    assert ("STALE_KEY_RESULT", mql) not in codes


async def test_path_to_mission_goes_from_a_key_result_up_to_the_global_objective(
    world: World, gql: Run
) -> None:
    query = """query($id: ID!) { node(id: $id) { ... on KeyResult { pathToMission {
      level title } } } }"""
    found = (await gql(query, id=gid("KeyResult", world.org.id, world.deals.id)))["node"]
    assert [s["level"] for s in found["pathToMission"]] == [
        "KEY_RESULT",
        "OBJECTIVE",
        "GLOBAL_OBJECTIVE",
    ]  # the world's organization has no mission


@pytest.mark.parametrize(
    ("window", "code"),
    [
        (
            'from: "2027-02-01T00:00:00Z", to: "2027-01-01T00:00:00Z", interval: DAY',
            "INVALID_VALUE",
        ),
        (
            'from: "2020-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z", interval: DAY',
            "INVALID_VALUE",
        ),
    ],
)
async def test_a_bad_series_range_is_a_clear_error(
    backend: Backend, world: World, window: str, code: str
) -> None:
    query = f"""query($id: ID!) {{ node(id: $id) {{ ... on KeyResult {{
      progressSeries({window}) {{ at }} }} }} }}"""
    result = await schema.execute(
        query,
        variable_values={"id": gid("KeyResult", world.org.id, world.mql.id)},
        context_value=build_context(
            backend.store, reads=backend.reads, writer=backend.writer, clock=lambda: NOW
        ),
    )
    assert result.errors is not None
    error: Any = result.errors[0]
    assert error.extensions == {"code": code}


async def test_the_current_cycle_is_the_one_running_now(world: World, gql: Run) -> None:
    query = """query($org: ID!) { organization(id: $org) { quarter: currentCycle { label }
      year: currentCycle(kind: YEAR) { label } month: currentCycle(kind: MONTH) { label } } }"""
    found = await gql(query, org=gid("Organization", world.org.id, world.org.id))
    assert found["organization"] == {
        "quarter": {"label": "2027-Q1"},
        "year": {"label": "2027"},
        "month": None,  # the world has no MONTH cycles
    }
