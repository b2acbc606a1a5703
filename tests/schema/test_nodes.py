"""`node`, `nodes`, `organization`, `organizationBySlug`, `organizations` and `viewer`."""

from __future__ import annotations

from typing import Any

from schema.ids import to_global_id
from tests.schema.conftest import Client, World, forged, local_id, org_of
from tests.schema.operations import (
    ACTION_STEP_ADD,
    INITIATIVE_CREATE,
    ORGANIZATION_CREATE,
)

NODES = """
query Nodes($ids: [ID!]!) {
  nodes(ids: $ids) { __typename id }
}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Organization { name slug }
    ... on Department { name }
    ... on Cycle { label }
    ... on Objective { title }
    ... on KeyResult { title }
    ... on CheckIn { value }
    ... on ActionStep { title }
    ... on Initiative { title }
  }
}
"""

ORGANIZATION = """
query Organization($id: ID!, $slug: String!) {
  organization(id: $id) { id name slug mission vision }
  organizationBySlug(slug: $slug) { id slug }
}
"""

ORGANIZATIONS = """
query Organizations($first: Int, $after: String) {
  organizations(first: $first, after: $after) {
    totalCount
    edges { cursor node { id slug } }
    nodes { slug }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

VIEWER = "query Viewer { viewer { subject role organization { id } } }"


async def every_node(gql: Client, world: World) -> dict[str, tuple[str, str]]:
    """One id of each Node type, with the name or title it answers to."""
    step = await gql.mutate(ACTION_STEP_ADD, input={"objectiveId": world.funnel, "title": "Ads"})
    initiative = await gql.mutate(
        INITIATIVE_CREATE,
        input={"organizationId": world.org, "title": "Webinars", "cost": 100, "expectedValue": 300},
    )
    return {
        "Organization": (world.org, "Acme Inc."),
        "Department": (world.marketing, "Marketing"),
        "Cycle": (world.quarters[0], "2027-Q1"),
        "Objective": (world.funnel, "Fill the funnel"),
        "KeyResult": (world.mql, "Obtain 1,000 MQLs"),
        "CheckIn": (world.check_in, "400.0"),
        "ActionStep": (step["actionStep"]["id"], "Ads"),
        "Initiative": (initiative["initiative"]["id"], "Webinars"),
    }


def answer(node: dict[str, Any]) -> str:
    found = node.get("name") or node.get("label") or node.get("title") or node.get("value")
    return str(found)


async def test_node_resolves_a_global_id_of_every_node_type(gql: Client, world: World) -> None:
    for type_name, (node_id, expected) in (await every_node(gql, world)).items():
        node = (await gql(NODE, id=node_id))["node"]
        assert node["__typename"] == type_name
        assert node["id"] == node_id
        assert answer(node) == expected


async def test_nodes_answers_in_the_order_asked_with_null_for_each_unknown_id(
    gql: Client, world: World
) -> None:
    known = await every_node(gql, world)
    unknown = [
        forged("KeyResult", world.org),  # well-formed, nothing stored under it
        to_global_id("KeyResult", "f" * 32, local_id(world.mql)),  # an organization that is not
        to_global_id(
            "Cycle", org_of(world.org), local_id(world.mql)
        ),  # the local id of another type
        "not-an-id",
    ]
    ids = [node_id for node_id, _ in known.values()]
    found = (await gql(NODES, ids=[unknown[0], *ids, *unknown[1:]]))["nodes"]
    assert found[0] is None
    assert [(n["__typename"], n["id"]) for n in found[1:-3]] == [
        (type_name, node_id) for type_name, (node_id, _) in known.items()
    ]
    assert found[-3:] == [None, None, None]


async def test_node_is_null_for_an_unknown_or_malformed_id(gql: Client, world: World) -> None:
    for node_id in (
        forged("Objective", world.org),
        to_global_id("Organization", "f" * 32, "f" * 32),
        to_global_id("Department", "f" * 32, local_id(world.marketing)),
        "bm90LWEtdHlwZTphOmI",  # base64 of "not-a-type:a:b"
        "",
    ):
        assert (await gql(NODE, id=node_id))["node"] is None, node_id


async def test_an_id_names_its_organization_so_another_organizations_id_is_null(
    gql: Client, world: World, other: World
) -> None:
    # The Marketing department of `other`, asked for under `world`'s organization id.
    crossed = to_global_id("Department", org_of(world.org), local_id(other.marketing))
    assert (await gql(NODE, id=crossed))["node"] is None
    assert (await gql(NODE, id=other.marketing))["node"]["id"] == other.marketing


async def test_organization_by_id_and_by_slug(gql: Client, world: World) -> None:
    data = await gql(ORGANIZATION, id=world.org, slug="acme")
    assert data["organization"] == {
        "id": world.org,
        "name": "Acme Inc.",
        "slug": "acme",
        "mission": "Help small shops sell online",
        "vision": "Every shop online by 2030",
    }
    assert data["organizationBySlug"] == {"id": world.org, "slug": "acme"}


async def test_organization_is_null_for_an_unknown_id_or_slug(gql: Client, world: World) -> None:
    unknown = to_global_id("Organization", "f" * 32, "f" * 32)
    data = await gql(ORGANIZATION, id=unknown, slug="nobody")
    assert data == {"organization": None, "organizationBySlug": None}


async def test_organizations_pages_forward_with_first_and_after(gql: Client) -> None:
    for slug in ("a-one", "b-two", "c-three"):
        await gql.mutate(ORGANIZATION_CREATE, input={"name": slug, "slug": slug})
    first = (await gql(ORGANIZATIONS, first=2))["organizations"]
    assert first["totalCount"] == 3
    assert [e["node"]["slug"] for e in first["edges"]] == ["a-one", "b-two"]
    assert [n["slug"] for n in first["nodes"]] == ["a-one", "b-two"]
    assert first["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": first["edges"][0]["cursor"],
        "endCursor": first["edges"][1]["cursor"],
    }
    rest = (await gql(ORGANIZATIONS, first=2, after=first["pageInfo"]["endCursor"]))[
        "organizations"
    ]
    assert rest["totalCount"] == 3
    assert [n["slug"] for n in rest["nodes"]] == ["c-three"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert rest["pageInfo"]["hasPreviousPage"] is True
    assert rest["pageInfo"]["startCursor"] == rest["pageInfo"]["endCursor"]


async def test_organizations_defaults_to_a_page_of_twenty_and_allows_an_empty_page(
    gql: Client,
) -> None:
    for n in range(21):
        await gql.mutate(ORGANIZATION_CREATE, input={"name": f"Org {n}", "slug": f"org-{n:02}"})
    default = (await gql(ORGANIZATIONS))["organizations"]
    assert len(default["nodes"]) == 20
    assert default["pageInfo"]["hasNextPage"] is True
    empty = (await gql(ORGANIZATIONS, first=0))["organizations"]
    assert empty["nodes"] == []
    assert empty["totalCount"] == 21
    assert empty["pageInfo"]["startCursor"] is None
    assert empty["pageInfo"]["endCursor"] is None


async def test_the_viewer_is_anonymous_without_authentication(gql: Client) -> None:
    assert (await gql(VIEWER))["viewer"] == {"subject": None, "role": None, "organization": None}
