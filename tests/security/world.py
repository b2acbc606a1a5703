"""Two organizations, alpha and beta, built through the API with their admins' tokens, over a
mongomock database the corpus can read raw."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from schema.ids import parse_global_id, to_global_id
from tests.security.model import NEVER, Ids

# Mid Q1 2027, as the other schema tests: every cycle below is current or ahead.
NOW = datetime(2027, 2, 15, tzinfo=UTC)
ERRORS = "userErrors { field message code }"

BUILD = {
    "org": f"""mutation($input: OrganizationCreateInput!) {{
      organizationCreate(input: $input) {{ organization {{ id }} {ERRORS} }} }}""",
    "department": f"""mutation($input: DepartmentCreateInput!) {{
      departmentCreate(input: $input) {{ department {{ id }} {ERRORS} }} }}""",
    "cycle": f"""mutation($input: CycleCreateInput!) {{
      cycleCreate(input: $input) {{ cycle {{ id children {{ id }} }} {ERRORS} }} }}""",
    "objective": f"""mutation($input: ObjectiveCreateInput!) {{
      objectiveCreate(input: $input) {{ objective {{ id }} {ERRORS} }} }}""",
    "key_result": f"""mutation($input: KeyResultCreateInput!) {{
      keyResultCreate(input: $input) {{ keyResult {{ id }} {ERRORS} }} }}""",
    "dependency": f"""mutation($input: KeyResultDependencyAddInput!) {{
      keyResultDependencyAdd(input: $input) {{ keyResult {{ id }} {ERRORS} }} }}""",
    "check_in": f"""mutation($input: CheckInCreateInput!) {{
      checkInCreate(input: $input) {{ checkIn {{ id }} {ERRORS} }} }}""",
    "step": f"""mutation($input: ActionStepAddInput!) {{
      actionStepAdd(input: $input) {{ actionStep {{ id }} {ERRORS} }} }}""",
    "initiative": f"""mutation($input: InitiativeCreateInput!) {{
      initiativeCreate(input: $input) {{ initiative {{ id }} {ERRORS} }} }}""",
    "member": f"""mutation($input: MemberInviteInput!) {{
      memberInvite(input: $input) {{ member {{ id }} {ERRORS} }} }}""",
}


async def _mutate(client: httpx.AsyncClient, token: str, what: str, **input: Any) -> Any:
    response = await client.post(
        "/graphql",
        json={"query": BUILD[what], "variables": {"input": input}},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    assert payload["userErrors"] == [], payload
    return payload


async def build_organization(client: httpx.AsyncClient, token: str, slug: str) -> Ids:
    """An organization with one of everything (a member too), made by its admin through the
    API."""
    org = (await _mutate(client, token, "org", name=f"{slug} Inc.", slug=slug))["organization"]
    department = await _mutate(client, token, "department", organizationId=org["id"], name="Ops")
    year = (await _mutate(client, token, "cycle", organizationId=org["id"], year=2027))["cycle"]
    q1, q2 = (c["id"] for c in year["children"][:2])
    root = await _mutate(client, token, "objective", cycleId=year["id"], title="Grow")
    child = await _mutate(
        client,
        token,
        "objective",
        cycleId=q1,
        title="Fill the funnel",
        parentId=root["objective"]["id"],
        departmentId=department["department"]["id"],
    )
    krs = [
        (
            await _mutate(
                client,
                token,
                "key_result",
                objectiveId=child["objective"]["id"],
                title=title,
                startValue=0,
                targetValue=100,
                departmentId=department["department"]["id"],
            )
        )["keyResult"]["id"]
        for title in ("Leads", "Deals")
    ]
    await _mutate(client, token, "dependency", keyResultId=krs[1], dependsOnId=krs[0])
    check_in = await _mutate(
        client, token, "check_in", keyResultId=krs[1], value=10, recordedAt="2027-02-10T12:00:00Z"
    )
    step = await _mutate(client, token, "step", objectiveId=child["objective"]["id"], title="Ads")
    initiative = await _mutate(
        client,
        token,
        "initiative",
        organizationId=org["id"],
        title="SEO",
        cost=1,
        expectedValue=2,
        keyResultIds=[krs[1]],
    )
    member = await _mutate(
        client, token, "member", organizationId=org["id"], name="Mia", email=f"mia@{slug}.example"
    )
    return Ids(
        org=org["id"],
        department=department["department"]["id"],
        year=year["id"],
        cycle=q1,
        later=q2,
        objective=root["objective"]["id"],
        child=child["objective"]["id"],
        key_result=krs[1],
        upstream=krs[0],
        check_in=check_in["checkIn"]["id"],
        action_step=step["actionStep"]["id"],
        initiative=initiative["initiative"]["id"],
        member=member["member"]["id"],
    )


def nowhere(ids: Ids) -> Ids:
    """Ids of the same types in the same organization that name nothing."""
    found = parse_global_id(ids.org)
    assert found is not None
    org = found.org_id

    def forged(global_id: str) -> str:
        kind = parse_global_id(global_id)
        assert kind is not None
        if kind.type_name == "Organization":
            return to_global_id("Organization", NEVER, NEVER)
        return to_global_id(kind.type_name, org, NEVER)

    return Ids(**{name: forged(value) for name, value in vars(ids).items()})


async def snapshot(database: Any) -> dict[str, list[dict[str, Any]]]:
    """Every document of every collection, in a stable order."""
    found: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(await database.list_collection_names()):
        docs = await database[name].find({}).to_list(None)
        found[name] = sorted(docs, key=lambda d: str(d["_id"]))
    return found
