"""What the scheduler writes when time makes something due changes no number anyone reads: an
override's expiry leaves `asOf`, `progressSeries` and the history as they were (it expired at
`expiresAt`, nobody cleared it), an arriving check-in leaves the key result's numbers as they
were, and the audit trail shows each as a change without an actor."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from service.okrs.due_changes import ARRIVAL, EXPIRY
from service.outbound.lease import Leases
from service.scheduler import ReminderScheduler
from tests.schema.conftest import NOW, Client, World
from tests.schema.operations import OVERRIDE_FIELDS, OVERRIDE_SET
from tests.schema.test_overrides import REASON, SERIES, above

OBJECTIVE = (
    f"""query($id: ID!) {{ node(id: $id) {{ ... on Objective {{ {OVERRIDE_FIELDS} }} }} }}"""
)
KEY_RESULT = """query($id: ID!, $at: DateTime) { node(id: $id) { ... on KeyResult {
  currentValue progress(asOf: $at) { value status } } } }"""
CHECK_IN = """mutation($kr: ID!, $value: Float!, $at: DateTime) { checkInCreate(input:
  {keyResultId: $kr, value: $value, recordedAt: $at}) { checkIn { id } userErrors { code } } }"""
AUDIT = """query($org: ID!, $kind: String!) { organization(id: $org) {
  changes(first: 5, filter: {kind: $kind}) { nodes { kind actor node { id } before after } } } }"""


async def run_scheduler(client: Client, at: datetime) -> int:
    scheduler = ReminderScheduler(
        client.store,
        client.reads,
        client.writer,
        leases=Leases(client.store, holder="one", clock=lambda: at),
        clock=lambda: at,
    )
    return await scheduler.run_once()


async def readings(client: Client, world: World, instants: list[datetime]) -> list[Any]:
    found: list[Any] = [await above(client, world, t.isoformat()) for t in instants]
    series = await client(
        SERIES,
        id=world.funnel,
        **{
            "from": (NOW - timedelta(days=1)).isoformat(),
            "to": (NOW + timedelta(days=5)).isoformat(),
        },
    )
    found.append(series["node"]["progressSeries"])
    return found


async def test_an_expiry_changes_no_reading_and_the_history_says_it_expired(
    gql: Client, world: World
) -> None:
    until = NOW + timedelta(days=3)
    await gql.mutate(
        OVERRIDE_SET,
        input={
            "objectiveId": world.funnel,
            "value": 0.9,
            "reason": REASON,
            "expiresAt": until.isoformat(),
        },
    )
    later = Client(gql.store, now=until + timedelta(hours=1))
    instants = [NOW - timedelta(seconds=1), NOW, until - timedelta(seconds=1), until]
    before = await readings(later, world, instants)
    history = (await later(OBJECTIVE, id=world.funnel))["node"]["progressOverrides"]
    assert await run_scheduler(later, until + timedelta(hours=1)) >= 1  # due notices besides
    fresh = Client(gql.store, now=until + timedelta(hours=1))
    assert await readings(fresh, world, instants) == before
    assert (await fresh(OBJECTIVE, id=world.funnel))["node"]["progressOverrides"] == history
    (entry,) = history
    assert (entry["expiresAt"], entry["clearedAt"], entry["clearedBy"]) == (
        until.isoformat(),
        None,
        None,
    )
    found = await fresh(AUDIT, org=world.org, kind=EXPIRY)
    (change,) = found["organization"]["changes"]["nodes"]
    assert change["actor"] is None
    assert change["node"] == {"id": world.funnel}
    assert [o.get("expired") for o in change["after"]["overrides"]] == [True]


async def test_an_arrival_changes_no_reading_of_the_key_result(gql: Client, world: World) -> None:
    ahead = NOW + timedelta(minutes=4)
    done = await gql(CHECK_IN, kr=world.mql, value=700.0, at=ahead.isoformat())
    assert done["checkInCreate"]["userErrors"] == []
    later = Client(gql.store, now=ahead + timedelta(minutes=1))
    instants = [NOW, ahead - timedelta(seconds=1), ahead, ahead + timedelta(seconds=30)]
    before = [await later(KEY_RESULT, id=world.mql, at=t.isoformat()) for t in instants]
    now = await later(KEY_RESULT, id=world.mql)
    assert now["node"]["currentValue"] == 700.0
    assert await run_scheduler(later, ahead + timedelta(minutes=1)) == 1
    fresh = Client(gql.store, now=ahead + timedelta(minutes=1))
    assert [await fresh(KEY_RESULT, id=world.mql, at=t.isoformat()) for t in instants] == before
    assert await fresh(KEY_RESULT, id=world.mql) == now
    found = await fresh(AUDIT, org=world.org, kind=ARRIVAL)
    (change,) = found["organization"]["changes"]["nodes"]
    assert change["actor"] is None
    assert change["node"] == {"id": world.mql}
    assert change["after"]["currentValue"] == 700.0
