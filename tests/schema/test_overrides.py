"""An objective's progress set by hand (GitLab issue 382433): the objective and every rollup
above answer the override until it expires or is cleared, its explanation shows the override
and the computed value beside it, and `asOf` before it reads the computed value."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.schema.conftest import NOW, Backend, Client, World, org_of
from tests.schema.operations import OVERRIDE_CLEAR, OVERRIDE_FIELDS, OVERRIDE_SET

ABOVE = """query($objective: ID!, $global: ID!, $quarter: ID!, $org: ID!, $at: DateTime) {
  objective: node(id: $objective) { ... on Objective { progress(asOf: $at) {
    value status explanation { computedValue override { value } } } } }
  global: node(id: $global) { ... on Objective { progress(asOf: $at) { value
    explanation { inputs { value } } } } }
  quarter: node(id: $quarter) { ... on Cycle { progress(asOf: $at) { value } } }
  organization(id: $org) { progress(year: 2027, asOf: $at) { value } }
}"""

OBJECTIVE = (
    f"""query($id: ID!) {{ node(id: $id) {{ ... on Objective {{ {OVERRIDE_FIELDS} }} }} }}"""
)
SERIES = """query($id: ID!, $from: DateTime!, $to: DateTime!) { node(id: $id) { ... on Objective {
  progressSeries(from: $from, to: $to, interval: DAY) { at value } } } }"""

REASON = "The pilot deals count, the CRM lags a week"


async def above(gql: Client, world: World, at: str | None = None) -> dict[str, Any]:
    data = await gql(
        ABOVE,
        objective=world.funnel,
        **{"global": world.global_objective},
        quarter=world.quarters[0],
        org=world.org,
        at=at,
    )
    return {
        "objective": data["objective"]["progress"]["value"],
        "status": data["objective"]["progress"]["status"],
        "computed": data["objective"]["progress"]["explanation"]["computedValue"],
        "override": data["objective"]["progress"]["explanation"]["override"],
        "global": data["global"]["progress"]["value"],
        "global inputs": [i["value"] for i in data["global"]["progress"]["explanation"]["inputs"]],
        "quarter": data["quarter"]["progress"]["value"],
        "organization": data["organization"]["progress"]["value"],
    }


async def test_the_objective_and_every_rollup_above_answer_the_override(
    gql: Client, world: World
) -> None:
    computed = await above(gql, world)
    assert computed["override"] is None
    assert computed["computed"] == computed["objective"]
    done = await gql.mutate(
        OVERRIDE_SET, input={"objectiveId": world.funnel, "value": 0.9, "reason": REASON}
    )
    progress = done["objective"]["progress"]
    assert progress["value"] == 0.9
    explanation = progress["explanation"]
    assert explanation["computedValue"] == computed["objective"]
    assert explanation["override"]["value"] == 0.9
    assert explanation["override"]["reason"] == REASON
    assert explanation["override"]["setAt"] == NOW.isoformat()
    assert explanation["override"]["expiresAt"] is None
    assert "set by hand" in explanation["formula"]
    assert REASON in explanation["statusReason"]
    # Half of Q1 has gone: 0.9 is well ahead of the pace.
    assert progress["status"] == "ON_TRACK"
    now = await above(gql, world)
    assert now["objective"] == now["global"] == now["quarter"] == now["organization"] == 0.9
    assert now["global inputs"] == [0.9]


async def test_a_low_override_is_paced_like_any_progress(gql: Client, world: World) -> None:
    await gql.mutate(
        OVERRIDE_SET, input={"objectiveId": world.funnel, "value": 0.05, "reason": REASON}
    )
    assert (await above(gql, world))["status"] == "OFF_TRACK"
    await gql.mutate(
        OVERRIDE_SET, input={"objectiveId": world.funnel, "value": 1, "reason": REASON}
    )
    assert (await above(gql, world))["status"] == "ACHIEVED"


async def test_as_of_before_the_override_reads_the_computed_value(
    gql: Client, world: World
) -> None:
    before = await above(gql, world)
    await gql.mutate(
        OVERRIDE_SET, input={"objectiveId": world.funnel, "value": 0.9, "reason": REASON}
    )
    earlier = (NOW - timedelta(seconds=1)).isoformat()
    assert await above(gql, world, earlier) == {**before}
    assert (await above(gql, world, NOW.isoformat()))["objective"] == 0.9
    series = await gql(
        SERIES,
        id=world.funnel,
        **{
            "from": (NOW - timedelta(days=2)).isoformat(),
            "to": (NOW + timedelta(days=1)).isoformat(),
        },
    )
    values = [p["value"] for p in series["node"]["progressSeries"]]
    assert values[-2:] == [0.9, 0.9]
    assert values[0] != 0.9


async def test_the_expiry_returns_the_computed_value_and_keeps_the_history(
    gql: Client, world: World
) -> None:
    computed = await above(gql, world)
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
    later = Client(gql.store, now=until + timedelta(seconds=1))
    after = await above(later, world)
    assert after["objective"] == computed["objective"]
    assert after["override"] is None
    history = (await later(OBJECTIVE, id=world.funnel))["node"]["progressOverrides"]
    assert [(h["value"], h["expiresAt"], h["clearedAt"]) for h in history] == [
        (0.9, until.isoformat(), None)
    ]
    # Just before it expired, it still held.
    assert (await above(gql, world, (until - timedelta(seconds=1)).isoformat()))["objective"] == 0.9


async def test_clearing_returns_the_computed_value(gql: Client, world: World) -> None:
    computed = await above(gql, world)
    await gql.mutate(
        OVERRIDE_SET, input={"objectiveId": world.funnel, "value": 0.9, "reason": REASON}
    )
    later = Client(gql.store, now=NOW + timedelta(hours=1))
    cleared = await later.mutate(OVERRIDE_CLEAR, objectiveId=world.funnel)
    assert cleared["objective"]["progress"]["value"] == computed["objective"]
    assert cleared["objective"]["progress"]["explanation"]["override"] is None
    (entry,) = cleared["objective"]["progressOverrides"]
    assert entry["clearedAt"] == (NOW + timedelta(hours=1)).isoformat()
    assert (await above(later, world))["organization"] == computed["organization"]
    # While it held, it still reads as it was.
    assert (await above(later, world, NOW.isoformat()))["objective"] == 0.9


async def test_a_new_override_replaces_the_one_before(gql: Client, world: World) -> None:
    await gql.mutate(
        OVERRIDE_SET, input={"objectiveId": world.funnel, "value": 0.9, "reason": REASON}
    )
    later = Client(gql.store, now=NOW + timedelta(hours=1))
    await later.mutate(
        OVERRIDE_SET, input={"objectiveId": world.funnel, "value": 0.4, "reason": "Pilot lost"}
    )
    assert (await above(later, world))["objective"] == 0.4
    assert (await above(later, world, NOW.isoformat()))["objective"] == 0.9


async def test_each_set_and_clear_is_one_change_and_sending_it_again_writes_nothing(
    backend: Backend, gql: Client, world: World
) -> None:
    org = org_of(world.org)
    start = await backend.store.last_change(org)
    assert start is not None
    variables = {"objectiveId": world.funnel, "value": 0.9, "reason": REASON}
    first = await gql.mutate(OVERRIDE_SET, input=variables)
    again = await Client(gql.store, now=NOW + timedelta(minutes=1)).mutate(
        OVERRIDE_SET, input=variables
    )
    assert again["objective"]["progressOverrides"] == first["objective"]["progressOverrides"]
    cleared = Client(gql.store, now=NOW + timedelta(minutes=2))
    await cleared.mutate(OVERRIDE_CLEAR, objectiveId=world.funnel)
    await cleared.mutate(OVERRIDE_CLEAR, objectiveId=world.funnel)
    log = await backend.store.changes_after(org, start.sequence, limit=10)
    assert [c.kind for c in log] == ["objectiveProgressOverride", "objectiveProgressOverrideClear"]
    assert [c.node_id for c in log] == [log[0].node_id] * 2


async def test_a_closed_cycle_takes_no_override(gql: Client, world: World) -> None:
    await gql.mutate(
        "mutation($id: ID!) { cycleClose(id: $id) { cycle { id } userErrors { code } } }",
        id=world.quarters[0],
    )
    result = await gql(
        OVERRIDE_SET, input={"objectiveId": world.funnel, "value": 0.9, "reason": REASON}
    )
    errors = result["objectiveProgressOverride"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [("CYCLE_CLOSED", ["input", "objectiveId"])]


AUDIT = """query($org: ID!) { organization(id: $org) { changes(first: 2) {
  nodes { kind actor node { id } before after } } } }"""


async def test_the_audit_trail_shows_each_override_before_and_after(
    gql: Client, world: World
) -> None:
    await gql.mutate(
        OVERRIDE_SET, input={"objectiveId": world.funnel, "value": 0.9, "reason": REASON}
    )
    await Client(gql.store, now=NOW + timedelta(hours=1)).mutate(
        OVERRIDE_CLEAR, objectiveId=world.funnel
    )
    cleared, made = (await gql(AUDIT, org=world.org))["organization"]["changes"]["nodes"]
    assert made["kind"] == "objectiveProgressOverride"
    assert cleared["kind"] == "objectiveProgressOverrideClear"
    assert made["node"] == cleared["node"] == {"id": world.funnel}
    assert made["before"] == {"overrides": []}
    (entry,) = made["after"]["overrides"]
    assert (entry["value"], entry["reason"], entry["clearedAt"]) == (0.9, REASON, None)
    assert cleared["before"] == made["after"]
    assert cleared["after"]["overrides"][0]["clearedAt"] == (NOW + timedelta(hours=1)).isoformat()
