"""Reads with writes mixed in: 8 readers of schema/operations/Dashboard.graphql on instance A
while a writer checks in on instance B at 5 writes/s, both `okrgraph serve` on the one
nx-27017 with a Redis bus between them, every request signed in. Read-only and mixed slices
are taken in turn, so that both meet the shared machine alike.

Targets: A's dashboard throughput with writes at least 0.7 of the read-only run; and A's store
calls for its first dashboard after a check-in B made (from just before B's write to A's
answer, whatever A did in between: the event from Redis, the log read) equal on the demo and
the large organization.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from service.auth import Role
from tests.bench.load import Load, Sample, store_calls, timed_post
from tests.bench.queries import DASHBOARD, shipped
from tests.bench.report import Results, table
from tests.bench.scale import SIGNED, bearer, sized
from tests.bench.world import DataSet, World
from tests.e2e.servers import metrics_of, serving
from tests.events.servers import RedisServer, free_port

pytestmark = pytest.mark.asyncio(loop_scope="session")

READERS = 8
WRITES_PER_SECOND = 5.0
SECONDS = sized(8.0, 0.4)  # per mode, in ROUNDS slices taken in turn
ROUNDS = sized(4, 1)
WARM_UP = sized(1.0, 0.1)
AFTER_WRITE = sized(5, 1)  # first dashboards after a write, per data set
TARGET_RATIO = 0.7
CHECK_IN = shipped("CheckInCreate")


class Writer:
    """Check-ins on B at a steady rate while running; counts them."""

    def __init__(self, http: httpx.AsyncClient, url: str, data: DataSet) -> None:
        self.http = http
        self.url = url
        self.data = data
        self.signed = bearer(data.slug, Role.EDITOR)
        self.values = itertools.count(1)
        self.written = 0
        self.latencies: list[float] = []

    async def check_in(self) -> None:
        variables = {"input": {"keyResultId": self.data.key_result, "value": next(self.values)}}
        body = orjson.dumps({"query": CHECK_IN, "variables": variables})
        self.latencies.append(await timed_post(self.http, self.url, body, self.signed))
        self.written += 1

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        async def steadily() -> None:
            period = 1 / WRITES_PER_SECOND
            next_at = time.perf_counter()
            while True:
                await self.check_in()
                next_at += period
                await asyncio.sleep(max(next_at - time.perf_counter(), 0))

        task = asyncio.create_task(steadily())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def first_after_write(
    http: httpx.AsyncClient, a: str, writer: Writer, data: DataSet
) -> list[int]:
    """A's store calls from just before each of B's check-ins to A's next dashboard answered."""
    body = orjson.dumps({"query": DASHBOARD, "variables": data.dashboard()})
    signed = bearer(data.slug, Role.VIEWER)
    url, metrics = f"{a}/graphql", metrics_of(a)
    await timed_post(http, url, body, signed)  # A holds the organization
    calls: list[int] = []
    for _ in range(AFTER_WRITE):
        before = await store_calls(http, metrics)
        await writer.check_in()
        await timed_post(http, url, body, signed)
        calls.append(await store_calls(http, metrics) - before)
    return calls


async def test_reads_with_writes_mixed_in(bench_world: World, results: Results) -> None:
    large, demo = bench_world.large, bench_world.demo
    body = orjson.dumps({"query": DASHBOARD, "variables": large.dashboard()})
    redis = RedisServer(free_port())
    redis.start()
    samples = {"read-only": Sample(), "writes on B at 5/s": Sample()}
    try:
        env = {**SIGNED, "OKRGRAPH_REDIS_URL": redis.url}
        with (
            serving("--mongodb-uri", bench_world.uri, env=env) as a,
            serving("--mongodb-uri", bench_world.uri, env=env) as b,
        ):
            async with httpx.AsyncClient(timeout=60.0) as http:
                writers = {d.name: Writer(http, f"{b}/graphql", d) for d in (demo, large)}
                after = {
                    d.name: await first_after_write(http, a, writers[d.name], d)
                    for d in (demo, large)
                }
                readers = Load(f"{a}/graphql", body, READERS, bearer(large.slug, Role.VIEWER))
                try:
                    await readers.run(WARM_UP)
                    for _ in range(ROUNDS):
                        await readers.run(SECONDS / ROUNDS, into=samples["read-only"])
                        async with writers["large"].writing():
                            await readers.run(SECONDS / ROUNDS, into=samples["writes on B at 5/s"])
                finally:
                    await readers.aclose()
                written = writers["large"].written - AFTER_WRITE
                write_ms = sorted(writers["large"].latencies)[len(writers["large"].latencies) // 2]
    finally:
        redis.stop()
    read_only, mixed = samples["read-only"], samples["writes on B at 5/s"]
    ratio = mixed.per_second / read_only.per_second
    rows = [
        [name, len(s.latencies), f"{s.per_second:.1f}", f"{s.ms(0.5):.2f}", f"{s.ms(0.99):.2f}"]
        for name, s in samples.items()
    ]
    calls_rows = [[name, ", ".join(str(c) for c in calls)] for name, calls in after.items()]
    equal = sorted(set(after["demo"])) == sorted(set(after["large"]))
    results.target(
        "Dashboard.graphql requests/s on A with check-ins on B at 5/s, over read-only",
        f"{ratio:.2f}",
        f"≥ {TARGET_RATIO}",
        ratio >= TARGET_RATIO,
    )
    results.target(
        "store calls of A's first dashboard after B's check-in, demo and large alike",
        f"demo {'/'.join(map(str, sorted(set(after['demo']))))}, "
        f"large {'/'.join(map(str, sorted(set(after['large']))))}",
        "equal",
        equal,
    )
    results.add(
        "Reads with writes mixed in: readers on A, check-ins on B",
        f"""{table(["A's dashboards", "requests", "requests/s", "p50 ms", "p99 ms"], rows)}

{READERS} readers of schema/operations/Dashboard.graphql (large organization) on instance A,
signed in, {SECONDS:g} s per mode in {ROUNDS} slices taken in turn; in the mixed slices a
writer checks in on instance B ({written} check-ins through `CheckInCreate.graphql` on one key
result of the large organization, p50 {1000 * write_ms:.1f} ms each; B and A share nx-27017
and a Redis bus). Mixed over read-only: **{ratio:.2f}** (target ≥ {TARGET_RATIO}).

{table(["organization", "A's store calls, each first dashboard after a check-in on B"], calls_rows)}

Counted by A's `/metrics` from just before B's check-in to A's answer: the change's read from
the log, and whatever the Redis event made A do. Equal on both: {"yes" if equal else "**no**"}.""",
    )
