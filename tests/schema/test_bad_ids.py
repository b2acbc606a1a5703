"""Bad ids for every mutation, as a matrix: unknown, of a missing organization, of another
organization, malformed, of the wrong type, each refused with its code on its field and nothing
written; and a store that fails, for every mutation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from schema.ids import to_global_id
from service.domain.errors import StoreUnavailable
from tests.schema.conftest import Client, Failing, is_write, local_id, org_of
from tests.schema.matrix import (
    GHOST_ORG,
    NOBODY,
    OPS,
    Shared,
    at,
    field_of,
    get,
    refused_by,
    run,
)
from tests.schema.matrix import shared as shared  # the module's world

pytestmark = pytest.mark.asyncio(loop_scope="module")


# Ids: in every id an input or argument takes ---------------------------------------------------

# (mutation, path of the id, the type it must name, whether it is resolved inside another id's
# organization: then an existing object of another organization must fail like an unknown id).
ID_SLOTS: list[tuple[str, str, str, bool]] = [
    ("organizationUpdate", "id", "Organization", False),
    ("departmentCreate", "input.organizationId", "Organization", False),
    ("cycleCreate", "input.organizationId", "Organization", False),
    ("cycleClose", "id", "Cycle", False),
    ("objectiveCreate", "input.cycleId", "Cycle", False),
    ("objectiveCreate", "input.parentId", "Objective", True),
    ("objectiveCreate", "input.departmentId", "Department", True),
    ("objectiveUpdate", "id", "Objective", False),
    ("objectiveUpdate", "input.parentId", "Objective", True),
    ("objectiveUpdate", "input.departmentId", "Department", True),
    ("objectiveDelete", "id", "Objective", False),
    ("keyResultCreate", "input.objectiveId", "Objective", False),
    ("keyResultCreate", "input.departmentId", "Department", True),
    ("keyResultUpdate", "id", "KeyResult", False),
    ("keyResultUpdate", "input.departmentId", "Department", True),
    ("keyResultDelete", "id", "KeyResult", False),
    ("keyResultDependencyAdd", "input.keyResultId", "KeyResult", False),
    ("keyResultDependencyAdd", "input.dependsOnId", "KeyResult", True),
    ("keyResultDependencyRemove", "input.keyResultId", "KeyResult", False),
    ("keyResultDependencyRemove", "input.dependsOnId", "KeyResult", True),
    ("keyResultCarryOver", "id", "KeyResult", False),
    ("keyResultCarryOver", "cycleId", "Cycle", True),
    ("checkInCreate", "input.keyResultId", "KeyResult", False),
    ("checkInDelete", "id", "CheckIn", False),
    ("actionStepAdd", "input.objectiveId", "Objective", False),
    ("objectiveProgressOverride", "input.objectiveId", "Objective", False),
    ("objectiveProgressOverrideClear", "objectiveId", "Objective", False),
    ("actionStepUpdate", "id", "ActionStep", False),
    ("initiativeCreate", "input.organizationId", "Organization", False),
    ("initiativeCreate", "input.keyResultIds.0", "KeyResult", True),
    ("initiativeLink", "input.initiativeId", "Initiative", False),
    ("initiativeLink", "input.keyResultId", "KeyResult", True),
    ("initiativeUnlink", "input.initiativeId", "Initiative", False),
    ("initiativeUnlink", "input.keyResultId", "KeyResult", True),
]


def unknown(type_name: str, valid: str) -> str:
    """Well-formed, of the right type and organization, naming nothing."""
    if type_name == "Organization":
        return to_global_id("Organization", GHOST_ORG, GHOST_ORG)
    return to_global_id(type_name, org_of(valid), NOBODY)


def wrong_type(shared: Shared, type_name: str) -> str:
    """A real id of another type."""
    return shared.a.funnel if type_name != "Objective" else shared.a.mql


# Ways an id can be malformed; the slots take them in turn, so each slot meets one and every
# way is met (a full cross product would triple the rows for one code path).
MALFORMED = ["not-an-id", "", "S2V5UmVzdWx0Ong", "x" * 300]  # the third is base64 "KeyResult:x"

BadId = Callable[[Shared, str, str], str]  # (shared, type name, the valid id) -> a bad id


def always(text: str) -> BadId:
    return lambda shared, type_name, valid: text


def id_rows() -> list[Any]:
    rows = []
    for index, (op, path, type_name, _) in enumerate(ID_SLOTS):
        text = MALFORMED[index % len(MALFORMED)]
        variants: dict[str, tuple[str, BadId]] = {
            "unknown": ("NOT_FOUND", lambda s, t, valid: unknown(t, valid)),
            "missing organization": (
                "NOT_FOUND",
                lambda s, t, valid: to_global_id(t, GHOST_ORG, local_id(valid)),
            ),
            f"malformed {text[:12]!r}": ("INVALID_ID", always(text)),
            "wrong type": ("INVALID_ID", lambda s, t, valid: wrong_type(s, t)),
        }
        for name, (code, make) in variants.items():
            rows.append(pytest.param(op, path, type_name, code, make, id=f"{op}.{path}-{name}"))
    return rows


@pytest.mark.parametrize(("op", "path", "type_name", "code", "make"), id_rows())
async def test_a_bad_id_is_refused_with_its_code_on_its_field(
    shared: Shared, op: str, path: str, type_name: str, code: str, make: BadId
) -> None:
    bad = make(shared, type_name, get(OPS[op].valid(shared), path))
    error = await refused_by(shared, *run(op, shared, at(path, bad)))
    assert error["code"] == code
    expected = field_of(path)
    if code == "INVALID_ID" and expected[-1].isdigit():
        expected = expected[:-1]  # the list is at fault, before any index is looked up
    assert error["field"] == expected


SECONDARY = [slot for slot in ID_SLOTS if slot[3]]


def counterpart(shared: Shared, valid: str) -> str:
    """The object of the other organization that plays the same part as `valid`."""
    for name, mine in vars(shared.a).items():
        theirs = vars(shared.b)[name]
        if mine == valid:
            return str(theirs)
        if isinstance(mine, list) and valid in mine:
            return str(theirs[mine.index(valid)])
    raise AssertionError(f"{valid} is not one of the world's ids")


@pytest.mark.parametrize(
    ("op", "path", "type_name", "_"), SECONDARY, ids=[f"{s[0]}.{s[1]}" for s in SECONDARY]
)
async def test_an_object_of_another_organization_fails_exactly_like_an_unknown_id(
    shared: Shared, op: str, path: str, type_name: str, _: bool
) -> None:
    valid = get(OPS[op].valid(shared), path)
    theirs = await refused_by(shared, *run(op, shared, at(path, counterpart(shared, valid))))
    crossed = to_global_id(type_name, org_of(shared.b.org), local_id(valid))
    forged = await refused_by(shared, *run(op, shared, at(path, crossed)))
    nothing = await refused_by(shared, *run(op, shared, at(path, unknown(type_name, valid))))
    assert theirs == nothing
    assert forged == nothing
    assert nothing["code"] == "NOT_FOUND"


# The store going away: a fault of the service, not of the request ------------------------------

UNAVAILABLE = "the store is unavailable (ServerSelectionTimeoutError)"


@pytest.mark.parametrize("op", list(OPS))
async def test_a_store_failing_on_write_fails_every_mutation_with_code_store_unavailable(
    shared: Shared, op: str
) -> None:
    # Reads pass, so a STORE_UNAVAILABLE also proves the row's variables get as far as a write.
    failing = Failing(shared.backend.store, is_write, StoreUnavailable(UNAVAILABLE))
    before = await shared.backend.snapshot()
    result = await Client(failing.as_store()).raw(OPS[op].document, **OPS[op].valid(shared))
    assert await shared.backend.snapshot() == before
    assert result.data is None  # the payload is non-null, so the error reaches the root
    assert result.errors is not None
    (error,) = result.errors
    assert error.message == UNAVAILABLE
    assert error.extensions == {"code": "STORE_UNAVAILABLE"}
    assert error.path == [op]
