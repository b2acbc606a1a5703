"""The happy path of every mutation: what it returns, and what a later read sees."""

from __future__ import annotations

from typing import Any

import pytest

from tests.schema.conftest import NOW, Backend, Client, World, marta_of
from tests.schema.operations import (
    ACTION_STEP_ADD,
    ACTION_STEP_UPDATE,
    CARRY_OVER,
    CHECK_IN_CREATE,
    CHECK_IN_DELETE,
    CYCLE_CLOSE,
    CYCLE_CREATE,
    DEPARTMENT_CREATE,
    DEPENDENCY_ADD,
    DEPENDENCY_REMOVE,
    INITIATIVE_CREATE,
    INITIATIVE_LINK,
    INITIATIVE_UNLINK,
    KEY_RESULT_CREATE,
    KEY_RESULT_DELETE,
    KEY_RESULT_UPDATE,
    OBJECTIVE_CREATE,
    OBJECTIVE_DELETE,
    OBJECTIVE_UPDATE,
    ORGANIZATION_CREATE,
    ORGANIZATION_UPDATE,
)

SCORES = """
query Scores($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on KeyResult { score }
    ... on Objective { score }
    ... on Cycle { closed }
  }
}
"""

STILL_THERE = "query StillThere($ids: [ID!]!) { nodes(ids: $ids) { id } }"

PLAN = """
query Plan($id: ID!) {
  node(id: $id) { ... on Objective { actionPlan { title position } } }
}
"""


def kr_input(world: World, **changes: Any) -> dict[str, Any]:
    return {"objectiveId": world.funnel, "title": "Cut churn", **changes}


async def test_organization_create_returns_it_with_the_default_policy(gql: Client) -> None:
    made = await gql.mutate(
        ORGANIZATION_CREATE,
        input={"name": "  Initech  ", "slug": "initech", "mission": "Make TPS reports"},
    )
    org = made["organization"]
    assert org["id"]
    assert {k: org[k] for k in ("name", "slug", "mission", "vision")} == {
        "name": "Initech",  # trimmed
        "slug": "initech",
        "mission": "Make TPS reports",
        "vision": None,
    }
    assert org["policy"] == {
        "onTrackRatio": 0.75,
        "atRiskRatio": 0.5,
        "maxObjectivesPerTeam": 5,
        "minObjectivesPerTeam": 3,
        "roiThreshold": 0.0,
        "staleAfterDays": 14,
        "checkInCadenceDays": 7,
    }


async def test_organization_update_changes_only_what_is_given(gql: Client, world: World) -> None:
    changes = {"name": "Acme Corp", "policy": {"onTrackRatio": 0.8, "maxObjectivesPerTeam": 4}}
    org = (await gql.mutate(ORGANIZATION_UPDATE, id=world.org, input=changes))["organization"]
    assert (org["id"], org["name"], org["slug"]) == (world.org, "Acme Corp", "acme")
    assert org["mission"] == "Help small shops sell online"
    assert org["policy"]["onTrackRatio"] == 0.8
    assert org["policy"]["atRiskRatio"] == 0.5
    assert org["policy"]["maxObjectivesPerTeam"] == 4
    assert org["policy"]["staleAfterDays"] == 14


async def test_department_create_returns_it_in_its_organization(gql: Client, world: World) -> None:
    made = await gql.mutate(DEPARTMENT_CREATE, input={"organizationId": world.org, "name": "Ops"})
    assert made["department"]["name"] == "Ops"
    assert made["department"]["organization"] == {"id": world.org}


async def test_cycle_create_makes_a_year_with_four_quarters(gql: Client, world: World) -> None:
    cycle = (await gql.mutate(CYCLE_CREATE, input={"organizationId": world.org, "year": 2028}))[
        "cycle"
    ]
    assert {k: cycle[k] for k in ("kind", "label", "year", "quarter", "month")} == {
        "kind": "YEAR",
        "label": "2028",
        "year": 2028,
        "quarter": None,
        "month": None,
    }
    assert (cycle["startsOn"], cycle["endsOn"], cycle["closed"]) == (
        "2028-01-01",
        "2028-12-31",
        False,
    )
    assert cycle["parent"] is None
    assert [(c["kind"], c["label"], c["quarter"]) for c in cycle["children"]] == [
        ("QUARTER", f"2028-Q{q}", q) for q in range(1, 5)
    ]


async def test_cycle_create_with_a_month_makes_it_inside_its_quarter(
    gql: Client, world: World
) -> None:
    cycle = (
        await gql.mutate(
            CYCLE_CREATE, input={"organizationId": world.org, "year": 2027, "month": 5}
        )
    )["cycle"]
    assert {k: cycle[k] for k in ("kind", "label", "year", "quarter", "month")} == {
        "kind": "MONTH",
        "label": "2027-05",
        "year": 2027,
        "quarter": 2,
        "month": 5,
    }
    assert (cycle["startsOn"], cycle["endsOn"]) == ("2027-05-01", "2027-05-31")
    assert cycle["parent"] == {"id": world.quarters[1]}
    assert cycle["children"] == []


async def test_cycle_close_freezes_scores_of_the_cycle_and_those_inside_it(
    gql: Client, world: World
) -> None:
    month = await gql.mutate(
        CYCLE_CREATE, input={"organizationId": world.org, "year": 2027, "month": 1}
    )
    month_id = month["cycle"]["id"]
    closed = await gql.mutate(CYCLE_CLOSE, id=world.quarters[0])
    assert closed["cycle"]["id"] == world.quarters[0]
    assert closed["cycle"]["closed"] is True
    assert closed["cycle"]["closedAt"] == NOW.isoformat()
    assert sorted(closed["closedCycles"], key=lambda c: c["label"]) == [
        {"id": month_id, "label": "2027-01", "closed": True},
        {"id": world.quarters[0], "label": "2027-Q1", "closed": True},
    ]
    ids = [world.mql, world.deals, world.funnel, world.global_objective, world.year]
    scores = (await gql(SCORES, ids=ids))["nodes"]
    # MQLs 0.4, deals 0, the funnel round((1 x 0.4 + 2 x 0) / 3, 2) = 0.13; the year is open.
    assert scores == [
        {"score": 0.4},
        {"score": 0.0},
        {"score": 0.13},
        {"score": None},
        {"closed": False},
    ]


async def test_objective_create_returns_every_field_it_was_given(gql: Client, world: World) -> None:
    made = await gql.mutate(
        OBJECTIVE_CREATE,
        input={
            "cycleId": world.quarters[0],
            "title": "Close faster",
            "description": "Shorter sales cycle",
            "parentId": world.global_objective,
            "departmentId": world.sales,
            "owner": world.marta,
            "weight": 2.5,
        },
    )
    assert {k: v for k, v in made["objective"].items() if k != "id"} == {
        "title": "Close faster",
        "description": "Shorter sales cycle",
        "owner": marta_of(world),
        "weight": 2.5,
        "lessonsLearned": None,
        "score": None,
        "cycle": {"id": world.quarters[0]},
        "department": {"id": world.sales},
        "parent": {"id": world.global_objective},
        "carriedOverFrom": None,
    }


async def test_objective_update_changes_fields_and_clears_links_with_null(
    gql: Client, world: World
) -> None:
    changed = await gql.mutate(
        OBJECTIVE_UPDATE,
        id=world.funnel,
        input={
            "title": "Fill the whole funnel",
            "description": "From ads to demos",
            "owner": world.marta,
            "weight": 3,
            "departmentId": world.marketing,
            "lessonsLearned": "Start earlier",
        },
    )
    objective = changed["objective"]
    assert objective["id"] == world.funnel
    assert (objective["title"], objective["description"]) == (
        "Fill the whole funnel",
        "From ads to demos",
    )
    assert (objective["owner"], objective["weight"]) == (marta_of(world), 3.0)
    assert objective["lessonsLearned"] == "Start earlier"
    assert objective["department"] == {"id": world.marketing}
    assert objective["parent"] == {"id": world.global_objective}  # left out: kept
    cleared = await gql.mutate(
        OBJECTIVE_UPDATE, id=world.funnel, input={"departmentId": None, "parentId": None}
    )
    assert cleared["objective"]["department"] is None
    assert cleared["objective"]["parent"] is None  # now top-level in its quarter
    assert cleared["objective"]["title"] == "Fill the whole funnel"


async def test_objective_delete_removes_it_with_its_key_results_and_plan(
    gql: Client, world: World
) -> None:
    leaf = await gql.mutate(
        OBJECTIVE_CREATE,
        input={"cycleId": world.quarters[0], "title": "Leaf", "parentId": world.global_objective},
    )
    leaf_id = leaf["objective"]["id"]
    kr = await gql.mutate(
        KEY_RESULT_CREATE, input={"objectiveId": leaf_id, "title": "X", "targetValue": 5}
    )
    step = await gql.mutate(ACTION_STEP_ADD, input={"objectiveId": leaf_id, "title": "Do it"})
    deleted = await gql.mutate(OBJECTIVE_DELETE, id=leaf_id)
    assert deleted["deletedId"] == leaf_id
    gone = [leaf_id, kr["keyResult"]["id"], step["actionStep"]["id"], world.funnel]
    assert (await gql(STILL_THERE, ids=gone))["nodes"] == [None, None, None, {"id": world.funnel}]


async def test_key_result_create_infers_the_kind_and_defaults_milestones(
    gql: Client, world: World
) -> None:
    down = await gql.mutate(KEY_RESULT_CREATE, input=kr_input(world, startValue=8, targetValue=5))
    kr = down["keyResult"]
    assert (kr["kind"], kr["startValue"], kr["targetValue"], kr["currentValue"]) == (
        "DECREASE",
        8.0,
        5.0,
        8.0,
    )
    assert kr["objective"]["id"] == world.funnel
    assert kr["cycle"] == {"id": world.quarters[0]}
    assert (kr["weight"], kr["score"], kr["confidence"], kr["lastCheckInAt"]) == (
        1.0,
        None,
        None,
        None,
    )
    assert (kr["dependsOn"], kr["carriedOverFrom"], kr["department"]) == ([], None, None)
    milestone = await gql.mutate(KEY_RESULT_CREATE, input=kr_input(world, kind="MILESTONE"))
    assert (milestone["keyResult"]["startValue"], milestone["keyResult"]["targetValue"]) == (
        0.0,
        1.0,
    )
    # startValue is 0 when left out, as its description says.
    up = await gql.mutate(KEY_RESULT_CREATE, input=kr_input(world, targetValue=20, unit="%"))
    assert (up["keyResult"]["kind"], up["keyResult"]["startValue"]) == ("INCREASE", 0.0)
    assert up["keyResult"]["unit"] == "%"
    guard = await gql.mutate(
        KEY_RESULT_CREATE,
        input=kr_input(
            world,
            kind="AT_MOST",
            startValue=3,
            targetValue=2,
            departmentId=world.sales,
            owner=world.marta,
            weight=0.5,
        ),
    )
    assert guard["keyResult"]["kind"] == "AT_MOST"
    assert guard["keyResult"]["department"] == {"id": world.sales}
    assert (guard["keyResult"]["owner"], guard["keyResult"]["weight"]) == (marta_of(world), 0.5)


async def test_key_result_update_rechecks_the_bounds_and_keeps_the_current_value(
    gql: Client, world: World
) -> None:
    changed = await gql.mutate(
        KEY_RESULT_UPDATE,
        id=world.mql,
        input={"title": "Obtain 2,000 MQLs", "targetValue": 2000, "departmentId": None},
    )
    kr = changed["keyResult"]
    assert (kr["title"], kr["targetValue"], kr["currentValue"]) == (
        "Obtain 2,000 MQLs",
        2000.0,
        400.0,
    )
    assert kr["department"] is None
    assert kr["unit"] == "MQLs"  # left out: kept
    progress = await gql(
        "query P($id: ID!) { node(id: $id) { ... on KeyResult { progress { value } } } }",
        id=world.mql,
    )
    assert progress["node"]["progress"]["value"] == pytest.approx(0.2)  # 400 / 2000


async def test_key_result_delete_removes_it_its_check_ins_and_the_links_to_it(
    gql: Client, world: World
) -> None:
    initiative = await gql.mutate(
        INITIATIVE_CREATE,
        input={
            "organizationId": world.org,
            "title": "Ads",
            "cost": 1,
            "expectedValue": 2,
            "keyResultIds": [world.mql],
        },
    )
    deleted = await gql.mutate(KEY_RESULT_DELETE, id=world.mql)
    assert deleted["deletedId"] == world.mql
    found = await gql(
        """query After($ids: [ID!]!) { nodes(ids: $ids) {
             id ... on KeyResult { dependsOn { id } } ... on Initiative { aligned } } }""",
        ids=[world.mql, world.check_in, world.deals, initiative["initiative"]["id"]],
    )
    assert found["nodes"][:2] == [None, None]
    assert found["nodes"][2]["dependsOn"] == []
    assert found["nodes"][3]["aligned"] is False


async def test_key_result_dependencies_are_added_once_and_removed(
    gql: Client, world: World
) -> None:
    again = await gql.mutate(
        DEPENDENCY_ADD, input={"keyResultId": world.deals, "dependsOnId": world.mql}
    )
    assert again["keyResult"] == {
        "id": world.deals,
        "dependsOn": [{"id": world.mql}],
        "dependents": [],
    }
    removed = await gql.mutate(
        DEPENDENCY_REMOVE, input={"keyResultId": world.deals, "dependsOnId": world.mql}
    )
    assert removed["keyResult"] == {"id": world.deals, "dependsOn": [], "dependents": []}
    upstream = await gql.mutate(
        DEPENDENCY_ADD, input={"keyResultId": world.mql, "dependsOnId": world.deals}
    )
    assert upstream["keyResult"]["dependsOn"] == [{"id": world.deals}]


async def test_check_in_create_records_a_value_and_recomputes_the_key_result(
    gql: Client, world: World
) -> None:
    made = await gql.mutate(
        CHECK_IN_CREATE,
        input={"keyResultId": world.deals, "value": 48, "confidence": 0.6, "note": "Two big ones"},
    )
    check_in = made["checkIn"]
    assert {k: v for k, v in check_in.items() if k != "id"} == {
        "value": 48.0,
        "confidence": 0.6,
        "note": "Two big ones",
        "recordedAt": NOW.isoformat(),  # now, when left out
        "author": None,  # no one signed in
        "keyResult": {"id": world.deals},
    }
    assert made["created"] is True
    # (48 - 40) / (50 - 40) = 0.8 >= 0.375, and the MQLs upstream are ON_TRACK.
    assert made["keyResult"] == {
        "id": world.deals,
        "currentValue": 48.0,
        "confidence": 0.6,
        "lastCheckInAt": NOW.isoformat(),
        "progress": {"value": pytest.approx(0.8), "status": "ON_TRACK"},
    }


async def test_a_check_in_retried_with_its_idempotency_key_is_stored_once(
    gql: Client, backend: Backend, world: World
) -> None:
    given = {"keyResultId": world.deals, "value": 41, "idempotencyKey": "req-1"}
    first = await gql.mutate(CHECK_IN_CREATE, input=given)
    before = await backend.snapshot()
    retry = await gql.mutate(CHECK_IN_CREATE, input=given)
    assert retry["created"] is False
    assert retry["checkIn"]["id"] == first["checkIn"]["id"]
    assert await backend.snapshot() == before


async def test_check_in_delete_recomputes_the_current_value(gql: Client, world: World) -> None:
    deleted = await gql.mutate(CHECK_IN_DELETE, id=world.check_in)
    assert deleted["deletedId"] == world.check_in
    assert deleted["keyResult"] == {
        "id": world.mql,
        "currentValue": 0.0,  # back to the start value
        "confidence": None,
        "lastCheckInAt": None,
        "progress": {"value": 0.0, "status": "PENDING"},
    }


async def test_action_steps_are_added_at_the_end_and_moved_by_position(
    gql: Client, world: World
) -> None:
    steps = [
        (await gql.mutate(ACTION_STEP_ADD, input={"objectiveId": world.funnel, "title": t}))[
            "actionStep"
        ]
        for t in ("A", "B", "C")
    ]
    assert [s["position"] for s in steps] == [0, 1, 2]
    assert all(s["objective"] == {"id": world.funnel} for s in steps)
    moved = await gql.mutate(
        ACTION_STEP_UPDATE,
        id=steps[2]["id"],
        input={
            "title": "C!",
            "owner": world.marta,
            "dueOn": "2027-03-15",
            "done": True,
            "position": 0,
        },
    )
    assert {k: v for k, v in moved["actionStep"].items() if k != "id"} == {
        "title": "C!",
        "owner": marta_of(world),
        "dueOn": "2027-03-15",
        "done": True,
        "position": 0,
        "objective": {"id": world.funnel},
    }
    plan = (await gql(PLAN, id=world.funnel))["node"]["actionPlan"]
    assert plan == [
        {"title": "C!", "position": 0},
        {"title": "A", "position": 1},
        {"title": "B", "position": 2},
    ]


async def test_initiatives_are_created_linked_and_unlinked(gql: Client, world: World) -> None:
    made = await gql.mutate(
        INITIATIVE_CREATE,
        input={
            "organizationId": world.org,
            "title": "Webinars",
            "cost": 200,
            "expectedValue": 500,
            "owner": world.marta,
        },
    )
    initiative = made["initiative"]
    # ROI = (500 - 200) / 200 = 1.5; no key result yet: unaligned.
    assert {k: v for k, v in initiative.items() if k != "id"} == {
        "title": "Webinars",
        "cost": 200.0,
        "expectedValue": 500.0,
        "roi": 1.5,
        "aligned": False,
        "keyResults": [],
        "owner": marta_of(world),
    }
    link = {"initiativeId": initiative["id"], "keyResultId": world.mql}
    linked = await gql.mutate(INITIATIVE_LINK, input=link)
    assert (linked["initiative"]["aligned"], linked["initiative"]["keyResults"]) == (
        True,
        [{"id": world.mql}],
    )
    unlinked = await gql.mutate(INITIATIVE_UNLINK, input=link)
    assert (unlinked["initiative"]["aligned"], unlinked["initiative"]["keyResults"]) == (False, [])


async def test_key_result_carry_over_starts_where_the_old_one_stands(
    gql: Client, world: World
) -> None:
    carried = (await gql.mutate(CARRY_OVER, id=world.mql, cycleId=world.quarters[1]))["keyResult"]
    assert carried["id"] != world.mql
    assert (carried["title"], carried["kind"], carried["unit"]) == (
        "Obtain 1,000 MQLs",
        "INCREASE",
        "MQLs",
    )
    # Start = the value it closed at (400), same target.
    assert (carried["startValue"], carried["targetValue"], carried["currentValue"]) == (
        400.0,
        1000.0,
        400.0,
    )
    assert carried["cycle"] == {"id": world.quarters[1]}
    assert carried["carriedOverFrom"] == {"id": world.mql}
    assert carried["department"] == {"id": world.marketing}
    assert carried["objective"]["title"] == "Fill the funnel"
    assert carried["objective"]["carriedOverFrom"] == {"id": world.funnel}
    assert carried["objective"]["parent"] == {"id": world.global_objective}
