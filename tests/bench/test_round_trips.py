"""Store round trips per request, on the demo and on the large organization: counts, which do
not depend on the machine. Target: the same counts on both (no N+1 anywhere)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from service.store.cache import YearCache
from tests.bench.queries import CHECK_IN, DASHBOARD, NODE, TREE
from tests.bench.report import Results, table
from tests.bench.world import Cost, DataSet, World

pytestmark = pytest.mark.asyncio(loop_scope="session")

Variables = Callable[[DataSet], dict[str, Any]]

REQUESTS: list[tuple[str, str, Variables]] = [
    ("dashboard", DASHBOARD, DataSet.dashboard),
    ("year tree", TREE, lambda d: {"org": d.org, "year": d.year}),
    ("node", NODE, lambda d: {"id": d.key_result}),
    ("checkInCreate", CHECK_IN, lambda d: {"kr": d.key_result, "value": 42.0}),
]


async def cost(world: World, data: DataSet, query: str, variables: Variables) -> tuple[Cost, Cost]:
    """Without a year cache (a fresh process), then with a warm one (as `serve` runs)."""
    _, cold = await world.execute(query, variables(data))
    cache = YearCache()
    await world.execute(query, variables(data), cache=cache)
    _, warm = await world.execute(query, variables(data), cache=cache)
    return cold, warm


def difference(demo: Cost, large: Cost) -> str:
    """The commands one data set sent more of than the other, e.g. `large +2 getMore objectives`."""
    more = [("large", Counter(large.sent) - Counter(demo.sent))]
    more.append(("demo", Counter(demo.sent) - Counter(large.sent)))
    return "; ".join(
        f"{who} " + ", ".join(f"+{n} {command}" for command, n in sorted(extra.items()))
        for who, extra in more
        if extra
    )


async def test_round_trips_per_request(bench_world: World, results: Results) -> None:
    rows: list[list[object]] = []
    more: list[str] = []  # large needs more calls than demo: a cost that grows with size
    fewer: list[str] = []
    notes: list[str] = []
    for name, query, variables in REQUESTS:
        demo = await cost(bench_world, bench_world.demo, query, variables)
        large = await cost(bench_world, bench_world.large, query, variables)
        for label, d, lg in (("no cache", demo[0], large[0]), ("warm cache", demo[1], large[1])):
            row = f"{name} ({label})"
            if lg.calls > d.calls:
                more.append(row)
            elif lg.calls < d.calls:
                fewer.append(row)
            same = "yes" if lg.calls == d.calls else "**no**, large more"
            if lg.calls < d.calls:
                same = "no, large fewer"
            same_wire = Counter(d.sent) == Counter(lg.sent)
            wire = "equal" if same_wire else "differ"
            if not same_wire:
                notes.append(f"- {name} ({label}): {difference(d, lg)}")
            rows.append(
                [
                    f"{name} ({label})",
                    d.calls,
                    lg.calls,
                    same,
                    d.commands,
                    lg.commands,
                    wire,
                ]
            )
    header = [
        "request",
        "demo: store calls",
        "large: store calls",
        "same",
        "demo: wire commands",
        "large: wire commands",
        "wire",
    ]
    demo_size, large_size = bench_world.demo.key_results, bench_world.large.key_results
    if not more and not fewer:
        verdict = "**met** on every request"
    else:
        verdict = (
            f"**not met** on {len(more) + len(fewer)} of {len(rows)}: large needs more store "
            f"calls on {', '.join(more) or 'none'}; fewer on {', '.join(fewer) or 'none'}"
        )
    differences = "\n".join(notes)
    results.target(
        "store calls per request, demo and large alike",
        f"{len(rows) - len(more) - len(fewer)} of {len(rows)} equal, large more on {len(more)}",
        "all equal",
        not more and not fewer,
    )
    results.add(
        "Store round trips per request",
        f"""{table(header, rows)}

Where the commands differ (command and collection):

{differences}

Demo: {demo_size} key results in its year; large: {large_size}. Store calls are
`MongoStore.round_trips` around one `schema.execute`; wire commands are what the driver sent
(PyMongo command monitoring), a cursor's `getMore` batches included. "No cache" is the first
request of a process; "warm cache" runs after one identical request with a shared `YearCache`,
as `okrgraph serve` does (a check-in changes the organization's version, so its next read of the
year misses the cache anyway).

Where the demo needs more calls, its shape is why: it has key result dependencies (`blockedBy`
loads the upstream key results) and objectives three levels deep, and the large set has
neither, so its tree stops a level earlier. Where large sends more wire commands, they are
`getMore` batches: nx-27017 answers each with 101 documents unless the cursor asks for more,
so reading the large year's 960 key results takes ten commands where one would do.

Target, the same store calls on both data sets: {verdict}.""",
    )
