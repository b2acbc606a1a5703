"""The benchmarks' world: one nx-27017 in memory holding the demo organization and a large
generated one, a client that counts what it sends, and each data set's ids found through the API.

Both organizations live in the same store, so whatever differs between them is the size of
the organization, not the size of the database.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from pymongo import AsyncMongoClient, monitoring

from schema.api import schema
from schema.context import build_context, signed_in_context
from service.auth import Principal, Role
from service.events import EventStream
from service.okrs.commit import Writer
from service.okrs.datasets import LARGE_SHAPE, Shape, generate
from service.okrs.demo import DEMO_SLUG, seed_demo
from service.readmodel import ReadModel
from service.store.embedded import embedded_mongo
from service.store.mongo import MongoStore
from tests.bench.queries import FIND
from tests.bench.scale import sized

LARGE_SLUG = "bench-large"
LARGE = sized(LARGE_SHAPE, Shape(departments=2, objectives=2, key_results=2, check_ins=2))
"""The large organization's shape (a tiny one in the smoke run)."""


class WireCommands(monitoring.CommandListener):
    """Counts the commands the driver sends (a cursor's getMore included): round trips as the
    network sees them, beside the store's own count of the calls it makes."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        target = event.command.get("collection" if name == "getMore" else name)
        self.sent.append(f"{name} {target}" if isinstance(target, str) else name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@dataclass(frozen=True, slots=True)
class DataSet:
    """One organization as a client addresses it."""

    name: str
    slug: str
    org: str
    year: int
    quarter: str
    global_objective: str
    objective: str
    key_result: str
    key_results: int

    @property
    def editor(self) -> Principal:
        """Who the benchmarks sign in as: an editor of this organization (a check-in needs
        one), as a verified token would make it."""
        return Principal(subject="bench", organization=self.slug, role=Role.EDITOR)

    def dashboard(self) -> dict[str, Any]:
        """The variables of schema/operations/Dashboard.graphql: the current quarter."""
        return {"organizationId": self.org, "cycleId": self.quarter}


@dataclass(frozen=True, slots=True)
class Cost:
    """What one request cost the store: the store's calls, and the driver's commands by name
    and collection."""

    calls: int
    sent: tuple[str, ...]

    @property
    def commands(self) -> int:
        return len(self.sent)


@dataclass
class World:
    uri: str
    store: MongoStore
    wire: WireCommands
    today: date
    demo: DataSet
    large: DataSet

    async def execute(
        self,
        query: str,
        variables: dict[str, Any],
        *,
        signed_in: Principal,
        reads: ReadModel | None = None,
        events: EventStream | None = None,
    ) -> tuple[dict[str, Any], Cost]:
        """Run one operation in-process, as the server would: signed in as `signed_in`
        (authentication on), through `reads`, its read model (without one, a read model of the
        request alone); its data and its store cost, signing in included."""
        calls, commands = self.store.round_trips, len(self.wire.sent)
        writer = Writer(self.store, reads) if reads is not None else None
        context = await signed_in_context(
            self.store, signed_in, reads=reads, writer=writer, events=events
        )
        result = await schema.execute(query, variable_values=variables, context_value=context)
        cost = Cost(self.store.round_trips - calls, tuple(self.wire.sent[commands:]))
        assert result.errors is None, result.errors
        assert result.data is not None
        return result.data, cost


async def find(store: MongoStore, name: str, slug: str, year: int) -> DataSet:
    """A data set's ids, asked of the API by slug."""
    result = await schema.execute(
        FIND, variable_values={"slug": slug, "year": year}, context_value=build_context(store)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    org = result.data["organizationBySlug"]
    quarter = org["currentCycle"]
    key_results = [k["id"] for o in quarter["objectives"]["nodes"] for k in o["keyResults"]]
    return DataSet(
        name=name,
        slug=slug,
        org=org["id"],
        year=year,
        quarter=quarter["id"],
        global_objective=org["globalObjective"]["id"],
        objective=quarter["objectives"]["nodes"][0]["id"],
        key_result=key_results[0],
        key_results=await _key_results_in_year(store, org["id"], year),
    )


async def _key_results_in_year(store: MongoStore, org: str, year: int) -> int:
    query = """query($org: ID!, $year: Int!) { organization(id: $org) {
      cycles(year: $year) { kind objectives(first: 100) { nodes { keyResults { id } } } } } }"""
    result = await schema.execute(
        query, variable_values={"org": org, "year": year}, context_value=build_context(store)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    quarters = [c for c in result.data["organization"]["cycles"] if c["kind"] == "QUARTER"]
    return sum(len(o["keyResults"]) for c in quarters for o in c["objectives"]["nodes"])


@contextlib.asynccontextmanager
async def world(today: date) -> AsyncIterator[World]:
    """Start the store, write both data sets (the large one takes most of a minute), and stop
    everything at the end."""
    wire = WireCommands()
    async with embedded_mongo(None) as server:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            server.uri, tz_aware=True, event_listeners=[wire]
        )
        try:
            store = MongoStore(client["okrgraph"])
            await store.ensure_indexes()
            started = time.perf_counter()
            writer = Writer(store, ReadModel(store))
            await seed_demo(writer=writer, today=today)
            await generate(writer=writer, shape=LARGE, today=today, slug=LARGE_SLUG)
            print(f"\nbench: data sets written in {time.perf_counter() - started:.0f} s")
            wire.sent.clear()
            yield World(
                uri=server.uri,
                store=store,
                wire=wire,
                today=today,
                demo=await find(store, "demo", DEMO_SLUG, today.year),
                large=await find(store, "large", LARGE_SLUG, today.year),
            )
        finally:
            await client.close()
