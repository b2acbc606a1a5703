"""Members: invited, changed and deactivated by admins, one change each; who owns OKRs (an id in
inputs); who a token's subject is; and "my OKRs" (`Member.keyResults`, `objectives`,
`progress`)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from schema.context import Context, signed_in_context
from service.auth import Deactivated, Principal, Role
from service.domain.errors import StoreUnavailable
from service.okrs.commit import Writer
from service.readmodel import ReadModel
from tests.schema.conftest import (
    Backend,
    Client,
    Failing,
    World,
    forged,
    marta_of,
    org_of,
    refused,
)
from tests.schema.operations import (
    CHECK_IN_CREATE,
    KEY_RESULT_CREATE,
    KEY_RESULT_UPDATE,
    MEMBER_DEACTIVATE,
    MEMBER_INVITE,
    MEMBER_UPDATE,
    OBJECTIVE_UPDATE,
)

MEMBERS = """
query Members($org: ID!, $first: Int, $after: String) {
  organization(id: $org) {
    members(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id name email role active }
      edges { cursor node { id } }
    }
  }
}"""

MY_OKRS = """
query MyOkrs($member: ID!, $cycle: ID!, $asOf: DateTime) {
  node(id: $member) {
    ... on Member {
      name
      keyResults(cycleId: $cycle) { title }
      objectives(cycleId: $cycle) { title }
      progress(cycleId: $cycle) {
        value status explanation { formula inputs { label value weight } }
      }
      then: progress(cycleId: $cycle, asOf: $asOf) { value }
    }
  }
}"""

TRAIL = """
query Trail($org: ID!) {
  organization(id: $org) { changes(first: 5) { nodes { kind actor node { id } after } } }
}"""

VIEWER = "{ viewer { subject role member { id name email role active } } }"
HEALTH = """
query Health($org: ID!, $cycle: ID!) {
  organization(id: $org) { health(cycleId: $cycle) { findings { code nodeId message } } }
}"""


def invite(world: World, email: str, **more: Any) -> dict[str, Any]:
    return {"input": {"organizationId": world.org, "name": "Ana", "email": email, **more}}


async def test_an_admin_invites_changes_and_deactivates_a_member_one_change_each(
    gql: Client, world: World
) -> None:
    made = await gql.mutate(MEMBER_INVITE, **invite(world, " Ana@Acme.example ", role="ADMIN"))
    ana = made["member"]
    assert {k: v for k, v in ana.items() if k != "id"} == {
        "name": "Ana",
        "email": "Ana@Acme.example",
        "role": "admin",
        "active": True,
    }
    changed = await gql.mutate(
        MEMBER_UPDATE, id=ana["id"], input={"name": "Ana María", "role": "editor"}
    )
    assert (changed["member"]["name"], changed["member"]["role"]) == ("Ana María", "editor")
    gone = await gql.mutate(MEMBER_DEACTIVATE, id=ana["id"])
    assert gone["member"]["active"] is False
    trail = (await gql(TRAIL, org=world.org))["organization"]["changes"]["nodes"]
    assert [c["kind"] for c in trail[:3]] == ["memberDeactivate", "memberUpdate", "memberInvite"]
    assert all(c["node"] == {"id": ana["id"]} for c in trail[:3])
    assert trail[2]["after"]["email"] == "Ana@Acme.example"
    assert "emailKey" not in trail[2]["after"]
    # Deactivating again (a retry) changes nothing; bringing her back is an update.
    again = await gql.mutate(MEMBER_DEACTIVATE, id=ana["id"])
    assert again["member"]["active"] is False
    assert (await gql(TRAIL, org=world.org))["organization"]["changes"]["nodes"] == trail
    back = await gql.mutate(MEMBER_UPDATE, id=ana["id"], input={"active": True})
    assert back["member"]["active"] is True


async def test_members_page_in_the_order_they_joined(gql: Client, world: World) -> None:
    for n in range(3):
        await gql.mutate(MEMBER_INVITE, **invite(world, f"p{n}@acme.example"))
    first = (await gql(MEMBERS, org=world.org, first=2))["organization"]["members"]
    assert first["totalCount"] == 4
    assert [m["email"] for m in first["nodes"]] == ["marta@acme.example", "p0@acme.example"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await gql(MEMBERS, org=world.org, first=5, after=first["pageInfo"]["endCursor"])
    nodes = rest["organization"]["members"]["nodes"]
    assert [m["email"] for m in nodes] == ["p1@acme.example", "p2@acme.example"]


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        (lambda w: invite(w, "MARTA@acme.EXAMPLE"), "DUPLICATE", ["input", "email"]),
        (lambda w: invite(w, "not-an-email"), "INVALID_TEXT", ["input", "email"]),
        (lambda w: invite(w, "a@b.example", role="owner"), "INVALID_VALUE", ["input", "role"]),
        (
            lambda w: {"input": {**invite(w, "a@b.example")["input"], "name": " "}},
            "INVALID_TEXT",
            ["input", "name"],
        ),
        (
            lambda w: {"input": {**invite(w, "a@b.example")["input"], "subject": "x\x00y"}},
            "INVALID_TEXT",
            ["input", "subject"],
        ),
    ],
)
async def test_an_invite_is_refused_with_a_code_and_writes_nothing(
    backend: Backend, gql: Client, world: World, variables: Any, code: str, field: list[str]
) -> None:
    error = await refused(backend, gql, MEMBER_INVITE, variables(world))
    assert (error["code"], error["field"]) == (code, field)


async def test_another_organizations_member_is_not_found_by_a_signed_in_admin(
    backend: Backend, gql: Client, world: World, other: World
) -> None:
    admin = await signed_in(backend, "admin-of-acme", Role.ADMIN)
    before = await backend.snapshot()
    attempts: list[tuple[str, dict[str, Any]]] = [
        (MEMBER_DEACTIVATE, {"id": other.marta}),
        (MEMBER_UPDATE, {"id": other.marta, "input": {"name": "X"}}),
    ]
    for document, variables in attempts:
        admin.refresh()
        result = await gql.schema.execute(document, variable_values=variables, context_value=admin)
        assert result.errors is None
        assert result.data is not None
        (payload,) = result.data.values()
        assert payload["member"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("NOT_FOUND", ["id"])]
    assert await backend.snapshot() == before


async def test_changing_an_email_to_another_case_of_her_own_is_allowed(
    gql: Client, world: World
) -> None:
    changed = await gql.mutate(MEMBER_UPDATE, id=world.marta, input={"email": "Marta@Acme.example"})
    assert changed["member"]["email"] == "Marta@Acme.example"


@pytest.mark.parametrize(
    "owner",
    [
        lambda w, o: forged("Member", w.org),  # unknown here
        lambda w, o: o.marta,  # another organization's
    ],
)
async def test_an_owner_must_be_a_member_of_the_organization(
    backend: Backend, gql: Client, world: World, other: World, owner: Any
) -> None:
    error = await refused(
        backend,
        gql,
        KEY_RESULT_UPDATE,
        {"id": world.deals, "input": {"owner": owner(world, other)}},
    )
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "owner"])


async def test_a_deactivated_owner_keeps_what_they_own_flagged_in_health(
    backend: Backend, gql: Client, world: World
) -> None:
    await gql.mutate(OBJECTIVE_UPDATE, id=world.funnel, input={"owner": world.marta})
    await gql.mutate(MEMBER_DEACTIVATE, id=world.marta)
    kr = await gql(
        "query($id: ID!) { node(id: $id) { ... on KeyResult { owner { id active } } } }",
        id=world.mql,
    )
    assert kr["node"]["owner"] == {"id": world.marta, "active": False}
    found = (await gql(HEALTH, org=world.org, cycle=world.quarters[0]))["organization"]
    flagged = [f for f in found["health"]["findings"] if f["code"] == "OWNER_INACTIVE"]
    assert [f["nodeId"] for f in flagged] == [world.funnel, world.mql]
    assert flagged[1]["message"] == (
        "'Obtain 1,000 MQLs' is owned by Marta, who is deactivated: give it a new owner"
    )
    error = await refused(
        backend, gql, KEY_RESULT_UPDATE, {"id": world.deals, "input": {"owner": world.marta}}
    )
    assert (error["code"], error["field"]) == ("MEMBER_INACTIVE", ["input", "owner"])
    # Clearing an owner is always allowed.
    cleared = await gql.mutate(KEY_RESULT_UPDATE, id=world.mql, input={"owner": None})
    assert cleared["keyResult"]["owner"] is None


async def test_my_okrs_are_the_key_results_and_objectives_a_member_owns(
    gql: Client, world: World
) -> None:
    await gql.mutate(OBJECTIVE_UPDATE, id=world.funnel, input={"owner": world.marta})
    await gql.mutate(
        KEY_RESULT_CREATE,
        input={
            "objectiveId": world.funnel,
            "title": "Run 6 webinars",
            "targetValue": 6,
            "weight": 3,
            "owner": world.marta,
        },
    )
    mine = (
        await gql(MY_OKRS, member=world.marta, cycle=world.quarters[0], asOf="2027-02-01T00:00:00Z")
    )["node"]
    assert [k["title"] for k in mine["keyResults"]] == ["Obtain 1,000 MQLs", "Run 6 webinars"]
    assert [o["title"] for o in mine["objectives"]] == ["Fill the funnel"]
    progress = mine["progress"]
    # (1 * 0.4 + 3 * 0) / 4: the MQLs at 400 of 1,000, no webinar yet.
    assert progress["value"] == pytest.approx(0.1)
    assert progress["explanation"]["formula"].startswith("member: ")
    assert progress["explanation"]["inputs"] == [
        {"label": "Obtain 1,000 MQLs", "value": 0.4, "weight": 1.0},
        {"label": "Run 6 webinars", "value": 0.0, "weight": 3.0},
    ]
    # On Feb 1 the MQLs had no check-in yet (Feb 10).
    assert mine["then"]["value"] == pytest.approx(0.0)
    year = await gql(MY_OKRS, member=world.marta, cycle=world.year, asOf=None)
    assert year["node"]["progress"]["value"] == pytest.approx(0.1)


async def signed_in(
    backend: Backend, subject: str, role: Role = Role.VIEWER, *, reads: ReadModel | None = None
) -> Context:
    chosen = reads or ReadModel(backend.store)
    return await signed_in_context(
        backend.store,
        Principal(subject=subject, organization="acme", role=role),
        reads=chosen,
        writer=Writer(backend.store, chosen),
    )


async def test_a_tokens_subject_becomes_a_member_on_first_use_once(
    backend: Backend, gql: Client, world: World
) -> None:
    before = len((await gql(TRAIL, org=world.org))["organization"]["changes"]["nodes"])
    # Two first requests at once, on two instances (each its own read model and writer).
    first, second = await asyncio.gather(
        signed_in(backend, "auth0|ana", Role.EDITOR), signed_in(backend, "auth0|ana", Role.EDITOR)
    )
    assert first.member_id is not None
    assert first.member_id == second.member_id
    joined = await backend.database["changes"].count_documents({"kind": "memberJoin"})
    assert joined == 1
    result = await gql.schema.execute(VIEWER, context_value=first)
    assert result.errors is None
    assert result.data is not None
    member = result.data["viewer"]["member"]
    assert (member["name"], member["role"], member["active"]) == ("auth0|ana", "editor", True)
    assert member["email"].endswith("@members.invalid")
    # Known now: a later request writes nothing, and reads no more than it would anyway.
    reads = ReadModel(backend.store)
    await reads.snapshot(org_of(world.org))
    calls = backend.store.round_trips
    await signed_in(backend, "auth0|ana", reads=reads)
    assert backend.store.round_trips == calls
    assert await backend.database["changes"].count_documents({"kind": "memberJoin"}) == 1
    assert before  # the world's own changes are still there


async def test_an_invited_member_is_who_signs_in_with_their_email_or_subject(
    backend: Backend, gql: Client, world: World
) -> None:
    ana = await gql.mutate(MEMBER_INVITE, **invite(world, "ana@acme.example"))
    bo = await gql.mutate(MEMBER_INVITE, **invite(world, "bo@acme.example", subject="oidc-42"))
    by_email = await signed_in(backend, "ana@acme.example")
    by_subject = await signed_in(backend, "oidc-42")
    assert by_email.member_id is not None
    result = await gql.schema.execute(VIEWER, context_value=by_email)
    assert result.data is not None
    assert result.data["viewer"]["member"]["id"] == ana["member"]["id"]
    result = await gql.schema.execute(VIEWER, context_value=by_subject)
    assert result.data is not None
    assert result.data["viewer"]["member"]["id"] == bo["member"]["id"]
    # Another subject claiming a taken subject on invite is refused.
    error = await refused(
        backend, gql, MEMBER_INVITE, invite(world, "cy@acme.example", subject="oidc-42")
    )
    assert (error["code"], error["field"]) == ("DUPLICATE", ["input", "subject"])


async def test_a_deactivated_members_token_is_refused_with_a_code(
    backend: Backend, gql: Client, world: World
) -> None:
    invited = await gql.mutate(MEMBER_INVITE, **invite(world, "dan@acme.example", subject="dan"))
    await signed_in(backend, "dan")
    await gql.mutate(MEMBER_DEACTIVATE, id=invited["member"]["id"])
    with pytest.raises(Deactivated) as refused_:
        await signed_in(backend, "dan")
    assert refused_.value.code == "MEMBER_INACTIVE"
    assert "deactivated" in str(refused_.value)


async def test_a_member_of_the_world_is_shown_as_owner(gql: Client, world: World) -> None:
    found = await gql(
        "query($id: ID!) { node(id: $id) { ... on KeyResult { owner { id name email } } } }",
        id=world.mql,
    )
    assert found["node"]["owner"] == marta_of(world)
    checked = await gql.mutate(CHECK_IN_CREATE, input={"keyResultId": world.mql, "value": 500})
    assert checked["checkIn"]["id"]


async def test_a_store_outage_while_a_new_subject_joins_is_store_unavailable(
    backend: Backend, world: World
) -> None:
    """The first request of a subject writes its member: with the store gone it is refused as
    any write would be, and nothing is written; once the store is back it joins."""
    failing = Failing(
        backend.store,
        lambda name: name in ("append_change", "changes_after"),
        StoreUnavailable("gone"),
    ).as_store()
    reads = ReadModel(failing)
    with pytest.raises(StoreUnavailable):
        await signed_in_context(
            failing,
            Principal(subject="newcomer", organization="acme", role=Role.VIEWER),
            reads=reads,
            writer=Writer(failing, reads),
        )
    assert await backend.database["members"].count_documents({"subject": "newcomer"}) == 0
    joined = await signed_in(backend, "newcomer")
    assert joined.member_id is not None


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
async def test_only_admins_manage_members(
    backend: Backend, gql: Client, world: World, role: Role
) -> None:
    asking = await signed_in(backend, f"someone-{role.name}", role)
    before = await backend.snapshot()
    for document, variables in [
        (MEMBER_INVITE, invite(world, "eve@acme.example")),
        (MEMBER_UPDATE, {"id": world.marta, "input": {"role": "admin"}}),
        (MEMBER_DEACTIVATE, {"id": world.marta}),
    ]:
        asking.refresh()
        result = await gql.schema.execute(document, variable_values=variables, context_value=asking)
        assert result.errors is not None
        assert [e.extensions for e in result.errors] == [{"code": "FORBIDDEN"}]
    assert await backend.snapshot() == before
