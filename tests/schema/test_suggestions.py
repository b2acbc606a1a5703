"""With introspection off, no error names what the schema holds: "Did you mean …?" would let a
client rebuild the schema one typo at a time. With introspection on, the suggestions help."""

from __future__ import annotations

from typing import Any

import pytest

from schema.api import build_schema
from schema.limits import Limits

_SERIES = (
    "query($id: ID!{extra}) {{ node(id: $id) {{ ... on Cycle {{ progressSeries(from: "
    '"2027-01-01T00:00:00Z", to: "2027-02-01T00:00:00Z", interval: {interval}) {{ at }} }} }} }}'
)

# Each a typo of a name the schema holds, in a document or in its variables.
MISTAKES: list[tuple[str, str, dict[str, Any]]] = [
    ("field", "{ viewr { role } }", {}),
    ("type", "{ viewer { ...F } } fragment F on Viewr { role }", {}),
    ("variable type", "query($n: Strng) { organizations { totalCount } }", {}),
    ("argument", "{ organizations(frist: 1) { totalCount } }", {}),
    (
        "enum value",
        _SERIES.format(extra="", interval="MONTHH"),
        {"id": "x"},
    ),
    (
        "input field",
        'mutation { checkInCreate(input: {keyResultId: "x", valeu: 1}) { userErrors { code } } }',
        {},
    ),
    (
        "enum value in a variable",
        _SERIES.format(extra=", $i: SeriesInterval!", interval="$i"),
        {"i": "MONTHH", "id": "x"},
    ),
    (
        "input field in a variable",
        "mutation($input: CheckInCreateInput!) { checkInCreate(input: $input) "
        "{ userErrors { code } } }",
        {"input": {"keyResultId": "x", "value": 1, "notee": "typo"}},
    ),
]


async def messages(introspection: bool, query: str, variables: dict[str, Any]) -> list[str]:
    schema = build_schema(Limits(introspection=introspection))
    result = await schema.execute(query, variable_values=variables)
    assert result.errors, result
    return [error.message for error in result.errors]


@pytest.mark.parametrize(
    ("query", "variables"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES]
)
async def test_with_introspection_off_no_error_suggests_a_name(
    query: str, variables: dict[str, Any]
) -> None:
    found = await messages(False, query, variables)
    assert not [m for m in found if "Did you mean" in m], found
    hinted = await messages(True, query, variables)  # the same mistake, with a hint
    assert [m for m in hinted if "Did you mean" in m], hinted
