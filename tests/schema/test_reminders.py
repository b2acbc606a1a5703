"""Organization.checkInsDue: the key results of a cycle due a check-in, grouped by owner, with
how late they are; the cadence is the organization's policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from service.okrs.reminders import notify_due
from tests.schema.conftest import NOW, Client, World, local_id, org_of
from tests.schema.operations import ORGANIZATION_UPDATE

DUE = """query($org: ID!, $cycle: ID!) { organization(id: $org) { checkInsDue(cycleId: $cycle) {
  owner { name } dueSince late lateSeconds
  keyResults { dueSince silentSince late lateSeconds keyResult { id title } } } } }"""

# The world's MQLs were checked in on Feb 10 at noon; the deals, created at NOW (Feb 15), never.
LATER = NOW + timedelta(days=10)


async def due(gql: Client, world: World, cycle: str | None = None) -> list[dict[str, Any]]:
    data = await gql(DUE, org=world.org, cycle=cycle or world.quarters[0])
    found: list[dict[str, Any]] = data["organization"]["checkInsDue"]
    return found


async def test_nothing_is_due_within_a_week_of_the_last_check_in(gql: Client, world: World) -> None:
    assert await due(gql, world) == []


async def test_due_key_results_are_grouped_by_owner_with_how_late_they_are(
    gql: Client, world: World
) -> None:
    later = Client(gql.store, now=LATER)
    found = await due(later, world)
    assert [g["owner"] for g in found] == [{"name": "Marta"}, None]
    marta, nobody = found
    (mql,) = marta["keyResults"]
    assert mql["keyResult"]["id"] == world.mql
    assert mql["silentSince"] == "2027-02-10T12:00:00+00:00"
    assert mql["dueSince"] == "2027-02-17T12:00:00+00:00"
    assert (mql["late"], mql["lateSeconds"]) == ("P7DT12H", 7.5 * 86_400)
    assert (marta["dueSince"], marta["late"]) == (mql["dueSince"], mql["late"])
    (deals,) = nobody["keyResults"]
    assert deals["keyResult"]["id"] == world.deals
    assert deals["silentSince"] == NOW.isoformat()
    assert (deals["dueSince"], deals["late"]) == ("2027-02-22T00:00:00+00:00", "P3D")
    # The year holds its quarters: asked of the year, the same key results are due.
    assert await due(later, world, world.year) == found
    # Another quarter holds none.
    assert await due(later, world, world.quarters[1]) == []


async def test_the_cadence_is_the_organizations_policy(gql: Client, world: World) -> None:
    later = Client(gql.store, now=LATER)
    done = await gql.mutate(
        ORGANIZATION_UPDATE, id=world.org, input={"policy": {"checkInCadenceDays": 21}}
    )
    assert done["organization"]["policy"]["checkInCadenceDays"] == 21
    assert await due(later, world) == []
    (marta,) = await due(Client(gql.store, now=NOW + timedelta(days=20)), world)
    assert marta["owner"] == {"name": "Marta"}
    assert marta["dueSince"] == "2027-03-03T12:00:00+00:00"


async def test_a_closed_cycle_has_nothing_due(gql: Client, world: World) -> None:
    await gql.mutate(
        "mutation($id: ID!) { cycleClose(id: $id) { cycle { id } userErrors { code } } }",
        id=world.quarters[0],
    )
    assert await due(Client(gql.store, now=LATER), world) == []


async def test_an_unknown_cycle_is_an_error(gql: Client, world: World) -> None:
    result = await gql.raw(DUE, org=world.org, cycle=world.mql)
    assert result.errors
    assert (result.errors[0].extensions or {}).get("code") in ("NOT_FOUND", "INVALID_ID")


AUDIT = """query($org: ID!) { organization(id: $org) { changes(first: 1) {
  nodes { kind actor node { id } before after } } } }"""


async def test_a_notice_is_a_change_the_audit_trail_shows(gql: Client, world: World) -> None:
    org = org_of(world.org)
    due = datetime(2027, 2, 17, 12, tzinfo=UTC)
    assert await notify_due(
        writer=gql.writer, org_id=org, key_result_id=local_id(world.mql), due=due, now=LATER
    )
    (change,) = (await gql(AUDIT, org=world.org))["organization"]["changes"]["nodes"]
    assert (change["kind"], change["actor"], change["node"]) == (
        "checkInDue",
        None,
        {"id": world.mql},
    )
    assert change["before"] is None
    assert change["after"] == {
        "checkInDue": {
            "keyResultId": world.mql,
            "ownerId": world.marta,
            "dueAt": "2027-02-17T12:00:00+00:00",
            "silentSince": "2027-02-10T12:00:00+00:00",
        }
    }
