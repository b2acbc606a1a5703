"""Query arguments a client gets wrong are GraphQL errors with a code; faults of the service are
masked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from schema.ids import to_global_id
from service.domain.errors import StoreUnavailable
from tests.schema.conftest import Backend, Client, Failing, World, forged, is_write, no_internals
from tests.schema.operations import DEPARTMENT_CREATE

# Every connection, each in a request of its own: a refused non-null field nulls its parent, and
# graphql-core stops the rest of the request when the parent is the root.
CONNECTIONS = {
    "organizations": "query($first: Int, $after: String) {"
    " organizations(first: $first, after: $after) { totalCount } }",
    "Organization.objectives": "query($id: ID!, $first: Int, $after: String) {"
    " node(id: $id) { ... on Organization { objectives(first: $first, after: $after)"
    " { totalCount } } } }",
    "Organization.initiatives": "query($id: ID!, $first: Int, $after: String) {"
    " node(id: $id) { ... on Organization { initiatives(first: $first, after: $after)"
    " { totalCount } } } }",
    "Cycle.objectives": "query($id: ID!, $first: Int, $after: String) {"
    " node(id: $id) { ... on Cycle { objectives(first: $first, after: $after) { totalCount } } } }",
    "Department.keyResults": "query($id: ID!, $first: Int, $after: String) {"
    " node(id: $id) { ... on Department { keyResults(first: $first, after: $after)"
    " { totalCount } } } }",
    "KeyResult.checkIns": "query($id: ID!, $first: Int, $after: String) {"
    " node(id: $id) { ... on KeyResult { checkIns(first: $first, after: $after)"
    " { totalCount } } } }",
}


def owner(world: World, connection: str) -> dict[str, str]:
    """The `id` variable of a connection's query."""
    found = {
        "organizations": None,
        "Organization": world.org,
        "Cycle": world.quarters[0],
        "Department": world.marketing,
        "KeyResult": world.mql,
    }[connection.split(".")[0]]
    return {} if found is None else {"id": found}


async def refused_on_every_connection(
    gql: Client, world: World, code: str, **arguments: Any
) -> list[str]:
    """The message of each connection's one error, which must carry `code`."""
    messages = []
    for name, query in CONNECTIONS.items():
        result = await gql.raw(query, **owner(world, name), **arguments)
        assert result.errors is not None, name
        (error,) = result.errors
        assert error.extensions == {"code": code}, name
        assert error.path is not None
        assert error.path[-1] == name.split(".")[-1]
        no_internals(error.message)
        messages.append(error.message)
    return messages


ORGANIZATION = "query Organization($id: ID!) { organization(id: $id) { id } }"

# Fields that take a cycle id, each in a request of its own.
CYCLE_ARGUMENTS = {
    "objectives": "query($id: ID!, $cycle: ID!) {"
    " node(id: $id) { ... on Organization { objectives(cycleId: $cycle) { totalCount } } } }",
    "health": "query($id: ID!, $cycle: ID!) {"
    " node(id: $id) { ... on Organization { health(cycleId: $cycle) { findings { code } } } } }",
    "progress": "query($id: ID!, $cycle: ID!) {"
    " node(id: $id) { ... on Department { progress(cycleId: $cycle) { value } } } }",
    "keyResults": "query($id: ID!, $cycle: ID!) {"
    " node(id: $id) { ... on Department { keyResults(cycleId: $cycle) { totalCount } } } }",
}


def codes(result_errors: Any) -> dict[tuple[str | int, ...], str]:
    return {tuple(e.path): e.extensions["code"] for e in result_errors}


@pytest.mark.parametrize("first", [101, -1, 1000])
async def test_a_page_size_outside_0_to_100_is_refused_on_every_connection(
    gql: Client, world: World, first: int
) -> None:
    messages = await refused_on_every_connection(gql, world, "INVALID_PAGE_SIZE", first=first)
    assert set(messages) == {f"`first` must be between 0 and 100; got {first}"}


@pytest.mark.parametrize(
    "after",
    [
        "garbage!",
        "",
        "Y3Vyc29yOg",  # base64 of "cursor:" with nothing after it
        to_global_id("KeyResult", "a", "b"),  # an id is not a cursor
        "x" * 300,
    ],
)
async def test_a_cursor_this_api_did_not_make_is_refused_on_every_connection(
    gql: Client, world: World, after: str
) -> None:
    await refused_on_every_connection(gql, world, "INVALID_CURSOR", after=after)


@pytest.mark.parametrize(
    "bad",
    ["not-an-id", "", "T3JnYW5pemF0aW9u", "T3JnYW5pemF0aW9uOmE6Yg"],  # "Organization", …":a:b"
)
async def test_a_malformed_organization_id_argument_is_an_invalid_id_error(
    gql: Client, bad: str
) -> None:
    result = await gql.raw(ORGANIZATION, id=bad)
    assert result.data == {"organization": None}
    assert result.errors is not None
    (error,) = result.errors
    assert error.extensions == {"code": "INVALID_ID"}
    assert error.path == ["organization"]
    no_internals(error.message)


async def test_an_organization_argument_with_the_id_of_another_type_is_an_invalid_id_error(
    gql: Client, world: World
) -> None:
    result = await gql.raw(ORGANIZATION, id=world.marketing)
    assert result.errors is not None
    (error,) = result.errors
    assert error.extensions == {"code": "INVALID_ID"}
    assert error.message == "expected the id of a Organization, got the id of a Department"


@pytest.mark.parametrize(
    ("cycle", "code"),
    [
        (lambda w, o: "nonsense", "INVALID_ID"),
        (lambda w, o: w.funnel, "INVALID_ID"),
        (lambda w, o: forged("Cycle", w.org), "NOT_FOUND"),
        (lambda w, o: o.quarters[0], "NOT_FOUND"),  # another organization's quarter
    ],
    ids=["malformed", "wrong type", "unknown", "another organization's"],
)
async def test_a_bad_cycle_argument_is_a_coded_error(
    gql: Client, world: World, other: World, cycle: Any, code: str
) -> None:
    chosen = cycle(world, other)
    for name, query in CYCLE_ARGUMENTS.items():
        owner_id = world.org if name in ("objectives", "health") else world.marketing
        result = await gql.raw(query, id=owner_id, cycle=chosen)
        if name == "objectives" and code == "NOT_FOUND":
            # A filter by a cycle the organization does not have finds nothing.
            assert result.errors is None
            assert result.data == {"node": {"objectives": {"totalCount": 0}}}
            continue
        assert result.errors is not None, name
        (error,) = result.errors
        assert (error.path, error.extensions) == (["node", name], {"code": code})
        no_internals(error.message)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (
            "query($o: ID!) { organization(id: $o) { progress(year: 0) { value } } }",
            "INVALID_VALUE",
        ),
        (
            "query($o: ID!) { organization(id: $o) { globalObjective(year: 99999) { id } } }",
            "INVALID_VALUE",
        ),
        (
            "query($o: ID!) { organization(id: $o) { progressSeries(year: 2027, from: "
            '"2027-02-02T00:00:00Z", to: "2027-02-01T00:00:00Z", interval: DAY) { value } } }',
            "INVALID_VALUE",
        ),
        (
            "query($o: ID!) { organization(id: $o) { progressSeries(year: 2027, from: "
            '"2026-01-01T00:00:00Z", to: "2027-12-31T00:00:00Z", interval: DAY) { value } } }',
            "INVALID_VALUE",  # 730 points: over the limit of 400
        ),
    ],
    ids=["year 0", "year 99999", "to before from", "too many points"],
)
async def test_an_out_of_range_argument_is_a_coded_error(
    gql: Client, world: World, query: str, code: str
) -> None:
    result = await gql.raw(query, o=world.org)
    if result.errors is None:
        pytest.fail(f"expected an error, got {result.data}")
    (error,) = result.errors
    assert error.extensions == {"code": code}
    no_internals(error.message)


async def test_more_than_100_ids_at_once_are_refused(gql: Client, world: World) -> None:
    result = await gql.raw("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=[world.org] * 101)
    assert result.errors is not None
    (error,) = result.errors
    assert error.extensions == {"code": "TOO_MANY_IDS"}


async def test_an_unknown_enum_value_in_a_query_fails_validation(gql: Client, world: World) -> None:
    result = await gql.raw(
        "query($o: ID!) { organization(id: $o) { currentCycle(kind: DECADE) { id } } }",
        o=world.org,
    )
    assert result.data is None
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}


# Faults of the service -------------------------------------------------------------------------

SECRET = "mongodb://admin:hunter2@db.internal:27017 exploded in reads.py line 42"


async def test_an_unexpected_exception_in_a_query_is_masked(backend: Backend, world: World) -> None:
    broken = Failing(backend.store, lambda name: name == "load_organization", RuntimeError(SECRET))
    result = await Client(broken.as_store()).raw(ORGANIZATION, id=world.org)
    assert result.data == {"organization": None}
    assert result.errors is not None
    (error,) = result.errors
    assert error.message == "Internal server error"
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR"}
    assert error.path == ["organization"]
    shown = json.dumps([e.formatted for e in result.errors])
    for secret in ("hunter2", "RuntimeError", "reads.py", "Traceback"):
        assert secret not in shown


async def test_an_unexpected_exception_in_a_mutation_is_masked_and_writes_nothing(
    backend: Backend, world: World
) -> None:
    before = await backend.snapshot()
    broken = Failing(backend.store, is_write, RuntimeError(SECRET))
    result = await Client(broken.as_store()).raw(
        DEPARTMENT_CREATE, input={"organizationId": world.org, "name": "Ops"}
    )
    assert result.data is None
    assert result.errors is not None
    (error,) = result.errors
    assert (error.message, error.extensions) == (
        "Internal server error",
        {"code": "INTERNAL_SERVER_ERROR"},
    )
    assert "hunter2" not in json.dumps(error.formatted)
    assert await backend.snapshot() == before


async def test_an_unavailable_store_in_a_query_is_a_coded_error_not_a_masked_one(
    backend: Backend, world: World
) -> None:
    down = StoreUnavailable("the store is unavailable (AutoReconnect)")
    broken = Failing(backend.store, lambda name: True, down)
    result = await Client(broken.as_store()).raw(ORGANIZATION, id=world.org)
    assert result.data == {"organization": None}
    assert result.errors is not None
    (error,) = result.errors
    assert error.message == "the store is unavailable (AutoReconnect)"
    assert error.extensions == {"code": "STORE_UNAVAILABLE"}
