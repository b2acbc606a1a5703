"""Response reuse (service/reuse.py): an unchanged Dashboard.graphql at concurrency 16, over
HTTP, signed in, against `okrgraph serve` with reuse on, the same server with reuse off
(`OKRGRAPH_RESPONSE_REUSE=false`: every request executed), and the raw reference (the same
bytes, no GraphQL at all), measured side by side in one run.

Target: reuse on at least 0.25 of the raw reference's requests/s. Beside it, the executions
and reuses the reuse-on server counted (its `/metrics`), so that the speed can be told from
the count: an unchanged dashboard is executed about once per second (a new instant), and every
other request is served the kept body after one catch-up read of the log.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import httpx
import orjson
import pytest

from service.auth import Role
from tests.bench.queries import shipped
from tests.bench.references import reference
from tests.bench.report import Results, table
from tests.bench.scale import SIGNED, bearer, sized
from tests.bench.test_dashboard import capture, measure
from tests.bench.world import World
from tests.e2e.servers import metrics_of, serving

pytestmark = pytest.mark.asyncio(loop_scope="session")

SECONDS = sized(6.0, 0.2)
CONCURRENCY = 16
TARGET = 0.25
TITLE = "Response reuse: an unchanged dashboard over HTTP (large data set)"
OUTCOMES = re.compile(r'^okrgraph_reusable_answers_total\{outcome="(\w+)"\} (\S+)$', re.MULTILINE)


async def outcomes(client: httpx.AsyncClient, metrics: str) -> dict[str, int]:
    """The reuse outcomes a running server counted so far."""
    text = (await client.get(metrics)).text
    return {name: round(float(value)) for name, value in OUTCOMES.findall(text)}


async def test_an_unchanged_dashboard_is_served_from_one_execution(
    bench_world: World, results: Results, tmp_path: Path
) -> None:
    large = bench_world.large
    payload = {"query": shipped("Dashboard"), "variables": large.dashboard()}
    body = orjson.dumps(payload)
    signed = bearer(large.slug, Role.VIEWER)
    uncached_env = {**SIGNED, "OKRGRAPH_RESPONSE_REUSE": "false"}
    with contextlib.ExitStack() as stack:
        reused = stack.enter_context(serving("--mongodb-uri", bench_world.uri, env=SIGNED))
        uncached = stack.enter_context(serving("--mongodb-uri", bench_world.uri, env=uncached_env))
        captured = await capture(f"{reused}/graphql", body, signed)
        (tmp_path / "body.json").write_bytes(captured)
        raw = stack.enter_context(reference("raw", "--body", str(tmp_path / "body.json")))
        targets = {
            "reuse on": f"{reused}/graphql",
            "reuse off": f"{uncached}/graphql",
            "raw": f"{raw}/graphql",
        }
        async with httpx.AsyncClient(timeout=30) as client:
            before = await outcomes(client, metrics_of(reused))
            samples = await measure(targets, body, signed, SECONDS, (CONCURRENCY,))
            after = await outcomes(client, metrics_of(reused))
            off = await outcomes(client, metrics_of(uncached))
    counted = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    assert off == {}, "reuse off counts no reusable answer"
    assert counted.get("executed", 0) >= 1
    cells = {name: samples[name, CONCURRENCY] for name in targets}
    for name, cell in cells.items():
        assert cell.errors == 0, f"{name}: {cell.first_error[:300]}"
    raw_rate = cells["raw"].per_second
    rows = [
        [
            name,
            CONCURRENCY,
            len(cell.latencies),
            f"{cell.per_second:.1f}",
            f"{cell.ms(0.5):.2f}",
            f"{cell.ms(0.99):.2f}",
            f"{cell.per_second / raw_rate:.2f}",
        ]
        for name, cell in cells.items()
    ]
    ratio = cells["reuse on"].per_second / raw_rate
    uncached_ratio = cells["reuse off"].per_second / raw_rate
    served = sum(counted.values())
    counts = [f"{served:,}", *(f"{counted.get(n, 0):,}" for n in ("executed", "reused", "joined"))]
    header = ["server", "concurrency", "requests", "requests/s", "p50 ms", "p99 ms", "/raw"]
    results.add(
        TITLE,
        f"""{table(header, rows)}

Dashboard.graphql with the current quarter's variables, signed in as a viewer, sent unchanged
by {CONCURRENCY} clients for {SECONDS:g} s (after a warm-up, in interleaved slices) to
`okrgraph serve` with response reuse on, to the same with `OKRGRAPH_RESPONSE_REUSE=false`
(every request executed), and to the raw reference answering okrgraph's captured bytes. An
unchanged dashboard is executed again each second (every answer is computed at a whole
second) and after any write; "reused" is a kept body whose log positions were still the log's
(one catch-up read each), "joined" a request that waited for an identical one's execution.

{table(["answers of the reuse-on server", "executed", "reused", "joined"], [counts])}""",
    )
    results.target(
        f"Unchanged Dashboard.graphql, requests/s with reuse/raw, concurrency {CONCURRENCY}",
        f"{ratio:.2f} (reuse off: {uncached_ratio:.2f})",
        f">= {TARGET}",
        ratio >= TARGET,
    )
