"""Tenant isolation: with a token for one organization, another organization's ids behave
exactly like ids that never existed, in every query field and every mutation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from schema.api import schema
from schema.context import signed_in_context
from schema.ids import to_global_id
from service.auth import Principal, Role
from service.okrs import check_ins, initiatives, objectives
from service.okrs.commit import Writer
from service.readmodel import ReadModel
from tests.okrs.conftest import NOW, Backend, World, build_world
from tests.okrs.conftest import backend as backend  # the fixture, shared

ADMIN_OF_A = Principal(subject="ana", organization="alpha", role=Role.ADMIN)
ADMIN_OF_B = Principal(subject="bo", organization="beta", role=Role.ADMIN)
NEVER = "0" * 32  # a local id no organization holds


@dataclass
class Ids:
    """One organization's global ids of each type (or, with `never`, ids that exist nowhere)."""

    org: str
    department: str
    cycle: str
    objective: str
    key_result: str
    check_in: str
    action_step: str
    initiative: str


async def ids_of(backend: Backend, world: World) -> Ids:
    org = world.org.id
    recorded = await check_ins.record_check_in(
        writer=backend.writer, org_id=org, key_result_id=world.mql.id, value=10, now=NOW
    )
    step = await objectives.add_action_step(
        writer=backend.writer, org_id=org, objective_id=world.q1.id, title="Brief", now=NOW
    )
    made = await initiatives.create_initiative(
        writer=backend.writer, org_id=org, title="SEO", cost=1, expected_value=2, now=NOW
    )
    return Ids(
        org=to_global_id("Organization", org, org),
        department=to_global_id("Department", org, world.marketing.id),
        cycle=to_global_id("Cycle", org, world.quarters[0].id),
        objective=to_global_id("Objective", org, world.q1.id),
        key_result=to_global_id("KeyResult", org, world.mql.id),
        check_in=to_global_id("CheckIn", org, recorded.check_in.id),
        action_step=to_global_id("ActionStep", org, step.id),
        initiative=to_global_id("Initiative", org, made.id),
    )


def unknown(world: World) -> Ids:
    """Ids of every type that name nothing (in A's organization, but for the organization)."""
    org = world.org.id
    kinds = ("Department", "Cycle", "Objective", "KeyResult", "CheckIn", "ActionStep", "Initiative")
    never_org = to_global_id("Organization", NEVER, NEVER)
    return Ids(never_org, *(to_global_id(t, org, NEVER) for t in kinds))


@pytest.fixture
async def worlds(backend: Backend) -> tuple[World, Ids, Ids]:
    """A (whose admin asks), the ids of B, and ids that exist nowhere (in A's namespace)."""
    alpha = await build_world(backend.writer, slug="alpha")
    beta = await build_world(backend.writer, slug="beta")
    # Each admin's first request makes them a member (one change): done here, before any test
    # compares the store before and after a request.
    for admin in (ADMIN_OF_A, ADMIN_OF_B):
        await run(backend, "{ __typename }", principal=admin)
    return alpha, await ids_of(backend, beta), unknown(alpha)


async def run(
    backend: Backend,
    query: str,
    *,
    principal: Principal = ADMIN_OF_A,
    reads: ReadModel | None = None,
    **variables: Any,
) -> dict[str, Any]:
    writer = Writer(backend.store, reads) if reads is not None else None
    context = await signed_in_context(
        backend.store, principal, reads=reads, writer=writer, clock=lambda: NOW
    )
    result = await schema.execute(query, variable_values=variables, context_value=context)
    errors = [
        {"message": e.message, "code": (e.extensions or {}).get("code")}
        for e in result.errors or []
    ]
    return {"data": result.data, "errors": errors}


QUERIES = [
    ("node", "query($id: ID!) { node(id: $id) { id } }", "org"),
    (
        "changes",
        """query($id: ID!, $org: ID!) { organization(id: $org) {
      changes(filter: {nodeId: $id}) { totalCount } } }""",
        "key_result",
    ),
    *[
        ("node", "query($id: ID!) { node(id: $id) { id } }", kind)
        for kind in (
            "department",
            "cycle",
            "objective",
            "key_result",
            "check_in",
            "action_step",
            "initiative",
        )
    ],
    ("nodes", "query($id: ID!) { nodes(ids: [$id]) { id } }", "key_result"),
    ("organization", "query($id: ID!) { organization(id: $id) { id name } }", "org"),
    (
        "department progress",
        """query($id: ID!, $org: ID!) { organization(id: $org) {
      departments { progress(cycleId: $id) { value } } } }""",
        "cycle",
    ),
    (
        "objectives by cycle",
        """query($id: ID!, $org: ID!) { organization(id: $org) {
      objectives(cycleId: $id) { totalCount } } }""",
        "cycle",
    ),
    (
        "objectives by team",
        """query($id: ID!, $org: ID!) { organization(id: $org) {
      objectives(departmentId: $id) { totalCount } } }""",
        "department",
    ),
    (
        "health",
        """query($id: ID!, $org: ID!) { organization(id: $org) {
      health(cycleId: $id) { findings { code } } } }""",
        "cycle",
    ),
]


@pytest.mark.parametrize("shared", [False, True], ids=["own reads", "shared read model"])
@pytest.mark.parametrize(
    ("what", "query", "kind"), QUERIES, ids=[q[0] + ":" + q[2] for q in QUERIES]
)
async def test_queries_treat_another_organizations_ids_as_unknown(
    backend: Backend,
    worlds: tuple[World, Ids, Ids],
    what: str,
    query: str,
    kind: str,
    shared: bool,
) -> None:
    alpha, beta, never = worlds
    org = to_global_id("Organization", alpha.org.id, alpha.org.id)
    reads = ReadModel(backend.store) if shared else None
    if reads is not None:
        # The server's read model is shared by every organization: beta's own admin fills it.
        mine = await run(
            backend, query, principal=ADMIN_OF_B, reads=reads, id=getattr(beta, kind), org=beta.org
        )
        assert not mine["errors"]
    theirs = await run(backend, query, reads=reads, id=getattr(beta, kind), org=org)
    nothing = await run(backend, query, reads=reads, id=getattr(never, kind), org=org)
    assert theirs == nothing
    assert "beta" not in str(theirs)


ERRORS = "userErrors { field code message }"


def mutation(head: str, selection: str) -> str:
    """A mutation on `$id`, declaring whichever of `$kr`, `$cycle`, `$org` it uses."""
    extra = [f", ${v}: ID!" for v in ("kr", "cycle", "org") if f"${v}" in head]
    return f"mutation($id: ID!{''.join(extra)}) {{ {head} {{ {selection} {ERRORS} }} }}"


MUTATIONS = [
    (
        "organizationUpdate",
        'organizationUpdate(id: $id, input: {name: "X"})',
        "organization { id }",
        "org",
    ),
    (
        "departmentCreate",
        'departmentCreate(input: {organizationId: $id, name: "Ops"})',
        "department { id }",
        "org",
    ),
    ("cycleCreate", "cycleCreate(input: {organizationId: $id, year: 2030})", "cycle { id }", "org"),
    ("cycleClose", "cycleClose(id: $id)", "cycle { id }", "cycle"),
    (
        "objectiveCreate",
        'objectiveCreate(input: {cycleId: $id, title: "T"})',
        "objective { id }",
        "cycle",
    ),
    (
        "objectiveCreate parent",
        'objectiveCreate(input: {cycleId: $cycle, title: "T", parentId: $id})',
        "objective { id }",
        "objective",
    ),
    (
        "objectiveUpdate",
        'objectiveUpdate(id: $id, input: {title: "T"})',
        "objective { id }",
        "objective",
    ),
    ("objectiveDelete", "objectiveDelete(id: $id)", "deletedId", "objective"),
    (
        "keyResultCreate",
        'keyResultCreate(input: {objectiveId: $id, title: "T", targetValue: 5})',
        "keyResult { id }",
        "objective",
    ),
    (
        "keyResultUpdate",
        'keyResultUpdate(id: $id, input: {title: "T"})',
        "keyResult { id }",
        "key_result",
    ),
    ("keyResultDelete", "keyResultDelete(id: $id)", "deletedId", "key_result"),
    (
        "dependency upstream",
        "keyResultDependencyAdd(input: {keyResultId: $kr, dependsOnId: $id})",
        "keyResult { id }",
        "key_result",
    ),
    (
        "dependency downstream",
        "keyResultDependencyRemove(input: {keyResultId: $id, dependsOnId: $kr})",
        "keyResult { id }",
        "key_result",
    ),
    (
        "checkInCreate",
        "checkInCreate(input: {keyResultId: $id, value: 1})",
        "checkIn { id }",
        "key_result",
    ),
    ("checkInDelete", "checkInDelete(id: $id)", "deletedId", "check_in"),
    (
        "actionStepAdd",
        'actionStepAdd(input: {objectiveId: $id, title: "T"})',
        "actionStep { id }",
        "objective",
    ),
    (
        "actionStepUpdate",
        "actionStepUpdate(id: $id, input: {done: true})",
        "actionStep { id }",
        "action_step",
    ),
    (
        "initiativeCreate",
        'initiativeCreate(input: {organizationId: $id, title: "T", cost: 1, expectedValue: 2})',
        "initiative { id }",
        "org",
    ),
    (
        "initiativeCreate link",
        'initiativeCreate(input: {organizationId: $org, title: "T", cost: 1, expectedValue: 2,'
        " keyResultIds: [$id]})",
        "initiative { id }",
        "key_result",
    ),
    (
        "initiativeLink",
        "initiativeLink(input: {initiativeId: $id, keyResultId: $kr})",
        "initiative { id }",
        "initiative",
    ),
    (
        "initiativeUnlink",
        "initiativeUnlink(input: {initiativeId: $id, keyResultId: $kr})",
        "initiative { id }",
        "initiative",
    ),
    (
        "keyResultCarryOver",
        "keyResultCarryOver(id: $id, cycleId: $cycle)",
        "keyResult { id }",
        "key_result",
    ),
    (
        "keyResultCarryOver cycle",
        "keyResultCarryOver(id: $kr, cycleId: $id)",
        "keyResult { id }",
        "cycle",
    ),
]


@pytest.mark.parametrize(
    ("what", "head", "selection", "kind"), MUTATIONS, ids=[m[0] for m in MUTATIONS]
)
async def test_mutations_treat_another_organizations_ids_as_unknown_and_change_nothing(
    backend: Backend,
    worlds: tuple[World, Ids, Ids],
    what: str,
    head: str,
    selection: str,
    kind: str,
) -> None:
    operation = mutation(head, selection)
    alpha, beta, never = worlds
    mine = {
        "kr": to_global_id("KeyResult", alpha.org.id, alpha.mql.id),
        "cycle": to_global_id("Cycle", alpha.org.id, alpha.quarters[1].id),
        "org": to_global_id("Organization", alpha.org.id, alpha.org.id),
    }
    used: dict[str, Any] = {k: v for k, v in mine.items() if f"${k}" in head}
    before = await backend.snapshot()
    theirs = await run(backend, operation, id=getattr(beta, kind), **used)
    assert await backend.snapshot() == before
    nothing = await run(backend, operation, id=getattr(never, kind), **used)
    assert await backend.snapshot() == before
    assert theirs == nothing
    assert theirs["errors"] or any(
        payload["userErrors"] for payload in (theirs["data"] or {}).values()
    )


async def test_the_organizations_list_holds_only_the_tokens_organization(
    backend: Backend, worlds: tuple[World, Ids, Ids]
) -> None:
    found = await run(backend, "{ organizations { totalCount nodes { slug } } }")
    assert found["data"] == {"organizations": {"totalCount": 1, "nodes": [{"slug": "alpha"}]}}
    by_slug = await run(backend, '{ organizationBySlug(slug: "beta") { id } }')
    assert by_slug["data"] == {"organizationBySlug": None}


def test_the_fixture_dates_are_fixed() -> None:
    assert NOW.date() == date(2027, 2, 15)
