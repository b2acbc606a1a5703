"""Every UserErrorCode is reachable through the API, each as one userError on a sensible field,
with the payload's object null and nothing written."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from schema.enums import UserErrorCode
from service.domain.errors import ErrorCode
from tests.schema.conftest import Backend, Client, World, forged, refused
from tests.schema.operations import (
    CHECK_IN_CREATE,
    CHECK_IN_DELETE,
    CYCLE_CLOSE,
    CYCLE_CREATE,
    DEPARTMENT_CREATE,
    DEPENDENCY_ADD,
    DEPENDENCY_REMOVE,
    KEY_RESULT_CREATE,
    KEY_RESULT_UPDATE,
    MEMBER_DEACTIVATE,
    OBJECTIVE_CREATE,
    OBJECTIVE_DELETE,
    OBJECTIVE_UPDATE,
)
from tests.schema.test_webhooks import WEBHOOK_CREATE

Setup = Callable[[Client, World], Awaitable[dict[str, Any]]]


async def not_measurable(gql: Client, w: World) -> dict[str, Any]:
    return {"input": {"objectiveId": w.funnel, "title": "Flat", "startValue": 7, "targetValue": 7}}


async def too_many_objectives(gql: Client, w: World) -> dict[str, Any]:
    for n in range(5):
        await gql.mutate(
            OBJECTIVE_CREATE,
            input={"cycleId": w.quarters[0], "title": f"Goal {n}", "departmentId": w.marketing},
        )
    return {"input": {"cycleId": w.quarters[0], "title": "Goal 6", "departmentId": w.marketing}}


async def duplicate_global_objective(gql: Client, w: World) -> dict[str, Any]:
    return {"input": {"cycleId": w.year, "title": "A second global objective"}}


async def cycle_mismatch(gql: Client, w: World) -> dict[str, Any]:
    later = await gql.mutate(CYCLE_CREATE, input={"organizationId": w.org, "year": 2028})
    q1 = later["cycle"]["children"][0]["id"]
    return {"input": {"cycleId": q1, "title": "Next year", "parentId": w.global_objective}}


async def dependency_cycle(gql: Client, w: World) -> dict[str, Any]:
    # Deals wait on the MQLs already.
    return {"input": {"keyResultId": w.mql, "dependsOnId": w.deals}}


async def invalid_value(gql: Client, w: World) -> dict[str, Any]:
    return {"input": {"keyResultId": w.mql, "value": 500, "confidence": 2}}


async def invalid_text(gql: Client, w: World) -> dict[str, Any]:
    return {"input": {"cycleId": w.quarters[0], "title": "   "}}


async def not_found(gql: Client, w: World) -> dict[str, Any]:
    return {"id": forged("KeyResult", w.org), "input": {"title": "Anything"}}


async def invalid_id(gql: Client, w: World) -> dict[str, Any]:
    return {"id": "no-such-thing"}


async def duplicate(gql: Client, w: World) -> dict[str, Any]:
    return {"input": {"organizationId": w.org, "name": "Sales"}}


async def cycle_closed(gql: Client, w: World) -> dict[str, Any]:
    await gql.mutate(CYCLE_CLOSE, id=w.quarters[0])
    return {"input": {"keyResultId": w.mql, "value": 700}}


async def has_children(gql: Client, w: World) -> dict[str, Any]:
    return {"id": w.global_objective}


async def invalid_parent(gql: Client, w: World) -> dict[str, Any]:
    # The funnel hangs under the global objective: the global objective cannot hang under it.
    return {"id": w.global_objective, "input": {"parentId": w.funnel}}


async def idempotency_key_reused(gql: Client, w: World) -> dict[str, Any]:
    sent = {"keyResultId": w.mql, "value": 450, "idempotencyKey": "weekly-1"}
    await gql.mutate(CHECK_IN_CREATE, input=sent)
    return {"input": {**sent, "value": 460}}


async def target_refused(gql: Client, w: World) -> dict[str, Any]:
    return {"input": {"organizationId": w.org, "url": "http://169.254.169.254/latest"}}


async def member_inactive(gql: Client, w: World) -> dict[str, Any]:
    await gql.mutate(MEMBER_DEACTIVATE, id=w.marta)
    return {"id": w.deals, "input": {"owner": w.marta}}


# code -> (the mutation, how to provoke it, the field at fault)
PROVOKED: dict[str, tuple[str, Setup, list[str]]] = {
    "NOT_MEASURABLE": (KEY_RESULT_CREATE, not_measurable, ["input", "targetValue"]),
    "TOO_MANY_OBJECTIVES": (OBJECTIVE_CREATE, too_many_objectives, ["input", "departmentId"]),
    "DUPLICATE_GLOBAL_OBJECTIVE": (
        OBJECTIVE_CREATE,
        duplicate_global_objective,
        ["input", "parentId"],
    ),
    "CYCLE_MISMATCH": (OBJECTIVE_CREATE, cycle_mismatch, ["input", "parentId"]),
    "DEPENDENCY_CYCLE": (DEPENDENCY_ADD, dependency_cycle, ["input", "dependsOnId"]),
    "INVALID_VALUE": (CHECK_IN_CREATE, invalid_value, ["input", "confidence"]),
    "INVALID_TEXT": (OBJECTIVE_CREATE, invalid_text, ["input", "title"]),
    "NOT_FOUND": (KEY_RESULT_UPDATE, not_found, ["id"]),
    "INVALID_ID": (CHECK_IN_DELETE, invalid_id, ["id"]),
    "DUPLICATE": (DEPARTMENT_CREATE, duplicate, ["input", "name"]),
    "CYCLE_CLOSED": (CHECK_IN_CREATE, cycle_closed, ["input", "keyResultId"]),
    "HAS_CHILDREN": (OBJECTIVE_DELETE, has_children, ["id"]),
    "INVALID_PARENT": (OBJECTIVE_UPDATE, invalid_parent, ["input", "parentId"]),
    "IDEMPOTENCY_KEY_REUSED": (
        CHECK_IN_CREATE,
        idempotency_key_reused,
        ["input", "idempotencyKey"],
    ),
    "TARGET_REFUSED": (WEBHOOK_CREATE, target_refused, ["input", "url"]),
    "MEMBER_INACTIVE": (KEY_RESULT_UPDATE, member_inactive, ["input", "owner"]),
}


def test_every_user_error_code_of_the_schema_is_provoked_here() -> None:
    assert set(PROVOKED) == {code.name for code in UserErrorCode}


def test_the_user_error_codes_are_the_domain_codes_but_store_unavailable() -> None:
    # STORE_UNAVAILABLE is a fault of the service, not of the request: a top-level error with
    # that code (test_bad_ids.py proves it for every mutation), never a userError.
    assert {code.name for code in UserErrorCode} == {c.value for c in ErrorCode} - {
        "STORE_UNAVAILABLE"
    }


@pytest.mark.parametrize("code", list(PROVOKED))
async def test_each_user_error_code_is_reachable_through_a_mutation(
    gql: Client, backend: Backend, world: World, code: str
) -> None:
    document, provoke, field = PROVOKED[code]
    variables = await provoke(gql, world)
    error = await refused(backend, gql, document, variables)
    assert error["code"] == code
    assert error["field"] == field


async def test_the_objective_limit_counts_the_months_of_the_quarter(
    gql: Client, backend: Backend, world: World
) -> None:
    january = await gql.mutate(
        CYCLE_CREATE, input={"organizationId": world.org, "year": 2027, "month": 1}
    )
    variables = await too_many_objectives(gql, world)
    variables["input"]["cycleId"] = january["cycle"]["id"]
    error = await refused(backend, gql, OBJECTIVE_CREATE, variables)
    assert (error["code"], error["field"]) == ("TOO_MANY_OBJECTIVES", ["input", "departmentId"])
    assert "in the quarter and its months" in error["message"]


@pytest.mark.parametrize("upstream", ["deals", "mql"])
async def test_removing_a_dependency_that_does_not_exist_is_not_found(
    gql: Client, backend: Backend, world: World, upstream: str
) -> None:
    # Deals wait on the MQLs; the MQLs wait on nothing.
    variables = {"input": {"keyResultId": world.mql, "dependsOnId": getattr(world, upstream)}}
    error = await refused(backend, gql, DEPENDENCY_REMOVE, variables)
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "dependsOnId"])
