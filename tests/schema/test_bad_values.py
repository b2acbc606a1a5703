"""Bad values for every mutation, as a matrix: each is refused with a userError (its code and
field) or a GraphQL validation/coercion error, never a Python exception's text, and nothing is
written."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from tests.schema.matrix import (
    DROP,
    Change,
    Shared,
    at,
    field_of,
    merge,
    refused_by,
    rejected_by,
    run,
    whole,
)
from tests.schema.matrix import shared as shared  # the module's world
from tests.schema.operations import ERRORS

pytestmark = pytest.mark.asyncio(loop_scope="module")


# Values the domain refuses: text, numbers, and the rules of DOMAIN.md §2 -----------------------

LONG = "x" * 501


VALUE_ROWS = [
    # Text: empty, blank, over the limit; unique names.
    ("organizationCreate", at("input.name", ""), "INVALID_TEXT", "input.name"),
    ("organizationCreate", at("input.name", LONG), "INVALID_TEXT", "input.name"),
    ("organizationCreate", at("input.slug", "Not A Slug"), "INVALID_TEXT", "input.slug"),
    ("organizationCreate", at("input.slug", ""), "INVALID_TEXT", "input.slug"),
    ("organizationCreate", at("input.slug", "acme"), "DUPLICATE", "input.slug"),
    ("organizationCreate", at("input.mission", "m" * 10_001), "INVALID_TEXT", "input.mission"),
    ("organizationUpdate", at("input.name", "   "), "INVALID_TEXT", "input.name"),
    ("organizationUpdate", at("input.name", LONG), "INVALID_TEXT", "input.name"),
    ("departmentCreate", at("input.name", ""), "INVALID_TEXT", "input.name"),
    ("departmentCreate", at("input.name", LONG), "INVALID_TEXT", "input.name"),
    ("departmentCreate", at("input.name", "Marketing"), "DUPLICATE", "input.name"),
    ("objectiveCreate", at("input.title", ""), "INVALID_TEXT", "input.title"),
    ("objectiveCreate", at("input.title", LONG), "INVALID_TEXT", "input.title"),
    ("objectiveCreate", at("input.owner", LONG), "INVALID_ID", "input.owner"),
    ("objectiveUpdate", at("input.title", " \t "), "INVALID_TEXT", "input.title"),
    ("objectiveUpdate", at("input.title", LONG), "INVALID_TEXT", "input.title"),
    ("keyResultCreate", at("input.title", ""), "INVALID_TEXT", "input.title"),
    ("keyResultCreate", at("input.title", LONG), "INVALID_TEXT", "input.title"),
    ("keyResultCreate", at("input.unit", "u" * 51), "INVALID_TEXT", "input.unit"),
    ("keyResultUpdate", at("input.title", ""), "INVALID_TEXT", "input.title"),
    ("keyResultUpdate", at("input.title", LONG), "INVALID_TEXT", "input.title"),
    ("checkInCreate", at("input.note", "n" * 5_001), "INVALID_TEXT", "input.note"),
    (
        "checkInCreate",
        at("input.idempotencyKey", "k" * 201),
        "INVALID_TEXT",
        "input.idempotencyKey",
    ),
    ("actionStepAdd", at("input.title", ""), "INVALID_TEXT", "input.title"),
    ("actionStepAdd", at("input.title", LONG), "INVALID_TEXT", "input.title"),
    ("actionStepUpdate", at("input.title", ""), "INVALID_TEXT", "input.title"),
    ("actionStepUpdate", at("input.title", LONG), "INVALID_TEXT", "input.title"),
    ("initiativeCreate", at("input.title", ""), "INVALID_TEXT", "input.title"),
    ("initiativeCreate", at("input.title", LONG), "INVALID_TEXT", "input.title"),
    # Numbers out of range.
    (
        "organizationUpdate",
        at("input.policy.onTrackRatio", 1.5),
        "INVALID_VALUE",
        "input.policy.onTrackRatio",
    ),
    (
        "organizationUpdate",
        at("input.policy", {"atRiskRatio": 0.9}),
        "INVALID_VALUE",
        "input.policy.atRiskRatio",
    ),
    (
        "organizationUpdate",
        at("input.policy", {"maxObjectivesPerTeam": 0}),
        "INVALID_VALUE",
        "input.policy.maxObjectivesPerTeam",
    ),
    (
        "organizationUpdate",
        at("input.policy", {"minObjectivesPerTeam": 9}),
        "INVALID_VALUE",
        "input.policy.minObjectivesPerTeam",
    ),
    (
        "organizationUpdate",
        at("input.policy", {"staleAfterDays": 0}),
        "INVALID_VALUE",
        "input.policy.staleAfterDays",
    ),
    (
        "organizationUpdate",
        at("input.policy", {"checkInCadenceDays": 0}),
        "INVALID_VALUE",
        "input.policy.checkInCadenceDays",
    ),
    (
        "organizationUpdate",
        at("input.policy", {"checkInCadenceDays": 367}),
        "INVALID_VALUE",
        "input.policy.checkInCadenceDays",
    ),
    ("cycleCreate", at("input.year", 0), "INVALID_VALUE", "input.year"),
    ("cycleCreate", at("input.year", 2027), "DUPLICATE", "input.year"),
    ("cycleCreate", merge({"year": 2027, "month": 13}), "INVALID_VALUE", "input.month"),
    ("cycleCreate", merge({"year": 2027, "month": 1}), "DUPLICATE", "input.month"),
    ("cycleCreate", merge({"year": 2031, "month": 1}), "NOT_FOUND", "input.year"),
    ("objectiveCreate", at("input.weight", 0), "INVALID_VALUE", "input.weight"),
    ("objectiveUpdate", at("input.weight", -1), "INVALID_VALUE", "input.weight"),
    ("keyResultCreate", at("input.weight", 0), "INVALID_VALUE", "input.weight"),
    ("keyResultUpdate", merge({"weight": -2}), "INVALID_VALUE", "input.weight"),
    ("checkInCreate", at("input.confidence", 1.01), "INVALID_VALUE", "input.confidence"),
    ("checkInCreate", at("input.confidence", -0.1), "INVALID_VALUE", "input.confidence"),
    (
        "checkInCreate",
        at("input.recordedAt", "2027-03-01T00:00:00Z"),
        "INVALID_VALUE",
        "input.recordedAt",
    ),
    (
        "checkInCreate",
        at("input.recordedAt", "2027-02-14T00:00:00"),
        "INVALID_VALUE",
        "input.recordedAt",
    ),
    (
        "checkInCreate",
        at("input.recordedAt", "0001-01-01T05:00:00+14:00"),
        "INVALID_VALUE",
        "input.recordedAt",
    ),
    (
        "checkInCreate",
        at("input.recordedAt", "2026-12-31T23:59:59.999Z"),
        "INVALID_VALUE",
        "input.recordedAt",
    ),
    ("actionStepUpdate", at("input.position", -1), "INVALID_VALUE", "input.position"),
    ("initiativeCreate", at("input.cost", -1), "INVALID_VALUE", "input.cost"),
    # Numbers past the bounds every derived number stays finite within.
    ("checkInCreate", at("input.value", 1.7e308), "INVALID_VALUE", "input.value"),
    ("checkInCreate", at("input.value", -1.7e308), "INVALID_VALUE", "input.value"),
    ("keyResultCreate", at("input.startValue", -2e15), "INVALID_VALUE", "input.startValue"),
    ("keyResultCreate", at("input.targetValue", 1e16), "INVALID_VALUE", "input.targetValue"),
    ("keyResultUpdate", merge({"targetValue": 1e300}), "INVALID_VALUE", "input.targetValue"),
    ("initiativeCreate", at("input.cost", 5e-324), "INVALID_VALUE", "input.cost"),
    ("initiativeCreate", at("input.cost", 1e16), "INVALID_VALUE", "input.cost"),
    (
        "initiativeCreate",
        at("input.expectedValue", -1.7e308),
        "INVALID_VALUE",
        "input.expectedValue",
    ),
    # Not measurable: target equal to start, no target, the wrong way for the kind.
    ("keyResultCreate", at("input.targetValue", 0), "NOT_MEASURABLE", "input.targetValue"),
    ("keyResultCreate", at("input.targetValue", 5e-324), "NOT_MEASURABLE", "input.targetValue"),
    (
        "keyResultUpdate",
        merge({"startValue": 0, "targetValue": 1e-10}),
        "NOT_MEASURABLE",
        "input.targetValue",
    ),
    ("keyResultCreate", at("input.targetValue", DROP), "NOT_MEASURABLE", "input.targetValue"),
    ("keyResultCreate", at("input.targetValue", -5), "NOT_MEASURABLE", "input.targetValue"),
    ("keyResultCreate", at("input.kind", "MILESTONE"), "NOT_MEASURABLE", "input.targetValue"),
    ("keyResultUpdate", at("input.targetValue", 0), "NOT_MEASURABLE", "input.targetValue"),
    ("keyResultUpdate", merge({"kind": "DECREASE"}), "NOT_MEASURABLE", "input.targetValue"),
    # The rules of DOMAIN.md §2 and the shape of the tree.
    (
        "objectiveCreate",
        at(
            "input",
            lambda s: {"cycleId": s.a.quarters[1], "title": "6th", "departmentId": s.a.sales},
        ),
        "TOO_MANY_OBJECTIVES",
        "input.departmentId",
    ),
    (
        "objectiveUpdate",
        whole(lambda s: {"id": s.q2_free, "input": {"departmentId": s.a.sales}}),
        "TOO_MANY_OBJECTIVES",
        "input.departmentId",
    ),
    (
        "objectiveCreate",
        at("input", lambda s: {"cycleId": s.a.year, "title": "Another global"}),
        "DUPLICATE_GLOBAL_OBJECTIVE",
        "input.parentId",
    ),
    (
        "objectiveUpdate",
        whole(lambda s: {"id": s.year_child, "input": {"parentId": None}}),
        "DUPLICATE_GLOBAL_OBJECTIVE",
        "input.parentId",
    ),
    (
        "objectiveCreate",
        at("input.cycleId", lambda s: s.q1_2028),
        "CYCLE_MISMATCH",
        "input.parentId",
    ),
    (
        "objectiveUpdate",
        whole(lambda s: {"id": s.a.global_objective, "input": {"parentId": s.a.funnel}}),
        "INVALID_PARENT",
        "input.parentId",
    ),
    (
        "objectiveUpdate",
        at("input.parentId", lambda s: s.a.funnel),
        "INVALID_PARENT",
        "input.parentId",
    ),
    (
        "keyResultDependencyAdd",
        at("input", lambda s: {"keyResultId": s.a.mql, "dependsOnId": s.a.deals}),
        "DEPENDENCY_CYCLE",
        "input.dependsOnId",
    ),
    (
        "keyResultDependencyAdd",
        at("input", lambda s: {"keyResultId": s.a.deals, "dependsOnId": s.a.deals}),
        "DEPENDENCY_CYCLE",
        "input.dependsOnId",
    ),
    ("keyResultCarryOver", at("cycleId", lambda s: s.a.quarters[0]), "CYCLE_MISMATCH", "cycleId"),
    ("keyResultCarryOver", at("cycleId", lambda s: s.a.year), "CYCLE_MISMATCH", "cycleId"),
    ("objectiveDelete", at("id", lambda s: s.a.global_objective), "HAS_CHILDREN", "id"),
    ("objectiveProgressOverride", at("input.reason", "  "), "INVALID_TEXT", "input.reason"),
    ("objectiveProgressOverride", at("input.reason", "x" * 10_001), "INVALID_TEXT", "input.reason"),
    ("objectiveProgressOverride", at("input.value", 1.5), "INVALID_VALUE", "input.value"),
    ("objectiveProgressOverride", at("input.value", -0.1), "INVALID_VALUE", "input.value"),
    (
        "objectiveProgressOverride",
        at("input.expiresAt", "2027-02-14T23:59:59Z"),
        "INVALID_VALUE",
        "input.expiresAt",
    ),
    (
        "objectiveProgressOverride",
        at("input.expiresAt", "2027-02-15T00:00:00Z"),
        "INVALID_VALUE",
        "input.expiresAt",
    ),
    (
        "objectiveProgressOverride",
        at("input.expiresAt", "2027-03-01T00:00:00"),
        "INVALID_VALUE",
        "input.expiresAt",
    ),
]


@pytest.mark.parametrize(
    ("op", "change", "code", "field"),
    VALUE_ROWS,
    ids=[f"{op}-{code}-{field}-{n}" for n, (op, _, code, field) in enumerate(VALUE_ROWS)],
)
async def test_a_value_the_domain_refuses_is_a_user_error_on_its_field(
    shared: Shared, op: str, change: Change, code: str, field: str
) -> None:
    error = await refused_by(shared, *run(op, shared, change))
    assert (error["code"], error["field"]) == (code, field_of(field))


# Values GraphQL itself refuses: wrong scalar types, non-finite numbers, unknown enum values,
# missing or unknown fields ----------------------------------------------------------------------

FLOAT_SLOTS = [
    ("organizationUpdate", "input.policy.onTrackRatio"),
    ("objectiveCreate", "input.weight"),
    ("objectiveUpdate", "input.weight"),
    ("keyResultCreate", "input.startValue"),
    ("keyResultCreate", "input.targetValue"),
    ("keyResultCreate", "input.weight"),
    ("keyResultUpdate", "input.targetValue"),
    ("checkInCreate", "input.value"),
    ("checkInCreate", "input.confidence"),
    ("initiativeCreate", "input.cost"),
    ("initiativeCreate", "input.expectedValue"),
]
NOT_FLOATS = {"text": "abc", "infinity (1e999)": math.inf, "-infinity": -math.inf, "NaN": math.nan}

INT_SLOTS = [
    ("cycleCreate", "input.year"),
    ("actionStepUpdate", "input.position"),
]
NOT_INTS = {"text": "abc", "over 32 bits": 2**31, "a fraction": 1.5}

COERCION_ROWS = [
    *(
        (op, at(path, bad), f"{op}.{path} {name}")
        for op, path in FLOAT_SLOTS
        for name, bad in NOT_FLOATS.items()
    ),
    *(
        (op, at(path, bad), f"{op}.{path} {name}")
        for op, path in INT_SLOTS
        for name, bad in NOT_INTS.items()
    ),
    ("organizationUpdate", at("input.policy", {"maxObjectivesPerTeam": "five"}), "policy int text"),
    ("keyResultCreate", at("input.kind", "SIDEWAYS"), "unknown enum value"),
    ("keyResultCreate", at("input.kind", "increase"), "enum value in lower case"),
    ("keyResultUpdate", merge({"kind": 1}), "enum as a number"),
    ("checkInCreate", at("input.recordedAt", "yesterday"), "not a date-time"),
    ("objectiveProgressOverride", at("input.expiresAt", "soon"), "expiry not a date-time"),
    ("objectiveProgressOverride", at("input.reason", DROP), "override without a reason"),
    ("actionStepAdd", at("input.dueOn", "2027-02-30"), "no such day"),
    ("actionStepUpdate", at("input.done", "yes"), "not a boolean"),
    ("checkInCreate", at("input.keyResultId", {"id": 1}), "an object for an id"),
    ("initiativeCreate", at("input.keyResultIds", [True]), "a boolean for an id"),
    ("objectiveCreate", at("input.title", DROP), "a required field left out"),
    ("objectiveCreate", at("input.title", None), "null for a required field"),
    ("keyResultCreate", merge({"bogus": 1}), "an unknown field"),
    ("cycleClose", at("id", None), "null id"),
    ("keyResultCarryOver", at("cycleId", DROP), "a required argument left out"),
]


@pytest.mark.parametrize(
    ("op", "change", "_"), COERCION_ROWS, ids=[row[2] for row in COERCION_ROWS]
)
async def test_a_value_of_the_wrong_type_is_a_graphql_error_and_writes_nothing(
    shared: Shared, op: str, change: Change, _: str
) -> None:
    await rejected_by(shared, *run(op, shared, change))


# Values written into the document: GraphQL parses 1e999 as infinity, the domain refuses it -----

# (mutation, its arguments with the literal in them, the id $id names, the field at fault)
LITERALS: list[tuple[str, str, Callable[[Shared], str], str]] = [
    ("checkInCreate", "input: {keyResultId: $id, value: 1e999}", lambda s: s.a.mql, "input.value"),
    (
        "checkInCreate",
        "input: {keyResultId: $id, value: 1, confidence: -1e999}",
        lambda s: s.a.mql,
        "input.confidence",
    ),
    (
        "objectiveCreate",
        'input: {cycleId: $id, title: "T", weight: 1e999}',
        lambda s: s.a.quarters[0],
        "input.weight",
    ),
    (
        "keyResultCreate",
        'input: {objectiveId: $id, title: "T", targetValue: -1e999}',
        lambda s: s.a.funnel,
        "input.targetValue",
    ),
    ("keyResultUpdate", "id: $id, input: {weight: 1e999}", lambda s: s.a.mql, "input.weight"),
    (
        "initiativeCreate",
        'input: {organizationId: $id, title: "T", cost: 1e999, expectedValue: 1}',
        lambda s: s.a.org,
        "input.cost",
    ),
    (
        "organizationUpdate",
        "id: $id, input: {policy: {roiThreshold: 1e999}}",
        lambda s: s.a.org,
        "input.policy.roiThreshold",
    ),
    (
        "organizationUpdate",
        "id: $id, input: {policy: {onTrackRatio: 1e999}}",
        lambda s: s.a.org,
        "input.policy.onTrackRatio",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "arguments", "target", "field"),
    LITERALS,
    ids=[f"{m}.{f}" for m, _, _, f in LITERALS],
)
async def test_an_infinite_literal_is_refused_as_an_invalid_value(
    shared: Shared, mutation: str, arguments: str, target: Callable[[Shared], str], field: str
) -> None:
    document = f"mutation($id: ID!) {{ {mutation}({arguments}) {{ {ERRORS} }} }}"
    error = await refused_by(shared, document, {"id": target(shared)})
    assert (error["code"], error["field"]) == ("INVALID_VALUE", field_of(field))


BAD_LITERALS = {
    "unknown enum literal": "mutation($id: ID!) { keyResultCreate(input: {objectiveId: $id, "
    'title: "T", kind: SIDEWAYS, targetValue: 5}) { keyResult { id } } }',
    "string for a float": "mutation($id: ID!) { checkInCreate(input: {keyResultId: $id, "
    'value: "abc"}) { checkIn { id } } }',
    "unknown field": "mutation($id: ID!) { checkInCreate(input: {keyResultId: $id, value: 1, "
    "mood: 3}) { checkIn { id } } }",
}


@pytest.mark.parametrize("document", list(BAD_LITERALS.values()), ids=list(BAD_LITERALS))
async def test_a_bad_literal_fails_validation_and_writes_nothing(
    shared: Shared, document: str
) -> None:
    await rejected_by(shared, document, {"id": shared.a.mql})
