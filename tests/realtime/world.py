"""An organization built through mutations only, for tests that watch it change, and the
subscription document they watch it with.

The quarter running now holds one objective, "Fill the funnel", with two key results:
Obtain 1,000 MQLs (Marketing, 0 → 1000, weight 1) and Increase closed sales (Sales, 40 → 50,
weight 2). Neither has a check-in yet: both stand at progress 0, PENDING.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from service.domain.calendar import quarter_spans

WATCH = """subscription Watch($scope: ID!) { progressChanged(scopeId: $scope) {
  sequence at node { id } previous { value status } current { value status }
  cause { id value keyResult { id } } } }"""

CHECK_IN = """mutation CheckIn($input: CheckInCreateInput!) { checkInCreate(input: $input) {
  checkIn { id value } userErrors { field message code } } }"""


def elapsed_share(now: datetime) -> float:
    """The share of the current quarter elapsed at `now`: the expected progress `e`."""
    quarter = next(q for q in quarter_spans(now.year) if q.starts_at <= now < q.ends_at)
    return (now - quarter.starts_at) / (quarter.ends_at - quarter.starts_at)


@dataclass(frozen=True)
class World:
    """The global ids of what `build` made."""

    org: str
    marketing: str
    sales: str
    quarter: str
    funnel: str
    mql: str
    deals: str


class GraphQL:
    """GraphQL over HTTP, failing the test on any top-level error or user error."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def mutate(self, query: str, field: str, **variables: Any) -> dict[str, Any]:
        payload: dict[str, Any] = (await self(query, **variables))[field]
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload

    async def check_in(self, key_result: str, value: float) -> str:
        """Record `value` on the key result now; the check-in's id."""
        payload = await self.mutate(
            CHECK_IN, "checkInCreate", input={"keyResultId": key_result, "value": value}
        )
        check_in_id: str = payload["checkIn"]["id"]
        return check_in_id


async def build(gql: GraphQL, *, slug: str, now: datetime | None = None) -> World:
    """The organization `slug` with its year, the current quarter's objective and two KRs."""
    now = now or datetime.now(UTC)
    errors = "userErrors { field message code }"
    org = (
        await gql.mutate(
            f"""mutation($input: OrganizationCreateInput!) {{ organizationCreate(input: $input) {{
                 organization {{ id }} {errors} }} }}""",
            "organizationCreate",
            input={"name": f"Org {slug}", "slug": slug, "mission": "Grow small businesses"},
        )
    )["organization"]["id"]
    department = f"""mutation($input: DepartmentCreateInput!) {{
        departmentCreate(input: $input) {{ department {{ id }} {errors} }} }}"""
    marketing = (
        await gql.mutate(
            department, "departmentCreate", input={"organizationId": org, "name": "Marketing"}
        )
    )["department"]["id"]
    sales = (
        await gql.mutate(
            department, "departmentCreate", input={"organizationId": org, "name": "Sales"}
        )
    )["department"]["id"]
    year = (
        await gql.mutate(
            f"""mutation($input: CycleCreateInput!) {{ cycleCreate(input: $input) {{
                 cycle {{ id children {{ id quarter }} }} {errors} }} }}""",
            "cycleCreate",
            input={"organizationId": org, "year": now.year},
        )
    )["cycle"]
    current = next(q for q in quarter_spans(now.year) if q.starts_at <= now < q.ends_at)
    quarter = next(c["id"] for c in year["children"] if c["quarter"] == current.quarter)
    objective = f"""mutation($input: ObjectiveCreateInput!) {{ objectiveCreate(input: $input) {{
        objective {{ id }} {errors} }} }}"""
    top = (
        await gql.mutate(
            objective,
            "objectiveCreate",
            input={"cycleId": year["id"], "title": "Increase the sales close rate by 20%"},
        )
    )["objective"]["id"]
    funnel = (
        await gql.mutate(
            objective,
            "objectiveCreate",
            input={"cycleId": quarter, "title": "Fill the funnel", "parentId": top},
        )
    )["objective"]["id"]
    key_result = f"""mutation($input: KeyResultCreateInput!) {{ keyResultCreate(input: $input) {{
        keyResult {{ id }} {errors} }} }}"""
    mql = (
        await gql.mutate(
            key_result,
            "keyResultCreate",
            input={
                "objectiveId": funnel,
                "title": "Obtain 1,000 MQLs",
                "startValue": 0,
                "targetValue": 1000,
                "departmentId": marketing,
            },
        )
    )["keyResult"]["id"]
    deals = (
        await gql.mutate(
            key_result,
            "keyResultCreate",
            input={
                "objectiveId": funnel,
                "title": "Increase closed sales by 25%",
                "startValue": 40,
                "targetValue": 50,
                "weight": 2,
                "departmentId": sales,
            },
        )
    )["keyResult"]["id"]
    return World(
        org=org,
        marketing=marketing,
        sales=sales,
        quarter=quarter,
        funnel=funnel,
        mql=mql,
        deals=deals,
    )
