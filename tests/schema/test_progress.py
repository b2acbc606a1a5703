"""The numbers (DOMAIN.md §3), each worked out by hand, and how they explain themselves.

The world at NOW (2027-02-15): Q1 is 45 of its 90 days in, so its expected progress is 0.5;
the year is 45 of 365 days in. MQLs go 0 -> 1000 (weight 1) and stand at 400; deals go
40 -> 50 (weight 2) with no check-in yet and wait on the MQLs.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.schema.conftest import Client, World
from tests.schema.operations import CHECK_IN_CREATE

YEAR_EXPECTED = 45 / 365

PROGRESS = "value attainment expected status blockedBy { id }"

EVERY_PROGRESS = f"""
query Progress($org: ID!, $q1: ID!, $year: ID!, $q2: ID!, $funnel: ID!, $mql: ID!, $deals: ID!,
               $marketing: ID!, $sales: ID!) {{
  organization(id: $org) {{
    progress(year: 2027) {{ {PROGRESS} }}
    noGlobalObjective: progress(year: 2028) {{ value status explanation {{ formula }} }}
  }}
  yearCycle: node(id: $year) {{ ... on Cycle {{ progress {{ {PROGRESS} }} }} }}
  q1: node(id: $q1) {{ ... on Cycle {{ progress {{ {PROGRESS} }} }} }}
  q2: node(id: $q2) {{ ... on Cycle {{ progress {{ {PROGRESS} }} }} }}
  funnel: node(id: $funnel) {{ ... on Objective {{ progress {{ {PROGRESS} }} }} }}
  mql: node(id: $mql) {{ ... on KeyResult {{ progress {{ {PROGRESS} }} }} }}
  deals: node(id: $deals) {{ ... on KeyResult {{ progress {{ {PROGRESS} }} }} }}
  marketing: node(id: $marketing) {{
    ... on Department {{
      q1: progress(cycleId: $q1) {{ {PROGRESS} }}
      year: progress(cycleId: $year) {{ {PROGRESS} }}
    }}
  }}
  sales: node(id: $sales) {{ ... on Department {{ progress(cycleId: $q1) {{ {PROGRESS} }} }} }}
}}
"""

EXPLANATION = """
query Explanation($id: ID!) {
  node(id: $id) {
    ... on Objective {
      progress {
        explanation {
          formula statusReason
          policy { name value }
          inputs { label value weight nodeId node { __typename id } }
        }
      }
    }
    ... on KeyResult {
      progress { explanation { formula statusReason inputs { label value weight nodeId } } }
    }
  }
}
"""

AS_OF = """
query AsOf($mql: ID!, $org: ID!) {
  mql: node(id: $mql) {
    ... on KeyResult {
      before: progress(asOf: "2027-02-09T00:00:00Z") { value status }
      after: progress(asOf: "2027-02-11T00:00:00Z") { value status }
    }
  }
  organization(id: $org) { progress(year: 2027, asOf: "2027-02-09T00:00:00Z") { value } }
}
"""

BLOCKED = """
query Blocked($deals: ID!, $funnel: ID!) {
  deals: node(id: $deals) {
    ... on KeyResult {
      progress { value status blockedBy { id title } explanation { statusReason } }
      criticalPath { id }
    }
  }
  funnel: node(id: $funnel) { ... on Objective { progress { value status } } }
}
"""

SERIES = """
query Series($org: ID!, $q1: ID!, $funnel: ID!, $mql: ID!, $marketing: ID!) {
  organization(id: $org) {
    progressSeries(year: 2027, from: "2027-02-01T00:00:00Z", to: "2027-02-15T00:00:00Z",
                   interval: WEEK) { at value expected status }
  }
  q1: node(id: $q1) {
    ... on Cycle {
      progressSeries(from: "2027-02-01T00:00:00Z", to: "2027-02-15T00:00:00Z", interval: WEEK) {
        value
      }
    }
  }
  funnel: node(id: $funnel) {
    ... on Objective {
      progressSeries(from: "2027-02-14T00:00:00Z", to: "2027-02-15T00:00:00Z", interval: DAY) {
        value
      }
    }
  }
  mql: node(id: $mql) {
    ... on KeyResult {
      progressSeries(from: "2027-01-01T00:00:00Z", to: "2027-02-15T00:00:00Z", interval: MONTH) {
        at value status
      }
    }
  }
  marketing: node(id: $marketing) {
    ... on Department {
      progressSeries(cycleId: $q1, from: "2027-02-10T00:00:00Z", to: "2027-02-11T00:00:00Z",
                     interval: DAY) { value }
    }
  }
}
"""


def world_ids(world: World) -> dict[str, str]:
    return {
        "org": world.org,
        "year": world.year,
        "q1": world.quarters[0],
        "q2": world.quarters[1],
        "funnel": world.funnel,
        "mql": world.mql,
        "deals": world.deals,
        "marketing": world.marketing,
        "sales": world.sales,
    }


async def test_every_progress_number_matches_the_hand_computed_rollup(
    gql: Client, world: World
) -> None:
    data = await gql(EVERY_PROGRESS, **world_ids(world))
    # MQLs: (400 - 0) / (1000 - 0) = 0.4 >= 0.75 x 0.5 = 0.375 -> ON_TRACK.
    assert data["mql"]["progress"] == {
        "value": pytest.approx(0.4),
        "attainment": pytest.approx(0.4),
        "expected": pytest.approx(0.5),
        "status": "ON_TRACK",
        "blockedBy": [],
    }
    # Deals: (40 - 40) / (50 - 40) = 0, no check-in -> PENDING ("silence is never green").
    assert data["deals"]["progress"] == {
        "value": 0.0,
        "attainment": 0.0,
        "expected": pytest.approx(0.5),
        "status": "PENDING",
        "blockedBy": [],
    }
    # Q1 objective: (1 x 0.4 + 2 x 0) / (1 + 2) = 0.1333..; weakest of ON_TRACK, PENDING.
    funnel: dict[str, Any] = {
        "value": pytest.approx(0.4 / 3),
        "attainment": None,
        "expected": pytest.approx(0.5),
        "status": "PENDING",
        "blockedBy": [],
    }
    assert data["funnel"]["progress"] == funnel
    # Q1's only top-level objective is the funnel (its parent lives in the YEAR cycle).
    assert data["q1"]["progress"] == funnel
    # The global objective has one child, the funnel (weight 1): 0.1333.., paced by the year.
    year = {**funnel, "expected": pytest.approx(YEAR_EXPECTED)}
    assert data["yearCycle"]["progress"] == year
    assert data["organization"]["progress"] == year
    # 2028 has no global objective yet: nothing to measure, not 0.
    assert data["organization"]["noGlobalObjective"] == {
        "value": None,
        "status": "PENDING",
        "explanation": {
            "formula": "organization (no global objective yet): nothing to measure (null)"
        },
    }
    # Q2 has nothing in it: no number, and it has not started (expected 0).
    assert data["q2"]["progress"]["value"] is None
    assert data["q2"]["progress"]["expected"] == 0.0
    # Marketing owns only the MQLs: 0.4; over the year the pace is the year's.
    assert data["marketing"]["q1"]["value"] == pytest.approx(0.4)
    assert data["marketing"]["q1"]["status"] == "ON_TRACK"
    assert data["marketing"]["year"]["value"] == pytest.approx(0.4)
    assert data["marketing"]["year"]["expected"] == pytest.approx(YEAR_EXPECTED)
    # Sales owns only the deals: 0, PENDING.
    assert data["sales"]["progress"]["value"] == 0.0
    assert data["sales"]["progress"]["status"] == "PENDING"


async def test_an_objective_explains_its_rollup_with_inputs_that_resolve_to_nodes(
    gql: Client, world: World
) -> None:
    explained = (await gql(EXPLANATION, id=world.funnel))["node"]["progress"]["explanation"]
    assert explained["formula"] == (
        "objective: sum(w_i * p_i) / sum(w_i) = (1*0.4 + 2*0) / (1 + 2) = 0.133333"
    )
    assert explained["statusReason"] == "weakest of its children: PENDING"
    assert explained["policy"] == [
        {"name": "onTrackRatio", "value": 0.75},
        {"name": "atRiskRatio", "value": 0.5},
    ]
    assert explained["inputs"] == [
        {
            "label": "Obtain 1,000 MQLs",
            "value": pytest.approx(0.4),
            "weight": 1.0,
            "nodeId": world.mql,
            "node": {"__typename": "KeyResult", "id": world.mql},
        },
        {
            "label": "Increase closed sales by 25%",
            "value": 0.0,
            "weight": 2.0,
            "nodeId": world.deals,
            "node": {"__typename": "KeyResult", "id": world.deals},
        },
    ]
    root = (await gql(EXPLANATION, id=world.global_objective))["node"]["progress"]
    (child,) = root["explanation"]["inputs"]
    assert child["node"] == {"__typename": "Objective", "id": world.funnel}


async def test_a_key_result_explains_its_formula_with_the_values_put_in(
    gql: Client, world: World
) -> None:
    explained = (await gql(EXPLANATION, id=world.mql))["node"]["progress"]["explanation"]
    assert explained["formula"] == (
        "INCREASE: clamp((current - start) / (target - start), 0, 1)"
        " = clamp((400 - 0) / (1000 - 0), 0, 1) = 0.4"
    )
    assert explained["statusReason"] == "progress 0.4 >= 0.75 x expected 0.5"
    assert [(i["label"], i["value"], i["nodeId"]) for i in explained["inputs"]] == [
        ("start", 0.0, None),
        ("target", 1000.0, None),
        ("current", 400.0, None),
    ]


async def test_progress_as_of_an_earlier_instant_uses_the_check_ins_made_by_then(
    gql: Client, world: World
) -> None:
    data = await gql(AS_OF, mql=world.mql, org=world.org)
    # The only check-in is on Feb 10: on Feb 9 the MQLs stood at their start.
    assert data["mql"]["before"] == {"value": 0.0, "status": "PENDING"}
    assert data["mql"]["after"] == {"value": pytest.approx(0.4), "status": "ON_TRACK"}
    assert data["organization"]["progress"]["value"] == 0.0


async def test_an_on_track_key_result_is_held_back_by_a_lagging_upstream(
    gql: Client, world: World
) -> None:
    at = "2027-02-12T00:00:00Z"
    await gql.mutate(
        CHECK_IN_CREATE, input={"keyResultId": world.deals, "value": 45, "recordedAt": at}
    )
    await gql.mutate(
        CHECK_IN_CREATE, input={"keyResultId": world.mql, "value": 300, "recordedAt": at}
    )
    data = await gql(BLOCKED, deals=world.deals, funnel=world.funnel)
    deals = data["deals"]
    # Deals: (45 - 40) / 10 = 0.5 >= 0.375 would be ON_TRACK, but the MQLs are at
    # 300 / 1000 = 0.3, between 0.5 x 0.5 = 0.25 and 0.375: AT_RISK, so the deals are too.
    assert deals["progress"]["value"] == pytest.approx(0.5)
    assert deals["progress"]["status"] == "AT_RISK"
    assert deals["progress"]["blockedBy"] == [{"id": world.mql, "title": "Obtain 1,000 MQLs"}]
    assert deals["progress"]["explanation"]["statusReason"].endswith(
        "held back by upstream: Obtain 1,000 MQLs"
    )
    assert deals["criticalPath"] == [{"id": world.mql}]
    # Funnel: (1 x 0.3 + 2 x 0.5) / 3 = 1.3 / 3 = 0.4333..; both children AT_RISK.
    assert data["funnel"]["progress"] == {"value": pytest.approx(1.3 / 3), "status": "AT_RISK"}


async def test_progress_series_give_one_point_per_step(gql: Client, world: World) -> None:
    ids = world_ids(world)
    data = await gql(SERIES, **{k: ids[k] for k in ("org", "q1", "funnel", "mql", "marketing")})
    points = data["organization"]["progressSeries"]
    # Feb 1, Feb 8, Feb 15: the check-in of Feb 10 shows only in the last point.
    assert [p["at"] for p in points] == [
        "2027-02-01T00:00:00+00:00",
        "2027-02-08T00:00:00+00:00",
        "2027-02-15T00:00:00+00:00",
    ]
    assert [p["value"] for p in points] == [0.0, 0.0, pytest.approx(0.4 / 3)]
    # The year's pace: 31 / 365, 38 / 365, 45 / 365.
    assert [p["expected"] for p in points] == [
        pytest.approx(31 / 365),
        pytest.approx(38 / 365),
        pytest.approx(45 / 365),
    ]
    assert [p["status"] for p in points] == ["PENDING"] * 3
    assert [p["value"] for p in data["q1"]["progressSeries"]] == [0.0, 0.0, pytest.approx(0.4 / 3)]
    assert [p["value"] for p in data["funnel"]["progressSeries"]] == [pytest.approx(0.4 / 3)] * 2
    mql = data["mql"]["progressSeries"]
    assert [(p["at"][:10], p["status"]) for p in mql] == [
        ("2027-01-01", "PENDING"),
        ("2027-02-01", "PENDING"),
    ]
    # The check-in is at noon on Feb 10: not yet at midnight, in by the next one.
    assert [p["value"] for p in data["marketing"]["progressSeries"]] == [0.0, pytest.approx(0.4)]
