"""What the bad-input matrices share: one world per module, every mutation with variables that
would succeed, and ways to spoil one value of them.

Every row of a matrix is a refusal, so one world serves a whole module; each row still snapshots
the store before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest_asyncio

from tests.schema.conftest import (
    Backend,
    Client,
    World,
    build_world,
    fresh_backend,
    refused,
    rejected,
)
from tests.schema.operations import (
    ACTION_STEP_ADD,
    CYCLE_CREATE,
    ERRORS,
    INITIATIVE_CREATE,
    KEY_RESULT_CREATE,
    OBJECTIVE_CREATE,
    OVERRIDE_SET,
)

GHOST_ORG = "f" * 32  # an organization id nothing is stored under
NOBODY = "0" * 32  # a local id nothing is stored under


@dataclass
class Shared:
    """Two organizations and the extra objects some rows need."""

    backend: Backend
    gql: Client
    a: World
    b: World
    year_child: str  # a YEAR objective under the global objective
    q2_free: str  # a Q2 objective of no team
    q1_2028: str
    spare: str  # a key result of the funnel with no dependencies
    step: str
    initiative: str  # serves the MQLs


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared() -> Shared:
    backend = await fresh_backend("okrgraph_matrix")
    gql = Client(backend.store)
    a = await build_world(gql)
    b = await build_world(gql, slug="globex")
    await gql.mutate(CYCLE_CREATE, input={"organizationId": a.org, "year": 2027, "month": 1})
    for n in range(5):  # Sales is at its limit of 5 objectives in Q2
        await gql.mutate(
            OBJECTIVE_CREATE,
            input={"cycleId": a.quarters[1], "title": f"Sales {n}", "departmentId": a.sales},
        )
    year_child = await gql.mutate(
        OBJECTIVE_CREATE,
        input={"cycleId": a.year, "title": "Hire", "parentId": a.global_objective},
    )
    q2_free = await gql.mutate(
        OBJECTIVE_CREATE, input={"cycleId": a.quarters[1], "title": "Shared goal"}
    )
    next_year = await gql.mutate(CYCLE_CREATE, input={"organizationId": a.org, "year": 2028})
    spare = await gql.mutate(
        KEY_RESULT_CREATE, input={"objectiveId": a.funnel, "title": "Spare", "targetValue": 9}
    )
    step = await gql.mutate(ACTION_STEP_ADD, input={"objectiveId": a.funnel, "title": "Ads"})
    await gql.mutate(
        OVERRIDE_SET,
        input={"objectiveId": year_child["objective"]["id"], "value": 0.5, "reason": "Hired"},
    )
    initiative = await gql.mutate(
        INITIATIVE_CREATE,
        input={
            "organizationId": a.org,
            "title": "Ads",
            "cost": 1,
            "expectedValue": 2,
            "keyResultIds": [a.mql],
        },
    )
    return Shared(
        backend=backend,
        gql=gql,
        a=a,
        b=b,
        year_child=year_child["objective"]["id"],
        step=step["actionStep"]["id"],
        q2_free=q2_free["objective"]["id"],
        q1_2028=next_year["cycle"]["children"][0]["id"],
        spare=spare["keyResult"]["id"],
        initiative=initiative["initiative"]["id"],
    )


# The mutations, each with variables that would succeed ----------------------------------------

Variables = Callable[[Shared], dict[str, Any]]


def slim(field: str, parameters: str, arguments: str, returns: str) -> str:
    """A mutation asking only for what a refusal shows: the object's id and the userErrors
    (validating whole payloads for hundreds of rows would make the module slow)."""
    return f"mutation({parameters}) {{ {field}({arguments}) {{ {returns} {ERRORS} }} }}"


@dataclass(frozen=True)
class Op:
    document: str
    valid: Variables


OPS: dict[str, Op] = {
    "organizationCreate": Op(
        slim(
            "organizationCreate",
            "$input: OrganizationCreateInput!",
            "input: $input",
            "organization { id }",
        ),
        lambda s: {"input": {"name": "New", "slug": "new-org"}},
    ),
    "organizationUpdate": Op(
        slim(
            "organizationUpdate",
            "$id: ID!, $input: OrganizationUpdateInput!",
            "id: $id, input: $input",
            "organization { id }",
        ),
        lambda s: {"id": s.a.org, "input": {"name": "Renamed", "policy": {"onTrackRatio": 0.7}}},
    ),
    "departmentCreate": Op(
        slim(
            "departmentCreate",
            "$input: DepartmentCreateInput!",
            "input: $input",
            "department { id }",
        ),
        lambda s: {"input": {"organizationId": s.a.org, "name": "Ops"}},
    ),
    "cycleCreate": Op(
        slim("cycleCreate", "$input: CycleCreateInput!", "input: $input", "cycle { id }"),
        lambda s: {"input": {"organizationId": s.a.org, "year": 2029}},
    ),
    "cycleClose": Op(
        slim("cycleClose", "$id: ID!", "id: $id", "cycle { id }"), lambda s: {"id": s.a.quarters[3]}
    ),
    "objectiveCreate": Op(
        slim(
            "objectiveCreate", "$input: ObjectiveCreateInput!", "input: $input", "objective { id }"
        ),
        lambda s: {
            "input": {
                "cycleId": s.a.quarters[0],
                "title": "New",
                "parentId": s.a.global_objective,
                "departmentId": s.a.marketing,
                "owner": s.a.marta,
                "weight": 1,
            }
        },
    ),
    "objectiveUpdate": Op(
        slim(
            "objectiveUpdate",
            "$id: ID!, $input: ObjectiveUpdateInput!",
            "id: $id, input: $input",
            "objective { id }",
        ),
        lambda s: {
            "id": s.a.funnel,
            "input": {
                "title": "Renamed",
                "parentId": s.a.global_objective,
                "departmentId": s.a.marketing,
                "weight": 2,
            },
        },
    ),
    "objectiveDelete": Op(
        slim("objectiveDelete", "$id: ID!", "id: $id", "deletedId"), lambda s: {"id": s.a.funnel}
    ),
    "keyResultCreate": Op(
        slim(
            "keyResultCreate", "$input: KeyResultCreateInput!", "input: $input", "keyResult { id }"
        ),
        lambda s: {
            "input": {
                "objectiveId": s.a.funnel,
                "title": "New",
                "kind": "INCREASE",
                "startValue": 0,
                "targetValue": 10,
                "departmentId": s.a.marketing,
                "weight": 1,
            }
        },
    ),
    "keyResultUpdate": Op(
        slim(
            "keyResultUpdate",
            "$id: ID!, $input: KeyResultUpdateInput!",
            "id: $id, input: $input",
            "keyResult { id }",
        ),
        lambda s: {
            "id": s.a.mql,
            "input": {"title": "Renamed", "targetValue": 2000, "departmentId": s.a.sales},
        },
    ),
    "keyResultDelete": Op(
        slim("keyResultDelete", "$id: ID!", "id: $id", "deletedId"), lambda s: {"id": s.a.deals}
    ),
    "keyResultDependencyAdd": Op(
        slim(
            "keyResultDependencyAdd",
            "$input: KeyResultDependencyAddInput!",
            "input: $input",
            "keyResult { id }",
        ),
        lambda s: {"input": {"keyResultId": s.spare, "dependsOnId": s.a.mql}},
    ),
    "keyResultDependencyRemove": Op(
        slim(
            "keyResultDependencyRemove",
            "$input: KeyResultDependencyRemoveInput!",
            "input: $input",
            "keyResult { id }",
        ),
        lambda s: {"input": {"keyResultId": s.a.deals, "dependsOnId": s.a.mql}},
    ),
    "keyResultCarryOver": Op(
        slim(
            "keyResultCarryOver",
            "$id: ID!, $cycleId: ID!",
            "id: $id, cycleId: $cycleId",
            "keyResult { id }",
        ),
        lambda s: {"id": s.a.mql, "cycleId": s.a.quarters[1]},
    ),
    "checkInCreate": Op(
        slim("checkInCreate", "$input: CheckInCreateInput!", "input: $input", "checkIn { id }"),
        lambda s: {
            "input": {
                "keyResultId": s.a.mql,
                "value": 500,
                "confidence": 0.5,
                "note": "ok",
                "recordedAt": "2027-02-14T00:00:00Z",
                "idempotencyKey": "key-1",
            }
        },
    ),
    "checkInDelete": Op(
        slim("checkInDelete", "$id: ID!", "id: $id", "deletedId"), lambda s: {"id": s.a.check_in}
    ),
    "actionStepAdd": Op(
        slim("actionStepAdd", "$input: ActionStepAddInput!", "input: $input", "actionStep { id }"),
        lambda s: {"input": {"objectiveId": s.a.funnel, "title": "Step", "dueOn": "2027-03-01"}},
    ),
    "actionStepUpdate": Op(
        slim(
            "actionStepUpdate",
            "$id: ID!, $input: ActionStepUpdateInput!",
            "id: $id, input: $input",
            "actionStep { id }",
        ),
        lambda s: {"id": s.step, "input": {"title": "Renamed", "position": 0}},
    ),
    "initiativeCreate": Op(
        slim(
            "initiativeCreate",
            "$input: InitiativeCreateInput!",
            "input: $input",
            "initiative { id }",
        ),
        lambda s: {
            "input": {
                "organizationId": s.a.org,
                "title": "New",
                "cost": 1,
                "expectedValue": 2,
                "keyResultIds": [s.a.mql],
            }
        },
    ),
    "objectiveProgressOverride": Op(
        slim(
            "objectiveProgressOverride",
            "$input: ObjectiveProgressOverrideInput!",
            "input: $input",
            "objective { id }",
        ),
        lambda s: {
            "input": {
                "objectiveId": s.a.funnel,
                "value": 0.9,
                "reason": "The board counts the pilot deals",
                "expiresAt": "2027-03-01T00:00:00+01:00",
            }
        },
    ),
    "objectiveProgressOverrideClear": Op(
        slim(
            "objectiveProgressOverrideClear",
            "$objectiveId: ID!",
            "objectiveId: $objectiveId",
            "objective { id }",
        ),
        lambda s: {"objectiveId": s.year_child},
    ),
    "initiativeLink": Op(
        slim(
            "initiativeLink", "$input: InitiativeLinkInput!", "input: $input", "initiative { id }"
        ),
        lambda s: {"input": {"initiativeId": s.initiative, "keyResultId": s.a.deals}},
    ),
    "initiativeUnlink": Op(
        slim(
            "initiativeUnlink",
            "$input: InitiativeUnlinkInput!",
            "input: $input",
            "initiative { id }",
        ),
        lambda s: {"input": {"initiativeId": s.initiative, "keyResultId": s.a.mql}},
    ),
}

Change = Callable[[Shared, dict[str, Any]], dict[str, Any]]


def steps(path: str) -> list[str | int]:
    """A dotted path into the variables: `input.keyResultIds.0`."""
    return [int(p) if p.isdigit() else p for p in path.split(".")]


def get(variables: dict[str, Any], path: str) -> Any:
    found: Any = variables
    for step in steps(path):
        found = found[step]
    return found


def at(path: str, value: Any) -> Change:
    """Set one value (a function of the shared world, or a plain value); DROP removes it."""

    def change(shared: Shared, variables: dict[str, Any]) -> dict[str, Any]:
        *parents, last = steps(path)
        parent: Any = variables
        for step in parents:
            parent = parent[step]
        chosen = value(shared) if callable(value) else value
        if chosen is DROP:
            del parent[last]
        else:
            parent[last] = chosen
        return variables

    return change


def merge(values: dict[str, Any]) -> Change:
    """Change several fields of `input` at once."""

    def change(shared: Shared, variables: dict[str, Any]) -> dict[str, Any]:
        variables["input"].update(values)
        return variables

    return change


def whole(make: Callable[[Shared], dict[str, Any]]) -> Change:
    """Variables of their own, for rows that need other targets."""
    return lambda shared, _: make(shared)


DROP = object()


def field_of(path: str) -> list[str]:
    return path.split(".")


async def refused_by(shared: Shared, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    return await refused(shared.backend, shared.gql, document, variables)


async def rejected_by(shared: Shared, document: str, variables: dict[str, Any]) -> None:
    await rejected(shared.backend, shared.gql, document, variables)


def run(op: str, shared: Shared, change: Change) -> tuple[str, dict[str, Any]]:
    return OPS[op].document, change(shared, OPS[op].valid(shared))
