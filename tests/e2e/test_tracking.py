"""End to end: the tracking features over HTTP against a real server, once each.

History with back-filled and retried check-ins, time travel, a series, the forecast, the
critical path, the health report, then closing the quarter and carrying a key result over.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from service.auth import Role, mint
from service.domain.calendar import quarter_spans
from tests.e2e.servers import serving

SECRET = "e2e-tracking-signing-key-of-thirty-two-chars"
SLUG = "acme-tracking"


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    token = mint(secret=SECRET, organization=SLUG, role=Role.ADMIN)
    with (
        serving("--memory", env={"OKRGRAPH_JWT_SECRET": SECRET}) as base,
        httpx.Client(
            base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}
        ) as client,
    ):
        yield client


def gql(http: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
    body = http.post("/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def made(http: httpx.Client, query: str, field: str, key: str, **variables: Any) -> str:
    payload = gql(http, query, **variables)[field]
    assert payload["userErrors"] == [], payload["userErrors"]
    found: str = payload[key]["id"]
    return found


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@pytest.mark.slow
def test_tracking_over_http(http: httpx.Client) -> None:
    now = datetime.now(UTC)
    quarter = next(q for q in quarter_spans(now.year) if q.starts_at <= now < q.ends_at)
    org = made(
        http,
        'mutation { organizationCreate(input: {name: "T", slug: "acme-tracking",'
        ' mission: "Grow"}) { organization { id } userErrors { code } } }',
        "organizationCreate",
        "organization",
    )
    team = made(
        http,
        "mutation($o: ID!) { departmentCreate(input: {organizationId: $o, name:"
        ' "Marketing"}) { department { id } userErrors { code } } }',
        "departmentCreate",
        "department",
        o=org,
    )
    year = gql(
        http,
        "mutation($o: ID!, $y: Int!) { cycleCreate(input: {organizationId: $o,"
        " year: $y}) { cycle { id children { id } } userErrors { code } } }",
        o=org,
        y=now.year,
    )["cycleCreate"]["cycle"]
    q = year["children"][(quarter.quarter or 1) - 1]["id"]
    objective = """mutation($c: ID!, $p: ID) { objectiveCreate(input: {cycleId: $c, title: "O",
      parentId: $p}) { objective { id } userErrors { code } } }"""
    top = made(http, objective, "objectiveCreate", "objective", c=year["id"])
    funnel = made(http, objective, "objectiveCreate", "objective", c=q, p=top)
    key_result = """mutation($o: ID!, $t: String!, $d: ID) { keyResultCreate(input:
      {objectiveId: $o, title: $t, startValue: 0, targetValue: 1000, departmentId: $d})
      { keyResult { id } userErrors { code } } }"""
    mql = made(http, key_result, "keyResultCreate", "keyResult", o=funnel, t="MQLs", d=team)
    deals = made(http, key_result, "keyResultCreate", "keyResult", o=funnel, t="Deals")
    gql(
        http,
        """mutation($k: ID!, $u: ID!) { keyResultDependencyAdd(input: {keyResultId: $k,
      dependsOnId: $u}) { userErrors { code } } }""",
        k=deals,
        u=mql,
    )

    elapsed = now - quarter.starts_at
    moments = [quarter.starts_at + elapsed * share for share in (0.25, 0.5, 0.75)]
    check_in = """mutation($k: ID!, $v: Float!, $at: DateTime!, $key: String) { checkInCreate(
      input: {keyResultId: $k, value: $v, recordedAt: $at, idempotencyKey: $key}) {
      checkIn { id } created userErrors { code } } }"""
    for at, value in zip(reversed(moments), (30.0, 20.0, 10.0), strict=True):  # newest first
        gql(http, check_in, k=mql, v=value, at=iso(at), key=f"mql-{value}")
    retried = gql(http, check_in, k=mql, v=30.0, at=iso(moments[-1]), key="mql-30.0")
    assert retried["checkInCreate"]["created"] is False  # a retry stores nothing new
    gql(http, check_in, k=deals, v=900.0, at=iso(moments[-1]), key=None)

    found = gql(
        http,
        """query($k: ID!, $d: ID!, $before: DateTime!, $from: DateTime!,
      $to: DateTime!, $o: ID!, $q: ID!) {
      mql: node(id: $k) { ... on KeyResult { checkIns { totalCount nodes { value } }
        forecast { basedOn trendingOffTrack } past: progress(asOf: $before) { status value }
        progressSeries(from: $from, to: $to, interval: DAY) { value } } }
      deals: node(id: $d) { ... on KeyResult { progress { status blockedBy { id } }
        criticalPath { id } pathToMission { level } } }
      organization(id: $o) { health(cycleId: $q) { findings { code node { id } } } } }""",
        k=mql,
        d=deals,
        before=iso(moments[0] - timedelta(seconds=1)),
        **{"from": iso(moments[-1]), "to": iso(moments[-1] + timedelta(days=2))},
        o=org,
        q=q,
    )
    assert found["mql"]["checkIns"] == {
        "totalCount": 3,
        "nodes": [{"value": 30.0}, {"value": 20.0}, {"value": 10.0}],
    }
    assert found["mql"]["forecast"] == {"basedOn": 3, "trendingOffTrack": True}
    assert found["mql"]["past"] == {"status": "PENDING", "value": 0.0}
    assert [p["value"] for p in found["mql"]["progressSeries"]] == [0.03, 0.03, 0.03]
    assert found["deals"]["progress"] == {"status": "AT_RISK", "blockedBy": [{"id": mql}]}
    assert found["deals"]["criticalPath"] == [{"id": mql}]
    assert [s["level"] for s in found["deals"]["pathToMission"]] == [
        "KEY_RESULT",
        "OBJECTIVE",
        "GLOBAL_OBJECTIVE",
        "MISSION",
    ]
    findings = {(f["code"], f["node"]["id"]) for f in found["organization"]["health"]["findings"]}
    assert ("DEPENDENCY_RISK", deals) in findings
    assert ("KEY_RESULT_WITHOUT_DEPARTMENT", deals) in findings

    closed = gql(
        http,
        "mutation($c: ID!) { cycleClose(id: $c) { cycle { closed } userErrors { code } } }",
        c=q,
    )["cycleClose"]
    assert closed == {"cycle": {"closed": True}, "userErrors": []}
    late = gql(http, check_in, k=mql, v=40.0, at=iso(moments[-1]), key=None)
    assert late["checkInCreate"]["userErrors"] == [{"code": "CYCLE_CLOSED"}]
    score = gql(http, "query($k: ID!) { node(id: $k) { ... on KeyResult { score } } }", k=mql)
    assert score["node"]["score"] == 0.03
