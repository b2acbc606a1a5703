"""Check-in cost does not grow with the organization: `checkInCreate` in-process (as the server
runs it: signed in, a shared read model and an event stream) on the large data set (960 key
results) beside the demo (13), taken in turn. Target: large at most 1.3 times demo at the median."""

from __future__ import annotations

import time

import pytest

from service.events import EventStream
from service.readmodel import ReadModel
from tests.bench.queries import CHECK_IN
from tests.bench.report import Results, percentile, table
from tests.bench.scale import sized
from tests.bench.world import Cost, DataSet, World

pytestmark = pytest.mark.asyncio(loop_scope="session")

WARM_UP = sized(5, 1)
RUNS = sized(50, 3)
TARGET = 1.3


async def test_check_in_cost_against_organization_size(
    bench_world: World, results: Results
) -> None:
    reads = ReadModel(bench_world.store)
    bus = EventStream(reads, bench_world.store)
    await bus.start()
    sets = (bench_world.demo, bench_world.large)
    times: dict[str, list[float]] = {d.name: [] for d in sets}
    costs: dict[str, Cost] = {}

    async def check_in(data: DataSet, value: float) -> float:
        variables = {"kr": data.key_result, "value": value}
        started = time.perf_counter()
        answer, costs[data.name] = await bench_world.execute(
            CHECK_IN, variables, signed_in=data.editor, reads=reads, events=bus
        )
        elapsed = time.perf_counter() - started
        assert answer["checkInCreate"]["userErrors"] == []
        return elapsed

    try:
        for i in range(WARM_UP + RUNS):
            for data in sets:
                elapsed = await check_in(data, 100.0 + i)
                if i >= WARM_UP:
                    times[data.name].append(elapsed)
    finally:
        await bus.close()
    rows: list[list[object]] = []
    for data in sets:
        spent = times[data.name]
        rows.append(
            [
                data.name,
                data.key_results,
                f"{1000 * percentile(spent, 0.5):.2f}",
                f"{1000 * percentile(spent, 0.9):.2f}",
                costs[data.name].calls,
                costs[data.name].commands,
            ]
        )
    ratio = percentile(times["large"], 0.5) / percentile(times["demo"], 0.5)
    verdict = "met" if ratio <= TARGET else "**not met**"
    header = ["data set", "key results", "p50 ms", "p90 ms", "store calls", "wire commands"]
    results.target(
        "`checkInCreate` p50, large/demo", f"{ratio:.2f}", f"≤ {TARGET}", ratio <= TARGET
    )
    results.add(
        "Check-in cost against organization size",
        f"""{table(header, rows)}

`checkInCreate` (asking for the key result's new progress) run in-process through
`schema.execute` on the nx-27017 store, {RUNS} times on each data set, taken in turn after
{WARM_UP} to warm up; signed in as an editor, with a shared read model and an event stream,
as the server runs it.
Store calls and wire commands are those of the last check-in.

Target large ≤ {TARGET} times demo at p50: large/demo = **{ratio:.2f}**, {verdict}.""",
    )
