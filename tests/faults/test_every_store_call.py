"""Every write, with a fault at every store call it makes: the link cut before the call, or the
call run and its reply lost. The client retries (with the same idempotency key where the
mutation has one; otherwise as a person would: look, and do it again if it is not done). Then
two instances and a fresh one must answer alike, the write must have happened exactly once,
and a subscriber must have heard each change once, in order, live and resumed from the log.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mongomock_motor import AsyncMongoMockClient
from strawberry.types import ExecutionResult

from schema.api import schema
from schema.context import build_context
from service.events import Event, EventStream
from service.okrs.commit import Writer
from service.readmodel import ReadModel
from service.store.interface import Store
from service.store.mongo import MongoStore
from tests.faults.conftest import Database, Failpoint
from tests.schema.conftest import Client, World, build_world, org_of
from tests.schema.operations import (
    CARRY_OVER,
    CHECK_IN_CREATE,
    CHECK_IN_DELETE,
    CSV_IMPORT,
    CYCLE_CLOSE,
    DEPENDENCY_ADD,
    DEPENDENCY_REMOVE,
    INITIATIVE_CREATE,
    INITIATIVE_LINK,
    KEY_RESULT_ALIGN,
    KEY_RESULT_CREATE,
    KEY_RESULT_DELETE,
    KEY_RESULT_UNALIGN,
    KEY_RESULT_UPDATE,
    MEMBER_DEACTIVATE,
    MEMBER_INVITE,
    MEMBER_UPDATE,
    OBJECTIVE_CREATE,
    OBJECTIVE_DELETE,
    OBJECTIVE_UPDATE,
    OVERRIDE_CLEAR,
    OVERRIDE_SET,
)

NOW = datetime(2027, 2, 15, tzinfo=UTC)
OPERATIONS = Path(__file__).parents[2] / "schema" / "operations"
DASHBOARD = (OPERATIONS / "Dashboard.graphql").read_text()
OBJECTIVE = (OPERATIONS / "ObjectiveDetail.graphql").read_text()
KEY_RESULT = (OPERATIONS / "KeyResultDetail.graphql").read_text()
HOW = ("raise", "lose")


@dataclass
class Seeded:
    """The world's ids, with a key result that waits on nothing and an initiative."""

    world: World
    webinars: str
    initiative: str


_TEMPLATE: list[tuple[Seeded, dict[str, list[dict[str, Any]]]]] = []


async def template() -> tuple[Seeded, dict[str, list[dict[str, Any]]]]:
    """The world, built once through the API, and its documents (the log included)."""
    if not _TEMPLATE:
        database: Any = AsyncMongoMockClient(tz_aware=True)["faults_template"]
        store = MongoStore(database)
        await store.ensure_indexes()
        client = Client(store, mode="shared")
        world = await build_world(client, "faults")
        webinars = await client.mutate(
            KEY_RESULT_CREATE,
            input={"objectiveId": world.funnel, "title": "Run 6 webinars", "targetValue": 6},
        )
        initiative = await client.mutate(
            INITIATIVE_CREATE,
            input={"organizationId": world.org, "title": "SEO", "cost": 1, "expectedValue": 3},
        )
        # Deals serve the global objective too: a link to let go of.
        await client.mutate(
            KEY_RESULT_ALIGN,
            input={
                "keyResultId": world.deals,
                "objectiveId": world.global_objective,
                "weight": 2,
            },
        )
        await client.mutate(
            OVERRIDE_SET,
            input={"objectiveId": world.global_objective, "value": 0.3, "reason": "Board call"},
        )
        dumped = await Database(database, lambda: database).dump()
        seeded = Seeded(world, webinars["keyResult"]["id"], initiative["initiative"]["id"])
        _TEMPLATE.append((seeded, dumped))
    seeded, documents = _TEMPLATE[0]
    return seeded, copy.deepcopy(documents)


@dataclass
class Instance:
    """One instance of the service: its store, read model, writer and event stream."""

    store: Store
    reads: ReadModel = field(init=False)
    writer: Writer = field(init=False)
    events: EventStream = field(init=False)

    def __post_init__(self) -> None:
        self.reads = ReadModel(self.store)
        self.writer = Writer(self.store, self.reads)
        self.events = EventStream(self.reads, self.store)

    async def run(self, query: str, **variables: Any) -> ExecutionResult:
        context = build_context(
            self.store, reads=self.reads, writer=self.writer, clock=lambda: NOW, events=self.events
        )
        return await schema.execute(query, variable_values=variables, context_value=context)

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        result = await self.run(query, **variables)
        assert result.errors is None, [e.formatted for e in result.errors]
        assert result.data is not None
        return result.data


async def answers(instance: Instance, s: Seeded) -> list[dict[str, Any]]:
    """What the screens show: the dashboard of Q1, the funnel objective, two key results."""
    w = s.world
    window = {"from": "2027-01-01T00:00:00Z", "to": "2027-02-15T00:00:00Z"}
    return [
        await instance.data(DASHBOARD, organizationId=w.org, cycleId=w.quarters[0]),
        await instance.data(OBJECTIVE, id=w.funnel),
        await instance.data(KEY_RESULT, id=w.mql, **window),
        await instance.data(KEY_RESULT, id=s.webinars, **window),
    ]


Done = Callable[[Instance, Seeded], Awaitable[bool]]


@dataclass(frozen=True)
class Case:
    """A mutation, its variables, and how a person sees that it is done (None: it has an
    idempotency key, and is sent again as it was)."""

    document: str
    variables: Callable[[Seeded], dict[str, Any]]
    done: Done | None


async def titles(instance: Instance, s: Seeded) -> list[str]:
    found = await instance.data(DASHBOARD, organizationId=s.world.org, cycleId=s.world.quarters[0])
    nodes = found["cycle"]["objectives"]["nodes"]
    return [o["title"] for o in nodes] + [k["title"] for o in nodes for k in o["keyResults"]]


def titled(title: str) -> Done:
    async def done(instance: Instance, s: Seeded) -> bool:
        return title in await titles(instance, s)

    return done


def gone(pick: Callable[[Seeded], str]) -> Done:
    async def done(instance: Instance, s: Seeded) -> bool:
        found = await instance.data("query($id: ID!) { node(id: $id) { id } }", id=pick(s))
        return found["node"] is None

    return done


def read(
    query: str, pick: Callable[[Seeded], dict[str, Any]], check: Callable[[Any], bool]
) -> Done:
    async def done(instance: Instance, s: Seeded) -> bool:
        return check(await instance.data(query, **pick(s)))

    return done


CSV_FILE = (
    "objective,parent,key result,owner email,department,kind,start,target,current,due\r\n"
    'Fill the funnel,,"Obtain 1,000 MQLs",,Marketing,INCREASE,0,1000,700,2027-Q1\r\n'
    "Imported goal,Increase the sales close rate by 20%,,ann@acme.test,Ops,,,,,2027-Q1\r\n"
    "Imported goal,,Ship the import,,Ops,,0,3,1,2027-Q1\r\n"
)
"""An import of one change: a check-in on a key result, a new department, objective and key
result with its own check-in."""
NODE_DEPENDS = "query($id: ID!) { node(id: $id) { ... on KeyResult { dependsOn { id } } } }"
NODE_SERVES = "query($id: ID!) { node(id: $id) { ... on KeyResult { objectives { id } } } }"
CHECK_INS = "query($id: ID!) { node(id: $id) { ... on KeyResult { checkIns { totalCount } } } }"

OVERRIDES = """query($id: ID!) { node(id: $id) { ... on Objective {
  progressOverrides { value clearedAt } } } }"""

MEMBERS = "query($o: ID!) { organization(id: $o) { members { nodes { name email active } } } }"


def member(check: Callable[[list[dict[str, Any]]], bool]) -> Done:
    return read(
        MEMBERS,
        lambda s: {"o": s.world.org},
        lambda d: check(d["organization"]["members"]["nodes"]),
    )


CASES: dict[str, Case] = {
    "checkInCreate keyed": Case(
        CHECK_IN_CREATE,
        lambda s: {"input": {"keyResultId": s.world.mql, "value": 640, "idempotencyKey": "k-1"}},
        None,
    ),
    "checkInCreate": Case(
        CHECK_IN_CREATE,
        lambda s: {"input": {"keyResultId": s.webinars, "value": 2}},
        read(
            CHECK_INS,
            lambda s: {"id": s.webinars},
            lambda d: d["node"]["checkIns"]["totalCount"] == 1,
        ),
    ),
    "checkInDelete": Case(
        CHECK_IN_DELETE, lambda s: {"id": s.world.check_in}, gone(lambda s: s.world.check_in)
    ),
    "keyResultCreate": Case(
        KEY_RESULT_CREATE,
        lambda s: {"input": {"objectiveId": s.world.funnel, "title": "New KR", "targetValue": 9}},
        titled("New KR"),
    ),
    "keyResultUpdate": Case(
        KEY_RESULT_UPDATE,
        lambda s: {"id": s.world.deals, "input": {"title": "Close 60 deals", "targetValue": 60}},
        titled("Close 60 deals"),
    ),
    "keyResultDelete": Case(
        KEY_RESULT_DELETE, lambda s: {"id": s.world.mql}, gone(lambda s: s.world.mql)
    ),
    "objectiveCreate": Case(
        OBJECTIVE_CREATE,
        lambda s: {"input": {"cycleId": s.world.quarters[0], "title": "New objective"}},
        titled("New objective"),
    ),
    "objectiveUpdate": Case(
        OBJECTIVE_UPDATE,
        lambda s: {"id": s.world.funnel, "input": {"title": "Fill it faster"}},
        titled("Fill it faster"),
    ),
    "objectiveMove": Case(
        OBJECTIVE_UPDATE,
        lambda s: {"id": s.world.funnel, "input": {"parentId": None}},
        read(
            "query($id: ID!) { node(id: $id) { ... on Objective { parent { id } } } }",
            lambda s: {"id": s.world.funnel},
            lambda d: d["node"]["parent"] is None,
        ),
    ),
    "objectiveDelete": Case(
        OBJECTIVE_DELETE, lambda s: {"id": s.world.funnel}, gone(lambda s: s.world.funnel)
    ),
    "objectiveProgressOverride": Case(
        OVERRIDE_SET,
        lambda s: {"input": {"objectiveId": s.world.funnel, "value": 0.9, "reason": "Pilot"}},
        read(
            OVERRIDES,
            lambda s: {"id": s.world.funnel},
            lambda d: [o["value"] for o in d["node"]["progressOverrides"]] == [0.9],
        ),
    ),
    "objectiveProgressOverrideClear": Case(
        OVERRIDE_CLEAR,
        lambda s: {"objectiveId": s.world.global_objective},
        read(
            OVERRIDES,
            lambda s: {"id": s.world.global_objective},
            lambda d: d["node"]["progressOverrides"][-1]["clearedAt"] is not None,
        ),
    ),
    "keyResultDependencyAdd": Case(
        DEPENDENCY_ADD,
        lambda s: {"input": {"keyResultId": s.webinars, "dependsOnId": s.world.mql}},
        read(
            NODE_DEPENDS,
            lambda s: {"id": s.webinars},
            lambda d: bool(d["node"]["dependsOn"]),
        ),
    ),
    "keyResultDependencyRemove": Case(
        DEPENDENCY_REMOVE,
        lambda s: {"input": {"keyResultId": s.world.deals, "dependsOnId": s.world.mql}},
        read(NODE_DEPENDS, lambda s: {"id": s.world.deals}, lambda d: not d["node"]["dependsOn"]),
    ),
    "keyResultAlign": Case(
        KEY_RESULT_ALIGN,
        lambda s: {
            "input": {
                "keyResultId": s.webinars,
                "objectiveId": s.world.global_objective,
                "weight": 3,
            }
        },
        read(
            NODE_SERVES,
            lambda s: {"id": s.webinars},
            lambda d: len(d["node"]["objectives"]) == 2,
        ),
    ),
    "keyResultUnalign": Case(
        KEY_RESULT_UNALIGN,
        lambda s: {
            "input": {"keyResultId": s.world.deals, "objectiveId": s.world.global_objective}
        },
        read(
            NODE_SERVES,
            lambda s: {"id": s.world.deals},
            lambda d: len(d["node"]["objectives"]) == 1,
        ),
    ),
    "cycleClose": Case(
        CYCLE_CLOSE,
        lambda s: {"id": s.world.quarters[0]},
        read(
            "query($id: ID!) { node(id: $id) { ... on Cycle { closed } } }",
            lambda s: {"id": s.world.quarters[0]},
            lambda d: d["node"]["closed"],
        ),
    ),
    "keyResultCarryOver": Case(
        CARRY_OVER,
        lambda s: {"id": s.world.mql, "cycleId": s.world.quarters[1]},
        read(
            """query($o: ID!, $q: ID!) { organization(id: $o) {
              objectives(cycleId: $q) { nodes { keyResults { id } } } } }""",
            lambda s: {"o": s.world.org, "q": s.world.quarters[1]},
            lambda d: any(o["keyResults"] for o in d["organization"]["objectives"]["nodes"]),
        ),
    ),
    "memberInvite": Case(
        MEMBER_INVITE,
        lambda s: {
            "input": {"organizationId": s.world.org, "name": "Ana", "email": "ana@faults.example"}
        },
        member(lambda ms: any(m["email"] == "ana@faults.example" for m in ms)),
    ),
    "memberUpdate": Case(
        MEMBER_UPDATE,
        lambda s: {"id": s.world.marta, "input": {"name": "Marta López"}},
        member(lambda ms: any(m["name"] == "Marta López" for m in ms)),
    ),
    "memberDeactivate": Case(
        MEMBER_DEACTIVATE,
        lambda s: {"id": s.world.marta},
        member(lambda ms: not any(m["active"] for m in ms)),
    ),
    "keyResultOwner": Case(
        KEY_RESULT_UPDATE,
        lambda s: {"id": s.world.deals, "input": {"owner": s.world.marta}},
        read(
            "query($id: ID!) { node(id: $id) { ... on KeyResult { owner { id } } } }",
            lambda s: {"id": s.world.deals},
            lambda d: d["node"]["owner"] is not None,
        ),
    ),
    "organizationImportCsv": Case(
        CSV_IMPORT,
        lambda s: {"input": {"organizationId": s.world.org, "csv": CSV_FILE}},
        read(
            """query($id: ID!) { node(id: $id) { ... on KeyResult { currentValue } } }""",
            lambda s: {"id": s.world.mql},
            lambda d: d["node"]["currentValue"] == 700,
        ),
    ),
    "initiativeLink": Case(
        INITIATIVE_LINK,
        lambda s: {"input": {"initiativeId": s.initiative, "keyResultId": s.world.mql}},
        read(
            "query($id: ID!) { node(id: $id) { ... on Initiative { aligned } } }",
            lambda s: {"id": s.initiative},
            lambda d: d["node"]["aligned"],
        ),
    ),
}


_CALLS: dict[str, int] = {}


async def calls_of(name: str, database: Database) -> int:
    """How many store calls the mutation makes on a warm instance, when nothing fails."""
    if name not in _CALLS:
        seeded, documents = await template()
        await database.load(documents)
        store = database.failpoint()
        instance = Instance(store)
        await answers(instance, seeded)
        store.arm(10**6, "raise")
        case = CASES[name]
        result = await instance.run(case.document, **case.variables(seeded))
        assert result.errors is None, result.errors
        armed = store.disarm()
        assert armed is not None
        _CALLS[name] = armed.seen
    return _CALLS[name]


def acknowledged(result: ExecutionResult) -> bool:
    """Whether a mutation's answer says it was done; otherwise it must say the store failed."""
    if result.errors:
        codes = [(e.extensions or {}).get("code") for e in result.errors]
        assert codes == ["STORE_UNAVAILABLE"], [e.formatted for e in result.errors]
        return False
    assert result.data is not None
    (payload,) = result.data.values()
    assert payload["userErrors"] == [], payload["userErrors"]
    return True


async def heard(events: Any, until: int) -> list[Event]:
    """A subscription's events up to the change `until`."""
    got: list[Event] = []
    while True:
        found = events._next()
        if found is not None:
            got.append(found)
            continue
        if (got and got[-1].sequence >= until) or events.closed:
            return got
        try:
            got.append(await asyncio.wait_for(anext(events), 0.2))
        except TimeoutError:
            return got


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("name", list(CASES))
async def test_a_write_ends_where_it_would_have_whatever_store_call_fails(
    database: Database, name: str, how: str
) -> None:
    count = await calls_of(name, database)
    assert count >= 3, "a write catches up, appends and applies"
    case = CASES[name]
    for call in range(1, count + 1):
        await one_fault(database, case, call, how)


async def one_fault(database: Database, case: Case, call: int, how: str) -> None:
    seeded, documents = await template()
    for name in await database.raw.list_collection_names():
        await database.raw[name].delete_many({})
    await database.load(documents)
    a_store: Failpoint = database.failpoint()
    a, b = Instance(a_store), Instance(database.plain())
    before = await answers(a, seeded)
    assert await answers(b, seeded) == before
    org = org_of(seeded.world.org)
    start = await b.store.last_change(org)
    assert start is not None
    async with b.events.subscribe(org) as live:
        a_store.arm(call, how)
        first = await a.run(case.document, **case.variables(seeded))
        armed = a_store.disarm()
        assert armed is not None
        assert armed.fired, f"call {call} was never made"
        done = acknowledged(first)
        for _ in range(3):
            if done:
                break
            if case.done is not None and await case.done(a, seeded):
                done = True  # a person looks first: it is there
                break
            retried = await a.run(case.document, **case.variables(seeded))
            done = acknowledged(retried)
            if done and case.done is None:
                # Sent again with its key: the answer is the first attempt's.
                (payload,) = (retried.data or {}).values()
                assert payload["checkIn"]["value"] == case.variables(seeded)["input"]["value"]
        assert done, f"still not done after a fault at call {call} ({how}) and three retries"
        # Every instance, and one that kept nothing, answers the same.
        on_a = await answers(a, seeded)
        on_b = await answers(b, seeded)
        fresh = await answers(Instance(database.plain()), seeded)
        assert on_a == fresh, f"instance A after a fault at call {call} ({how})"
        assert on_b == fresh, f"instance B after a fault at call {call} ({how})"
        # Exactly one change was written, and applied.
        log = await b.store.changes_after(org, start.sequence, limit=10)
        assert [c.sequence for c in log] == [start.sequence + 1], [c.kind for c in log]
        assert all(c.applied for c in log)
        if case.done is not None:
            assert await case.done(a, seeded)
        # A subscriber heard it once: live on B, and resumed from the log on a fresh stream.
        live_events = await heard(live, log[-1].sequence)
    assert [e.sequence for e in live_events] in ([], [log[-1].sequence])
    fresh_events = EventStream(ReadModel(database.plain()), database.plain())
    async with fresh_events.subscribe(org, after=start.sequence) as resumed:
        replayed = await heard(resumed, log[-1].sequence)
    assert [e.sequence for e in replayed] == [e.sequence for e in live_events]
    assert replayed == live_events
