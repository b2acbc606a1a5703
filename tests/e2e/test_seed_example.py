"""End to end: a real `okrgraph serve --memory` process, the seed's example built from an empty
store through mutations only, and every rolled-up number checked against arithmetic done here.

The server reads the real clock, so the numbers are worked out from the share `e` of the current
quarter that has elapsed; check-in values are chosen as multiples of `e`, far from every status
threshold, so the statuses do not depend on the day the test runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from service.auth import Role, mint
from service.domain.calendar import quarter_spans, year_span
from tests.e2e.servers import serving

SECRET = "e2e-signing-key-of-at-least-thirty-two-characters"
SLUG = "acme-e2e"
# The server reads the clock a moment after the test: 1e-4 of a quarter is about 13 minutes.
CLOSE = 1e-4


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The base URL of a server with authentication on, for this module."""
    with serving("--memory", env={"OKRGRAPH_JWT_SECRET": SECRET}) as base:
        yield base


class Client:
    """GraphQL over HTTP against the server, failing the test on any top-level error."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def mutate(self, query: str, field: str, **variables: Any) -> dict[str, Any]:
        """Run a mutation and return its payload, asserting it was not refused."""
        payload: dict[str, Any] = self(query, **variables)[field]
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


PROGRESS = "{ value attainment expected status blockedBy { id title } explanation { formula } }"


@pytest.fixture
def gql(server: str) -> Iterator[Client]:
    """A client holding an admin token for the organization the test creates."""
    token = mint(secret=SECRET, organization=SLUG, role=Role.ADMIN, subject="e2e")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server, timeout=30, headers=headers) as http:
        yield Client(http)


@pytest.mark.slow
def test_the_seed_example_built_through_mutations_rolls_up_as_worked_out_by_hand(
    gql: Client,
) -> None:
    now = datetime.now(UTC)
    quarter = next(q for q in quarter_spans(now.year) if q.starts_at <= now < q.ends_at)
    length = quarter.ends_at - quarter.starts_at
    e = (now - quarter.starts_at) / length  # the share of the quarter elapsed: expected progress

    org = gql.mutate(
        """mutation($input: OrganizationCreateInput!) { organizationCreate(input: $input) {
             organization { id slug } userErrors { field message code } } }""",
        "organizationCreate",
        input={"name": "Acme Inbound", "slug": SLUG, "mission": "Grow small businesses"},
    )["organization"]
    department = """mutation($input: DepartmentCreateInput!) { departmentCreate(input: $input) {
                      department { id name } userErrors { field message code } } }"""
    marketing = gql.mutate(
        department, "departmentCreate", input={"organizationId": org["id"], "name": "Marketing"}
    )["department"]
    sales = gql.mutate(
        department, "departmentCreate", input={"organizationId": org["id"], "name": "Sales"}
    )["department"]
    year = gql.mutate(
        """mutation($input: CycleCreateInput!) { cycleCreate(input: $input) {
             cycle { id label children { id quarter } } userErrors { field message code } } }""",
        "cycleCreate",
        input={"organizationId": org["id"], "year": now.year},
    )["cycle"]
    assert [c["quarter"] for c in year["children"]] == [1, 2, 3, 4]
    quarter_id = year["children"][(quarter.quarter or 1) - 1]["id"]

    objective = """mutation($input: ObjectiveCreateInput!) { objectiveCreate(input: $input) {
                     objective { id } userErrors { field message code } } }"""
    global_objective = gql.mutate(
        objective,
        "objectiveCreate",
        input={"cycleId": year["id"], "title": "Increase the sales close rate by 20%"},
    )["objective"]
    funnel = gql.mutate(
        objective,
        "objectiveCreate",
        input={
            "cycleId": quarter_id,
            "title": "Fill the funnel",
            "parentId": global_objective["id"],
        },
    )["objective"]

    key_result = """mutation($input: KeyResultCreateInput!) { keyResultCreate(input: $input) {
                      keyResult { id kind } userErrors { field message code } } }"""
    mql = gql.mutate(
        key_result,
        "keyResultCreate",
        input={
            "objectiveId": funnel["id"],
            "title": "Obtain 1,000 MQLs",
            "startValue": 0,
            "targetValue": 1000,
            "departmentId": marketing["id"],
        },
    )["keyResult"]
    deals = gql.mutate(
        key_result,
        "keyResultCreate",
        input={
            "objectiveId": funnel["id"],
            "title": "Increase closed sales by 25%",
            "startValue": 40,
            "targetValue": 50,
            "weight": 2,
            "departmentId": sales["id"],
        },
    )["keyResult"]
    assert mql["kind"] == deals["kind"] == "INCREASE"  # inferred: target above start
    gql.mutate(
        """mutation($input: KeyResultDependencyAddInput!) { keyResultDependencyAdd(input: $input) {
             keyResult { dependsOn { id } } userErrors { field message code } } }""",
        "keyResultDependencyAdd",
        input={"keyResultId": deals["id"], "dependsOnId": mql["id"]},
    )

    check_in = """mutation($input: CheckInCreateInput!) { checkInCreate(input: $input) {
                    checkIn { id value } created keyResult { currentValue }
                    userErrors { field message code } } }"""
    latest = max(quarter.starts_at + timedelta(seconds=1), now - timedelta(seconds=30))
    earlier = quarter.starts_at + (latest - quarter.starts_at) / 2
    # MQL: newest value 300·e MQLs, progress 0.3·e < 0.5·e: OFF_TRACK. An older, higher check-in
    # sent last must not win: the newest by recordedAt counts.
    mql_value = 1000 * 0.3 * e
    gql.mutate(
        check_in,
        "checkInCreate",
        input={"keyResultId": mql["id"], "value": mql_value, "recordedAt": iso(latest)},
    )
    stored = gql.mutate(
        check_in,
        "checkInCreate",
        input={"keyResultId": mql["id"], "value": 900, "recordedAt": iso(earlier)},
    )
    assert stored["keyResult"]["currentValue"] == pytest.approx(mql_value)
    # Deals: 40 + 10·e, progress e >= 0.75·e: on pace, but held back by the late MQLs: AT_RISK.
    gql.mutate(
        check_in,
        "checkInCreate",
        input={"keyResultId": deals["id"], "value": 40 + 10 * e, "recordedAt": iso(latest)},
    )

    data = gql(
        f"""query($org: ID!, $mql: ID!, $deals: ID!, $funnel: ID!, $q: ID!, $y: ID!,
                  $marketing: ID!, $sales: ID!, $year: Int!) {{
          organization(id: $org) {{ progress(year: $year) {PROGRESS}
            globalObjective(year: $year) {{ title progress {PROGRESS} }} }}
          mql: node(id: $mql) {{ ... on KeyResult {{ currentValue progress {PROGRESS} }} }}
          deals: node(id: $deals) {{ ... on KeyResult {{ currentValue progress {PROGRESS} }} }}
          funnel: node(id: $funnel) {{ ... on Objective {{ progress {PROGRESS} }} }}
          quarter: node(id: $q) {{ ... on Cycle {{ progress {PROGRESS} }} }}
          year: node(id: $y) {{ ... on Cycle {{ progress {PROGRESS} }} }}
          marketing: node(id: $marketing) {{ ...team }}
          sales: node(id: $sales) {{ ...team }}
        }}
        fragment team on Department {{ progress(cycleId: $q) {PROGRESS} }}""",
        org=org["id"],
        mql=mql["id"],
        deals=deals["id"],
        funnel=funnel["id"],
        q=quarter_id,
        y=year["id"],
        marketing=marketing["id"],
        sales=sales["id"],
        year=now.year,
    )
    quarter_share = pytest.approx(e, abs=CLOSE)  # expected progress of the quarter, read later

    mql_progress = data["mql"]["progress"]
    assert mql_progress["value"] == pytest.approx(0.3 * e, abs=CLOSE)
    assert mql_progress["attainment"] == pytest.approx(0.3 * e, abs=CLOSE)
    assert mql_progress["expected"] == quarter_share
    assert mql_progress["status"] == "OFF_TRACK"
    assert mql_progress["blockedBy"] == []

    deals_progress = data["deals"]["progress"]
    assert data["deals"]["currentValue"] == pytest.approx(40 + 10 * e)
    assert deals_progress["value"] == pytest.approx(e, abs=CLOSE)
    assert deals_progress["status"] == "AT_RISK"
    assert [b["id"] for b in deals_progress["blockedBy"]] == [mql["id"]]

    # The objective: (1·0.3e + 2·e) / (1 + 2) = 2.3e / 3; status the weakest child: OFF_TRACK.
    funnel_value = (1 * 0.3 * e + 2 * e) / 3
    for scope in (data["funnel"], data["quarter"]):
        assert scope["progress"]["value"] == pytest.approx(funnel_value, abs=CLOSE)
        assert scope["progress"]["status"] == "OFF_TRACK"
    # The global objective has one child, the funnel objective: the same value, up the tree,
    # and the organization's progress for the year is its global objective's.
    whole_year = year_span(now.year)
    year_share = (now - whole_year.starts_at) / (whole_year.ends_at - whole_year.starts_at)
    for progress in (
        data["organization"]["progress"],
        data["organization"]["globalObjective"]["progress"],
        data["year"]["progress"],
    ):
        assert progress["value"] == pytest.approx(funnel_value, abs=CLOSE)
        assert progress["status"] == "OFF_TRACK"
        assert progress["expected"] == pytest.approx(year_share, abs=CLOSE)
    # Departments: Marketing owns only the MQLs, Sales only the deals.
    assert data["marketing"]["progress"]["value"] == pytest.approx(0.3 * e, abs=CLOSE)
    assert data["marketing"]["progress"]["status"] == "OFF_TRACK"
    assert data["sales"]["progress"]["value"] == pytest.approx(e, abs=CLOSE)
    assert data["sales"]["progress"]["status"] == "AT_RISK"
