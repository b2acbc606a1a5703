"""Schema-level tests: `schema.execute` over the in-process store (mongomock-motor), with a
fixed clock and a small world built through the API's own mutations."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn, cast

import pytest
import strawberry
from graphql import GraphQLError
from mongomock_motor import AsyncMongoMockClient
from strawberry.types import ExecutionResult

from schema.api import build_schema, schema
from schema.context import Context, build_context
from schema.ids import parse_global_id, to_global_id
from service.okrs.commit import Writer
from service.readmodel import ReadModel
from service.store.interface import Store
from service.store.mongo import MongoStore
from tests.schema.operations import (
    CHECK_IN_CREATE,
    CYCLE_CREATE,
    DEPARTMENT_CREATE,
    DEPENDENCY_ADD,
    KEY_RESULT_CREATE,
    MEMBER_INVITE,
    OBJECTIVE_CREATE,
    ORGANIZATION_CREATE,
)

# Mid first quarter: Q1 2027 is [Jan 1, Apr 1), 90 days, and Feb 15 is 31 + 14 = 45 days in,
# so Q1's expected progress is exactly 45 / 90 = 0.5; the year's is 45 / 365.
NOW = datetime(2027, 2, 15, tzinfo=UTC)
CHECKED_AT = "2027-02-10T12:00:00+00:00"

WRITES = ("append_change", "apply", "prune_changes")


def is_write(name: str) -> bool:
    """Whether a Store method changes stored data."""
    return name in WRITES


@dataclass
class Backend:
    """The store and the raw database under it, to prove what a refusal did not write."""

    store: MongoStore
    database: Any

    async def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every document of every collection, in a stable order."""
        found: dict[str, list[dict[str, Any]]] = {}
        for name in sorted(await self.database.list_collection_names()):
            docs = await self.database[name].find({}).to_list(None)
            found[name] = sorted(docs, key=lambda d: str(d["_id"]))
        return found


async def fresh_backend(name: str) -> Backend:
    """An empty in-process database with the store's indexes."""
    database: Any = AsyncMongoMockClient()[name]
    store = MongoStore(database)
    await store.ensure_indexes()
    return Backend(store=store, database=database)


@pytest.fixture
async def backend() -> Backend:
    return await fresh_backend("okrgraph_schema_test")


class Failing:
    """A store that reads and writes through `inner` except the methods `fails` names, which
    raise `error` before reaching it."""

    def __init__(self, inner: Store, fails: Callable[[str], bool], error: Exception) -> None:
        self._inner = inner
        self._fails = fails
        self._error = error

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._inner, name)
        if not self._fails(name):
            return found

        async def refuse(*_: Any, **__: Any) -> NoReturn:
            raise self._error

        return refuse

    def as_store(self) -> Store:
        # Implements the Protocol through __getattr__, which mypy cannot see.
        return cast(Store, self)


MODES = ("shared", "fresh")
"""How a client's requests read: through one read model kept warm across requests (as a
server runs, with the dashboard fast path on), or through a read model of each request's own
(nothing kept between requests, with the fast path off). Every test of this suite runs in
both (`read_mode`)."""
_MODE = [MODES[0]]


@pytest.fixture(autouse=True, params=MODES)
def read_mode(request: pytest.FixtureRequest) -> Iterator[str]:
    """The mode of every client the test makes."""
    _MODE[0] = request.param
    yield request.param
    _MODE[0] = MODES[0]


@dataclass
class Client:
    """Runs operations against the schema as one request each, at `now`; `mode` is one of
    MODES."""

    store: Store
    now: datetime = NOW
    mode: str = field(default_factory=lambda: _MODE[0])
    reads: ReadModel = field(init=False)
    writer: Writer = field(init=False)

    def __post_init__(self) -> None:
        self.reads = ReadModel(self.store)
        self.writer = Writer(self.store, self.reads)

    @property
    def schema(self) -> strawberry.Schema:
        return schema if self.mode == "shared" else schema_without_fast_path()

    def context(self) -> Context:
        """A request's context in this client's mode."""
        if self.mode == "shared":
            return build_context(
                self.store, reads=self.reads, writer=self.writer, clock=lambda: self.now
            )
        return build_context(self.store, clock=lambda: self.now)

    async def raw(self, query: str, /, **variables: Any) -> ExecutionResult:
        """The whole result, errors included."""
        return await self.schema.execute(
            query, variable_values=variables, context_value=self.context()
        )

    async def __call__(self, query: str, /, **variables: Any) -> dict[str, Any]:
        """The data; any top-level error fails the test."""
        result = await self.raw(query, **variables)
        assert result.errors is None, [e.formatted for e in result.errors]
        assert result.data is not None
        return result.data

    async def mutate(self, query: str, /, **variables: Any) -> dict[str, Any]:
        """The payload of a one-field mutation; a userError fails the test."""
        data = await self(query, **variables)
        (payload,) = data.values()
        assert payload["userErrors"] == [], payload["userErrors"]
        return cast(dict[str, Any], payload)


@functools.cache
def schema_without_fast_path() -> strawberry.Schema:
    """The service's schema with every resolver wrapped by strawberry, as built without the
    dashboard fast path."""
    return build_schema(fast=False)


@pytest.fixture
def gql(backend: Backend) -> Client:
    return Client(backend.store)


# What every refusal must look like --------------------------------------------------------------

PYTHON_TEXT = ("Traceback", "Error(", "object at 0x", "NoneType", "KeyError", "builtins", ".py")


def no_internals(message: str) -> None:
    """A message for people, not a Python exception's text."""
    assert message.strip()
    assert not any(text in message for text in PYTHON_TEXT), message


async def refused(
    backend: Backend, gql: Client, document: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """Run a one-field mutation that must come back with exactly one userError, its object null,
    and the store unchanged; returns the userError."""
    before = await backend.snapshot()
    result = await gql.raw(document, **variables)
    assert result.errors is None, [e.formatted for e in result.errors]
    assert result.data is not None
    (payload,) = result.data.values()
    assert await backend.snapshot() == before, "a refused mutation wrote something"
    (error,) = payload["userErrors"]
    no_internals(error["message"])
    leftovers = {k: v for k, v in payload.items() if k != "userErrors"}
    assert all(v in (None, [], False) for v in leftovers.values()), leftovers
    return dict(error)


async def rejected(
    backend: Backend, gql: Client, document: str, variables: dict[str, Any]
) -> list[GraphQLError]:
    """Run a request GraphQL itself must refuse (validation or coercion of its variables):
    errors with a client code, no data, nothing written."""
    before = await backend.snapshot()
    result = await gql.raw(document, **variables)
    assert result.errors, "expected a GraphQL error"
    assert result.data is None
    assert await backend.snapshot() == before
    for error in result.errors:
        code = (error.extensions or {}).get("code")
        assert code in ("BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"), error.formatted
        no_internals(error.message)
    return list(result.errors)


def local_id(global_id: str) -> str:
    """The store id inside a global id."""
    found = parse_global_id(global_id)
    assert found is not None, global_id
    return found.local_id


def org_of(global_id: str) -> str:
    """The organization id inside a global id."""
    found = parse_global_id(global_id)
    assert found is not None, global_id
    return found.org_id


def forged(type_name: str, org_global_id: str, local: str = "0" * 32) -> str:
    """A well-formed id of `type_name` in the organization `org_global_id` names."""
    return to_global_id(type_name, org_of(org_global_id), local)


# The world, built with the API's own mutations ------------------------------------------------


@dataclass
class World:
    """Global ids of a small organization: two teams, 2027 with its quarters, the global
    objective, a Q1 objective under it with two key results (Sales waits on Marketing), and one
    check-in of 400 MQLs; Marta (a member, an editor) owns the MQL key result."""

    org: str
    marketing: str
    sales: str
    year: str
    quarters: list[str]
    global_objective: str
    funnel: str
    mql: str
    deals: str
    check_in: str
    marta: str


def marta_of(world: World) -> dict[str, str]:
    """Marta as an `owner { id name email }` selection answers her."""
    return {"id": world.marta, "name": "Marta", "email": "marta@acme.example"}


async def build_world(gql: Client, slug: str = "acme") -> World:
    org = await gql.mutate(
        ORGANIZATION_CREATE,
        input={
            "name": f"{slug.title()} Inc.",
            "slug": slug,
            "mission": "Help small shops sell online",
            "vision": "Every shop online by 2030",
        },
    )
    org_id = org["organization"]["id"]
    teams = [
        (await gql.mutate(DEPARTMENT_CREATE, input={"organizationId": org_id, "name": name}))[
            "department"
        ]["id"]
        for name in ("Marketing", "Sales")
    ]
    year = (await gql.mutate(CYCLE_CREATE, input={"organizationId": org_id, "year": 2027}))["cycle"]
    quarters = [c["id"] for c in year["children"]]
    root = await gql.mutate(
        OBJECTIVE_CREATE,
        input={"cycleId": year["id"], "title": "Increase the sales close rate by 20%"},
    )
    funnel = await gql.mutate(
        OBJECTIVE_CREATE,
        input={
            "cycleId": quarters[0],
            "title": "Fill the funnel",
            "parentId": root["objective"]["id"],
        },
    )
    funnel_id = funnel["objective"]["id"]
    marta = await gql.mutate(
        MEMBER_INVITE,
        input={
            "organizationId": org_id,
            "name": "Marta",
            "email": f"marta@{slug}.example",
            "role": "editor",
        },
    )
    mql = await gql.mutate(
        KEY_RESULT_CREATE,
        input={
            "objectiveId": funnel_id,
            "title": "Obtain 1,000 MQLs",
            "unit": "MQLs",
            "startValue": 0,
            "targetValue": 1000,
            "departmentId": teams[0],
            "owner": marta["member"]["id"],
        },
    )
    deals = await gql.mutate(
        KEY_RESULT_CREATE,
        input={
            "objectiveId": funnel_id,
            "title": "Increase closed sales by 25%",
            "unit": "deals",
            "startValue": 40,
            "targetValue": 50,
            "departmentId": teams[1],
            "weight": 2,
        },
    )
    mql_id, deals_id = mql["keyResult"]["id"], deals["keyResult"]["id"]
    await gql.mutate(DEPENDENCY_ADD, input={"keyResultId": deals_id, "dependsOnId": mql_id})
    check_in = await gql.mutate(
        CHECK_IN_CREATE,
        input={"keyResultId": mql_id, "value": 400, "confidence": 0.8, "recordedAt": CHECKED_AT},
    )
    return World(
        org=org_id,
        marketing=teams[0],
        sales=teams[1],
        year=year["id"],
        quarters=quarters,
        global_objective=root["objective"]["id"],
        funnel=funnel_id,
        mql=mql_id,
        deals=deals_id,
        check_in=check_in["checkIn"]["id"],
        marta=marta["member"]["id"],
    )


# Building a world takes a dozen requests; each is built once per run, through the mutations
# above, and every test gets a copy of its documents in its own database.
_BUILT: dict[str, tuple[World, dict[str, list[dict[str, Any]]]]] = {}


async def copy_of_world(backend: Backend, slug: str) -> World:
    """The world of `slug`, written into `backend` as the mutations left it."""
    if slug not in _BUILT:
        scratch = await fresh_backend(f"{slug}_world")
        made = await build_world(Client(scratch.store), slug)
        _BUILT[slug] = (made, await scratch.snapshot())
    made, documents = _BUILT[slug]
    for name, docs in documents.items():
        if docs:
            await backend.database[name].insert_many(copy.deepcopy(docs))
    return made


@pytest.fixture
async def world(backend: Backend) -> World:
    return await copy_of_world(backend, "acme")


@pytest.fixture
async def other(backend: Backend, world: World) -> World:
    """A second organization with the same shape, for ids that must not cross over."""
    return await copy_of_world(backend, "globex")
