"""The operations shipped in schema/operations/ over HTTP against `okrgraph serve` on nx-27017
with the large data set, signed in, each beside the floor (tests/bench/references.py: plain
graphql-core executing the same document over the same data, encoding with orjson), and the
dashboard beside the raw reference too, all served in the same run and measured by the same
load generator; then the dashboard in-process, to see where its time goes.

Target: Dashboard.graphql's throughput at least the floor's (okrgraph/floor ≥ 1.0) at
concurrency 1 and 16.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import json
import pstats
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from graphql import build_schema, parse, validate

from schema.ids import parse_global_id
from service.auth import Role
from service.domain.plan import Plan
from service.domain.rollup import evaluate_plan
from service.readmodel import ReadModel
from tests.bench.load import HEADERS, Load, Sample, quiet
from tests.bench.queries import DASHBOARD, SHIPPED, shipped
from tests.bench.references import SDL, Floor, reference, typed
from tests.bench.report import DASHBOARD_OVER_HTTP, OPERATIONS_OVER_HTTP, Results, percentile, table
from tests.bench.scale import SIGNED, bearer, sized
from tests.bench.world import LARGE, DataSet, World
from tests.e2e.servers import serving

pytestmark = pytest.mark.asyncio(loop_scope="session")

SECONDS = sized(5.0, 0.2)  # the dashboard's cells, in ROUNDS interleaved slices
OTHERS_SECONDS = sized(3.0, 0.2)  # every other operation's cells
ROUNDS = 2
WARM_UP = sized(1.0, 0.1)
CONCURRENCY = (1, 16)
TARGET = 1.0
IN_PROCESS_RUNS = sized(20, 2)
PROFILED = sized(10, 1)


@dataclass(frozen=True)
class Operation:
    """A shipped document as the benchmark sends it: its variables on the large data set, and
    the role of the token it is sent with."""

    name: str
    variables: Callable[[DataSet, datetime], dict[str, Any]]
    role: Role = Role.VIEWER
    writes: bool = False
    concurrency: tuple[int, ...] = CONCURRENCY

    def payload(self, data: DataSet, now: datetime) -> dict[str, Any]:
        return {"query": shipped(self.name), "variables": self.variables(data, now)}


OPERATIONS = [
    Operation("Dashboard", lambda d, _: d.dashboard()),
    Operation("Organizations", lambda d, _: {}),
    Operation("ObjectiveDetail", lambda d, _: {"id": d.objective}),
    # Every request stores a check-in (no idempotency key), as a client's do.
    Operation(
        "CheckInCreate",
        lambda d, _: {"input": {"keyResultId": d.key_result, "value": 42.0}},
        role=Role.EDITOR,
        writes=True,
    ),
    Operation(
        "KeyResultDetail",
        lambda d, now: {
            "id": d.key_result,
            "from": f"{d.year}-01-01T00:00:00Z",
            "to": now.isoformat(),
        },
    ),
]
NOT_OVER_HTTP = {
    "ProgressChanged": "a subscription: measured over WebSocket by test_subscriptions_bench.py"
}


@dataclass
class Measured:
    operation: Operation
    size: int
    samples: dict[tuple[str, int], Sample]
    busy: float  # seconds okrgraph took to answer a trivial query quickly again


async def test_shipped_operations_over_http(
    bench_world: World, results: Results, tmp_path: Path
) -> None:
    assert sorted([o.name for o in OPERATIONS] + list(NOT_OVER_HTTP)) == SHIPPED, "one unmeasured"
    large = bench_world.large
    now = datetime.now(UTC)
    measured: list[Measured] = []
    # Reuse off: every request executed, as the floor executes every one (test_reuse.py
    # measures reuse).
    executed = {**SIGNED, "OKRGRAPH_RESPONSE_REUSE": "false"}
    with serving("--mongodb-uri", bench_world.uri, env=executed) as base:
        okrgraph = f"{base}/graphql"
        for operation in OPERATIONS:
            payload = operation.payload(large, now)
            signed = bearer(large.slug, operation.role)
            folder = tmp_path / operation.name
            folder.mkdir()
            dashboard = operation.name == "Dashboard"
            beside = beside_references(okrgraph, operation, payload, signed, folder)
            async with beside as (targets, captured):
                if dashboard:
                    objectives = json.loads(captured)["data"]["cycle"]["objectives"]["nodes"]
                    assert len(objectives) == min(50, LARGE.departments * LARGE.objectives)
                    assert all(len(o["keyResults"]) == LARGE.key_results for o in objectives)
                seconds = SECONDS if dashboard else OTHERS_SECONDS
                samples = await measure(
                    targets, orjson.dumps(payload), signed, seconds, operation.concurrency
                )
            busy = await quiet(okrgraph, signed)
            measured.append(Measured(operation, len(captured), samples, busy))
    report(results, measured)


@contextlib.asynccontextmanager
async def beside_references(
    okrgraph: str,
    operation: Operation,
    payload: dict[str, Any],
    signed: dict[str, str],
    folder: Path,
) -> AsyncIterator[tuple[dict[str, str], bytes]]:
    """okrgraph's URL with the floor's (and for the dashboard the raw reference's), each checked
    to answer what okrgraph answers; and okrgraph's answer. The floor holds okrgraph's answer to
    the document asking `__typename` everywhere (`typed`), so that it can tell the types."""
    body = orjson.dumps(payload)
    captured, data = await consistent_capture(okrgraph, operation, payload, signed)
    (folder / "body.json").write_bytes(captured)
    (folder / "data.json").write_bytes(orjson.dumps(data))
    with contextlib.ExitStack() as stack:
        floor = stack.enter_context(reference("floor", "--data", str(folder / "data.json")))
        targets = {"okrgraph": okrgraph, "floor": f"{floor}/graphql"}
        if operation.name == "Dashboard":
            raw = stack.enter_context(reference("raw", "--body", str(folder / "body.json")))
            targets["raw"] = f"{raw}/graphql"
            assert await capture(targets["raw"], body, signed) == captured
        answer = json.loads(await capture(targets["floor"], body, signed))
        expected = Floor(FLOOR_SCHEMA, data).run_sync(payload).formatted
        assert answer == expected, "the floor process answers as the floor in-process"
        yield targets, captured


FLOOR_SCHEMA = build_schema(SDL.read_text(encoding="utf-8"))
ATTEMPTS = 4


async def consistent_capture(
    okrgraph: str, operation: Operation, payload: dict[str, Any], signed: dict[str, str]
) -> tuple[bytes, dict[str, Any]]:
    """okrgraph's answer to `payload`, and its data asked with `__typename` everywhere, taken
    until the floor over the second answers exactly the first. An answer moves with the clock
    (`expected`, forecasts and the explanations quoting them are computed at the request's
    second): an operation slower than a second never has both in one, so after ATTEMPTS tries
    the floor must instead answer the typed document exactly as okrgraph did, and the shipped
    one in the same shape. A
    check-in's answer is new each time, so for a write only the shape must agree."""
    body = orjson.dumps(payload)
    typed_body = orjson.dumps({**payload, "query": typed(payload["query"])})
    await capture(okrgraph, typed_body, signed)  # warm
    captured = await capture(okrgraph, body, signed)
    async with httpx.AsyncClient(timeout=60.0, headers={**HEADERS, **signed}) as client:
        for _ in range(ATTEMPTS):
            data = orjson.loads((await client.post(okrgraph, content=typed_body)).content)["data"]
            answer = Floor(FLOOR_SCHEMA, data).run_sync(payload).formatted
            ours = {"data": json.loads(captured)["data"]}  # without okrgraph's cost extension
            if answer == ours or (operation.writes and shape(answer) == shape(ours)):
                return captured, data
            captured = (await client.post(okrgraph, content=body)).content
    # Slower than a second: the floor must answer okrgraph's own typed answer exactly, and the
    # shipped document in the shape okrgraph answers it.
    retyped = Floor(FLOOR_SCHEMA, data).run_sync({**payload, "query": typed(payload["query"])})
    assert retyped.formatted == {"data": data}, f"the floor answers {operation.name} otherwise"
    assert shape(answer) == shape(ours), f"the floor answers {operation.name} otherwise"
    return captured, data


def shape(value: Any) -> Any:
    """A JSON value's keys, recursively, without its leaves."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return None


async def capture(url: str, body: bytes, signed: dict[str, str]) -> bytes:
    """The response to `body`, after two to warm up (the server's year cache, its imports)."""
    async with httpx.AsyncClient(timeout=60.0) as client:
        for _ in range(3):
            response = await client.post(url, content=body, headers={**HEADERS, **signed})
            assert response.status_code == 200, response.text[:500]
            assert b'"errors"' not in response.content, response.text[:2000]
    return response.content


async def measure(
    targets: dict[str, str],
    body: bytes,
    signed: dict[str, str],
    seconds: float,
    concurrencies: tuple[int, ...] = CONCURRENCY,
) -> dict[tuple[str, int], Sample]:
    """Each cell `seconds` long, in ROUNDS slices taken in turn, so that a slow minute of the
    shared machine falls on every server alike."""
    samples: dict[tuple[str, int], Sample] = {}
    for concurrency in concurrencies:
        loads = {name: Load(url, body, concurrency, signed) for name, url in targets.items()}
        try:
            for load in loads.values():
                await load.run(WARM_UP, count_errors=True)
            for _ in range(ROUNDS):
                for name, load in loads.items():
                    cell = samples.setdefault((name, concurrency), Sample())
                    await load.run(seconds / ROUNDS, into=cell, count_errors=True)
        finally:
            await asyncio.gather(*(load.aclose() for load in loads.values()))
    return samples


def report(results: Results, measured: list[Measured]) -> None:
    dashboard = next(m for m in measured if m.operation.name == "Dashboard")
    report_dashboard(results, dashboard)
    rows: list[list[object]] = []
    failures: list[str] = []
    for m in measured:
        for concurrency in m.operation.concurrency:
            ours, floor = m.samples["okrgraph", concurrency], m.samples["floor", concurrency]
            ratio = ours.per_second / floor.per_second
            rows.append(
                [
                    m.operation.name,
                    concurrency,
                    f"{m.size:,}",
                    f"{ours.per_second:.1f}",
                    f"{floor.per_second:.1f}",
                    f"{ours.ms(0.5):.2f}",
                    f"{floor.ms(0.5):.2f}",
                    f"**{ratio:.2f}**" if ratio < TARGET else f"{ratio:.2f}",
                    f"**{ours.errors}**" if ours.errors else 0,
                    f"{m.busy:.1f}" if concurrency == m.operation.concurrency[-1] else "",
                ]
            )
            if ours.errors:
                failures.append(
                    f"- {m.operation.name} at concurrency {concurrency}: {ours.errors} error "
                    f"answer(s), the first: `{ours.first_error[:300]}`"
                )
            if m is not dashboard:
                results.target(
                    f"{m.operation.name}.graphql over HTTP, requests/s okrgraph/floor, "
                    f"concurrency {concurrency}",
                    f"{ratio:.2f}",
                    "none",
                    None,
                )
    header = [
        "operation",
        "concurrency",
        "bytes",
        "okrgraph requests/s",
        "floor requests/s",
        "okrgraph p50 ms",
        "floor p50 ms",
        "okrgraph/floor",
        "okrgraph errors",
        "busy after, s",
    ]
    skipped = "; ".join(f"{name}.graphql is {why}" for name, why in NOT_OVER_HTTP.items())
    results.add(
        OPERATIONS_OVER_HTTP,
        f"""{table(header, rows)}

Every document of schema/operations/ sent as a client sends it (variables on the large data
set: the current quarter, its first objective, its first key result), signed in (a viewer's
JWT; an editor's for `CheckInCreate`), against `okrgraph serve` and against the floor holding
okrgraph's answer. {SECONDS:g} s per cell for the dashboard, {OTHERS_SECONDS:g} s for the
others, in {ROUNDS} interleaved slices after a {WARM_UP:g} s warm-up. `CheckInCreate` stores a
check-in on every request (no idempotency key), so its floor is compared by shape.
{skipped}.
Ratios below the dashboard's target ({TARGET}) are in bold. Requests/s count good answers
only; okrgraph's error answers under load are counted apart. "Busy after" is how long, once
an operation's last cell ended, okrgraph took to answer `{{ __typename }}` within 0.5 s again
(work still running for requests already answered or timed out). Errors:

{chr(10).join(failures) or "- none"}""",
    )


def report_dashboard(results: Results, dashboard: Measured) -> None:
    samples = dashboard.samples
    rows: list[list[object]] = []
    verdicts: list[str] = []
    for concurrency in CONCURRENCY:
        ours = samples["okrgraph", concurrency].per_second
        for name in ("okrgraph", "floor", "raw"):
            cell = samples[name, concurrency]
            rows.append(
                [
                    name,
                    concurrency,
                    len(cell.latencies),
                    f"{cell.per_second:.1f}",
                    f"{cell.ms(0.5):.2f}",
                    f"{cell.ms(0.99):.2f}",
                    "" if name == "okrgraph" else f"{ours / cell.per_second:.2f}",
                ]
            )
        to_floor = ours / samples["floor", concurrency].per_second
        errors = samples["okrgraph", concurrency].errors
        met = "met" if to_floor >= TARGET and not errors else "**not met**"
        verdicts.append(f"concurrency {concurrency}: okrgraph/floor {to_floor:.2f}, {met}")
        results.target(
            f"Dashboard.graphql over HTTP, requests/s okrgraph/floor, concurrency {concurrency}",
            f"{to_floor:.2f}",
            f"≥ {TARGET}",
            to_floor >= TARGET and not errors,
        )
        to_raw = ours / samples["raw", concurrency].per_second
        results.target(
            f"Dashboard.graphql over HTTP, requests/s okrgraph/raw, concurrency {concurrency}",
            f"{to_raw:.2f}",
            "none",
            None,
        )
    header = [
        "server",
        "concurrency",
        "requests",
        "requests/s",
        "p50 ms",
        "p99 ms",
        "okrgraph/this",
    ]
    results.add(
        DASHBOARD_OVER_HTTP,
        f"""{table(header, rows)}

schema/operations/Dashboard.graphql for the current quarter (its first 50 objectives with
their key results, every department's progress; {dashboard.size:,} bytes of JSON) against
`okrgraph serve` on nx-27017, signed in (a viewer's JWT, verified on every request, as a
deployment runs), and two references served in the same run: **raw**, a bare Starlette
endpoint sending the identical bytes, and **floor**, plain graphql-core executing the same
document over the same data as plain dicts, encoding with orjson (parsed and validated once;
its answer checked equal to okrgraph's; it verifies no token). One load generator (httpx, one
keep-alive connection per worker, the same headers to all three) for all three, {SECONDS:g} s
per cell in {ROUNDS} interleaved slices after a {WARM_UP:g} s warm-up. "okrgraph/this" is the
ratio of throughputs. The client shares the 2 CPUs with the servers, so raw measures the
client as much as the server.

Target okrgraph/floor ≥ {TARGET}: {"; ".join(verdicts)}.""",
    )


async def test_dashboard_in_process(bench_world: World, results: Results) -> None:
    """The same request without HTTP: okrgraph's `schema.execute` (warm read model, real store)
    beside graphql-core over the same data as dicts, and beside the parts of okrgraph's work
    that can be run alone, all taken in turn; then where okrgraph's time goes, by profile."""
    large = bench_world.large
    variables = large.dashboard()
    reads = ReadModel(bench_world.store)
    sdl = FLOOR_SCHEMA
    payload = {"query": DASHBOARD, "variables": variables}
    for _ in range(ATTEMPTS):  # both in the same second (see `consistent_capture`)
        data, _ = await bench_world.execute(
            DASHBOARD, variables, signed_in=large.editor, reads=reads
        )
        typed_data, _ = await bench_world.execute(
            typed(DASHBOARD), variables, signed_in=large.editor, reads=reads
        )
        floor = Floor(sdl, typed_data)
        if (await floor.run(payload)).data == data:
            break
    else:
        raise AssertionError("the floor never answered the dashboard as okrgraph did")
    org_id = parse_global_id(large.org)
    assert org_id is not None
    store = bench_world.store
    held = await reads.snapshot(org_id.org_id)
    assert held is not None
    org = held.organization
    scope = held.year(large.year).scope
    now = datetime.now(UTC)

    async def okrgraph() -> None:
        await bench_world.execute(DASHBOARD, variables, signed_in=large.editor, reads=reads)

    async def plain() -> None:
        await floor.run(payload)

    async def check() -> None:
        validate(sdl, parse(DASHBOARD))

    plan = Plan.of(scope.key_results, scope.objectives, scope.cycles)

    async def planning() -> None:
        Plan.of(scope.key_results, scope.objectives, scope.cycles)

    async def rollups() -> None:
        evaluate_plan(plan, policy=org.policy, now=now)

    async def load() -> None:
        await ReadModel(store).snapshot(org.id)

    async def encode() -> None:
        orjson.dumps({"data": data})

    parts = {
        "okrgraph `schema.execute` (warm read model)": okrgraph,
        "graphql-core over dicts (the floor)": plain,
        "parse and validate the document (graphql-core)": check,
        "plan the large year (`Plan.of`)": planning,
        "evaluate the large year's plan (`evaluate_plan`)": rollups,
        "load the large organization from nx-27017 (a cold read model)": load,
        "`orjson.dumps` of the response": encode,
    }
    spent: dict[str, list[float]] = defaultdict(list)
    for _ in range(IN_PROCESS_RUNS):
        for name, part in parts.items():
            started = time.perf_counter()
            await part()
            spent[name].append(time.perf_counter() - started)
    ours = percentile(spent["okrgraph `schema.execute` (warm read model)"], 0.5)
    rows: list[list[object]] = []
    for name in parts:
        median = percentile(spent[name], 0.5)
        rows.append([name, f"{1000 * median:.2f}", f"{100 * median / ours:.0f}%"])
    shares = await profile(bench_world, variables, reads)
    floor_ratio = percentile(spent["graphql-core over dicts (the floor)"], 0.5) / ours
    results.add(
        "Dashboard in-process: where the time goes",
        f"""{table(["in-process", "p50 ms", "of okrgraph's"], rows)}

The dashboard of the large data set without HTTP, {IN_PROCESS_RUNS} runs of each line taken in
turn: okrgraph/floor in-process is **{floor_ratio:.2f}**. The parts below the floor are run alone
on the same data, to show what okrgraph does *not* pay on every dashboard: it parses and
validates a document once per text, plans a year once per snapshot (a change carries the
plan to the next snapshot, one row replaced), evaluates the plan once per snapshot and second
(requests of the same second share the evaluation), and loads the organization only when the
read model does not hold it (a write anywhere arrives as a change of the log, applied to the
snapshot held). What remains is one store read per dashboard (the log after the position
held) and GraphQL execution over the snapshot, where okrgraph's executor answers attribute
leaves itself (schema/execution.py).

{table(["okrgraph's time by layer (profiled)", "share"], shares)}

Shares of the time profiled (cProfile, {PROFILED} dashboards, warm read model) by where each
function lives, counting a function's own time only. Profiling inflates many small calls, so
read the shares as an order, not as a measurement.""",
    )


ROOT = Path(__file__).resolve().parents[2]
# Where a function lives -> the layer it counts for; the first match wins.
LAYERS = [
    (f"{ROOT}/schema/", "okrgraph's GraphQL layer (schema/)"),
    (f"{ROOT}/service/domain/", "rollup math (service/domain/)"),
    (f"{ROOT}/service/store/", "okrgraph's store (service/store/)"),
    (f"{ROOT}/service/", "the rest of service/"),
    ("/strawberry/", "Strawberry"),
    ("/graphql/", "graphql-core"),
    ("/pymongo/", "PyMongo and BSON"),
    ("/bson/", "PyMongo and BSON"),
    ("/asyncio/", "asyncio"),
    ("~", "built-ins, called from all of the above"),
]


async def profile(world: World, variables: dict[str, Any], reads: ReadModel) -> list[list[object]]:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(PROFILED):
        await world.execute(DASHBOARD, variables, signed_in=world.large.editor, reads=reads)
    profiler.disable()
    stats = pstats.Stats(profiler)
    spent: dict[str, float] = defaultdict(float)
    for (path, _, _), row in stats.stats.items():  # type: ignore[attr-defined]
        own = row[2]
        layer = next((name for part, name in LAYERS if part in path), "other")
        spent[layer] += own
    total = sum(spent.values())
    ordered = sorted(spent.items(), key=lambda item: -item[1])
    return [[layer, f"{100 * own / total:.0f}%"] for layer, own in ordered]
