"""Many organizations: 1,000 small organizations (demo-sized: two departments, six objectives,
twelve key results in the current quarter, five check-ins each) in one nx-27017, each one's
schema/operations/Dashboard.graphql asked in turn of one `okrgraph serve`, signed in with that
organization's token, holding at most `OKRGRAPH_READ_MODEL_CAPACITY` (256, the default) of
them (least recently used out).

Target: the server's peak resident memory ≤ 1 GiB. The read model's hit rate is reported: a
request that found its organization held costs one store call (the log after the position
held), one that loaded it costs more, counted by the server's `/metrics`. Served in turn, a
thousand organizations through 256 places is the least recently used policy's worst case (no
hits); the last pass asks again for the organizations served last, which it holds.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest
from pymongo import AsyncMongoClient

from schema.ids import to_global_id
from service.auth import Role
from service.okrs.commit import Writer
from service.okrs.datasets import Generated, Shape, generate
from service.readmodel import ReadModel
from service.store.embedded import embedded_mongo
from service.store.mongo import MongoStore
from tests.bench.load import store_calls, timed_post
from tests.bench.queries import DASHBOARD
from tests.bench.report import Results, table
from tests.bench.scale import SIGNED, bearer, sized
from tests.e2e.servers import metrics_of, serving

pytestmark = pytest.mark.asyncio(loop_scope="session")

ORGANIZATIONS = sized(1000, 6)
CAPACITY = sized(256, 2)
WRITING = 50  # organizations written at once
TARGET_BYTES = 1 << 30
HIT = 1  # store calls of a request whose organization the read model held


def resident(uri: str) -> tuple[int, int]:
    """Resident and peak resident bytes of the `okrgraph serve` started on the store `uri`
    (found by its command line, which names that store alone)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
            if b"serve" not in command or uri.encode() not in command:
                continue
            status = (proc / "status").read_text(encoding="utf-8")
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return _kib(fields["VmRSS"]), _kib(fields["VmHWM"])
    raise AssertionError(f"no okrgraph serve on {uri}")


def _kib(value: str) -> int:
    return int(value.split()[0]) * 1024


async def write(uri: str) -> list[Generated]:
    """The organizations, written through the writer as the service writes them."""
    today = datetime.now(UTC).date()
    quarter = (today.month - 1) // 3 + 1
    shape = Shape(departments=2, objectives=3, key_results=2, check_ins=5, quarters=(quarter,))
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(uri, tz_aware=True)
    try:
        store = MongoStore(client["okrgraph"])
        await store.ensure_indexes()
        writer = Writer(store, ReadModel(store, capacity=WRITING))
        made: list[Generated] = []
        for start in range(0, ORGANIZATIONS, WRITING):
            made += await asyncio.gather(
                *(
                    generate(writer=writer, shape=shape, today=today, seed=i, slug=f"many-{i:04d}")
                    for i in range(start, min(start + WRITING, ORGANIZATIONS))
                )
            )
        return made
    finally:
        await client.close()


def dashboard(made: Generated) -> bytes:
    now = datetime.now(UTC)
    quarter = next(q for q in made.quarters if q.starts_at <= now < q.ends_at)
    org = made.organization.id
    variables = {
        "organizationId": to_global_id("Organization", org, org),
        "cycleId": to_global_id("Cycle", org, quarter.id),
    }
    return orjson.dumps({"query": DASHBOARD, "variables": variables})


async def test_many_organizations_in_turn(results: Results) -> None:
    started = time.perf_counter()
    async with embedded_mongo(None) as store:
        made = await write(store.uri)
        written = time.perf_counter() - started
        requests = [(dashboard(m), bearer(m.organization.slug, Role.VIEWER)) for m in made]
        env = {**SIGNED, "OKRGRAPH_READ_MODEL_CAPACITY": str(CAPACITY)}
        passes = {
            "first pass, in turn": requests,
            "second pass, in turn": requests,
            f"the last {CAPACITY} again": requests[-CAPACITY:],
        }
        rows: list[list[object]] = []
        with serving("--mongodb-uri", store.uri, env=env) as base:
            url, metrics = f"{base}/graphql", metrics_of(base)
            async with httpx.AsyncClient(timeout=60.0) as http:
                for name, asked in passes.items():
                    hits, latencies = 0, []
                    for body, signed in asked:
                        before = await store_calls(http, metrics)
                        latencies.append(await timed_post(http, url, body, signed))
                        hits += await store_calls(http, metrics) - before <= HIT
                    latencies.sort()
                    rows.append(
                        [
                            name,
                            len(asked),
                            f"{100 * hits / len(asked):.0f}%",
                            f"{1000 * latencies[len(latencies) // 2]:.1f}",
                        ]
                    )
            now, peak = resident(store.uri)
    met = peak <= TARGET_BYTES
    results.target(
        f"peak resident memory serving {ORGANIZATIONS:,} organizations in turn "
        f"(read model capacity {CAPACITY})",
        f"{peak / 2**20:.0f} MiB",
        f"≤ {TARGET_BYTES / 2**20:.0f} MiB",
        met,
    )
    results.add(
        "Many organizations served in turn",
        f"""{table(["pass", "requests", "read model hits", "median ms"], rows)}

{ORGANIZATIONS:,} organizations (twelve key results each in the current quarter), written in
{written:.0f} s, each one's dashboard asked in turn of one `okrgraph serve` with
`OKRGRAPH_READ_MODEL_CAPACITY={CAPACITY}`, signed in with that organization's token, one
request at a time. A hit is a request that cost {HIT} store call (its organization was held).
Resident memory at the end {now / 2**20:.0f} MiB, peak {peak / 2**20:.0f} MiB (target ≤
{TARGET_BYTES / 2**20:.0f} MiB: {"met" if met else "**not met**"}).""",
    )
