"""The audit trail (`Organization.changes`): who changed what, when, before and after; admins
and editors only, one organization's changes to a token of that organization."""

from __future__ import annotations

from typing import Any

import pytest

from schema.context import signed_in_context
from service.auth import Principal, Role
from tests.schema.conftest import Backend, Client, World, org_of
from tests.schema.operations import CHECK_IN_CREATE, KEY_RESULT_UPDATE, OBJECTIVE_DELETE

CHANGES = """
query Changes($org: ID!, $first: Int, $after: String, $filter: ChangeFilter) {
  organization(id: $org) {
    changes(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id sequence at actor kind before after node { id __typename } }
      edges { cursor node { id } }
    }
  }
}"""


async def trail(gql: Client, world: World, **variables: Any) -> dict[str, Any]:
    data = await gql(CHANGES, org=world.org, **variables)
    found: dict[str, Any] = data["organization"]["changes"]
    return found


async def test_every_write_is_a_change_numbered_one_by_one_newest_first(
    gql: Client, world: World
) -> None:
    found = await trail(gql, world, first=100)
    sequences = [c["sequence"] for c in found["nodes"]]
    assert sequences == list(range(found["totalCount"], 0, -1))
    kinds = [c["kind"] for c in reversed(found["nodes"])]
    assert kinds[:3] == ["organizationCreate", "departmentCreate", "departmentCreate"]
    assert kinds[-2:] == ["keyResultDependencyAdd", "checkInCreate"]


async def test_a_check_in_shows_the_key_result_before_and_after_and_the_check_in(
    gql: Client, world: World
) -> None:
    await gql.mutate(CHECK_IN_CREATE, input={"keyResultId": world.mql, "value": 500})
    newest = (await trail(gql, world, first=1))["nodes"][0]
    assert newest["kind"] == "checkInCreate"
    assert newest["node"] == {"id": world.mql, "__typename": "KeyResult"}
    assert newest["before"]["currentValue"] == 400
    assert newest["after"]["currentValue"] == 500
    assert newest["after"]["checkIn"]["value"] == 500
    assert "title" not in newest["after"], "only what moved"
    # Every id in it is a global id, as everywhere in the API.
    assert newest["after"]["checkIn"]["keyResultId"] == world.mql


async def test_a_created_objects_references_are_global_ids(gql: Client, world: World) -> None:
    deals = (await trail(gql, world, first=100))["nodes"]
    created = next(
        c for c in deals if c["kind"] == "keyResultCreate" and c["node"]["id"] == world.deals
    )
    assert created["before"] is None
    assert created["after"]["objectiveId"] == world.funnel
    assert created["after"]["cycleId"] == world.quarters[0]
    assert created["after"]["departmentId"] == world.sales
    linked = next(c for c in deals if c["kind"] == "keyResultDependencyAdd")
    assert linked["after"]["dependsOn"] == [world.mql]
    funnel = next(
        c for c in deals if c["kind"] == "objectiveCreate" and c["node"]["id"] == world.funnel
    )
    assert funnel["after"]["parentId"] == world.global_objective


async def test_a_deleted_objects_change_keeps_its_values_and_names_no_node(
    gql: Client, world: World
) -> None:
    await gql.mutate(OBJECTIVE_DELETE, id=world.funnel)
    newest = (await trail(gql, world, first=1))["nodes"][0]
    assert newest["kind"] == "objectiveDelete"
    assert newest["node"] is None
    assert newest["before"]["title"] == "Fill the funnel"
    assert newest["after"] is None


async def test_filters_narrow_the_trail_and_pages_follow_each_other(
    gql: Client, world: World
) -> None:
    await gql.mutate(KEY_RESULT_UPDATE, id=world.deals, input={"title": "Close more deals"})
    by_node = await trail(gql, world, filter={"nodeId": world.deals})
    assert [c["kind"] for c in by_node["nodes"]] == [
        "keyResultUpdate",
        "keyResultDependencyAdd",
        "keyResultCreate",
    ]
    by_kind = await trail(gql, world, filter={"kind": "keyResultUpdate"})
    assert by_kind["totalCount"] == 1
    assert by_kind["nodes"][0]["before"] == {"title": "Increase closed sales by 25%"}
    everything = await trail(gql, world, first=100)
    first = await trail(gql, world, first=3)
    rest = await trail(gql, world, first=100, after=first["pageInfo"]["endCursor"])
    assert first["pageInfo"]["hasNextPage"]
    assert [c["id"] for c in first["nodes"] + rest["nodes"]] == [
        c["id"] for c in everything["nodes"]
    ]
    assert [e["node"]["id"] for e in first["edges"]] == [c["id"] for c in first["nodes"]]
    assert (await trail(gql, world, filter={"actor": "nobody"}))["totalCount"] == 0
    newest = everything["nodes"][0]["at"]
    assert (await trail(gql, world, filter={"since": newest}))["totalCount"] >= 1
    assert (await trail(gql, world, filter={"until": "2000-01-01T00:00:00Z"}))["totalCount"] == 0


async def test_a_change_is_a_node(gql: Client, world: World) -> None:
    newest = (await trail(gql, world, first=1))["nodes"][0]
    found = await gql(
        "query($id: ID!) { node(id: $id) { ... on Change { sequence kind } } }", id=newest["id"]
    )
    assert found["node"] == {"sequence": newest["sequence"], "kind": newest["kind"]}


@pytest.mark.parametrize(
    ("role", "allowed"), [(Role.VIEWER, False), (Role.EDITOR, True), (Role.ADMIN, True)]
)
async def test_admins_and_editors_read_the_trail_and_viewers_are_forbidden(
    backend: Backend, world: World, role: Role, allowed: bool
) -> None:
    client = Client(backend.store)
    principal = Principal(subject="someone", organization="acme", role=role)
    context = await signed_in_context(
        backend.store, principal, reads=client.reads, writer=client.writer, clock=lambda: client.now
    )
    result = await client.schema.execute(
        CHANGES, variable_values={"org": world.org, "first": 2}, context_value=context
    )
    if allowed:
        assert result.errors is None
        assert result.data is not None
        assert result.data["organization"]["changes"]["totalCount"] > 0
    else:
        assert result.errors is not None
        assert [e.extensions for e in result.errors] == [{"code": "FORBIDDEN"}]


async def test_another_organizations_token_sees_no_change_of_this_one(
    backend: Backend, world: World, other: World
) -> None:
    client = Client(backend.store)
    principal = Principal(subject="spy", organization="globex", role=Role.ADMIN)
    context = await signed_in_context(
        backend.store, principal, reads=client.reads, writer=client.writer, clock=lambda: client.now
    )
    result = await client.schema.execute(
        CHANGES, variable_values={"org": world.org}, context_value=context
    )
    assert result.errors is None
    assert result.data == {"organization": None}
    own = await client.schema.execute(
        "query($o: ID!, $f: ChangeFilter) {"
        " organization(id: $o) { changes(filter: $f) { totalCount } } }",
        variable_values={"o": other.org, "f": {"nodeId": world.mql}},
        context_value=context,
    )
    assert own.errors is None
    assert own.data == {"organization": {"changes": {"totalCount": 0}}}
    assert org_of(world.org) != org_of(other.org)


@pytest.mark.parametrize("field", ["since", "until"])
@pytest.mark.parametrize(
    "at",
    ["2026-11-02", "2027-01-01T00:00:00", "0001-01-01T05:00:00+14:00", "9999-12-31T20:00:00-05:00"],
)
async def test_a_filter_instant_without_a_zone_or_outside_the_years_is_an_invalid_value(
    gql: Client, world: World, field: str, at: str
) -> None:
    result = await gql.raw(CHANGES, org=world.org, filter={field: at})
    assert [(e.extensions or {}).get("code") for e in result.errors or []] == ["INVALID_VALUE"]
