"""Walking the graph: every field of every object type, read back after the world's mutations."""

from __future__ import annotations

from typing import Any

import pytest

from tests.schema.conftest import Client, World, marta_of
from tests.schema.operations import (
    ACTION_STEP_ADD,
    CARRY_OVER,
    CHECK_IN_CREATE,
    CYCLE_CREATE,
    INITIATIVE_CREATE,
    KEY_RESULT_CREATE,
    OBJECTIVE_CREATE,
)

ORGANIZATION_GRAPH = """
query Organization($id: ID!, $q1: ID!, $marketing: ID!) {
  organization(id: $id) {
    policy { onTrackRatio atRiskRatio maxObjectivesPerTeam minObjectivesPerTeam roiThreshold
             staleAfterDays }
    departments { id name organization { id } }
    cycles(year: 2027) { kind label }
    everyCycle: cycles { label }
    noCycles: cycles(year: 2028) { id }
    currentCycle { label }
    currentYear: currentCycle(kind: YEAR) { label }
    currentMonth: currentCycle(kind: MONTH) { label }
    globalObjective(year: 2027) { id title parent { id } }
    noGlobalObjective: globalObjective(year: 2028) { id }
    objectives { totalCount nodes { id } edges { cursor node { id } } }
    inQ1: objectives(cycleId: $q1) { totalCount nodes { id } }
    ofMarketing: objectives(departmentId: $marketing) { totalCount }
    health(cycleId: $q1) { findings { code message nodeId node { __typename id } } }
  }
}
"""

CYCLE_GRAPH = """
query Cycle($year: ID!, $q1: ID!) {
  year: node(id: $year) {
    ... on Cycle {
      id kind label year quarter month startsOn endsOn closed closedAt
      parent { id }
      children { id label quarter month startsOn endsOn parent { id } }
      objectives { totalCount nodes { id title } }
    }
  }
  q1: node(id: $q1) {
    ... on Cycle {
      parent { id }
      objectives(first: 1) { totalCount nodes { title } pageInfo { hasNextPage } }
    }
  }
}
"""

OBJECTIVE_GRAPH = """
query Objective($id: ID!) {
  node(id: $id) {
    ... on Objective {
      id title description owner { id name email } weight lessonsLearned score
      cycle { label }
      department { name }
      parent { id title }
      children { id }
      keyResults { id }
      actionPlan { id title owner { id name email } dueOn done position objective { id } }
      pathToMission { level title node { __typename id } }
      carriedOverFrom { id }
    }
  }
}
"""

MONTH = """
query Month($q1: ID!, $org: ID!) {
  q1: node(id: $q1) { ... on Cycle { children { id label parent { id } } } }
  organization(id: $org) { currentCycle(kind: MONTH) { id } cycles(year: 2027) { label } }
}
"""

KEY_RESULT_GRAPH = """
query KeyResult($id: ID!, $first: Int, $after: String) {
  node(id: $id) {
    ... on KeyResult {
      id title kind unit startValue targetValue currentValue owner { id name email } weight score
      confidence
      lastCheckInAt
      objective { id }
      cycle { label }
      department { name }
      dependsOn { id }
      dependents { id }
      checkIns(first: $first, after: $after) {
        totalCount
        edges { cursor node { id value recordedAt keyResult { id } } }
        nodes { id }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
      initiatives { id }
      forecast { projectedValue projectedProgress trendingOffTrack basedOn }
      noForecastReason
      criticalPath { id }
      pathToMission { level title node { id } }
      carriedOverFrom { id }
    }
  }
}
"""

DEPARTMENT_GRAPH = """
query Department($id: ID!, $q1: ID!, $q2: ID!, $year: ID!, $after: String) {
  node(id: $id) {
    ... on Department {
      id name organization { slug }
      keyResults { totalCount nodes { id } edges { cursor node { id } } }
      inQ1: keyResults(cycleId: $q1, first: 1, after: $after) {
        totalCount nodes { id } pageInfo { hasNextPage endCursor }
      }
      inQ2: keyResults(cycleId: $q2) { totalCount }
      inYear: keyResults(cycleId: $year) { totalCount }
    }
  }
}
"""

INITIATIVES = """
query Initiatives($org: ID!, $mql: ID!) {
  organization(id: $org) {
    initiatives { totalCount nodes { title } edges { cursor node { title } } }
    unaligned: initiatives(filter: {unaligned: true}) { nodes { title aligned } }
    aligned: initiatives(filter: {unaligned: false}) { nodes { title } }
    losing: initiatives(filter: {roiBelow: 0}) { nodes { title roi } }
    firstOne: initiatives(first: 1) { nodes { title } pageInfo { hasNextPage } }
  }
  mql: node(id: $mql) { ... on KeyResult { initiatives { title keyResults { id } } } }
}
"""


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["id"] for i in items]


async def test_an_organization_lists_its_departments_cycles_objectives_and_health(
    gql: Client, world: World
) -> None:
    data = await gql(
        ORGANIZATION_GRAPH, id=world.org, q1=world.quarters[0], marketing=world.marketing
    )
    org = data["organization"]
    assert org["policy"] == {
        "onTrackRatio": 0.75,
        "atRiskRatio": 0.5,
        "maxObjectivesPerTeam": 5,
        "minObjectivesPerTeam": 3,
        "roiThreshold": 0.0,
        "staleAfterDays": 14,
    }
    assert org["departments"] == [
        {"id": world.marketing, "name": "Marketing", "organization": {"id": world.org}},
        {"id": world.sales, "name": "Sales", "organization": {"id": world.org}},
    ]
    # Each year, then its parts in time order.
    assert org["cycles"] == [
        {"kind": "YEAR", "label": "2027"},
        *({"kind": "QUARTER", "label": f"2027-Q{q}"} for q in range(1, 5)),
    ]
    assert len(org["everyCycle"]) == 5
    assert org["noCycles"] == []
    assert org["currentCycle"] == {"label": "2027-Q1"}
    assert org["currentYear"] == {"label": "2027"}
    assert org["currentMonth"] is None  # no MONTH cycles were made
    assert org["globalObjective"] == {
        "id": world.global_objective,
        "title": "Increase the sales close rate by 20%",
        "parent": None,
    }
    assert org["noGlobalObjective"] is None
    assert org["objectives"]["totalCount"] == 2
    assert org["objectives"]["nodes"] == [{"id": world.global_objective}, {"id": world.funnel}]
    assert [e["node"] for e in org["objectives"]["edges"]] == org["objectives"]["nodes"]
    assert all(e["cursor"] for e in org["objectives"]["edges"])
    assert org["inQ1"] == {"totalCount": 1, "nodes": [{"id": world.funnel}]}
    assert org["ofMarketing"] == {
        "totalCount": 0
    }  # its key result is Marketing's, not the objective
    findings = org["health"]["findings"]
    assert findings, "a fresh quarter has things to point at"
    for finding in findings:
        assert finding["code"]
        assert finding["message"]
        assert finding["node"]["id"] == finding["nodeId"]
    # The deals have no owner: a finding names them.
    assert {"code": "KEY_RESULT_WITHOUT_OWNER", "id": world.deals} in [
        {"code": f["code"], "id": f["nodeId"]} for f in findings
    ]


async def test_a_year_cycle_holds_its_quarters_and_the_global_objective(
    gql: Client, world: World
) -> None:
    data = await gql(CYCLE_GRAPH, year=world.year, q1=world.quarters[0])
    year = data["year"]
    assert {k: year[k] for k in ("id", "kind", "label", "year", "quarter", "month")} == {
        "id": world.year,
        "kind": "YEAR",
        "label": "2027",
        "year": 2027,
        "quarter": None,
        "month": None,
    }
    assert (year["startsOn"], year["endsOn"]) == ("2027-01-01", "2027-12-31")
    assert (year["closed"], year["closedAt"], year["parent"]) == (False, None, None)
    assert [(c["id"], c["label"], c["quarter"]) for c in year["children"]] == [
        (world.quarters[q - 1], f"2027-Q{q}", q) for q in range(1, 5)
    ]
    assert [(c["startsOn"], c["endsOn"]) for c in year["children"]] == [
        ("2027-01-01", "2027-03-31"),
        ("2027-04-01", "2027-06-30"),
        ("2027-07-01", "2027-09-30"),
        ("2027-10-01", "2027-12-31"),
    ]
    assert all(c["parent"] == {"id": world.year} for c in year["children"])
    assert year["objectives"] == {
        "totalCount": 1,
        "nodes": [{"id": world.global_objective, "title": "Increase the sales close rate by 20%"}],
    }
    q1 = data["q1"]
    assert q1["parent"] == {"id": world.year}
    assert q1["objectives"] == {
        "totalCount": 1,
        "nodes": [{"title": "Fill the funnel"}],
        "pageInfo": {"hasNextPage": False},
    }


async def test_a_month_cycle_sits_inside_its_quarter(gql: Client, world: World) -> None:
    month = await gql.mutate(
        CYCLE_CREATE, input={"organizationId": world.org, "year": 2027, "month": 2}
    )
    month_id = month["cycle"]["id"]
    data = await gql(MONTH, q1=world.quarters[0], org=world.org)
    assert data["q1"]["children"] == [
        {"id": month_id, "label": "2027-02", "parent": {"id": world.quarters[0]}}
    ]
    # Feb 15 lies in it: the current month.
    assert data["organization"]["currentCycle"] == {"id": month_id}
    # Each year, then its parts by start: the month follows its quarter.
    labels = [c["label"] for c in data["organization"]["cycles"]]
    assert labels == ["2027", "2027-Q1", "2027-02", "2027-Q2", "2027-Q3", "2027-Q4"]


async def test_an_objective_shows_its_tree_plan_and_path_to_the_mission(
    gql: Client, world: World
) -> None:
    second = await gql.mutate(
        ACTION_STEP_ADD,
        input={"objectiveId": world.funnel, "title": "Launch ads", "owner": world.marta},
    )
    first = await gql.mutate(
        ACTION_STEP_ADD,
        input={"objectiveId": world.funnel, "title": "Write the guide", "dueOn": "2027-03-01"},
    )
    funnel = (await gql(OBJECTIVE_GRAPH, id=world.funnel))["node"]
    assert funnel["title"] == "Fill the funnel"
    assert (funnel["description"], funnel["owner"], funnel["weight"]) == (None, None, 1.0)
    assert (funnel["lessonsLearned"], funnel["score"], funnel["carriedOverFrom"]) == (
        None,
        None,
        None,
    )
    assert funnel["cycle"] == {"label": "2027-Q1"}
    assert funnel["department"] is None
    assert funnel["parent"] == {
        "id": world.global_objective,
        "title": "Increase the sales close rate by 20%",
    }
    assert funnel["children"] == []
    assert ids(funnel["keyResults"]) == [world.mql, world.deals]
    assert funnel["actionPlan"] == [
        {
            "id": second["actionStep"]["id"],
            "title": "Launch ads",
            "owner": marta_of(world),
            "dueOn": None,
            "done": False,
            "position": 0,
            "objective": {"id": world.funnel},
        },
        {
            "id": first["actionStep"]["id"],
            "title": "Write the guide",
            "owner": None,
            "dueOn": "2027-03-01",
            "done": False,
            "position": 1,
            "objective": {"id": world.funnel},
        },
    ]
    assert funnel["pathToMission"] == [
        {
            "level": "OBJECTIVE",
            "title": "Fill the funnel",
            "node": {"__typename": "Objective", "id": world.funnel},
        },
        {
            "level": "GLOBAL_OBJECTIVE",
            "title": "Increase the sales close rate by 20%",
            "node": {"__typename": "Objective", "id": world.global_objective},
        },
        {"level": "MISSION", "title": "Help small shops sell online", "node": None},
    ]
    root = (await gql(OBJECTIVE_GRAPH, id=world.global_objective))["node"]
    assert ids(root["children"]) == [world.funnel]
    assert root["parent"] is None
    assert root["keyResults"] == []


async def test_a_key_result_shows_its_dependencies_owner_and_path(
    gql: Client, world: World
) -> None:
    mql = (await gql(KEY_RESULT_GRAPH, id=world.mql))["node"]
    assert {k: mql[k] for k in ("id", "title", "kind", "unit", "owner", "weight")} == {
        "id": world.mql,
        "title": "Obtain 1,000 MQLs",
        "kind": "INCREASE",
        "unit": "MQLs",
        "owner": marta_of(world),
        "weight": 1.0,
    }
    assert (mql["startValue"], mql["targetValue"], mql["currentValue"]) == (0.0, 1000.0, 400.0)
    assert (mql["score"], mql["confidence"]) == (None, 0.8)
    assert mql["lastCheckInAt"] == "2027-02-10T12:00:00+00:00"
    assert mql["objective"] == {"id": world.funnel}
    assert mql["cycle"] == {"label": "2027-Q1"}
    assert mql["department"] == {"name": "Marketing"}
    assert (mql["dependsOn"], ids(mql["dependents"])) == ([], [world.deals])
    assert mql["carriedOverFrom"] is None
    assert mql["criticalPath"] == []  # nothing upstream
    assert [(s["level"], s["title"]) for s in mql["pathToMission"]] == [
        ("KEY_RESULT", "Obtain 1,000 MQLs"),
        ("OBJECTIVE", "Fill the funnel"),
        ("GLOBAL_OBJECTIVE", "Increase the sales close rate by 20%"),
        ("MISSION", "Help small shops sell online"),
    ]
    assert mql["pathToMission"][0]["node"] == {"id": world.mql}
    # One check-in: no trend line yet.
    assert mql["forecast"] is None
    assert mql["noForecastReason"] == "needs at least 2 check-ins, has 1"
    deals = (await gql(KEY_RESULT_GRAPH, id=world.deals))["node"]
    assert (ids(deals["dependsOn"]), deals["dependents"]) == ([world.mql], [])
    assert (deals["kind"], deals["owner"], deals["weight"]) == ("INCREASE", None, 2.0)
    assert deals["lastCheckInAt"] is None


async def test_check_ins_page_newest_first_by_recorded_at(gql: Client, world: World) -> None:
    # Written after the Feb 10 check-in (400) but recorded earlier and later than it.
    await gql.mutate(
        CHECK_IN_CREATE,
        input={"keyResultId": world.mql, "value": 300, "recordedAt": "2027-02-12T00:00:00Z"},
    )
    await gql.mutate(
        CHECK_IN_CREATE,
        input={"keyResultId": world.mql, "value": 100, "recordedAt": "2027-02-01T00:00:00Z"},
    )
    page = (await gql(KEY_RESULT_GRAPH, id=world.mql, first=2))["node"]
    # The newest by recordedAt is the current value, not the last written (DOMAIN.md §6).
    assert page["currentValue"] == 300.0
    check_ins = page["checkIns"]
    assert check_ins["totalCount"] == 3
    assert [e["node"]["value"] for e in check_ins["edges"]] == [300.0, 400.0]
    assert check_ins["edges"][1]["node"]["id"] == world.check_in
    assert check_ins["nodes"] == [{"id": e["node"]["id"]} for e in check_ins["edges"]]
    assert all(e["node"]["keyResult"] == {"id": world.mql} for e in check_ins["edges"])
    assert check_ins["pageInfo"]["hasNextPage"] is True
    assert check_ins["pageInfo"]["hasPreviousPage"] is False
    after = check_ins["pageInfo"]["endCursor"]
    rest = (await gql(KEY_RESULT_GRAPH, id=world.mql, first=2, after=after))["node"]["checkIns"]
    assert [e["node"]["value"] for e in rest["edges"]] == [100.0]
    assert rest["edges"][0]["node"]["recordedAt"] == "2027-02-01T00:00:00+00:00"
    assert rest["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": rest["edges"][0]["cursor"],
        "endCursor": rest["edges"][0]["cursor"],
    }


async def test_a_forecast_projects_the_check_ins_trend_to_the_cycle_end(
    gql: Client, world: World
) -> None:
    for value, at in ((42, "2027-02-01T00:00:00Z"), (44, "2027-02-11T00:00:00Z")):
        await gql.mutate(
            CHECK_IN_CREATE, input={"keyResultId": world.deals, "value": value, "recordedAt": at}
        )
    deals = (await gql(KEY_RESULT_GRAPH, id=world.deals))["node"]
    # +2 deals in 10 days is 0.2 a day; Q1 ends on Apr 1, 59 days after Feb 1. The line
    # through the mean (day 5, 43 deals) gives 43 + 0.2 x (59 - 5) = 53.8 at the end:
    # (53.8 - 40) / 10 > 1, so progress 1, not trending off track.
    assert deals["forecast"] == {
        "projectedValue": pytest.approx(53.8),
        "projectedProgress": 1.0,
        "trendingOffTrack": False,
        "basedOn": 2,
    }
    assert deals["noForecastReason"] is None


async def test_a_department_lists_the_key_results_it_owns_by_cycle(
    gql: Client, world: World
) -> None:
    second = await gql.mutate(
        OBJECTIVE_CREATE,
        input={
            "cycleId": world.quarters[0],
            "title": "Be known",
            "parentId": world.global_objective,
        },
    )
    extra = await gql.mutate(
        KEY_RESULT_CREATE,
        input={
            "objectiveId": second["objective"]["id"],
            "title": "Publish 10 posts",
            "targetValue": 10,
            "departmentId": world.marketing,
        },
    )
    variables = {"id": world.marketing, "q1": world.quarters[0], "q2": world.quarters[1]}
    data = (await gql(DEPARTMENT_GRAPH, year=world.year, **variables))["node"]
    assert data["name"] == "Marketing"
    assert data["organization"] == {"slug": "acme"}
    assert data["keyResults"]["totalCount"] == 2
    assert data["keyResults"]["nodes"] == [{"id": world.mql}, {"id": extra["keyResult"]["id"]}]
    assert [e["node"] for e in data["keyResults"]["edges"]] == data["keyResults"]["nodes"]
    assert data["inQ1"]["totalCount"] == 2
    assert data["inQ1"]["nodes"] == [{"id": world.mql}]
    assert data["inQ1"]["pageInfo"]["hasNextPage"] is True
    assert data["inQ2"] == {"totalCount": 0}
    assert data["inYear"] == {"totalCount": 2}  # the year holds its quarters
    after = data["inQ1"]["pageInfo"]["endCursor"]
    rest = (await gql(DEPARTMENT_GRAPH, year=world.year, after=after, **variables))["node"]
    assert rest["inQ1"]["nodes"] == [{"id": extra["keyResult"]["id"]}]
    assert rest["inQ1"]["pageInfo"]["hasNextPage"] is False


async def test_initiatives_show_roi_alignment_and_the_discard_filters(
    gql: Client, world: World
) -> None:
    for title, cost, value, linked in (
        ("Webinars", 100, 300, [world.mql]),  # ROI (300 - 100) / 100 = 2
        ("Trade fair", 1000, 500, []),  # ROI (500 - 1000) / 1000 = -0.5, unaligned
        ("Volunteers", 0, 50, [world.mql, world.deals]),  # free: no ROI
    ):
        made = await gql.mutate(
            INITIATIVE_CREATE,
            input={
                "organizationId": world.org,
                "title": title,
                "cost": cost,
                "expectedValue": value,
                "keyResultIds": linked,
            },
        )
        assert made["initiative"]["keyResults"] == [{"id": k} for k in linked]
    data = await gql(INITIATIVES, org=world.org, mql=world.mql)
    org = data["organization"]
    assert org["initiatives"]["totalCount"] == 3
    assert [n["title"] for n in org["initiatives"]["nodes"]] == [
        "Webinars",
        "Trade fair",
        "Volunteers",
    ]
    assert [e["node"] for e in org["initiatives"]["edges"]] == org["initiatives"]["nodes"]
    assert org["unaligned"]["nodes"] == [{"title": "Trade fair", "aligned": False}]
    assert [n["title"] for n in org["aligned"]["nodes"]] == ["Webinars", "Volunteers"]
    assert org["losing"]["nodes"] == [{"title": "Trade fair", "roi": -0.5}]
    assert org["firstOne"] == {"nodes": [{"title": "Webinars"}], "pageInfo": {"hasNextPage": True}}
    assert data["mql"]["initiatives"] == [
        {"title": "Webinars", "keyResults": [{"id": world.mql}]},
        {"title": "Volunteers", "keyResults": [{"id": world.mql}, {"id": world.deals}]},
    ]


async def test_a_carried_over_key_result_points_back_to_where_it_came_from(
    gql: Client, world: World
) -> None:
    carried = await gql.mutate(CARRY_OVER, id=world.mql, cycleId=world.quarters[1])
    made = carried["keyResult"]
    found = (await gql(KEY_RESULT_GRAPH, id=made["id"]))["node"]
    assert found["carriedOverFrom"] == {"id": world.mql}
    assert found["cycle"] == {"label": "2027-Q2"}
    copy = (await gql(OBJECTIVE_GRAPH, id=found["objective"]["id"]))["node"]
    assert copy["carriedOverFrom"] == {"id": world.funnel}
    assert copy["parent"]["id"] == world.global_objective
